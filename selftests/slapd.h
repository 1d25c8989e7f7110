/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slapd.h - a real OpenLDAP server (Debian's slapd) for tests: its own
 * slapd.conf and mdb database in a temporary folder, listening only on
 * 127.0.0.1 at a free high port, loaded with a base, an admin, the users
 * below and a bulk branch. slapd_stop() kills it and removes the folder.
 */
#ifndef TP_TEST_SLAPD_H
#define TP_TEST_SLAPD_H

#include <stddef.h>
#include <sys/types.h>

#define SLAPD_BASE "dc=example,dc=org"
#define SLAPD_PEOPLE "ou=people," SLAPD_BASE
#define SLAPD_ADMIN_DN "cn=admin," SLAPD_BASE
/*
 * More users than slapd's size limit (500) and the import's page size,
 * under their own branch: uid=bulk-NNNN (0001..), cn "Bulk NNNN".
 */
#define SLAPD_BULK_BASE "ou=bulk," SLAPD_BASE
#define SLAPD_BULK_USERS 600
/*
 * Searches stop after 500 entries for anonymous unless paged, and after
 * SLAPD_USER_LIMIT for a bound user (uid=alice can bind), paged or not.
 */
#define SLAPD_USER_LIMIT 100
#define SLAPD_ALICE_DN "uid=alice," SLAPD_PEOPLE
#define SLAPD_ALICE_PW "alice-pw"
/* A space and a '#' inside, so only the line end may be stripped. */
#define SLAPD_ADMIN_PW "s3cret pass#1"

struct slapd_user {
	const char *uid; /* NULL: an entry without uid (the import skips it) */
	const char *cn;
	const char *mail; /* may be NULL */
};

/* Loaded under SLAPD_PEOPLE; the DN is uid=UID, or cn=CN without a uid. */
extern const struct slapd_user slapd_users[];
extern const size_t slapd_nusers;

struct slapd {
	char dir[128];	   /* the temporary folder; "" when there is none */
	char uri[64];	   /* ldap://127.0.0.1:PORT */
	char pw_file[160]; /* SLAPD_ADMIN_PW and a newline, mode 0600 */
	int port;
	pid_t pid; /* 0 when not running */
};

/*
 * Make the folder (named with env.suffix), load the data with slapadd and
 * start slapd, waiting until it accepts connections. 0, -ENOENT when slapd
 * is not installed, or another -errno (the folder is removed then, and
 * slapd's log printed).
 */
int slapd_start(struct slapd *s);
/* Stop slapd and remove the folder; safe to call after a failed start. */
void slapd_stop(struct slapd *s);
/* Apply LDIF changes with ldapmodify, bound as the admin: 0 or -1. */
int slapd_modify(struct slapd *s, const char *ldif);

#endif /* TP_TEST_SLAPD_H */
