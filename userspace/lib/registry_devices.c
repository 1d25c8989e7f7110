// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry_devices.c - devices, their enrolled properties and their
 * status. A device is pending until it has a good certificate, active
 * while it has one, and revoked for good; quarantine sets it aside
 * without touching its certificates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "lib/registry_int.h"

#define DEV_COLS                                                     \
	"d.id, d.uuid, d.name, u.account, d.grp, d.status, d.trust," \
	" d.created, d.updated FROM devices d JOIN users u ON u.id = d.owner_id"

static const char *const dev_status_names[] = {
	[REG_DEV_PENDING] = "pending",
	[REG_DEV_ACTIVE] = "active",
	[REG_DEV_QUARANTINED] = "quarantined",
	[REG_DEV_REVOKED] = "revoked",
};

const char *reg_dev_status_name(enum reg_dev_status s)
{
	if ((unsigned int)s >= sizeof(dev_status_names) / sizeof(char *))
		return NULL;
	return dev_status_names[s];
}

int reg_dev_status_parse(const char *s, enum reg_dev_status *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(dev_status_names) / sizeof(char *); i++) {
		if (s && !strcasecmp(s, dev_status_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

static void free_props(struct reg_prop *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

void reg_device_free(struct reg_device *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->owner);
	free(d->group);
	free_props(d->props, d->nprops);
	d->name = d->owner = d->group = NULL;
	d->props = NULL;
	d->nprops = 0;
}

/* The properties of a device, sorted by key (bytewise). */
static int load_props(struct registry *r, sqlite3_stmt *st,
		      struct reg_device *d)
{
	struct reg_prop *p;
	size_t cap = 0;
	int ret, err = 0;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, d->id);
	while ((ret = reg_step(r, st)) == 1) {
		if (d->nprops == cap) {
			cap = cap ? 2 * cap : 8;
			p = realloc(d->props, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			d->props = p;
		}
		p = &d->props[d->nprops++];
		p->key = reg_col_str(st, 0, &err);
		p->value = reg_col_str(st, 1, &err);
		if (err)
			return err;
	}
	return ret;
}

static int prepare_props(struct registry *r, sqlite3_stmt **st)
{
	return reg_prepare(r, st,
			   "SELECT name, value FROM device_props"
			   " WHERE device_id = ? ORDER BY name",
			   "");
}

static int device_from_row(struct registry *r, sqlite3_stmt *st,
			   sqlite3_stmt *pst, struct reg_device *d)
{
	const unsigned char *uuid;
	int err = 0;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(st, 0);
	uuid = sqlite3_column_text(st, 1);
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid ? (char *)uuid : "");
	d->name = reg_col_str(st, 2, &err);
	d->owner = reg_col_str(st, 3, &err);
	d->group = reg_col_str(st, 4, &err);
	d->status = sqlite3_column_int(st, 5);
	d->trust = sqlite3_column_int(st, 6);
	d->created = sqlite3_column_int64(st, 7);
	d->updated = sqlite3_column_int64(st, 8);
	err = err ?: load_props(r, pst, d);
	if (err)
		reg_device_free(d);
	return err;
}

/* Run a device query expected to give one row. */
static int device_query(struct registry *r, struct reg_device *d,
			const char *sql, const char *fmt, const void *arg)
{
	sqlite3_stmt *st, *pst;
	int ret;

	if (*fmt == 't')
		ret = reg_prepare(r, &st, sql, fmt, (const char *)arg);
	else
		ret = reg_prepare(r, &st, sql, fmt, *(const int64_t *)arg);
	if (ret)
		return ret;
	ret = prepare_props(r, &pst);
	if (!ret) {
		ret = reg_step(r, st);
		if (ret == 1)
			ret = device_from_row(r, st, pst, d);
		else if (ret == 0)
			ret = -ENOENT;
		reg_finish(r, pst);
	}
	reg_finish(r, st);
	return ret;
}

int reg_device_get_id(struct registry *r, int64_t id, struct reg_device *d)
{
	int ret;

	memset(d, 0, sizeof(*d));
	ret = device_query(r, d, "SELECT " DEV_COLS " WHERE d.id = ?", "I",
			   &id);
	if (ret == -ENOENT)
		reg_fail(r, ret, "no device with id %lld", (long long)id);
	return ret;
}

int reg_device_get(struct registry *r, const char *ref, struct reg_device *d)
{
	int64_t id = 0;
	const char *c;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = reg_check_str(r, "device", ref, false, false);
	if (ret)
		return ret;
	ret = device_query(r, d, "SELECT " DEV_COLS " WHERE d.name = ?", "t",
			   ref);
	if (ret == -ENOENT)
		ret = device_query(r, d, "SELECT " DEV_COLS " WHERE d.uuid = ?",
				   "t", ref);
	if (ret != -ENOENT)
		return ret;
	for (c = ref; *c >= '0' && *c <= '9' && id <= INT64_MAX / 10 - 1; c++)
		id = id * 10 + (*c - '0');
	if (!*c && id > 0)
		ret = device_query(r, d, "SELECT " DEV_COLS " WHERE d.id = ?",
				   "I", &id);
	if (ret == -ENOENT)
		reg_fail(r, ret, "no device '%.64s'", ref);
	return ret;
}

int reg_device_foreach(struct registry *r, reg_device_cb cb, void *ctx)
{
	sqlite3_stmt *st, *pst;
	struct reg_device d;
	int ret;

	ret = reg_prepare(r, &st, "SELECT " DEV_COLS " ORDER BY d.id", "");
	if (ret)
		return ret;
	ret = prepare_props(r, &pst);
	while (!ret && (ret = reg_step(r, st)) == 1) {
		ret = device_from_row(r, st, pst, &d);
		if (ret)
			break;
		ret = cb(&d, ctx);
		reg_device_free(&d);
	}
	reg_finish(r, pst);
	reg_finish(r, st);
	return ret;
}

/*
 * Property keys are the part before '=' on a command line, so they hold
 * no '='. Values are required unless they may mean "remove".
 */
static int check_props(struct registry *r, const struct reg_prop *p, size_t n,
		       bool allow_remove, bool allow_repeat)
{
	int ret;

	if (n && !p)
		return reg_fail(r, -EINVAL, "no properties given");
	for (size_t i = 0; i < n; i++) {
		ret = reg_check_str(r, "property key", p[i].key, false, false)
			      ?: reg_check_str(r, "property value", p[i].value,
					       allow_remove, true);
		if (ret)
			return ret;
		if (strchr(p[i].key, '='))
			return reg_fail(r, -EINVAL,
					"property key '%.64s' holds '='",
					p[i].key);
		for (size_t j = 0; j < i && !allow_repeat; j++) {
			if (!strcmp(p[i].key, p[j].key))
				return reg_fail(r, -EINVAL,
						"property '%.64s' given twice",
						p[i].key);
		}
	}
	return 0;
}

static int check_device(struct registry *r, const struct reg_device *d)
{
	return reg_check_str(r, "device name", d->name, false, false)	 ?:
		       reg_check_str(r, "owner", d->owner, false, false) ?:
		       reg_check_str(r, "group", d->group, true, true)	 ?:
		       check_props(r, d->props, d->nprops, false, false);
}

static int make_uuid(char out[37])
{
	uint8_t b[16];
	ssize_t n;

	do {
		n = getrandom(b, sizeof(b), 0);
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(b))
		return n < 0 ? -errno : -EIO;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* Set a property (value) or remove it (NULL): 1 when it changed. */
static int prop_apply(struct registry *r, int64_t id, const struct reg_prop *p)
{
	if (!p->value)
		return reg_exec(r,
				"DELETE FROM device_props"
				" WHERE device_id = ? AND name = ?",
				"It", id, p->key);
	return reg_exec(r,
			"INSERT INTO device_props (device_id, name, value)"
			" VALUES (?1, ?2, ?3) ON CONFLICT (device_id, name)"
			" DO UPDATE SET value = excluded.value"
			" WHERE value IS NOT excluded.value",
			"Itt", id, p->key, p->value);
}

/* Insert a new device row with its properties; fills id, uuid, times. */
static int device_insert(struct registry *r, struct reg_device *d,
			 int64_t owner_id, const char *actor)
{
	const char *group = d->group && *d->group ? d->group : NULL;
	int64_t now = reg_now();
	int ret;

	ret = make_uuid(d->uuid);
	if (ret)
		return reg_fail(r, ret, "no randomness for a uuid");
	ret = reg_exec(
		r,
		"INSERT INTO devices (uuid, name, owner_id, grp, status,"
		" trust, created, updated) VALUES (?, ?, ?, ?, ?, 100, ?, ?)",
		"ttItiII", d->uuid, d->name, owner_id, group,
		(int)REG_DEV_PENDING, now, now);
	if (ret == -EEXIST)
		return reg_fail(r, ret, "device '%.64s' exists", d->name);
	if (ret < 0)
		return ret;
	d->id = sqlite3_last_insert_rowid(r->db);
	d->status = REG_DEV_PENDING;
	d->trust = 100;
	d->created = d->updated = now;
	for (size_t i = 0; i < d->nprops; i++) {
		ret = prop_apply(r, d->id, &d->props[i]);
		if (ret < 0)
			return ret;
	}
	return reg_auditf(r, actor, "device.add", d->name,
			  "id=%lld uuid=%s owner=%s group=%s props=%zu",
			  (long long)d->id, d->uuid, d->owner,
			  group ? group : "-", d->nprops);
}

int reg_device_add(struct registry *r, struct reg_device *d, const char *actor)
{
	int64_t owner_id;
	bool nested;
	int ret;

	ret = check_device(r, d) ?: reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = reg_user_id(r, d->owner, &owner_id)
		      ?: device_insert(r, d, owner_id, actor);
	return reg_tx_end(r, nested, ret);
}

/*
 * Change what is given on an existing device; writes what changed to
 * log and returns how many things changed, or -errno.
 */
static int device_apply(struct registry *r, int64_t id, const char *owner,
			const char *group, int trust,
			const struct reg_prop *props, size_t nprops, FILE *log)
{
	int64_t owner_id;
	int ret, n = 0;

	if (owner) {
		ret = reg_user_id(r, owner, &owner_id)
			      ?: reg_exec(r,
					  "UPDATE devices SET owner_id = ?2"
					  " WHERE id = ?1 AND owner_id <> ?2",
					  "II", id, owner_id);
		if (ret < 0)
			return ret;
		if (ret)
			n++, fprintf(log, " owner=%s", owner);
	}
	if (group) {
		ret = reg_exec(r,
			       "UPDATE devices SET grp = ?2"
			       " WHERE id = ?1 AND grp IS NOT ?2",
			       "It", id, *group ? group : NULL);
		if (ret < 0)
			return ret;
		if (ret)
			n++, fprintf(log, " group=%s", *group ? group : "-");
	}
	if (trust >= 0) {
		ret = reg_exec(r,
			       "UPDATE devices SET trust = ?2"
			       " WHERE id = ?1 AND trust <> ?2",
			       "Ii", id, trust);
		if (ret < 0)
			return ret;
		if (ret)
			n++, fprintf(log, " trust=%d", trust);
	}
	for (size_t i = 0; i < nprops; i++) {
		ret = prop_apply(r, id, &props[i]);
		if (ret < 0)
			return ret;
		if (ret)
			n++, fprintf(log, " %s%s",
				     props[i].value ? "set=" : "unset=",
				     props[i].key);
	}
	if (n) {
		ret = reg_exec(r, "UPDATE devices SET updated = ? WHERE id = ?",
			       "II", reg_now(), id);
		if (ret < 0)
			return ret;
	}
	return n;
}

/* The name of a device, for audit records: 0, -ENOENT or -errno. */
static int device_name(struct registry *r, int64_t id, char **name, int *status)
{
	sqlite3_stmt *st;
	int ret;

	*name = NULL;
	ret = reg_prepare(r, &st,
			  "SELECT name, status FROM devices WHERE id = ?", "I",
			  id);
	if (ret)
		return ret;
	ret = reg_step(r, st);
	if (ret == 1) {
		ret = 0;
		*name = reg_col_str(st, 0, &ret);
		if (status)
			*status = sqlite3_column_int(st, 1);
	} else if (ret == 0) {
		ret = reg_fail(r, -ENOENT, "no device with id %lld",
			       (long long)id);
	}
	reg_finish(r, st);
	return ret;
}

/* Apply changes and audit them; 0/1 for "changed", or -errno. */
static int device_change(struct registry *r, int64_t id, const char *owner,
			 const char *group, int trust,
			 const struct reg_prop *props, size_t nprops,
			 const char *actor)
{
	char *log = NULL, *name = NULL;
	size_t len;
	FILE *f;
	int ret;

	ret = device_name(r, id, &name, NULL);
	if (ret)
		return ret;
	f = open_memstream(&log, &len);
	if (!f) {
		free(name);
		return -ENOMEM;
	}
	fprintf(f, "id=%lld", (long long)id);
	ret = device_apply(r, id, owner, group, trust, props, nprops, f);
	if (fclose(f) && ret >= 0)
		ret = -ENOMEM;
	if (ret > 0)
		ret = reg_audit(r, actor, "device.update", name, log) ?: 1;
	free(log);
	free(name);
	return ret;
}

int reg_device_update(struct registry *r, int64_t id, const char *owner,
		      const char *group, int trust,
		      const struct reg_prop *props, size_t nprops,
		      const char *actor)
{
	bool nested;
	int ret;

	if (trust < -1 || trust > 100)
		return reg_fail(r, -EINVAL, "trust %d is not 0..100", trust);
	ret = reg_check_str(r, "owner", owner, true, false)	   ?:
		      reg_check_str(r, "group", group, true, true) ?:
		      check_props(r, props, nprops, true, true)	   ?:
		      reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = device_change(r, id, owner, group, trust, props, nprops, actor);
	return reg_tx_end(r, nested, ret < 0 ? ret : 0);
}

/*
 * An inventory import owns the device's owner, its group when given
 * (NULL keeps, "" clears) and the properties it lists; properties it
 * does not list, status and trust stay as they are.
 */
int reg_device_upsert(struct registry *r, struct reg_device *d,
		      const char *actor, int *changed)
{
	struct reg_device cur;
	int64_t owner_id;
	bool nested;
	int ret;

	*changed = 0;
	ret = check_device(r, d) ?: reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = reg_user_id(r, d->owner, &owner_id);
	if (!ret) {
		ret = device_query(r, &cur,
				   "SELECT " DEV_COLS " WHERE d.name = ?", "t",
				   d->name);
		if (ret == -ENOENT) {
			ret = device_insert(r, d, owner_id, actor);
			*changed = ret ? 0 : 1;
		} else if (!ret) {
			ret = device_change(r, cur.id, d->owner, d->group, -1,
					    d->props, d->nprops, actor);
			*changed = ret > 0 ? 2 : 0;
			reg_device_free(&cur);
			ret = ret < 0 ? ret : 0;
		}
	}
	if (!ret && *changed != 1) {
		ret = device_query(r, &cur,
				   "SELECT " DEV_COLS " WHERE d.name = ?", "t",
				   d->name);
		if (!ret) {
			d->id = cur.id;
			memcpy(d->uuid, cur.uuid, sizeof(d->uuid));
			d->status = cur.status;
			d->trust = cur.trust;
			d->created = cur.created;
			d->updated = cur.updated;
			reg_device_free(&cur);
		}
	}
	ret = reg_tx_end(r, nested, ret);
	if (ret)
		*changed = 0;
	return ret;
}

static int good_certs(struct registry *r, int64_t id, int64_t *n)
{
	return reg_query_i64(r, n,
			     "SELECT count(*) FROM certs"
			     " WHERE device_id = ? AND status = ?",
			     "Ii", id, (int)REG_CERT_GOOD);
}

static const char *const status_actions[] = {
	[REG_DEV_PENDING] = "device.reset",
	[REG_DEV_ACTIVE] = "device.activate",
	[REG_DEV_QUARANTINED] = "device.quarantine",
	[REG_DEV_REVOKED] = "device.revoke",
};

/*
 * Which status changes make sense: revoked is final; active needs a good
 * certificate and pending means having none, so the status never claims
 * what the certificates deny.
 */
static int check_transition(struct registry *r, int64_t id, int from,
			    enum reg_dev_status to)
{
	int64_t good = 0;
	int ret;

	if (from == REG_DEV_REVOKED)
		return reg_fail(r, -EPERM, "a revoked device stays revoked");
	if (to != REG_DEV_ACTIVE && to != REG_DEV_PENDING)
		return 0;
	ret = good_certs(r, id, &good);
	if (ret)
		return ret;
	if (to == REG_DEV_ACTIVE && !good)
		return reg_fail(r, -EPERM,
				"the device has no good certificate");
	if (to == REG_DEV_PENDING && good)
		return reg_fail(r, -EPERM, "the device has a good certificate");
	return 0;
}

/* Revoke every good certificate of a device; their serials go to log. */
static int revoke_device_certs(struct registry *r, int64_t id, int reason,
			       FILE *log)
{
	sqlite3_stmt *st;
	int ret, n = 0;

	ret = reg_prepare(
		r, &st,
		"UPDATE certs SET status = ?, revoked_at = ?, reason = ?"
		" WHERE device_id = ? AND status = ? RETURNING serial",
		"iIiIi", (int)REG_CERT_REVOKED, reg_now(), reason, id,
		(int)REG_CERT_GOOD);
	if (ret)
		return ret;
	fprintf(log, " certs=");
	while ((ret = reg_step(r, st)) == 1)
		fprintf(log, "%s%s", n++ ? "," : "",
			(const char *)sqlite3_column_text(st, 0));
	if (!n)
		fprintf(log, "-");
	reg_finish(r, st);
	return ret;
}

static int set_status(struct registry *r, int64_t id, enum reg_dev_status s,
		      int reason, const char *actor, const char *detail)
{
	char *name, *log = NULL;
	int ret, from = 0;
	size_t len;
	FILE *f;

	ret = device_name(r, id, &name, &from);
	if (ret || from == (int)s) /* already so: nothing to record */
		goto out;
	ret = check_transition(r, id, from, s);
	if (!ret)
		ret = reg_exec(r,
			       "UPDATE devices SET status = ?, updated = ?"
			       " WHERE id = ?",
			       "iII", (int)s, reg_now(), id);
	if (ret < 0)
		goto out;
	f = open_memstream(&log, &len);
	if (!f) {
		ret = -ENOMEM;
		goto out;
	}
	fprintf(f, "id=%lld from=%s", (long long)id, reg_dev_status_name(from));
	ret = 0;
	if (s == REG_DEV_REVOKED) {
		fprintf(f, " reason=%s", reg_reason_name(reason));
		ret = revoke_device_certs(r, id, reason, f);
	}
	if (detail)
		fprintf(f, ": %s", detail);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = reg_audit(r, actor, status_actions[s], name, log);
out:
	free(log);
	free(name);
	return ret;
}

int reg_device_set_status(struct registry *r, int64_t id, enum reg_dev_status s,
			  int reason, const char *actor, const char *detail)
{
	bool nested;
	int ret;

	if (!reg_dev_status_name(s))
		return reg_fail(r, -EINVAL, "unknown device status %d", s);
	if (s == REG_DEV_REVOKED &&
	    (!reg_reason_name(reason) || reason == REG_REASON_REMOVE_FROM_CRL))
		return reg_fail(r, -EINVAL, "%d is no revocation reason",
				reason);
	ret = reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = set_status(r, id, s, reason, actor, detail);
	return reg_tx_end(r, nested, ret);
}

/*
 * Deleting takes the device's properties with it. Its certificates stay,
 * unlinked (device_id NULL), so OCSP still answers for them; a device
 * with good certificates must be revoked first (-EPERM), or a valid
 * certificate would outlive the record that vouches for it.
 */
int reg_device_delete(struct registry *r, int64_t id, const char *actor)
{
	int64_t good = 0;
	char *name = NULL;
	bool nested;
	int ret;

	ret = reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = device_name(r, id, &name, NULL) ?: good_certs(r, id, &good);
	if (!ret && good)
		ret = reg_fail(r, -EPERM,
			       "the device has %lld good certificates",
			       (long long)good);
	if (!ret)
		ret = reg_exec(r, "DELETE FROM devices WHERE id = ?", "I", id);
	if (ret >= 0)
		ret = reg_auditf(r, actor, "device.delete", name, "id=%lld",
				 (long long)id);
	free(name);
	return reg_tx_end(r, nested, ret);
}
