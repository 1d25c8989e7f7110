// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_registry_sync.c - the registry's deferred flush, which lets a
 * revocation evict the gate's entries before the disk write returns, and
 * its data_version, by which the daemon sees another process's writes. A
 * pass-through SQLite VFS in front of the real one counts the flushes of
 * the write-ahead log; the database, its files and the syncs are real.
 */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "registry_util.h"
#include "test_progs.h"

/* ---- a VFS that forwards everything and counts syncs of *-wal files ---- */

struct cfile {
	sqlite3_file base;
	sqlite3_file *real; /* the real VFS's file, right after this struct */
	bool wal;
};

static sqlite3_vfs *real_vfs;
static int wal_syncs;

#define REAL(f) (((struct cfile *)(f))->real)

static int c_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int c_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
	return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}

static int c_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
	return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}

static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int c_sync(sqlite3_file *f, int flags)
{
	if (((struct cfile *)f)->wal)
		wal_syncs++;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int c_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int c_lock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int c_unlock(sqlite3_file *f, int l)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int c_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int c_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int c_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int c_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int c_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, p);
}

static int c_shmlock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void c_shmbarrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int c_shmunmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* Version 2: no memory-mapped I/O, so no xFetch/xUnfetch to forward. */
static const sqlite3_io_methods c_methods = {
	.iVersion = 2,
	.xClose = c_close,
	.xRead = c_read,
	.xWrite = c_write,
	.xTruncate = c_truncate,
	.xSync = c_sync,
	.xFileSize = c_size,
	.xLock = c_lock,
	.xUnlock = c_unlock,
	.xCheckReservedLock = c_reserved,
	.xFileControl = c_fcntl,
	.xSectorSize = c_sector,
	.xDeviceCharacteristics = c_devchar,
	.xShmMap = c_shmmap,
	.xShmLock = c_shmlock,
	.xShmBarrier = c_shmbarrier,
	.xShmUnmap = c_shmunmap,
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
		  int flags, int *out_flags)
{
	struct cfile *c = (struct cfile *)f;
	int rc;

	(void)vfs;
	c->real = (sqlite3_file *)(c + 1);
	c->wal = flags & SQLITE_OPEN_WAL;
	rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out_flags);
	/* a file the real VFS did not open is not closed through ours */
	f->pMethods = rc == SQLITE_OK && c->real->pMethods ? &c_methods : NULL;
	return rc;
}

static int c_delete(sqlite3_vfs *v, const char *name, int dirsync)
{
	(void)v;
	return real_vfs->xDelete(real_vfs, name, dirsync);
}

static int c_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int c_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int c_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int c_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return real_vfs->xSleep(real_vfs, us);
}

static int c_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int c_lasterr(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int c_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs count_vfs = {
	.iVersion = 2,
	.mxPathname = 512,
	.zName = "tp-count-syncs",
	.xOpen = c_open,
	.xDelete = c_delete,
	.xAccess = c_access,
	.xFullPathname = c_fullpath,
	.xRandomness = c_random,
	.xSleep = c_sleep,
	.xCurrentTime = c_time,
	.xGetLastError = c_lasterr,
	.xCurrentTimeInt64 = c_time64,
};

static bool count_vfs_install(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!ASSERT_TRUE(real_vfs && real_vfs->iVersion >= 2, "default VFS"))
		return false;
	count_vfs.szOsFile = sizeof(struct cfile) + real_vfs->szOsFile;
	count_vfs.mxPathname = real_vfs->mxPathname;
	return ASSERT_EQ(sqlite3_vfs_register(&count_vfs, 1), SQLITE_OK,
			 "register the counting VFS as the default");
}

static void count_vfs_remove(void)
{
	sqlite3_vfs_unregister(&count_vfs);
	/* the real one is the default again for every later test */
	sqlite3_vfs_register(real_vfs, 1);
}

/* ---- the tests ---- */

static void subtest_deferred(void)
{
	const char *path = db_path("sync");
	struct registry *r = open_db("sync");
	int64_t id;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "alice"), "alice");
	id = add_dev(r, "laptop", "alice", NULL, 0);
	if (!ASSERT_GT(id, 0, "device") ||
	    !ASSERT_OK(add_cert(r, id, ISSUER, "0a01"), "certificate"))
		goto out;

	wal_syncs = 0;
	ASSERT_OK(reg_device_update(r, id, NULL, NULL, 40, NULL, 0, "t"),
		  "an ordinary change");
	ASSERT_GE(wal_syncs, 1, "an ordinary commit flushes the log");

	wal_syncs = 0;
	ASSERT_OK(reg_sync(r), "sync with nothing deferred");
	ASSERT_EQ(wal_syncs, 0, "a sync without a deferral flushes nothing");

	ASSERT_OK(reg_defer_sync(r), "defer");
	ASSERT_OK(reg_device_set_status(r, id, REG_DEV_REVOKED,
					REG_REASON_KEY_COMPROMISE, "t", "x"),
		  "revoke");
	ASSERT_EQ(wal_syncs, 0, "the deferred commit waits for no flush");
	/* registry first: every other reader sees it before the flush */
	ASSERT_EQ(raw_i64(path, "SELECT status FROM devices WHERE "
				"name = 'laptop'"),
		  REG_DEV_REVOKED, "another connection sees the revocation");
	ASSERT_EQ(raw_i64(path, "SELECT status FROM certs WHERE "
				"serial = '0a01'"),
		  REG_CERT_REVOKED, "and the certificate's");
	ASSERT_OK(reg_sync(r), "sync");
	ASSERT_EQ(wal_syncs, 1, "the sync flushes the log once");

	wal_syncs = 0;
	ASSERT_OK(reg_device_update(r, id, NULL, NULL, 10, NULL, 0, "t"),
		  "a change after the sync");
	ASSERT_GE(wal_syncs, 1, "every commit flushes again after the sync");

	ASSERT_OK(reg_begin(r), "begin");
	ASSERT_EQ(reg_defer_sync(r), -EINVAL,
		  "no deferral inside a transaction");
	reg_rollback(r);
	ASSERT_OK(reg_defer_sync(r), "defer twice");
	ASSERT_OK(reg_defer_sync(r), "is one deferral");
	ASSERT_OK(reg_sync(r), "which one sync ends");
	wal_syncs = 0;
	ASSERT_OK(reg_device_update(r, id, NULL, NULL, 5, NULL, 0, "t"),
		  "a change after defer-defer-sync");
	ASSERT_GE(wal_syncs, 1, "flushes again");
out:
	reg_close(r);
}

/* data_version moves with another handle's commits, not with its own. */
static void subtest_data_version(void)
{
	struct registry *a = open_db("dv"), *b = open_db("dv");
	int64_t v0 = 0, v1 = 0, v2 = 0;
	int64_t id;

	if (!a || !b)
		goto out;
	ASSERT_OK(add_user(a, "alice"), "alice");
	id = add_dev(a, "laptop", "alice", NULL, 0);
	if (!ASSERT_GT(id, 0, "device") ||
	    !ASSERT_OK(reg_data_version(a, &v0), "data_version"))
		goto out;
	ASSERT_OK(reg_device_update(a, id, NULL, NULL, 40, NULL, 0, "t"),
		  "a change through this handle");
	ASSERT_OK(reg_data_version(a, &v1), "data_version");
	ASSERT_EQ(v1, v0, "its own commit leaves it");
	ASSERT_OK(reg_device_update(b, id, NULL, NULL, 30, NULL, 0, "t"),
		  "a change through another handle");
	ASSERT_OK(reg_data_version(a, &v2), "data_version");
	ASSERT_NEQ(v2, v1, "another's commit moves it");
out:
	reg_close(a);
	reg_close(b);
}

void test_registry_sync(void)
{
	if (!regtest_dir_make())
		return;
	if (count_vfs_install()) {
		if (test__start_subtest("deferred"))
			subtest_deferred();
		if (test__start_subtest("data_version"))
			subtest_data_version();
		count_vfs_remove();
	}
	regtest_dir_remove();
}
