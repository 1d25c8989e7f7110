/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * registry_util.h - what test_registry and test_registry_crash share: a
 * temporary folder of database files, raw SQLite queries on them, and
 * users, devices and certificates added through the library.
 */
#ifndef TP_TEST_REGISTRY_UTIL_H
#define TP_TEST_REGISTRY_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/registry.h"

#define ISSUER "CN=trustpoint test CA,O=trustpoint"

/* The test's temporary folder: made (false: failed), then removed. */
bool regtest_dir_make(void);
void regtest_dir_remove(void);
/* The database file NAME.db in it (static buffer). */
const char *db_path(const char *name);

/* A raw query's first text value (static buffer), "" for no row. */
const char *raw_text(const char *path, const char *sql);
/* One integer from a raw query; -1000 on error. */
long long raw_i64(const char *path, const char *sql);

/* reg_open() of db_path(name); NULL (failed) on error. */
struct registry *open_db(const char *name);
int add_user(struct registry *r, const char *account);
/* Add a device with props; returns its id, or the -errno. */
int64_t add_dev(struct registry *r, const char *name, const char *owner,
		struct reg_prop *props, size_t n);
/* The DER add_cert() stores. */
extern uint8_t fake_der[5];
/* A certificate for dev (0: a server certificate); 0 or the -errno. */
int add_cert(struct registry *r, int64_t dev, const char *issuer,
	     const char *serial);

#endif /* TP_TEST_REGISTRY_UTIL_H */
