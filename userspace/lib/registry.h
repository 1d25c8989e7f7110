/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * registry.h - the device registry: users, devices with their enrolled
 * properties, certificates and the audit trail, in one SQLite file.
 *
 * The file is created 0600, in WAL mode, with foreign keys on and a busy
 * timeout, and its schema is migrated by PRAGMA user_version. Every
 * statement is prepared; every change that touches more than one row runs
 * in one transaction together with its audit record, so a crash leaves
 * either all of it or none.
 *
 * Functions return 0 or a negative errno: -ENOENT (no such row), -EEXIST
 * (unique name taken), -EINVAL (bad value), -EBUSY (database locked past
 * the timeout), -EIO (SQLite error; reg_errmsg() says which).
 * Strings in the structs below are heap copies owned by the struct and
 * freed by its *_free(); they may hold any UTF-8 (quotes, SQL
 * metacharacters, several KiB) and come back exactly as stored.
 */
#ifndef TP_LIB_REGISTRY_H
#define TP_LIB_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REG_SCHEMA_VERSION 1
#define REG_STR_MAX 4096 /* longest name/value accepted, in bytes */

struct registry;

/* Open (creating, 0600, migrating) the registry file. */
int reg_open(const char *path, struct registry **r);
void reg_close(struct registry *r);
/* The last SQLite error message of this handle, for diagnostics. */
const char *reg_errmsg(struct registry *r);

/* Run several changes as one: begin IMMEDIATE, then commit or rollback. */
int reg_begin(struct registry *r);
int reg_commit(struct registry *r);
void reg_rollback(struct registry *r);

/*
 * Visible first, durable second: after reg_defer_sync(), the next commits
 * are seen by every reader at once but not yet flushed to the disk, until
 * reg_sync() flushes them and puts the handle back to flushing on every
 * commit. A revocation uses this to evict the gate's entries between the
 * two, so that the first dropped packet does not wait for the disk, while
 * its answer still does. reg_sync() without a deferral does nothing.
 */
int reg_defer_sync(struct registry *r);
int reg_sync(struct registry *r);
/*
 * A number that changes when another connection (another process, or
 * another handle) commits to the database; this handle's own commits leave
 * it as it was (SQLite's PRAGMA data_version).
 */
int reg_data_version(struct registry *r, int64_t *v);

/* ---- users ---- */
enum reg_user_source { REG_SRC_LOCAL = 0, REG_SRC_LDAP };

struct reg_user {
	int64_t id;
	char *account;	    /* unique */
	char *display_name; /* may be NULL */
	char *email;	    /* may be NULL */
	enum reg_user_source source;
	bool disabled;
	int64_t created, updated; /* unix seconds */
};
void reg_user_free(struct reg_user *u); /* frees the strings, not u */

int reg_user_add(struct registry *r, const struct reg_user *u,
		 const char *actor);
/*
 * Insert or update by account (imports): *changed tells whether a row was
 * created (1), updated (2) or already equal (0).
 */
int reg_user_upsert(struct registry *r, const struct reg_user *u,
		    const char *actor, int *changed);
int reg_user_get(struct registry *r, const char *account, struct reg_user *u);
int reg_user_set_disabled(struct registry *r, const char *account,
			  bool disabled, const char *actor);
typedef int (*reg_user_cb)(const struct reg_user *u, void *ctx);
int reg_user_foreach(struct registry *r, reg_user_cb cb, void *ctx);

/* ---- devices ---- */
enum reg_dev_status {
	REG_DEV_PENDING = 0, /* recorded, no certificate yet */
	REG_DEV_ACTIVE,
	REG_DEV_QUARANTINED,
	REG_DEV_REVOKED,
};

/* Well-known property keys; any other key=value may be stored too. */
#define REG_PROP_SERIAL "serial_number"
#define REG_PROP_MODEL "model"
#define REG_PROP_MANUFACTURER "manufacturer"
#define REG_PROP_OS "os"
#define REG_PROP_OS_VERSION "os_version"
#define REG_PROP_MAC "mac"

struct reg_prop {
	char *key;
	char *value;
};

struct reg_device {
	int64_t id;    /* also the gate's device_id */
	char uuid[37]; /* random (v4), assigned on add */
	char *name;    /* unique */
	char *owner;   /* a user's account */
	char *group;   /* may be NULL */
	enum reg_dev_status status;
	int trust; /* 0..100, 100 on add */
	int64_t created, updated;
	struct reg_prop *props; /* sorted by key */
	size_t nprops;
};
void reg_device_free(struct reg_device *d);

const char *reg_dev_status_name(enum reg_dev_status s);
int reg_dev_status_parse(const char *s, enum reg_dev_status *out);

/*
 * Add a device (status pending, trust 100) with its properties; fills
 * d->id, d->uuid, created/updated. The owner must exist (-ENOENT).
 */
int reg_device_add(struct registry *r, struct reg_device *d, const char *actor);
/* Insert or update by name (inventory import); *changed as for users. */
int reg_device_upsert(struct registry *r, struct reg_device *d,
		      const char *actor, int *changed);
/* Look up by name, uuid or decimal id, in that order. */
int reg_device_get(struct registry *r, const char *ref, struct reg_device *d);
int reg_device_get_id(struct registry *r, int64_t id, struct reg_device *d);
typedef int (*reg_device_cb)(const struct reg_device *d, void *ctx);
int reg_device_foreach(struct registry *r, reg_device_cb cb, void *ctx);

/*
 * Change what is given (NULL/negative = keep): owner, group ("" clears),
 * trust (-1 keeps), and set (value != NULL) or remove (value == NULL) the
 * properties listed.
 */
int reg_device_update(struct registry *r, int64_t id, const char *owner,
		      const char *group, int trust,
		      const struct reg_prop *props, size_t nprops,
		      const char *actor);
/*
 * Status changes. Revoking a device also revokes all of its good
 * certificates (reason as given), in the same transaction.
 */
int reg_device_set_status(struct registry *r, int64_t id, enum reg_dev_status s,
			  int reason, const char *actor, const char *detail);
int reg_device_delete(struct registry *r, int64_t id, const char *actor);

/* ---- certificates ---- */
enum reg_cert_status { REG_CERT_GOOD = 0, REG_CERT_REVOKED };
enum reg_cert_kind { REG_CERT_DEVICE = 0, REG_CERT_SERVER };

/* RFC 5280 CRLReason codes (7 is unused). */
enum reg_reason {
	REG_REASON_UNSPECIFIED = 0,
	REG_REASON_KEY_COMPROMISE = 1,
	REG_REASON_CA_COMPROMISE = 2,
	REG_REASON_AFFILIATION_CHANGED = 3,
	REG_REASON_SUPERSEDED = 4,
	REG_REASON_CESSATION = 5,
	REG_REASON_CERTIFICATE_HOLD = 6,
	REG_REASON_REMOVE_FROM_CRL = 8,
	REG_REASON_PRIVILEGE_WITHDRAWN = 9,
	REG_REASON_AA_COMPROMISE = 10,
};
/* "keyCompromise", ...; parse accepts those names and the numbers. */
const char *reg_reason_name(int reason);
int reg_reason_parse(const char *s, int *reason);

struct reg_cert {
	int64_t id;
	char *issuer;	 /* issuer DN, as ca_dn_string() prints it */
	char serial[65]; /* lower-case hex, no leading zeros beyond one byte */
	int64_t device_id; /* 0 for a server certificate */
	enum reg_cert_kind kind;
	char *subject;
	int64_t not_before, not_after; /* unix seconds */
	enum reg_cert_status status;
	int64_t revoked_at; /* 0 when good */
	int reason;	    /* RFC 5280, when revoked */
	uint8_t *der;
	size_t der_len;
};
void reg_cert_free(struct reg_cert *c);

/*
 * Record an issued certificate. For a device certificate the device turns
 * active (unless revoked/quarantined: -EPERM), in the same transaction.
 */
int reg_cert_add(struct registry *r, struct reg_cert *c, const char *actor);
/* Status is keyed on issuer + serial, never on the certificate bytes. */
int reg_cert_get(struct registry *r, const char *issuer, const char *serial,
		 struct reg_cert *c);
/* By serial alone (the CLI): the newest with that serial, or -ENOENT. */
int reg_cert_get_serial(struct registry *r, const char *serial,
			struct reg_cert *c);
typedef int (*reg_cert_cb)(const struct reg_cert *c, void *ctx);
/* device_id 0: all certificates. */
int reg_cert_foreach(struct registry *r, int64_t device_id, reg_cert_cb cb,
		     void *ctx);
int reg_cert_revoke(struct registry *r, const char *issuer, const char *serial,
		    int reason, const char *actor);

/* ---- audit ---- */
struct reg_audit {
	int64_t id;
	int64_t time;
	char *actor, *action, *object, *detail;
};
/* Written inside the caller's transaction when one is open. */
int reg_audit(struct registry *r, const char *actor, const char *action,
	      const char *object, const char *detail);
typedef int (*reg_audit_cb)(const struct reg_audit *a, void *ctx);
int reg_audit_foreach(struct registry *r, int64_t since_id, reg_audit_cb cb,
		      void *ctx);

#endif /* TP_LIB_REGISTRY_H */
