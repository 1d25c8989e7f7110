// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry_users.c - the accounts that own devices: added by hand or
 * imported (LDAP), disabled rather than deleted so history keeps its names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/registry_int.h"

#define USER_COLS \
	"id, account, display_name, email, source, disabled, created, updated"

void reg_user_free(struct reg_user *u)
{
	if (!u)
		return;
	free(u->account);
	free(u->display_name);
	free(u->email);
	u->account = u->display_name = u->email = NULL;
}

static int user_from_row(sqlite3_stmt *st, struct reg_user *u)
{
	int err = 0;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	u->account = reg_col_str(st, 1, &err);
	u->display_name = reg_col_str(st, 2, &err);
	u->email = reg_col_str(st, 3, &err);
	u->source = sqlite3_column_int(st, 4);
	u->disabled = sqlite3_column_int(st, 5);
	u->created = sqlite3_column_int64(st, 6);
	u->updated = sqlite3_column_int64(st, 7);
	if (err)
		reg_user_free(u);
	return err;
}

static const char *source_name(enum reg_user_source s)
{
	return s == REG_SRC_LDAP ? "ldap" : "local";
}

static int check_user(struct registry *r, const struct reg_user *u)
{
	if (u->source != REG_SRC_LOCAL && u->source != REG_SRC_LDAP)
		return reg_fail(r, -EINVAL, "unknown user source %d",
				u->source);
	return reg_check_str(r, "account", u->account, false, false) ?:
		       reg_check_str(r, "display name", u->display_name, true, true) ?:
		       reg_check_str(r, "email", u->email, true, true);
}

int reg_user_id(struct registry *r, const char *account, int64_t *id)
{
	int ret = reg_query_i64(r, id, "SELECT id FROM users WHERE account = ?",
				"t", account);

	if (ret == -ENOENT)
		reg_fail(r, ret, "no user '%.64s'", account);
	return ret;
}

/* Insert unless the account exists: 1 inserted, 0 taken, or -errno. */
static int user_insert(struct registry *r, const struct reg_user *u,
		       const char *actor, const char *action)
{
	int64_t now = reg_now();
	int ret;

	ret = reg_exec(
		r,
		"INSERT INTO users (account, display_name, email, source,"
		" disabled, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (account) DO NOTHING",
		"tttiiII", u->account, u->display_name, u->email,
		(int)u->source, (int)u->disabled, now, now);
	if (ret <= 0)
		return ret;
	ret = reg_auditf(r, actor, action, u->account, "source=%s%s",
			 source_name(u->source),
			 u->disabled ? " disabled" : "");
	return ret ?: 1;
}

int reg_user_add(struct registry *r, const struct reg_user *u,
		 const char *actor)
{
	bool nested;
	int ret;

	ret = check_user(r, u) ?: reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = user_insert(r, u, actor, "user.add");
	if (ret == 0)
		ret = reg_fail(r, -EEXIST, "user '%.64s' exists", u->account);
	return reg_tx_end(r, nested, ret < 0 ? ret : 0);
}

/*
 * An import owns the fields it carries: a NULL display name or email
 * keeps what is stored. It may disable an account but never enable one:
 * turning an account back on is an administrator's decision.
 */
int reg_user_upsert(struct registry *r, const struct reg_user *u,
		    const char *actor, int *changed)
{
	bool nested;
	int ret;

	*changed = 0;
	ret = check_user(r, u) ?: reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = user_insert(r, u, actor, "user.add");
	if (ret == 1) {
		*changed = 1;
	} else if (ret == 0) {
		ret = reg_exec(
			r,
			"UPDATE users SET"
			" display_name = coalesce(?1, display_name),"
			" email = coalesce(?2, email), source = ?3,"
			" disabled = max(disabled, ?4), updated = ?5"
			" WHERE account = ?6 AND ("
			"  display_name IS NOT coalesce(?1, display_name)"
			"  OR email IS NOT coalesce(?2, email)"
			"  OR source <> ?3 OR disabled < ?4)",
			"ttiiIt", u->display_name, u->email, (int)u->source,
			(int)u->disabled, reg_now(), u->account);
		if (ret == 1) {
			*changed = 2;
			ret = reg_auditf(r, actor, "user.update", u->account,
					 "source=%s%s", source_name(u->source),
					 u->disabled ? " disabled" : "");
		}
	}
	ret = reg_tx_end(r, nested, ret < 0 ? ret : 0);
	if (ret)
		*changed = 0;
	return ret;
}

int reg_user_get(struct registry *r, const char *account, struct reg_user *u)
{
	sqlite3_stmt *st;
	int ret;

	memset(u, 0, sizeof(*u));
	ret = reg_check_str(r, "account", account, false, false)
		      ?: reg_prepare(r, &st,
				     "SELECT " USER_COLS
				     " FROM users WHERE account = ?",
				     "t", account);
	if (ret)
		return ret;
	ret = reg_step(r, st);
	if (ret == 1)
		ret = user_from_row(st, u);
	else if (ret == 0)
		ret = reg_fail(r, -ENOENT, "no user '%.64s'", account);
	reg_finish(r, st);
	return ret;
}

int reg_user_set_disabled(struct registry *r, const char *account,
			  bool disabled, const char *actor)
{
	int64_t id;
	bool nested;
	int ret;

	ret = reg_check_str(r, "account", account, false, false)
		      ?: reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = reg_exec(r,
		       "UPDATE users SET disabled = ?1, updated = ?2"
		       " WHERE account = ?3 AND disabled <> ?1",
		       "iIt", (int)disabled, reg_now(), account);
	if (ret == 1)
		ret = reg_audit(r, actor,
				disabled ? "user.disable" : "user.enable",
				account, NULL);
	else if (ret == 0) /* already so, or no such account */
		ret = reg_user_id(r, account, &id);
	return reg_tx_end(r, nested, ret);
}

int reg_user_foreach(struct registry *r, reg_user_cb cb, void *ctx)
{
	struct reg_user u;
	sqlite3_stmt *st;
	int ret;

	ret = reg_prepare(r, &st,
			  "SELECT " USER_COLS " FROM users"
			  " ORDER BY account",
			  "");
	if (ret)
		return ret;
	while ((ret = reg_step(r, st)) == 1) {
		ret = user_from_row(st, &u);
		if (ret)
			break;
		ret = cb(&u, ctx);
		reg_user_free(&u);
		if (ret)
			break;
	}
	reg_finish(r, st);
	return ret;
}
