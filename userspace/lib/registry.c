// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry.c - the registry file: creating it private, WAL, foreign keys,
 * schema migrations, transactions, the statement helpers the other
 * registry_*.c files use, input checks and the audit trail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/registry_int.h"

#define REG_BUSY_TIMEOUT_MS 5000

/*
 * Schema migrations: migrations[v] takes a database from version v to
 * v + 1 and ends by setting user_version to v + 1. They run in one
 * transaction, so a crash leaves the old version whole. Version 2 will be
 * one more entry (ALTER TABLE ...; PRAGMA user_version = 2;).
 *
 * Device ids are AUTOINCREMENT: they are the gate's device_id, and an id
 * of a deleted device must never name a new one while a stale map entry
 * or conntrack record may still carry it. Certificates outlive their
 * device (device_id turns NULL) so OCSP keeps answering for them by
 * issuer + serial; a device with good certificates cannot be deleted.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  account TEXT NOT NULL UNIQUE CHECK (length(account) > 0),"
	"  display_name TEXT,"
	"  email TEXT,"
	"  source INTEGER NOT NULL CHECK (source IN (0, 1)),"
	"  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE TABLE devices ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),"
	"  owner_id INTEGER NOT NULL REFERENCES users (id),"
	"  grp TEXT,"
	"  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
	"  trust INTEGER NOT NULL CHECK (trust BETWEEN 0 AND 100),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX devices_owner ON devices (owner_id);"
	"CREATE TABLE device_props ("
	"  device_id INTEGER NOT NULL"
	"    REFERENCES devices (id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL CHECK (length(name) > 0),"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (device_id, name)) WITHOUT ROWID;"
	"CREATE TABLE certs ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer TEXT NOT NULL,"
	"  serial TEXT NOT NULL,"
	"  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,"
	"  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),"
	"  subject TEXT,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  status INTEGER NOT NULL CHECK (status IN (0, 1)),"
	"  revoked_at INTEGER NOT NULL DEFAULT 0,"
	"  reason INTEGER NOT NULL DEFAULT 0,"
	"  der BLOB NOT NULL,"
	"  UNIQUE (issuer, serial));"
	"CREATE INDEX certs_device ON certs (device_id);"
	"CREATE INDEX certs_serial ON certs (serial);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object TEXT,"
	"  detail TEXT);"
	"PRAGMA user_version = 1;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == REG_SCHEMA_VERSION,
	       "one migration per schema version");

int reg_fail(struct registry *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

int reg_sqlerr(struct registry *r, int rc)
{
	int err;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err = -EBUSY;
		break;
	case SQLITE_NOMEM:
		err = -ENOMEM;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		err = -EACCES;
		break;
	case SQLITE_FULL:
		err = -ENOSPC;
		break;
	case SQLITE_CONSTRAINT:
		switch (rc) {
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
			err = -EEXIST;
			break;
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			err = -ENOENT;
			break;
		case SQLITE_CONSTRAINT_CHECK:
		case SQLITE_CONSTRAINT_NOTNULL:
			err = -EINVAL;
			break;
		default:
			err = -EIO;
		}
		break;
	default:
		err = -EIO;
	}
	return reg_fail(r, err, "%s", sqlite3_errmsg(r->db));
}

static int bind_all(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const char *s;
	const void *p;
	size_t len;
	int i, rc = SQLITE_OK;

	for (i = 1; *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 't':
			s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i, s, strlen(s),
						   SQLITE_STATIC)
			       : sqlite3_bind_null(st, i);
			break;
		case 'i':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

/* A cached statement for sql, or a new one (cached when there is room). */
static int stmt_get(struct registry *r, const char *sql, sqlite3_stmt **st)
{
	struct reg_stmt *free_slot = NULL;
	int rc;

	for (int i = 0; i < REG_STMT_CACHE; i++) {
		struct reg_stmt *c = &r->cache[i];

		if (!c->st) {
			if (!free_slot)
				free_slot = c;
			continue;
		}
		if (!c->in_use && (c->sql == sql || !strcmp(c->sql, sql))) {
			c->in_use = true;
			*st = c->st;
			return SQLITE_OK;
		}
	}
	rc = sqlite3_prepare_v3(r->db, sql, -1,
				free_slot ? SQLITE_PREPARE_PERSISTENT : 0, st,
				NULL);
	if (rc == SQLITE_OK && free_slot) {
		free_slot->sql = sqlite3_sql(*st);
		free_slot->st = *st;
		free_slot->in_use = true;
	}
	return rc;
}

void reg_finish(struct registry *r, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (int i = 0; i < REG_STMT_CACHE; i++) {
		if (r->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			r->cache[i].in_use = false;
			return;
		}
	}
	reg_finish(r, st);
}

static int prepare_v(struct registry *r, sqlite3_stmt **st, const char *sql,
		     const char *fmt, va_list ap)
{
	int rc;

	rc = stmt_get(r, sql, st);
	if (rc != SQLITE_OK)
		return reg_sqlerr(r, rc);
	rc = bind_all(*st, fmt, ap);
	if (rc != SQLITE_OK) {
		reg_finish(r, *st);
		*st = NULL;
		return reg_sqlerr(r, rc);
	}
	return 0;
}

int reg_prepare(struct registry *r, sqlite3_stmt **st, const char *sql,
		const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = prepare_v(r, st, sql, fmt, ap);
	va_end(ap);
	return err;
}

int reg_step(struct registry *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return reg_sqlerr(r, rc);
}

int reg_exec(struct registry *r, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = prepare_v(r, &st, sql, fmt, ap);
	va_end(ap);
	if (err)
		return err;
	while ((err = reg_step(r, st)) == 1)
		;
	reg_finish(r, st);
	return err ? err : sqlite3_changes(r->db);
}

int reg_query_i64(struct registry *r, int64_t *out, const char *sql,
		  const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = prepare_v(r, &st, sql, fmt, ap);
	va_end(ap);
	if (err)
		return err;
	err = reg_step(r, st);
	if (err == 1) {
		*out = sqlite3_column_int64(st, 0);
		err = 0;
	} else if (err == 0) {
		err = -ENOENT;
	}
	reg_finish(r, st);
	return err;
}

char *reg_col_str(sqlite3_stmt *st, int col, int *err)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);
	char *copy;

	if (!s)
		return NULL;
	copy = malloc(len + 1);
	if (!copy) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(copy, s, len);
	copy[len] = 0;
	return copy;
}

int reg_tx_begin(struct registry *r, bool *nested)
{
	int ret;

	*nested = !sqlite3_get_autocommit(r->db);
	/* IMMEDIATE: take the write lock (waiting) before reading, so WAL
	 * never has to upgrade a read snapshot and fail with BUSY. */
	ret = reg_exec(r, *nested ? "SAVEPOINT reg_op" : "BEGIN IMMEDIATE", "");
	return ret < 0 ? ret : 0;
}

int reg_tx_end(struct registry *r, bool nested, int err)
{
	char msg[REG_ERR_LEN];
	int ret;

	if (!err) {
		ret = reg_exec(r, nested ? "RELEASE reg_op" : "COMMIT", "");
		if (ret >= 0)
			return 0;
		err = ret;
	}
	/* keep the reason the change failed, not the rollback's "ok" */
	memcpy(msg, r->err, sizeof(msg));
	if (nested) {
		sqlite3_exec(r->db, "ROLLBACK TO reg_op; RELEASE reg_op", NULL,
			     NULL, NULL);
	} else if (!sqlite3_get_autocommit(r->db)) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	}
	memcpy(r->err, msg, sizeof(msg));
	return err;
}

int reg_begin(struct registry *r)
{
	int ret;

	if (!sqlite3_get_autocommit(r->db))
		return reg_fail(r, -EINVAL, "a transaction is already open");
	ret = reg_exec(r, "BEGIN IMMEDIATE", "");
	return ret < 0 ? ret : 0;
}

int reg_commit(struct registry *r)
{
	int ret;

	if (sqlite3_get_autocommit(r->db))
		return reg_fail(r, -EINVAL, "no transaction is open");
	ret = reg_exec(r, "COMMIT", "");
	if (ret < 0) {
		reg_rollback(r);
		return ret;
	}
	return 0;
}

void reg_rollback(struct registry *r)
{
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

int reg_defer_sync(struct registry *r)
{
	int ret;

	if (r->deferred)
		return 0;
	if (!sqlite3_get_autocommit(r->db))
		return reg_fail(r, -EINVAL, "a transaction is open");
	/* in WAL mode NORMAL writes the commit to the log without fsync */
	ret = reg_exec(r, "PRAGMA synchronous = NORMAL", "");
	if (ret < 0)
		return ret;
	r->deferred = true;
	return 0;
}

int reg_sync(struct registry *r)
{
	sqlite3_file *wal = NULL;
	int rc, ret = 0;

	if (!r->deferred)
		return 0;
	if (!sqlite3_get_autocommit(r->db))
		return reg_fail(r, -EINVAL, "a transaction is open");
	/*
	 * Flush the log through SQLite's own file object: opening the file
	 * a second time would let its close drop SQLite's POSIX locks.
	 */
	rc = sqlite3_file_control(r->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
				  &wal);
	if (rc != SQLITE_OK)
		ret = reg_sqlerr(r, rc);
	else if (wal && wal->pMethods &&
		 wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
		ret = reg_fail(r, -EIO, "cannot flush the registry's log");
	/* flush every commit again, also when this flush failed */
	rc = reg_exec(r, "PRAGMA synchronous = FULL", "");
	if (rc >= 0)
		r->deferred = false;
	return ret ?: (rc < 0 ? rc : 0);
}

int reg_data_version(struct registry *r, int64_t *v)
{
	return reg_query_i64(r, v, "PRAGMA data_version", "");
}

const char *reg_errmsg(struct registry *r)
{
	return r->err[0] ? r->err : "no error";
}

int64_t reg_now(void)
{
	return (int64_t)time(NULL);
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
bool reg_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1, cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2, cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3, cp = s[i] & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int reg_check_str(struct registry *r, const char *what, const char *s,
		  bool allow_null, bool allow_empty)
{
	size_t len;

	if (!s)
		return allow_null
			       ? 0
			       : reg_fail(r, -EINVAL, "%s is required", what);
	len = strnlen(s, REG_STR_MAX + 1);
	if (len > REG_STR_MAX)
		return reg_fail(r, -EINVAL, "%s is longer than %d bytes", what,
				REG_STR_MAX);
	if (!len && !allow_empty)
		return reg_fail(r, -EINVAL, "%s is empty", what);
	if (!reg_utf8_valid(s, len))
		return reg_fail(r, -EINVAL, "%s is not valid UTF-8", what);
	return 0;
}

static int check_audit_str(struct registry *r, const char *what, const char *s)
{
	size_t len;

	if (!s)
		return 0;
	len = strnlen(s, REG_AUDIT_MAX + 1);
	if (len > REG_AUDIT_MAX || !reg_utf8_valid(s, len))
		return reg_fail(r, -EINVAL, "audit %s is too long or not UTF-8",
				what);
	return 0;
}

int reg_audit(struct registry *r, const char *actor, const char *action,
	      const char *object, const char *detail)
{
	int ret;

	if (!action || !*action)
		return reg_fail(r, -EINVAL, "audit action is required");
	ret = check_audit_str(r, "actor", actor)	   ?:
		      check_audit_str(r, "action", action) ?:
		      check_audit_str(r, "object", object) ?:
		      check_audit_str(r, "detail", detail);
	if (ret)
		return ret;
	/* no actor given: the change still has to be on the record */
	ret = reg_exec(r,
		       "INSERT INTO audit (time, actor, action, object, detail)"
		       " VALUES (?, ?, ?, ?, ?)",
		       "Itttt", reg_now(), actor && *actor ? actor : "unknown",
		       action, object, detail);
	return ret < 0 ? ret : 0;
}

int reg_auditf(struct registry *r, const char *actor, const char *action,
	       const char *object, const char *fmt, ...)
{
	char *detail;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	ret = reg_audit(r, actor, action, object, detail);
	free(detail);
	return ret;
}

int reg_audit_foreach(struct registry *r, int64_t since_id, reg_audit_cb cb,
		      void *ctx)
{
	struct reg_audit a;
	sqlite3_stmt *st;
	int ret;

	ret = reg_prepare(r, &st,
			  "SELECT id, time, actor, action, object, detail"
			  " FROM audit WHERE id > ? ORDER BY id",
			  "I", since_id);
	if (ret)
		return ret;
	while ((ret = reg_step(r, st)) == 1) {
		int err = 0;

		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(st, 0);
		a.time = sqlite3_column_int64(st, 1);
		a.actor = reg_col_str(st, 2, &err);
		a.action = reg_col_str(st, 3, &err);
		a.object = reg_col_str(st, 4, &err);
		a.detail = reg_col_str(st, 5, &err);
		ret = err ?: cb(&a, ctx);
		free(a.actor);
		free(a.action);
		free(a.object);
		free(a.detail);
		if (ret)
			break;
	}
	reg_finish(r, st);
	return ret;
}

/* Bring the schema to REG_SCHEMA_VERSION, all steps in one transaction. */
static int migrate(struct registry *r)
{
	int64_t v;
	int ret;

	ret = reg_exec(r, "BEGIN IMMEDIATE", "");
	if (ret < 0)
		return ret;
	/* read under the write lock: a concurrent opener may have migrated */
	ret = reg_query_i64(r, &v, "PRAGMA user_version", "");
	if (!ret && v > REG_SCHEMA_VERSION)
		ret = reg_fail(
			r, -EPROTONOSUPPORT,
			"registry schema %lld is newer than this program's (%d)",
			(long long)v, REG_SCHEMA_VERSION);
	for (; !ret && v < REG_SCHEMA_VERSION; v++) {
		if (sqlite3_exec(r->db, migrations[v], NULL, NULL, NULL))
			ret = reg_sqlerr(r, sqlite3_errcode(r->db));
	}
	return reg_tx_end(r, false, ret);
}

static int set_pragmas(struct registry *r)
{
	char mode[8] = "";
	sqlite3_stmt *st;
	int ret;

	sqlite3_busy_timeout(r->db, REG_BUSY_TIMEOUT_MS);
	ret = reg_exec(r, "PRAGMA foreign_keys = ON", "");
	if (ret < 0)
		return ret;
	/* WAL: readers (OCSP, the daemon) never wait for a writer (tpctl) */
	ret = reg_prepare(r, &st, "PRAGMA journal_mode = WAL", "");
	if (ret)
		return ret;
	ret = reg_step(r, st);
	if (ret == 1 && sqlite3_column_text(st, 0))
		snprintf(mode, sizeof(mode), "%s", sqlite3_column_text(st, 0));
	reg_finish(r, st);
	if (ret < 0)
		return ret;
	if (strcasecmp(mode, "wal"))
		return reg_fail(r, -EIO,
				"cannot switch the registry to WAL (%s)", mode);
	return 0;
}

/*
 * Make the file ourselves, 0600 and exclusively, so it never exists with
 * a wider mode; SQLite gives its -wal and -shm files the database's mode,
 * and the umask covers them while they are first made.
 */
static int create_private(const char *path)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &sb))
		return -errno;
	return S_ISREG(sb.st_mode) ? 0 : -EINVAL;
}

int reg_open(const char *path, struct registry **rp)
{
	struct registry *r;
	mode_t old_mask;
	int rc, ret;

	*rp = NULL;
	if (!path || !*path)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	old_mask = umask(077);
	ret = create_private(path);
	if (ret)
		goto out;
	rc = sqlite3_open_v2(path, &r->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = r->db ? reg_sqlerr(r, rc) : -ENOMEM;
		goto out;
	}
	sqlite3_extended_result_codes(r->db, 1);
	ret = set_pragmas(r) ?: migrate(r);
out:
	umask(old_mask);
	if (ret) {
		reg_close(r);
		return ret;
	}
	r->err[0] = 0;
	*rp = r;
	return 0;
}

void reg_close(struct registry *r)
{
	if (!r)
		return;
	for (int i = 0; i < REG_STMT_CACHE; i++)
		sqlite3_finalize(r->cache[i].st);
	sqlite3_close_v2(r->db);
	free(r);
}
