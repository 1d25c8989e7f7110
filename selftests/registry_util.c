// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry_util.c - the folder, raw query and record helpers
 * test_registry and test_registry_crash share: see registry_util.h.
 */
#include <limits.h>
#include <sqlite3.h>

#include "registry_util.h"
#include "test_progs.h"

static char tdir[PATH_MAX];

bool regtest_dir_make(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/tp-reg-%s-XXXXXX", env.suffix);
	return ASSERT_OK_PTR(mkdtemp(tdir), "mkdtemp");
}

void regtest_dir_remove(void)
{
	SYS_NOFAIL("rm -rf '%s'", tdir);
}

const char *db_path(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s.db", tdir, name);
	return path;
}

/* A raw query's first text value (static buffer), "" for no row. */
const char *raw_text(const char *path, const char *sql)
{
	static char buf[256];
	sqlite3_stmt *st;
	sqlite3 *db;
	int rc;

	snprintf(buf, sizeof(buf), "(error)");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == 0) {
		sqlite3_busy_timeout(db, 5000);
		if (!sqlite3_prepare_v2(db, sql, -1, &st, NULL)) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
				snprintf(buf, sizeof(buf), "%s",
					 sqlite3_column_text(st, 0));
			else if (rc == SQLITE_DONE)
				buf[0] = 0;
			sqlite3_finalize(st);
		}
	}
	sqlite3_close(db);
	return buf;
}

/* One integer from a raw query; -1000 on error. */
long long raw_i64(const char *path, const char *sql)
{
	const char *t = raw_text(path, sql);
	char *end;
	long long v = strtoll(t, &end, 10);

	return *t && !*end ? v : -1000;
}

struct registry *open_db(const char *name)
{
	struct registry *r = NULL;
	int err = reg_open(db_path(name), &r);

	if (!ASSERT_OK(err, "reg_open"))
		return NULL;
	return r;
}

int add_user(struct registry *r, const char *account)
{
	struct reg_user u = {.account = (char *)account};

	return reg_user_add(r, &u, "test");
}

/* Add a device with props; returns its id, or the -errno. */
int64_t add_dev(struct registry *r, const char *name, const char *owner,
		struct reg_prop *props, size_t n)
{
	struct reg_device d = {.name = (char *)name,
			       .owner = (char *)owner,
			       .props = props,
			       .nprops = n};
	int err = reg_device_add(r, &d, "test");

	return err ? err : d.id;
}

uint8_t fake_der[] = {0x30, 0x03, 0x02, 0x01, 0x00};

int add_cert(struct registry *r, int64_t dev, const char *issuer,
	     const char *serial)
{
	struct reg_cert c = {.issuer = (char *)issuer,
			     .device_id = dev,
			     .kind = dev ? REG_CERT_DEVICE : REG_CERT_SERVER,
			     .subject = "CN=x",
			     .not_before = 1000,
			     .not_after = 2000000000,
			     .der = fake_der,
			     .der_len = sizeof(fake_der)};

	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	return reg_cert_add(r, &c, "test");
}
