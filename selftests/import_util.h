/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * import_util.h - what test_import (LDAP) and test_import_inventory
 * share: a temporary folder with a new registry file per subtest, the
 * record callback's tally, and the whole registry as text to prove that
 * a dry run or a refused import wrote nothing.
 */
#ifndef TP_TEST_IMPORT_UTIL_H
#define TP_TEST_IMPORT_UTIL_H

#include <stdbool.h>

#include "lib/import.h"
#include "lib/registry.h"

struct seen {
	unsigned int records, created, updated, unchanged, skipped;
	char last_skipped[256];
};

/* The import record callback: counts into the struct seen at ctx. */
void on_record(const char *kind, const char *name, int changed, void *ctx);

/* The test's temporary folder: made (false: failed), then removed. */
bool imptest_dir_make(void);
void imptest_dir_remove(void);
const char *imptest_dir(void);

/* A new registry file for one subtest. */
struct registry *new_registry(void);
/* Write text to the file name in the folder; its path (4 in turn). */
const char *write_text(const char *name, const char *text);

/* The whole registry as text (caller frees). */
char *snapshot(struct registry *r);
/* Equal up to the audit trail, which every real run extends. */
bool same_before_audit(const char *a, const char *b);
int n_users(struct registry *r);
int n_devices(struct registry *r);
/* Created, updated, unchanged as given (one ASSERT each). */
bool stats_eq(const struct import_stats *st, unsigned int c, unsigned int u,
	      unsigned int same, const char *what);

#endif /* TP_TEST_IMPORT_UTIL_H */
