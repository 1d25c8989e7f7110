// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_registry.c - the SQLite registry on real files in a temporary
 * folder: schema and file modes, users, devices, exotic strings stored
 * byte-exactly, certificates and revocation, idempotent upserts, the
 * audit trail and transactions. Raw SQLite queries check what the library
 * API cannot show. Kill -9 and concurrent writers: test_registry_crash.c.
 */
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry_util.h"
#include "test_progs.h"

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (!rc)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int file_mode(const char *path, const char *ext)
{
	char p[PATH_MAX + 80];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, ext);
	return stat(p, &sb) ? -1 : (int)(sb.st_mode & 07777);
}

static int dev_status(struct registry *r, int64_t id)
{
	struct reg_device d;
	int s;

	if (reg_device_get_id(r, id, &d))
		return -1;
	s = d.status;
	reg_device_free(&d);
	return s;
}

struct audit_log {
	char buf[1024];
	int64_t last;
};

static int audit_cb(const struct reg_audit *a, void *ctx)
{
	struct audit_log *l = ctx;
	size_t len = strlen(l->buf);

	snprintf(l->buf + len, sizeof(l->buf) - len, "%s%s", len ? " " : "",
		 a->action);
	l->last = a->id;
	return 0;
}

/* The audit actions written after *mark, space separated; moves mark. */
static const char *audit_since(struct registry *r, int64_t *mark)
{
	static struct audit_log l;

	l.buf[0] = 0;
	l.last = *mark;
	if (reg_audit_foreach(r, *mark, audit_cb, &l))
		return "(error)";
	*mark = l.last;
	return l.buf;
}

static void subtest_schema(void)
{
	const char *path = db_path("schema");
	struct registry *r;
	mode_t old;
	int fd;

	old = umask(022); /* a common umask: the library must not rely on it */
	r = open_db("schema");
	ASSERT_EQ(umask(022), 022, "umask restored");
	umask(old);
	if (!r)
		return;
	ASSERT_EQ(file_mode(path, ""), 0600, "db mode");
	ASSERT_OK(add_user(r, "alice"), "write");
	ASSERT_EQ(file_mode(path, "-wal"), 0600, "wal mode");
	ASSERT_EQ(file_mode(path, "-shm"), 0600, "shm mode");
	ASSERT_EQ(raw_i64(path, "PRAGMA user_version"), REG_SCHEMA_VERSION,
		  "user_version");
	ASSERT_STREQ(raw_text(path, "PRAGMA journal_mode"), "wal",
		     "journal_mode");
	ASSERT_EQ(raw_i64(path,
			  "SELECT count(*) FROM sqlite_master WHERE"
			  " type = 'table' AND name IN ('users', 'devices',"
			  " 'device_props', 'certs', 'audit')"),
		  5, "tables");
	reg_close(r);

	/* reopening migrates nothing and keeps the data */
	r = open_db("schema");
	if (r) {
		struct reg_user u;

		if (ASSERT_OK(reg_user_get(r, "alice", &u), "reopen keeps"))
			reg_user_free(&u);
		reg_close(r);
	}
	ASSERT_EQ(raw_exec(path, "PRAGMA user_version = 99"), 0, "set 99");
	r = NULL;
	ASSERT_EQ(reg_open(path, &r), -EPROTONOSUPPORT, "newer schema refused");
	ASSERT_TRUE(r == NULL, "no handle on failure");

	fd = open(db_path("garbage"), O_WRONLY | O_CREAT, 0600);
	if (ASSERT_GE(fd, 0, "garbage file")) {
		ASSERT_EQ(
			write(fd, "this is not a database, not at all...", 37),
			37, "write garbage");
		close(fd);
		ASSERT_ERR(reg_open(db_path("garbage"), &r), "garbage refused");
	}
	ASSERT_EQ(reg_open("/nonexistent-dir-tp/x.db", &r), -ENOENT,
		  "missing directory");
}

static void subtest_users(void)
{
	struct reg_user b = {.account = "bob",
			     .display_name = "Bob B",
			     .email = "bob@example.org",
			     .source = REG_SRC_LDAP};
	struct registry *r = open_db("users");
	struct reg_user u = {};
	int64_t mark = 0;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "carol"), "add carol");
	ASSERT_OK(reg_user_add(r, &b, "test"), "add bob");
	ASSERT_EQ(add_user(r, "bob"), -EEXIST, "duplicate");
	ASSERT_EQ(add_user(r, ""), -EINVAL, "empty account");
	b.source = 7;
	b.account = "dave";
	ASSERT_EQ(reg_user_add(r, &b, "test"), -EINVAL, "bad source");
	if (ASSERT_OK(reg_user_get(r, "bob", &u), "get bob")) {
		ASSERT_STREQ(u.display_name, "Bob B", "display name");
		ASSERT_STREQ(u.email, "bob@example.org", "email");
		ASSERT_EQ(u.source, REG_SRC_LDAP, "source");
		ASSERT_FALSE(u.disabled, "enabled");
		ASSERT_GT(u.created, 1700000000, "created time");
		reg_user_free(&u);
	}
	if (ASSERT_OK(reg_user_get(r, "carol", &u), "get carol")) {
		ASSERT_TRUE(!u.display_name && !u.email, "NULLs stay NULL");
		reg_user_free(&u);
	}
	ASSERT_EQ(reg_user_get(r, "nobody", &u), -ENOENT, "get unknown");
	audit_since(r, &mark);
	ASSERT_OK(reg_user_set_disabled(r, "bob", true, "test"), "disable");
	ASSERT_OK(reg_user_set_disabled(r, "bob", true, "test"), "again");
	ASSERT_STREQ(audit_since(r, &mark), "user.disable", "one audit row");
	if (ASSERT_OK(reg_user_get(r, "bob", &u), "get disabled")) {
		ASSERT_TRUE(u.disabled, "disabled");
		reg_user_free(&u);
	}
	ASSERT_EQ(reg_user_set_disabled(r, "nobody", true, "t"), -ENOENT,
		  "disable unknown");
	ASSERT_OK(reg_user_set_disabled(r, "bob", false, "test"), "enable");
	ASSERT_STREQ(audit_since(r, &mark), "user.enable", "enable audited");
	reg_close(r);
}

static int collect_names(const struct reg_user *u, void *ctx)
{
	char *buf = ctx;

	strcat(buf, u->account);
	strcat(buf, ",");
	return 0;
}

static int count_dev(const struct reg_device *d, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void subtest_devices(void)
{
	struct reg_prop props[] = {
		{"serial_number", "SN-1"}, {"os", "Debian"}, {"model", "T14"}};
	struct reg_prop dup[] = {{"os", "a"}, {"os", "b"}};
	struct reg_prop eq[] = {{"a=b", "c"}};
	struct reg_prop chg[] = {{"os", "Debian 13"},
				 {"model", NULL},
				 {"mac", "02:00:00:00:00:11"}};
	struct registry *r = open_db("devices");
	struct reg_device d = {}, e = {};
	char ids[32], names[64] = "";
	int64_t id, id2, mark = 0;
	int n = 0;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "alice"), "alice");
	ASSERT_OK(add_user(r, "bob"), "bob");
	ASSERT_OK(reg_user_foreach(r, collect_names, names), "user list");
	ASSERT_STREQ(names, "alice,bob,", "users sorted");
	audit_since(r, &mark);
	ASSERT_EQ(add_dev(r, "lap1", "nobody", props, 3), -ENOENT, "no owner");
	ASSERT_EQ(add_dev(r, "lap1", "alice", dup, 2), -EINVAL, "dup prop");
	ASSERT_EQ(add_dev(r, "lap1", "alice", eq, 1), -EINVAL, "'=' in key");
	ASSERT_STREQ(audit_since(r, &mark), "", "failures leave no record");
	id = add_dev(r, "lap1", "alice", props, 3);
	ASSERT_GT(id, 0, "add");
	ASSERT_EQ(add_dev(r, "lap1", "bob", NULL, 0), -EEXIST, "dup name");
	if (ASSERT_OK(reg_device_get(r, "lap1", &d), "get by name")) {
		ASSERT_EQ(d.id, id, "id");
		ASSERT_STREQ(d.owner, "alice", "owner");
		ASSERT_TRUE(d.group == NULL, "no group");
		ASSERT_EQ(d.status, REG_DEV_PENDING, "pending");
		ASSERT_EQ(d.trust, 100, "trust");
		ASSERT_EQ(strlen(d.uuid), 36, "uuid length");
		ASSERT_TRUE(d.uuid[14] == '4' && strchr("89ab", d.uuid[19]) &&
				    d.uuid[8] == '-' && d.uuid[23] == '-',
			    "uuid v4");
		if (ASSERT_EQ(d.nprops, 3, "nprops")) {
			ASSERT_STREQ(d.props[0].key, "model", "sorted 0");
			ASSERT_STREQ(d.props[1].key, "os", "sorted 1");
			ASSERT_STREQ(d.props[2].key, "serial_number",
				     "sorted 2");
			ASSERT_STREQ(d.props[2].value, "SN-1", "value");
		}
		if (ASSERT_OK(reg_device_get(r, d.uuid, &e), "by uuid")) {
			ASSERT_EQ(e.id, id, "uuid finds it");
			reg_device_free(&e);
		}
		snprintf(ids, sizeof(ids), "%lld", (long long)id);
		if (ASSERT_OK(reg_device_get(r, ids, &e), "by id string")) {
			ASSERT_STREQ(e.name, "lap1", "id finds it");
			reg_device_free(&e);
		}
		reg_device_free(&d);
	}
	ASSERT_EQ(reg_device_get(r, "lap2", &d), -ENOENT, "unknown name");
	ASSERT_EQ(reg_device_get(r, "99x", &d), -ENOENT, "not an id");

	/* update: owner, group, trust, set/change/remove properties */
	ASSERT_OK(reg_device_update(r, id, "bob", "lab", 40, chg, 3, "test"),
		  "update");
	ASSERT_EQ(reg_device_update(r, id, NULL, NULL, 101, NULL, 0, "t"),
		  -EINVAL, "trust 101");
	ASSERT_EQ(reg_device_update(r, id, "nobody", NULL, -1, NULL, 0, "t"),
		  -ENOENT, "unknown new owner");
	ASSERT_EQ(reg_device_update(r, 9999, NULL, "x", -1, NULL, 0, "t"),
		  -ENOENT, "unknown device");
	ASSERT_OK(reg_device_update(r, id, "bob", "lab", 40, chg, 3, "test"),
		  "same update");
	ASSERT_STREQ(audit_since(r, &mark), "device.add device.update",
		     "update audited once");
	if (ASSERT_OK(reg_device_get_id(r, id, &d), "get_id")) {
		ASSERT_STREQ(d.owner, "bob", "new owner");
		ASSERT_STREQ(d.group, "lab", "group");
		ASSERT_EQ(d.trust, 40, "new trust");
		if (ASSERT_EQ(d.nprops, 3, "props after update")) {
			ASSERT_STREQ(d.props[0].key, "mac", "mac added");
			ASSERT_STREQ(d.props[1].value, "Debian 13", "changed");
			ASSERT_STREQ(d.props[2].key, "serial_number", "kept");
		}
		reg_device_free(&d);
	}
	ASSERT_OK(reg_device_update(r, id, NULL, "", -1, NULL, 0, "t"),
		  "clear");
	if (ASSERT_OK(reg_device_get_id(r, id, &d), "get cleared")) {
		ASSERT_TRUE(d.group == NULL, "group cleared");
		reg_device_free(&d);
	}

	/* statuses */
	ASSERT_EQ(reg_device_set_status(r, id, REG_DEV_ACTIVE, 0, "t", NULL),
		  -EPERM, "active needs a certificate");
	ASSERT_OK(reg_device_set_status(r, id, REG_DEV_QUARANTINED, 0, "t",
					"posture"),
		  "quarantine");
	ASSERT_EQ(dev_status(r, id), REG_DEV_QUARANTINED, "quarantined");
	ASSERT_OK(reg_device_set_status(r, id, REG_DEV_PENDING, 0, "t", NULL),
		  "back to pending");
	ASSERT_EQ(reg_device_set_status(r, id, REG_DEV_REVOKED, 7, "t", NULL),
		  -EINVAL, "reason 7");
	ASSERT_EQ(reg_device_set_status(r, id, 9, 0, "t", NULL), -EINVAL,
		  "status 9");
	ASSERT_OK(reg_device_set_status(r, id, REG_DEV_REVOKED,
					REG_REASON_CESSATION, "t", NULL),
		  "revoke");
	ASSERT_EQ(reg_device_set_status(r, id, REG_DEV_PENDING, 0, "t", NULL),
		  -EPERM, "revoked stays revoked");
	ASSERT_EQ(dev_status(r, id), REG_DEV_REVOKED, "revoked");
	ASSERT_STREQ(
		audit_since(r, &mark),
		"device.update device.quarantine device.reset device.revoke",
		"status changes audited");

	/* delete: properties go with it, its id is never reused */
	ASSERT_OK(reg_device_delete(r, id, "test"), "delete");
	ASSERT_EQ(reg_device_get_id(r, id, &d), -ENOENT, "gone");
	ASSERT_EQ(reg_device_delete(r, id, "test"), -ENOENT, "delete again");
	ASSERT_EQ(raw_i64(db_path("devices"),
			  "SELECT count(*) FROM device_props"),
		  0, "properties cascaded");
	id2 = add_dev(r, "lap3", "alice", NULL, 0);
	ASSERT_GT(id2, id, "ids not reused");
	ASSERT_OK(reg_device_foreach(r, count_dev, &n), "foreach");
	ASSERT_EQ(n, 1, "one device left");
	reg_close(r);
}

/* A multibyte string of exactly len bytes (len >= 1). */
static char *long_str(size_t len)
{
	char *s = malloc(len + 1);
	size_t i = 0;

	for (; s && i + 4 <= len; i += 4)
		memcpy(s + i,
		       i % 8 ? "\xe2\x82\xac"
			       "a"
			     : "\xf0\x9f\x98\x80",
		       4); /* "€a" or an emoji */
	for (; s && i < len; i++)
		s[i] = 'x';
	if (s)
		s[len] = 0;
	return s;
}

static void subtest_strings(void)
{
	char *big = long_str(REG_STR_MAX), *huge = long_str(REG_STR_MAX + 1);
	const char *exotic[] = {
		"O'Brien \"quoted\" `back`",
		"'; DROP TABLE devices; --",
		"Robert\"); DELETE FROM users WHERE (\"1\"=\"1",
		"na\xc3\xafve caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\xf0\x9f\x94\x90",
		"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xe2\x80\xae"
		"exe.txt",
		"100% %s %n %d \\ \\\\ \\n %%",
		" lead\ttab\nnewline trail ",
		"a%_b*?[x]",
		big,
	};
	const char *bad_utf8[] = {"\xff\xfe", "\xc0\xaf", "\xed\xa0\x80",
				  "abc\xe2\x82", "\xf4\x90\x80\x80"};
	struct registry *r = open_db("strings");
	struct reg_user uu = {};
	struct reg_device d = {};
	size_t i, n = sizeof(exotic) / sizeof(exotic[0]);
	int cnt = 0;

	if (!r || !ASSERT_OK_PTR(big, "big") || !ASSERT_OK_PTR(huge, "huge"))
		goto out;
	ASSERT_EQ(strlen(big), REG_STR_MAX, "big is 4096 bytes");
	for (i = 0; i < n; i++) {
		const char *s = exotic[i];
		/* a key cannot hold '=': KEY=VALUE on the command line */
		char *key = strchr(s, '=') ? "k2" : (char *)s;
		struct reg_prop p[] = {{"k", (char *)s}, {key, "v"}};
		struct reg_user u = {.account = (char *)s,
				     .display_name = (char *)s,
				     .email = (char *)s};
		struct reg_device nd = {.name = (char *)s,
					.owner = (char *)s,
					.group = (char *)s,
					.props = p,
					.nprops = 2};

		if (!ASSERT_OK(reg_user_add(r, &u, s), "add user"))
			continue;
		if (!ASSERT_OK(reg_device_add(r, &nd, s), "add device"))
			continue;
		if (ASSERT_OK(reg_user_get(r, s, &uu), "get user")) {
			ASSERT_STREQ(uu.account, s, "account exact");
			ASSERT_STREQ(uu.display_name, s, "display exact");
			ASSERT_STREQ(uu.email, s, "email exact");
			reg_user_free(&uu);
		}
		if (!ASSERT_OK(reg_device_get(r, s, &d), "get device"))
			continue;
		ASSERT_EQ(d.id, nd.id, "found by name");
		ASSERT_STREQ(d.name, s, "name exact");
		ASSERT_STREQ(d.owner, s, "owner exact");
		ASSERT_STREQ(d.group, s, "group exact");
		if (ASSERT_EQ(d.nprops, 2, "props")) {
			/* sorted bytewise: "k" first unless key sorts before */
			int k = strcmp(key, "k") < 0 ? 1 : 0;

			ASSERT_STREQ(d.props[k].value, s, "value exact");
			ASSERT_STREQ(d.props[1 - k].key, key, "key exact");
		}
		reg_device_free(&d);
	}
	/* one byte too many, or bad UTF-8, anywhere: refused, nothing kept */
	{
		struct reg_prop pv[] = {{"k", huge}}, pk[] = {{huge, "v"}};

		ASSERT_EQ(add_user(r, huge), -EINVAL, "4097 account");
		ASSERT_EQ(
			add_dev(r, huge, "'; DROP TABLE devices; --", NULL, 0),
			-EINVAL, "4097 name");
		ASSERT_EQ(add_dev(r, "x", "'; DROP TABLE devices; --", pv, 1),
			  -EINVAL, "4097 value");
		ASSERT_EQ(add_dev(r, "x", "'; DROP TABLE devices; --", pk, 1),
			  -EINVAL, "4097 key");
		ASSERT_EQ(reg_device_update(r, 1, NULL, huge, -1, NULL, 0, "t"),
			  -EINVAL, "4097 group");
		ASSERT_EQ(reg_audit(r, "t", "x", huge, NULL), 0,
			  "audit may be longer");
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++)
		ASSERT_EQ(add_user(r, bad_utf8[i]), -EINVAL, "bad utf-8");
	ASSERT_OK(reg_device_foreach(r, count_dev, &cnt), "count");
	ASSERT_EQ(cnt, (int)n, "nothing extra stored");
	ASSERT_EQ(
		raw_i64(db_path("strings"),
			"SELECT count(*) FROM audit WHERE action = 'device.add'"
			" AND object = '''; DROP TABLE devices; --'"
			" AND actor = object"),
		1, "audit keeps the exact name");
out:
	reg_close(r);
	free(big);
	free(huge);
}

static void check_revoked(struct registry *r, const char *serial, int reason,
			  int64_t t0, const char *what)
{
	struct reg_cert c;

	if (!ASSERT_OK(reg_cert_get(r, ISSUER, serial, &c), what))
		return;
	ASSERT_EQ(c.status, REG_CERT_REVOKED, what);
	ASSERT_EQ(c.reason, reason, what);
	ASSERT_GE(c.revoked_at, t0, what);
	ASSERT_LE(c.revoked_at, time(NULL), what);
	reg_cert_free(&c);
}

static void subtest_certs(void)
{
	const char *path = db_path("certs");
	struct registry *r = open_db("certs");
	int64_t dev, dev2, t0 = time(NULL), mark = 0;
	struct reg_cert c = {};
	enum reg_dev_status ds;
	int rs;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "alice"), "alice");
	dev = add_dev(r, "d1", "alice", NULL, 0);
	dev2 = add_dev(r, "d2", "alice", NULL, 0);
	audit_since(r, &mark);
	ASSERT_EQ(add_cert(r, 9999, ISSUER, "01"), -ENOENT, "unknown device");
	ASSERT_EQ(add_cert(r, dev, ISSUER, "xyz"), -EINVAL, "bad serial");
	ASSERT_EQ(add_cert(r, dev, ISSUER, "0000"), -EINVAL, "zero serial");
	ASSERT_EQ(add_cert(r, dev, "", "01"), -EINVAL, "no issuer");
	ASSERT_OK(add_cert(r, dev, ISSUER, "00A1B2C3D4E5F60718"), "add cert");
	ASSERT_EQ(dev_status(r, dev), REG_DEV_ACTIVE, "device turns active");
	ASSERT_EQ(add_cert(r, dev2, ISSUER, "a1b2c3d4e5f60718"), -EEXIST,
		  "same issuer+serial (normalized)");
	ASSERT_OK(add_cert(r, dev2, "CN=other CA", "a1b2c3d4e5f60718"),
		  "same serial, other issuer");
	ASSERT_STREQ(audit_since(r, &mark), "cert.add cert.add",
		     "certs audited");
	if (ASSERT_OK(reg_cert_get(r, ISSUER, "A1B2C3D4E5F60718", &c), "get")) {
		ASSERT_STREQ(c.serial, "a1b2c3d4e5f60718", "serial lower hex");
		ASSERT_STREQ(c.issuer, ISSUER, "issuer");
		ASSERT_EQ(c.device_id, dev, "device");
		ASSERT_EQ(c.status, REG_CERT_GOOD, "good");
		ASSERT_EQ(c.not_after, 2000000000, "not_after");
		ASSERT_TRUE(c.der_len == sizeof(fake_der) &&
				    !memcmp(c.der, fake_der, c.der_len),
			    "der");
		reg_cert_free(&c);
	}
	if (ASSERT_OK(reg_cert_get_serial(r, "a1b2c3d4e5f60718", &c),
		      "by serial")) {
		ASSERT_STREQ(c.issuer, "CN=other CA", "newest");
		reg_cert_free(&c);
	}
	ASSERT_EQ(reg_cert_get(r, "CN=other", "a1b2c3d4e5f60718", &c), -ENOENT,
		  "issuer is part of the key");

	/* server certificate: no device */
	ASSERT_OK(add_cert(r, 0, ISSUER, "5e"), "server cert");
	if (ASSERT_OK(reg_cert_get(r, ISSUER, "5e", &c), "get server")) {
		ASSERT_EQ(c.kind, REG_CERT_SERVER, "kind");
		ASSERT_EQ(c.device_id, 0, "no device");
		reg_cert_free(&c);
	}

	/* names: RFC 5280 reason names or numbers, status names */
	ASSERT_TRUE(!reg_reason_parse("keyCompromise", &rs) && rs == 1 &&
			    !reg_reason_parse("CESSATIONOFOPERATION", &rs) &&
			    rs == 5 && !reg_reason_parse("9", &rs) && rs == 9,
		    "reason parse");
	ASSERT_TRUE(reg_reason_parse("7", &rs) && reg_reason_parse("11", &rs) &&
			    reg_reason_parse("1x", &rs) &&
			    reg_reason_parse("", &rs),
		    "bad reasons refused");
	ASSERT_STREQ(reg_reason_name(10), "aACompromise", "reason name");
	ASSERT_TRUE(!reg_dev_status_parse("quarantined", &ds) &&
			    ds == REG_DEV_QUARANTINED &&
			    reg_dev_status_parse("gone", &ds),
		    "status parse");
	ASSERT_STREQ(reg_dev_status_name(REG_DEV_REVOKED), "revoked", "name");

	/* revoking the only certificate sends the device back to pending */
	ASSERT_EQ(reg_cert_revoke(r, ISSUER, "a1b2c3d4e5f60718", 7, "t"),
		  -EINVAL, "reason 7");
	ASSERT_EQ(reg_cert_revoke(r, ISSUER, "ff", 1, "t"), -ENOENT, "unknown");
	ASSERT_OK(reg_cert_revoke(r, ISSUER, "a1b2c3d4e5f60718",
				  REG_REASON_KEY_COMPROMISE, "t"),
		  "revoke");
	ASSERT_OK(reg_cert_revoke(r, ISSUER, "a1b2c3d4e5f60718",
				  REG_REASON_SUPERSEDED, "t"),
		  "revoke again");
	check_revoked(r, "a1b2c3d4e5f60718", REG_REASON_KEY_COMPROMISE, t0,
		      "first reason kept");
	ASSERT_EQ(dev_status(r, dev), REG_DEV_PENDING, "no good cert: pending");
	ASSERT_STREQ(audit_since(r, &mark), "cert.add cert.revoke",
		     "revoke audited once");

	/* device revoke: all good certificates, one transaction */
	ASSERT_OK(add_cert(r, dev, ISSUER, "1001"), "cert 2");
	ASSERT_OK(add_cert(r, dev, ISSUER, "1002"), "cert 3");
	ASSERT_EQ(reg_device_delete(r, dev, "t"), -EPERM,
		  "delete with good certs");
	/* a failure half-way must undo the first revocation too */
	ASSERT_EQ(raw_exec(path,
			   "CREATE TRIGGER fail_1002 BEFORE UPDATE ON certs"
			   " WHEN NEW.serial = '1002'"
			   " BEGIN SELECT RAISE(ABORT, 'injected'); END"),
		  0, "inject failure");
	ASSERT_ERR(reg_device_set_status(r, dev, REG_DEV_REVOKED,
					 REG_REASON_CESSATION, "t", NULL),
		   "revoke fails");
	ASSERT_EQ(dev_status(r, dev), REG_DEV_ACTIVE, "still active");
	ASSERT_EQ(raw_i64(path, "SELECT count(*) FROM certs WHERE status = 0"
				" AND serial IN ('1001', '1002')"),
		  2, "both still good");
	ASSERT_EQ(raw_exec(path, "DROP TRIGGER fail_1002"), 0, "drop trigger");
	ASSERT_OK(reg_device_set_status(r, dev, REG_DEV_REVOKED,
					REG_REASON_CESSATION, "t", "stolen"),
		  "revoke device");
	check_revoked(r, "1001", REG_REASON_CESSATION, t0, "cert 2 revoked");
	check_revoked(r, "1002", REG_REASON_CESSATION, t0, "cert 3 revoked");
	check_revoked(r, "a1b2c3d4e5f60718", REG_REASON_KEY_COMPROMISE, t0,
		      "earlier revocation untouched");
	ASSERT_EQ(add_cert(r, dev, ISSUER, "1003"), -EPERM, "revoked: no cert");
	ASSERT_OK(reg_device_set_status(r, dev2, REG_DEV_QUARANTINED, 0, "t",
					NULL),
		  "quarantine d2");
	ASSERT_EQ(add_cert(r, dev2, ISSUER, "2001"), -EPERM,
		  "quarantined: no cert");
	ASSERT_STREQ(audit_since(r, &mark),
		     "cert.add cert.add device.revoke device.quarantine",
		     "audit: one row per change");

	/* deleted device: its certificates stay answerable by issuer+serial */
	ASSERT_OK(reg_device_delete(r, dev, "t"), "delete revoked device");
	if (ASSERT_OK(reg_cert_get(r, ISSUER, "1001", &c), "cert outlives")) {
		ASSERT_EQ(c.device_id, 0, "unlinked");
		ASSERT_EQ(c.status, REG_CERT_REVOKED, "still revoked");
		reg_cert_free(&c);
	}
	ASSERT_EQ(raw_i64(path, "SELECT count(*) FROM certs"), 5, "certs kept");
	reg_close(r);
}

static void subtest_upsert(void)
{
	struct reg_user u = {.account = "erin",
			     .email = "e@example.org",
			     .source = REG_SRC_LDAP};
	struct reg_prop p[] = {{"model", "X1"}, {"os", "Fedora"}};
	struct reg_device d = {
		.name = "inv1", .owner = "erin", .props = p, .nprops = 2};
	struct registry *r = open_db("upsert");
	struct reg_user g = {};
	int64_t mark = 0, id;
	int ch = -1;

	if (!r)
		return;
	ASSERT_OK(reg_user_upsert(r, &u, "import", &ch), "user new");
	ASSERT_EQ(ch, 1, "created");
	ASSERT_OK(reg_user_upsert(r, &u, "import", &ch), "user same");
	ASSERT_EQ(ch, 0, "unchanged");
	u.email = "erin@example.org";
	ASSERT_OK(reg_user_upsert(r, &u, "import", &ch), "user changed");
	ASSERT_EQ(ch, 2, "updated");
	u.disabled = true;
	ASSERT_OK(reg_user_upsert(r, &u, "import", &ch), "import disables");
	ASSERT_EQ(ch, 2, "disabled");
	u.disabled = false;
	u.email = NULL; /* not given: kept */
	ASSERT_OK(reg_user_upsert(r, &u, "import", &ch), "never re-enables");
	ASSERT_EQ(ch, 0, "unchanged");
	if (ASSERT_OK(reg_user_get(r, "erin", &g), "get")) {
		ASSERT_TRUE(g.disabled, "still disabled");
		ASSERT_STREQ(g.email, "erin@example.org", "email kept");
		reg_user_free(&g);
	}
	ASSERT_STREQ(audit_since(r, &mark), "user.add user.update user.update",
		     "user upserts audited");

	ASSERT_OK(reg_device_upsert(r, &d, "import", &ch), "device new");
	ASSERT_EQ(ch, 1, "created");
	id = d.id;
	ASSERT_GT(id, 0, "id filled");
	d.id = 0;
	ASSERT_OK(reg_device_upsert(r, &d, "import", &ch), "device same");
	ASSERT_EQ(ch, 0, "unchanged");
	ASSERT_EQ(d.id, id, "same id");
	ASSERT_STREQ(audit_since(r, &mark), "device.add", "no-op not audited");
	p[1].value = "Fedora 41";
	ASSERT_OK(reg_device_upsert(r, &d, "import", &ch), "device changed");
	ASSERT_EQ(ch, 2, "updated");
	ASSERT_OK(reg_device_upsert(r, &d, "import", &ch), "device same 2");
	ASSERT_EQ(ch, 0, "unchanged again");
	ASSERT_STREQ(audit_since(r, &mark), "device.update", "one update");
	d.owner = "nobody";
	ASSERT_EQ(reg_device_upsert(r, &d, "import", &ch), -ENOENT, "owner");
	ASSERT_EQ(raw_i64(db_path("upsert"), "SELECT count(*) FROM devices"), 1,
		  "never duplicates");
	reg_close(r);
}

static void subtest_transactions(void)
{
	struct registry *r = open_db("tx");
	struct reg_device d;
	int64_t mark = 0, id;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "alice"), "alice");
	audit_since(r, &mark);
	ASSERT_OK(reg_begin(r), "begin");
	ASSERT_EQ(reg_begin(r), -EINVAL, "no nesting");
	ASSERT_OK(reg_audit(r, "t", "note", "x", "inside"), "audit in tx");
	ASSERT_GT(add_dev(r, "txdev", "alice", NULL, 0), 0, "add in tx");
	reg_rollback(r);
	ASSERT_EQ(reg_device_get(r, "txdev", &d), -ENOENT, "rolled back");
	ASSERT_STREQ(audit_since(r, &mark), "", "audit rolled back too");

	ASSERT_OK(reg_begin(r), "begin 2");
	id = add_dev(r, "txdev", "alice", NULL, 0);
	ASSERT_GT(id, 0, "add");
	/* a failing call inside takes back only its own rows */
	ASSERT_EQ(add_dev(r, "txdev", "alice", NULL, 0), -EEXIST, "dup inside");
	ASSERT_EQ(add_cert(r, id, "", "77"), -EINVAL, "bad cert inside");
	ASSERT_OK(add_cert(r, id, ISSUER, "77"), "cert inside");
	ASSERT_OK(reg_commit(r), "commit");
	ASSERT_EQ(reg_commit(r), -EINVAL, "nothing to commit");
	ASSERT_EQ(dev_status(r, id), REG_DEV_ACTIVE, "kept, active");
	ASSERT_STREQ(audit_since(r, &mark), "device.add cert.add", "committed");
	reg_close(r);
}

void test_registry(void)
{
	if (!regtest_dir_make())
		return;
	if (test__start_subtest("schema"))
		subtest_schema();
	if (test__start_subtest("users"))
		subtest_users();
	if (test__start_subtest("devices"))
		subtest_devices();
	if (test__start_subtest("strings"))
		subtest_strings();
	if (test__start_subtest("certs"))
		subtest_certs();
	if (test__start_subtest("upsert"))
		subtest_upsert();
	if (test__start_subtest("transactions"))
		subtest_transactions();
	regtest_dir_remove();
}
