/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * import.h - bring users from an LDAP directory and devices from an
 * inventory file into the registry. Each import is idempotent (a second
 * run updates, never duplicates), runs in one transaction (all or
 * nothing), and has a dry run that reports what it would do and changes
 * nothing.
 */
#ifndef TP_LIB_IMPORT_H
#define TP_LIB_IMPORT_H

#include <stdbool.h>

#include "lib/registry.h"

#define IMPORT_ERR_LEN 256

struct import_stats {
	unsigned int created, updated, unchanged;
	unsigned int skipped; /* LDAP entries without a uid */
};

/*
 * One record seen by an import, for the caller to print, called after the
 * transaction ended (also on a dry run): kind "user" or "device", changed
 * 1 created, 2 updated, 0 unchanged, -1 skipped (name is then the DN).
 */
typedef void (*import_cb)(const char *kind, const char *name, int changed,
			  void *ctx);

struct ldap_import {
	const char *uri;	   /* ldap://HOST[:PORT] or ldapi:// */
	const char *base;	   /* search base DN */
	const char *filter;	   /* NULL: (objectClass=inetOrgPerson) */
	const char *bind_dn;	   /* NULL: anonymous */
	const char *password_file; /* with bind_dn; first line, 0600 advised */
	int timeout_s;		   /* network and search limit; 0: 10 s */
};

/*
 * Users from uid (account), cn (display name), mail (email), with source
 * ldap. Unreachable server, bad credentials, bad base: -errno with err
 * saying which.
 */
int import_ldap(struct registry *r, const struct ldap_import *o, bool dry_run,
		const char *actor, import_cb cb, void *ctx,
		struct import_stats *st, char err[IMPORT_ERR_LEN]);

/*
 * Devices from a CSV file (header line; columns name, owner, group and any
 * property keys, e.g. serial_number, model, manufacturer, os, os_version,
 * mac) or a JSON file (an array of {"name":..,"owner":..,"group":..,
 * "properties":{key:value}}), chosen by content. An owner that does not
 * exist is an error for that file (nothing is imported). Line/record
 * numbers are given in err.
 */
int import_inventory(struct registry *r, const char *path, bool dry_run,
		     const char *actor, import_cb cb, void *ctx,
		     struct import_stats *st, char err[IMPORT_ERR_LEN]);

#endif /* TP_LIB_IMPORT_H */
