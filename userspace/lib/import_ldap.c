// SPDX-License-Identifier: GPL-2.0-only
/*
 * import_ldap.c - users from an LDAP directory (uid, cn, mail) into the
 * registry. The whole directory answer is read and checked first, then
 * written in one transaction, so a failure at any point imports nothing;
 * a dry run writes it all and rolls back, which makes its report exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldap.h>

#include "lib/import.h"

#define LDAP_DEFAULT_FILTER "(objectClass=inetOrgPerson)"
#define LDAP_DEFAULT_TIMEOUT 10
#define LDAP_PAGE_SIZE 500
/* More than this is refused rather than imported in part. */
#define LDAP_MAX_ENTRIES 100000
#define PASSWORD_MAX 1024

struct ldap_user {
	char *dn;
	char *uid, *cn, *mail; /* cn and mail may be NULL */
	int changed;
};

struct ldap_users {
	struct ldap_user *v;
	size_t n, cap;
	char **skipped; /* DNs of entries without a uid */
	size_t nskipped;
};

static void ldap_users_free(struct ldap_users *us)
{
	size_t i;

	for (i = 0; i < us->n; i++) {
		ldap_memfree(us->v[i].dn);
		free(us->v[i].uid);
		free(us->v[i].cn);
		free(us->v[i].mail);
	}
	for (i = 0; i < us->nskipped; i++)
		ldap_memfree(us->skipped[i]);
	free(us->v);
	free(us->skipped);
}

static int ldap_errno(int rc)
{
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
		return -EHOSTUNREACH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
		return -ETIMEDOUT;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_UNWILLING_TO_PERFORM:
		return -EACCES;
	case LDAP_NO_SUCH_OBJECT:
		return -ENOENT;
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_FILTER_ERROR:
	case LDAP_PARAM_ERROR:
		return -EINVAL;
	case LDAP_SIZELIMIT_EXCEEDED:
	case LDAP_ADMINLIMIT_EXCEEDED:
		return -E2BIG;
	case LDAP_NO_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* ": " and the server's own words (diagnosticMessage), or "". */
static void ldap_diag(LDAP *ld, char *buf, size_t len)
{
	char *msg = NULL;

	buf[0] = '\0';
	if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == 0 &&
	    msg && *msg)
		snprintf(buf, len, ": %s", msg);
	ldap_memfree(msg);
}

static bool is_conn_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	       rc == LDAP_TIMEOUT;
}

/* First line of the file, without its line end; the caller wipes pw. */
static int read_password(const char *path, char pw[PASSWORD_MAX], size_t *len,
			 char err[IMPORT_ERR_LEN])
{
	size_t got = 0;
	char *nl;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, IMPORT_ERR_LEN,
			 "cannot read password file %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	/* read(2) straight into pw: stdio would leave copies in its buffer */
	while (got < PASSWORD_MAX) {
		n = read(fd, pw + got, PASSWORD_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, IMPORT_ERR_LEN,
				 "cannot read password file %s: %s", path,
				 strerror(-ret));
			goto out;
		}
		if (n == 0 || memchr(pw + got, '\n', n)) {
			got += n;
			break;
		}
		got += n;
	}
	nl = memchr(pw, '\n', got);
	*len = nl ? (size_t)(nl - pw) : got;
	if (!nl && got == PASSWORD_MAX) {
		ret = -EINVAL;
		snprintf(err, IMPORT_ERR_LEN,
			 "password in %s is longer than %d bytes", path,
			 PASSWORD_MAX - 1);
		goto out;
	}
	if (*len && pw[*len - 1] == '\r')
		(*len)--;
	if (memchr(pw, '\0', *len)) {
		ret = -EINVAL;
		snprintf(err, IMPORT_ERR_LEN, "password in %s holds a NUL byte",
			 path);
		goto out;
	}
	/* an empty simple bind is an anonymous one: never that by accident */
	if (!*len) {
		ret = -EINVAL;
		snprintf(err, IMPORT_ERR_LEN, "password file %s is empty",
			 path);
	}
out:
	close(fd);
	return ret;
}

static int connect_and_bind(LDAP **ldp, const struct ldap_import *o,
			    char err[IMPORT_ERR_LEN])
{
	struct timeval tv = {.tv_sec = o->timeout_s > 0 ? o->timeout_s
							: LDAP_DEFAULT_TIMEOUT};
	char pw[PASSWORD_MAX];
	struct berval cred = {0};
	int version = LDAP_VERSION3, rc, ret;
	char diag[96];
	size_t len = 0;
	LDAP *ld;

	rc = ldap_initialize(&ld, o->uri);
	if (rc != LDAP_SUCCESS) {
		snprintf(err, IMPORT_ERR_LEN, "bad LDAP URI %s: %s", o->uri,
			 ldap_err2string(rc));
		return -EINVAL;
	}
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) {
		snprintf(err, IMPORT_ERR_LEN, "cannot set LDAP options");
		ldap_unbind_ext_s(ld, NULL, NULL);
		return -EIO;
	}
	if (o->bind_dn) {
		if (!o->password_file) {
			snprintf(err, IMPORT_ERR_LEN,
				 "bind as %s needs a password file",
				 o->bind_dn);
			ret = -EINVAL;
			goto fail;
		}
		ret = read_password(o->password_file, pw, &len, err);
		if (ret)
			goto fail;
		cred.bv_val = pw;
		cred.bv_len = len;
	}
	/* An anonymous bind too, so an unreachable server shows up here. */
	rc = ldap_sasl_bind_s(ld, o->bind_dn ? o->bind_dn : "",
			      LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	explicit_bzero(pw, sizeof(pw));
	if (rc == LDAP_SUCCESS) {
		*ldp = ld;
		return 0;
	}
	ret = ldap_errno(rc);
	if (is_conn_error(rc))
		snprintf(err, IMPORT_ERR_LEN, "cannot reach %s: %s", o->uri,
			 ldap_err2string(rc));
	else {
		ldap_diag(ld, diag, sizeof(diag));
		snprintf(err, IMPORT_ERR_LEN, "bind as %.128s refused: %s%s",
			 o->bind_dn ? o->bind_dn : "anonymous",
			 ldap_err2string(rc), diag);
	}
fail:
	explicit_bzero(pw, sizeof(pw));
	ldap_unbind_ext_s(ld, NULL, NULL);
	return ret;
}

/* attr's first value as a C string (NULL: absent); -EINVAL: unusable. */
static int first_value(LDAP *ld, LDAPMessage *e, const char *attr, char **out)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	int ret = 0;

	*out = NULL;
	if (!vals || !vals[0])
		goto out;
	/* the directory checks UTF-8; the registry needs C strings */
	if (vals[0]->bv_len > REG_STR_MAX ||
	    memchr(vals[0]->bv_val, '\0', vals[0]->bv_len)) {
		ret = -EINVAL;
		goto out;
	}
	*out = strndup(vals[0]->bv_val, vals[0]->bv_len);
	if (!*out)
		ret = -ENOMEM;
out:
	ldap_value_free_len(vals);
	return ret;
}

static int collect_entry(LDAP *ld, LDAPMessage *e, struct ldap_users *us,
			 char err[IMPORT_ERR_LEN])
{
	static const char *const attrs[] = {"uid", "cn", "mail"};
	struct ldap_user u = {.dn = ldap_get_dn(ld, e)};
	char **vals[] = {&u.uid, &u.cn, &u.mail};
	void *p;
	int i, ret = 0;

	if (!u.dn)
		return -ENOMEM;
	for (i = 0; i < 3; i++) {
		ret = first_value(ld, e, attrs[i], vals[i]);
		if (ret == -EINVAL)
			snprintf(
				err, IMPORT_ERR_LEN,
				"%s of %.128s is longer than %d bytes or holds a NUL byte",
				attrs[i], u.dn, REG_STR_MAX);
		if (ret)
			goto fail;
	}
	if (!u.uid || !*u.uid) {
		p = reallocarray(us->skipped, us->nskipped + 1, sizeof(char *));
		if (!p) {
			ret = -ENOMEM;
			goto fail;
		}
		us->skipped = p;
		us->skipped[us->nskipped++] = u.dn;
		free(u.uid);
		free(u.cn);
		free(u.mail);
		return 0;
	}
	if (us->n + us->nskipped >= LDAP_MAX_ENTRIES) {
		snprintf(err, IMPORT_ERR_LEN,
			 "more than %d entries; narrow the base or filter",
			 LDAP_MAX_ENTRIES);
		ret = -E2BIG;
		goto fail;
	}
	if (us->n == us->cap) {
		us->cap = us->cap ? us->cap * 2 : 64;
		p = reallocarray(us->v, us->cap, sizeof(*us->v));
		if (!p) {
			ret = -ENOMEM;
			goto fail;
		}
		us->v = p;
	}
	us->v[us->n++] = u;
	return 0;
fail:
	ldap_memfree(u.dn);
	free(u.uid);
	free(u.cn);
	free(u.mail);
	return ret;
}

/* Say why a search failed, in the words of what went wrong. */
static int search_error(LDAP *ld, const struct ldap_import *o,
			const char *filter, int rc, size_t seen,
			char err[IMPORT_ERR_LEN])
{
	char diag[96];

	if (is_conn_error(rc))
		snprintf(err, IMPORT_ERR_LEN, "cannot reach %s: %s", o->uri,
			 ldap_err2string(rc));
	else if (rc == LDAP_NO_SUCH_OBJECT)
		snprintf(err, IMPORT_ERR_LEN, "no such base DN %.160s: %s",
			 o->base, ldap_err2string(rc));
	else if (rc == LDAP_SIZELIMIT_EXCEEDED ||
		 rc == LDAP_ADMINLIMIT_EXCEEDED)
		/* a part of the directory is not imported at all */
		snprintf(
			err, IMPORT_ERR_LEN,
			"the directory stopped after %zu entries: %s; narrow the base or filter, or bind as an account allowed more",
			seen, ldap_err2string(rc));
	else if (rc == LDAP_FILTER_ERROR)
		snprintf(err, IMPORT_ERR_LEN, "bad filter %.160s: %s", filter,
			 ldap_err2string(rc));
	else {
		ldap_diag(ld, diag, sizeof(diag));
		snprintf(err, IMPORT_ERR_LEN, "search of %.128s failed: %s%s",
			 o->base, ldap_err2string(rc), diag);
	}
	return ldap_errno(rc);
}

/* Search in pages (RFC 2696), so a server size limit per request is no cap. */
static int search_users(LDAP *ld, const struct ldap_import *o,
			struct ldap_users *us, char err[IMPORT_ERR_LEN])
{
	static char *attrs[] = {"uid", "cn", "mail", NULL};
	struct timeval tv = {.tv_sec = o->timeout_s > 0 ? o->timeout_s
							: LDAP_DEFAULT_TIMEOUT};
	const char *filter = o->filter ? o->filter : LDAP_DEFAULT_FILTER;
	struct berval cookie = {0};
	LDAPControl *page, *ctrls[2] = {NULL, NULL}, **srv = NULL;
	LDAPMessage *res = NULL, *e;
	ber_int_t count;
	int n, rc, ret = 0;

	do {
		rc = ldap_create_page_control(ld, LDAP_PAGE_SIZE,
					      cookie.bv_val ? &cookie : NULL, 0,
					      &page);
		if (rc != LDAP_SUCCESS) {
			ret = -ENOMEM;
			break;
		}
		ctrls[0] = page;
		rc = ldap_search_ext_s(ld, o->base, LDAP_SCOPE_SUBTREE, filter,
				       attrs, 0, ctrls, NULL, &tv,
				       LDAP_MAX_ENTRIES, &res);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			n = res ? ldap_count_entries(ld, res) : 0;
			ret = search_error(
				ld, o, filter, rc,
				us->n + us->nskipped + (n > 0 ? n : 0), err);
			break;
		}
		for (e = ldap_first_entry(ld, res); e && !ret;
		     e = ldap_next_entry(ld, e))
			ret = collect_entry(ld, e, us, err);
		if (ret)
			break;
		ber_memfree(cookie.bv_val);
		cookie = (struct berval){0};
		if (ldap_parse_result(ld, res, NULL, NULL, NULL, NULL, &srv,
				      0) == LDAP_SUCCESS &&
		    srv) {
			page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, srv,
						 NULL);
			if (page)
				ldap_parse_pageresponse_control(
					ld, page, &count, &cookie);
			ldap_controls_free(srv);
			srv = NULL;
		}
		ldap_msgfree(res);
		res = NULL;
	} while (cookie.bv_val && cookie.bv_len);
	ldap_msgfree(res);
	ber_memfree(cookie.bv_val);
	if (ret == -ENOMEM && !err[0])
		snprintf(err, IMPORT_ERR_LEN, "out of memory");
	return ret;
}

static int cmp_uid(const void *a, const void *b)
{
	return strcmp(((const struct ldap_user *)a)->uid,
		      ((const struct ldap_user *)b)->uid);
}

/* Two entries with one uid would make one account flip between them. */
static int check_unique(struct ldap_users *us, char err[IMPORT_ERR_LEN])
{
	size_t i;

	qsort(us->v, us->n, sizeof(*us->v), cmp_uid);
	for (i = 1; i < us->n; i++) {
		if (strcmp(us->v[i - 1].uid, us->v[i].uid))
			continue;
		snprintf(err, IMPORT_ERR_LEN,
			 "uid %.64s is held by both %.80s and %.80s",
			 us->v[i].uid, us->v[i - 1].dn, us->v[i].dn);
		return -EEXIST;
	}
	return 0;
}

static int store_users(struct registry *r, const struct ldap_import *o,
		       struct ldap_users *us, bool dry_run, const char *actor,
		       struct import_stats *st, char err[IMPORT_ERR_LEN])
{
	char detail[160];
	size_t i;
	int ret;

	ret = reg_begin(r);
	if (ret) {
		snprintf(err, IMPORT_ERR_LEN, "registry: %s", reg_errmsg(r));
		return ret;
	}
	for (i = 0; i < us->n; i++) {
		struct ldap_user *lu = &us->v[i];
		struct reg_user u = {
			.account = lu->uid,
			.display_name = lu->cn,
			.email = lu->mail,
			.source = REG_SRC_LDAP,
		};

		ret = reg_user_upsert(r, &u, actor, &lu->changed);
		if (ret) {
			snprintf(err, IMPORT_ERR_LEN,
				 "cannot store user %.64s (%.80s): %s", lu->uid,
				 lu->dn, reg_errmsg(r));
			goto fail;
		}
		if (lu->changed == 1)
			st->created++;
		else if (lu->changed == 2)
			st->updated++;
		else
			st->unchanged++;
	}
	st->skipped = us->nskipped;
	if (dry_run) {
		reg_rollback(r);
		return 0;
	}
	snprintf(detail, sizeof(detail),
		 "created %u, updated %u, unchanged %u, skipped %u",
		 st->created, st->updated, st->unchanged, st->skipped);
	ret = reg_audit(r, actor, "user.import", o->uri, detail);
	if (!ret)
		ret = reg_commit(r);
	if (ret) {
		snprintf(err, IMPORT_ERR_LEN, "registry: %s", reg_errmsg(r));
		goto fail;
	}
	return 0;
fail:
	reg_rollback(r);
	*st = (struct import_stats){0};
	return ret;
}

int import_ldap(struct registry *r, const struct ldap_import *o, bool dry_run,
		const char *actor, import_cb cb, void *ctx,
		struct import_stats *st, char err[IMPORT_ERR_LEN])
{
	struct ldap_users us = {0};
	LDAP *ld = NULL;
	size_t i;
	int ret;

	err[0] = '\0';
	*st = (struct import_stats){0};
	if (!o->uri || !*o->uri || !o->base) {
		snprintf(err, IMPORT_ERR_LEN,
			 "an LDAP URI and a base DN are needed");
		return -EINVAL;
	}
	ret = connect_and_bind(&ld, o, err);
	if (ret)
		return ret;
	ret = search_users(ld, o, &us, err);
	ldap_unbind_ext_s(ld, NULL, NULL);
	if (!ret)
		ret = check_unique(&us, err);
	if (!ret)
		ret = store_users(r, o, &us, dry_run, actor, st, err);
	if (!ret && cb) {
		for (i = 0; i < us.n; i++)
			cb("user", us.v[i].uid, us.v[i].changed, ctx);
		for (i = 0; i < us.nskipped; i++)
			cb("user", us.skipped[i], -1, ctx);
	}
	ldap_users_free(&us);
	return ret;
}
