/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * registry_int.h - what the registry's source files share and nobody else
 * sees: the handle, statement helpers, transactions and input checks.
 */
#ifndef TP_LIB_REGISTRY_INT_H
#define TP_LIB_REGISTRY_INT_H

#include <sqlite3.h>

#include "lib/registry.h"

#define REG_ERR_LEN 256
/* Audit records carry names and values, so they may run longer. */
#define REG_AUDIT_MAX (16 * REG_STR_MAX)

/*
 * Prepared statements are kept for reuse, keyed by their SQL text: parsing
 * the SQL again on every call was a tenth of trustpointd's handshake cost.
 */
#define REG_STMT_CACHE 48

struct reg_stmt {
	const char *sql;
	sqlite3_stmt *st;
	bool in_use; /* handed out; a nested caller gets a fresh one */
};

struct registry {
	sqlite3 *db;
	char err[REG_ERR_LEN]; /* why the last call failed */
	struct reg_stmt cache[REG_STMT_CACHE];
	bool deferred; /* commits not flushed since reg_defer_sync() */
};

/* Record why a call fails; returns err. */
int reg_fail(struct registry *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Map an SQLite result code to -errno, keeping SQLite's message. */
int reg_sqlerr(struct registry *r, int rc);

/*
 * Prepare sql and bind its parameters in order, one letter each:
 * 't' const char * (NULL binds NULL), 'i' int, 'I' int64_t,
 * 'b' const void *, size_t (a blob).
 */
int reg_prepare(struct registry *r, sqlite3_stmt **st, const char *sql,
		const char *fmt, ...);
/* Give a statement from reg_prepare() back: to the cache, or finalized. */
void reg_finish(struct registry *r, sqlite3_stmt *st);
/* Step once: 1 a row, 0 done, or -errno. */
int reg_step(struct registry *r, sqlite3_stmt *st);
/* Prepare, bind, run to the end: the number of rows changed, or -errno. */
int reg_exec(struct registry *r, const char *sql, const char *fmt, ...);
/* One int64 from a one-row query: 0 and *out, -ENOENT, or -errno. */
int reg_query_i64(struct registry *r, int64_t *out, const char *sql,
		  const char *fmt, ...);
/* A heap copy of a text column (NULL stays NULL); -ENOMEM in *err. */
char *reg_col_str(sqlite3_stmt *st, int col, int *err);

/*
 * A change runs in BEGIN IMMEDIATE ... COMMIT, or, inside a transaction
 * the caller opened with reg_begin(), in a savepoint, so a failed call
 * takes back all of its own rows and none of the caller's.
 */
int reg_tx_begin(struct registry *r, bool *nested);
/* Commit (err == 0) or roll back; returns err, or the commit's error. */
int reg_tx_end(struct registry *r, bool nested, int err);

/*
 * Check a string argument: at most REG_STR_MAX bytes of valid UTF-8,
 * not empty unless allow_empty, not NULL unless allow_null.
 */
int reg_check_str(struct registry *r, const char *what, const char *s,
		  bool allow_null, bool allow_empty);
bool reg_utf8_valid(const char *s, size_t len);
int64_t reg_now(void);

/* An audit record with a printf-made detail, inside the open transaction. */
int reg_auditf(struct registry *r, const char *actor, const char *action,
	       const char *object, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The database id of a user account: 0 and *id, or -ENOENT. */
int reg_user_id(struct registry *r, const char *account, int64_t *id);

#endif /* TP_LIB_REGISTRY_INT_H */
