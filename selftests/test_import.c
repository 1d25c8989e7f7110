// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import.c - LDAP and inventory imports into a real registry file:
 * users from a real slapd (started here in a temporary folder), devices
 * from CSV and JSON files. Each import must create, then find everything
 * unchanged, then update what changed, never duplicate; a dry run must
 * leave the registry byte for byte as it was; every bad input must be
 * refused with a clear error and nothing imported.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/import.h"
#include "lib/registry.h"
#include "slapd.h"
#include "test_progs.h"

static char tmpdir[128];
static struct slapd ldap_srv;
static bool ldap_started, ldap_missing;
static int db_seq;

struct seen {
	unsigned int records, created, updated, unchanged, skipped;
	char last_skipped[256];
};

static void on_record(const char *kind, const char *name, int changed,
		      void *ctx)
{
	struct seen *s = ctx;

	s->records++;
	if (changed == 1)
		s->created++;
	else if (changed == 2)
		s->updated++;
	else if (changed == 0)
		s->unchanged++;
	else {
		s->skipped++;
		snprintf(s->last_skipped, sizeof(s->last_skipped), "%s", name);
	}
}

/* A new registry file for one subtest. */
static struct registry *new_registry(void)
{
	struct registry *r = NULL;
	char path[192];

	snprintf(path, sizeof(path), "%s/reg%d.db", tmpdir, ++db_seq);
	if (!ASSERT_OK(reg_open(path, &r), "reg_open"))
		return NULL;
	return r;
}

static const char *write_text(const char *name, const char *text)
{
	static char path[4][192];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	if (!ASSERT_OK_PTR(f, "fopen"))
		return p;
	fputs(text, f);
	fclose(f);
	return p;
}

/* ---- the whole registry as text, to prove a dry run wrote nothing ---- */

static int snap_user(const struct reg_user *u, void *ctx)
{
	fprintf(ctx, "user %lld [%s] [%s] [%s] src=%d dis=%d %lld %lld\n",
		(long long)u->id, u->account,
		u->display_name ? u->display_name : "(null)",
		u->email ? u->email : "(null)", u->source, u->disabled,
		(long long)u->created, (long long)u->updated);
	return 0;
}

static int snap_device(const struct reg_device *d, void *ctx)
{
	size_t i;

	fprintf(ctx, "device %lld %s [%s] [%s] [%s] st=%d tr=%d %lld %lld\n",
		(long long)d->id, d->uuid, d->name, d->owner,
		d->group ? d->group : "(null)", d->status, d->trust,
		(long long)d->created, (long long)d->updated);
	for (i = 0; i < d->nprops; i++)
		fprintf(ctx, "  [%s]=[%s]\n", d->props[i].key,
			d->props[i].value);
	return 0;
}

static int snap_audit(const struct reg_audit *a, void *ctx)
{
	fprintf(ctx, "audit %lld %s %s %s %s\n", (long long)a->id, a->actor,
		a->action, a->object, a->detail ? a->detail : "");
	return 0;
}

/* Caller frees. */
static char *snapshot(struct registry *r)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	reg_user_foreach(r, snap_user, f);
	reg_device_foreach(r, snap_device, f);
	reg_audit_foreach(r, 0, snap_audit, f);
	fclose(f);
	return buf;
}

/* Equal up to the audit trail, which every real run extends. */
static bool same_before_audit(const char *a, const char *b)
{
	const char *ea = a ? strstr(a, "audit ") : NULL;
	const char *eb = b ? strstr(b, "audit ") : NULL;

	if (!a || !b)
		return false;
	ea = ea ? ea : a + strlen(a);
	eb = eb ? eb : b + strlen(b);
	return ea - a == eb - b && !memcmp(a, b, ea - a);
}

static int count_cb(const void *x, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static int n_users(struct registry *r)
{
	int n = 0;

	reg_user_foreach(r, (reg_user_cb)count_cb, &n);
	return n;
}

static int n_devices(struct registry *r)
{
	int n = 0;

	reg_device_foreach(r, (reg_device_cb)count_cb, &n);
	return n;
}

static bool stats_eq(const struct import_stats *st, unsigned int c,
		     unsigned int u, unsigned int same, const char *what)
{
	bool ok = ASSERT_EQ(st->created, c, what) &
		  ASSERT_EQ(st->updated, u, what) &
		  ASSERT_EQ(st->unchanged, same, what);

	return ok;
}

/* ---- LDAP ---- */

/* The server, started once for all LDAP subtests; NULL: skip them. */
static struct slapd *ldap_server(void)
{
	int ret;

	if (!ldap_started && !ldap_missing) {
		ret = slapd_start(&ldap_srv);
		if (ret == -ENOENT)
			ldap_missing = true;
		else if (ASSERT_OK(ret, "slapd_start"))
			ldap_started = true;
		else
			return NULL;
	}
	if (ldap_missing) {
		/* a missing dependency fails loudly: make deps installs it */
		CHECK_FAIL_("slapd", "slapd is not installed (run make deps)");
		return NULL;
	}
	return &ldap_srv;
}

static struct ldap_import admin_opts(struct slapd *s)
{
	return (struct ldap_import){ .uri = s->uri,
				     .base = SLAPD_PEOPLE,
				     .bind_dn = SLAPD_ADMIN_DN,
				     .password_file = s->pw_file,
				     .timeout_s = 5 };
}

static void check_ldap_user(struct registry *r, const struct slapd_user *fu)
{
	struct reg_user u;

	if (!ASSERT_OK(reg_user_get(r, fu->uid, &u), fu->uid))
		return;
	ASSERT_STREQ(u.display_name, fu->cn, "display name exact");
	if (fu->mail)
		ASSERT_STREQ(u.email, fu->mail, "email");
	else
		ASSERT_TRUE(u.email == NULL, "no email");
	ASSERT_EQ(u.source, REG_SRC_LDAP, "source ldap");
	ASSERT_FALSE(u.disabled, "enabled");
	reg_user_free(&u);
}

static void subtest_ldap_import(void)
{
	struct slapd *s = ldap_server();
	char err[IMPORT_ERR_LEN], ldif[512], mail[96], *before, *after;
	struct import_stats st;
	struct ldap_import o;
	struct seen seen = { 0 };
	struct registry *r;
	struct reg_user u;
	size_t i, n_uid = 0;

	if (!s || !(r = new_registry()))
		return;
	o = admin_opts(s);
	if (!ASSERT_OK(import_ldap(r, &o, false, "test", on_record, &seen, &st,
				   err),
		       "first import"))
		fprintf(stderr, "    err: %s\n", err);
	for (i = 0; i < slapd_nusers; i++)
		n_uid += slapd_users[i].uid != NULL;
	stats_eq(&st, n_uid, 0, 0, "first import stats");
	ASSERT_EQ(st.skipped, slapd_nusers - n_uid,
		  "entry without uid skipped");
	ASSERT_EQ(seen.created, n_uid, "callback per created user");
	ASSERT_EQ(seen.skipped, 1, "callback for the skipped entry");
	ASSERT_HAS_SUBSTR(seen.last_skipped, "cn=Printer Service",
			  "skipped entry named by DN");
	ASSERT_EQ(n_users(r), n_uid, "users in registry");
	for (i = 0; i < slapd_nusers; i++)
		if (slapd_users[i].uid)
			check_ldap_user(r, &slapd_users[i]);
	ASSERT_EQ(reg_user_get(r, "Printer Service", &u), -ENOENT,
		  "no user from the entry without uid");

	/* a second run finds everything as it is */
	before = snapshot(r);
	ASSERT_OK(import_ldap(r, &o, false, "test", NULL, NULL, &st, err),
		  "second import");
	stats_eq(&st, 0, 0, n_uid, "second import: all unchanged");
	after = snapshot(r);
	ASSERT_TRUE(same_before_audit(before, after),
		    "second import left the users alone");
	free(before);
	free(after);

	/* a mail changed in the directory is updated, nothing duplicated */
	snprintf(mail, sizeof(mail), "alice.new-%s@example.org", env.suffix);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=alice," SLAPD_PEOPLE "\nchangetype: modify\n"
		 "replace: mail\nmail: %s\n",
		 mail);
	if (!ASSERT_OK(slapd_modify(s, ldif), "ldapmodify alice"))
		goto out;
	ASSERT_OK(import_ldap(r, &o, false, "test", NULL, NULL, &st, err),
		  "third import");
	stats_eq(&st, 0, 1, n_uid - 1, "changed mail: one update");
	ASSERT_EQ(n_users(r), n_uid, "still no duplicates");
	if (ASSERT_OK(reg_user_get(r, "alice", &u), "alice")) {
		ASSERT_STREQ(u.email, mail, "alice's new mail");
		ASSERT_STREQ(u.display_name, "Alice Liddell",
			     "alice's cn kept");
		reg_user_free(&u);
	}
out:
	reg_close(r);
}

static void subtest_ldap_dry_run(void)
{
	struct slapd *s = ldap_server();
	char err[IMPORT_ERR_LEN], ldif[1024], dave[64], cn[96];
	char *before = NULL, *after = NULL;
	struct import_stats st, first;
	struct seen seen = { 0 };
	struct ldap_import o;
	struct registry *r;
	struct reg_user u;

	if (!s || !(r = new_registry()))
		return;
	o = admin_opts(s);
	if (!ASSERT_OK(
		    import_ldap(r, &o, false, "test", NULL, NULL, &first, err),
		    "import"))
		goto out;
	snprintf(dave, sizeof(dave), "dave-%s", env.suffix);
	snprintf(cn, sizeof(cn), "Carol \"Dry\" Ünïcode %s", env.suffix);
	snprintf(ldif, sizeof(ldif),
		 "dn: uid=%s," SLAPD_PEOPLE "\nchangetype: add\n"
		 "objectClass: inetOrgPerson\nuid: %s\ncn: Dave\nsn: D\n\n"
		 "dn: uid=carol," SLAPD_PEOPLE "\nchangetype: modify\n"
		 "replace: cn\ncn: %s\n",
		 dave, dave, cn);
	if (!ASSERT_OK(slapd_modify(s, ldif), "ldapmodify"))
		goto out;

	before = snapshot(r);
	if (!ASSERT_OK(import_ldap(r, &o, true, "test", on_record, &seen, &st,
				   err),
		       "dry run"))
		fprintf(stderr, "    err: %s\n", err);
	after = snapshot(r);
	stats_eq(&st, 1, 1, first.created - 1, "dry run reports the changes");
	ASSERT_EQ(seen.created + seen.updated, 2, "dry run callbacks");
	ASSERT_STREQ(after, before, "dry run changed nothing");
	ASSERT_EQ(reg_user_get(r, dave, &u), -ENOENT, "dave not created");
	if (ASSERT_OK(reg_user_get(r, "carol", &u), "carol")) {
		ASSERT_STREQ(u.display_name, "Carol", "carol not updated");
		reg_user_free(&u);
	}

	/* and the real run does what the dry run said */
	ASSERT_OK(import_ldap(r, &o, false, "test", NULL, NULL, &st, err),
		  "real run");
	stats_eq(&st, 1, 1, first.created - 1, "real run after dry run");
	if (ASSERT_OK(reg_user_get(r, "carol", &u), "carol")) {
		ASSERT_STREQ(u.display_name, cn, "carol's new cn exact");
		reg_user_free(&u);
	}
	if (ASSERT_OK(reg_user_get(r, dave, &u), "dave"))
		reg_user_free(&u);
out:
	free(before);
	free(after);
	reg_close(r);
}

static void subtest_ldap_anonymous_filter(void)
{
	struct slapd *s = ldap_server();
	char err[IMPORT_ERR_LEN];
	struct import_stats st;
	struct ldap_import o;
	struct registry *r;

	if (!s || !(r = new_registry()))
		return;
	o = (struct ldap_import){ .uri = s->uri,
				  .base = SLAPD_PEOPLE,
				  .filter = "(uid=zoe)" };
	if (!ASSERT_OK(import_ldap(r, &o, false, "test", NULL, NULL, &st, err),
		       "anonymous import"))
		fprintf(stderr, "    err: %s\n", err);
	stats_eq(&st, 1, 0, 0, "only the filtered entry");
	ASSERT_EQ(n_users(r), 1, "one user");
	check_ldap_user(r, &slapd_users[2]);
	reg_close(r);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An import that must fail with err holding each of want[], changing nothing.
 */
static void expect_ldap_error(struct registry *r, struct ldap_import *o,
			      int want_ret, const char *const *want,
			      double max_s, const char *what)
{
	char err[IMPORT_ERR_LEN] = "", *before, *after;
	struct import_stats st;
	double t0 = now_s(), dt;
	int ret;

	before = snapshot(r);
	ret = import_ldap(r, o, false, "test", NULL, NULL, &st, err);
	dt = now_s() - t0;
	after = snapshot(r);
	ASSERT_EQ(ret, want_ret, what);
	for (; *want; want++)
		ASSERT_HAS_SUBSTR(err, *want, what);
	ASSERT_LT(dt * 1000, max_s * 1000, "failed within the time limit");
	ASSERT_STREQ(after, before, "nothing changed");
	if (env.verbose)
		fprintf(stderr, "    %s: %s (%.2f s)\n", what, err, dt);
	free(before);
	free(after);
}

static void subtest_ldap_unreachable(void)
{
	struct ldap_import o = { .base = SLAPD_BASE, .timeout_s = 3 };
	char uri[64], want0[96];
	const char *want[] = { want0, "Can't contact LDAP server", NULL };
	struct registry *r = new_registry();
	int port = slapd_free_port();

	if (!r || !ASSERT_GT(port, 0, "free port"))
		goto out;
	/* nothing listens there: the connection is refused at once */
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", port);
	snprintf(want0, sizeof(want0), "cannot reach %s", uri);
	o.uri = uri;
	expect_ldap_error(r, &o, -EHOSTUNREACH, want, 4, "closed port");
out:
	reg_close(r);
}

static void subtest_ldap_timeout(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ldap_import o = { .base = SLAPD_BASE, .timeout_s = 2 };
	const char *want[] = { "cannot reach", "Timed out", NULL };
	socklen_t len = sizeof(a);
	struct registry *r = new_registry();
	char uri[64];
	int fd;

	/* a server that accepts the connection and never answers */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!r || !ASSERT_GE(fd, 0, "socket") ||
	    !ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind") ||
	    !ASSERT_OK(listen(fd, 4), "listen") ||
	    !ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &len), "name"))
		goto out;
	snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", ntohs(a.sin_port));
	o.uri = uri;
	expect_ldap_error(r, &o, -ETIMEDOUT, want, 4, "silent server");
out:
	if (fd >= 0)
		close(fd);
	reg_close(r);
}

static void subtest_ldap_bad_credentials(void)
{
	const char *want[] = { "bind as " SLAPD_ADMIN_DN " refused",
			       "Invalid credentials", NULL };
	struct slapd *s = ldap_server();
	char err[IMPORT_ERR_LEN];
	struct import_stats st;
	struct ldap_import o;
	struct registry *r;

	if (!s || !(r = new_registry()))
		return;
	o = admin_opts(s);
	/* the right password, CRLF and junk after it, still binds... */
	o.password_file =
		write_text("pw-extra", SLAPD_ADMIN_PW "\r\nignored\n");
	if (!ASSERT_OK(import_ldap(r, &o, true, "test", NULL, NULL, &st, err),
		       "first line is the password"))
		fprintf(stderr, "    err: %s\n", err);
	/* ...a wrong one is refused */
	o.password_file = write_text("pw-wrong", "not the password\n");
	expect_ldap_error(r, &o, -EACCES, want, 6, "wrong password");
	reg_close(r);
}

static void subtest_ldap_paged(void)
{
	char err[IMPORT_ERR_LEN] = "", limit[64];
	const char *want[] = { limit, "Size limit exceeded", NULL };
	struct slapd *s = ldap_server();
	struct import_stats st;
	struct ldap_import o;
	struct registry *r;
	struct reg_user u;

	if (!s || !(r = new_registry()))
		return;
	/* anonymous gets past slapd's limit of 500 only page by page */
	o = (struct ldap_import){ .uri = s->uri, .base = SLAPD_BULK_BASE };
	if (!ASSERT_OK(import_ldap(r, &o, false, "test", NULL, NULL, &st, err),
		       "paged import"))
		fprintf(stderr, "    err: %s\n", err);
	stats_eq(&st, SLAPD_BULK_USERS, 0, 0, "every page imported");
	ASSERT_EQ(n_users(r), SLAPD_BULK_USERS, "users");
	if (ASSERT_OK(reg_user_get(r, "bulk-0600", &u), "last bulk user")) {
		ASSERT_STREQ(u.display_name, "Bulk 0600", "cn");
		reg_user_free(&u);
	}
	reg_close(r);

	/* a limit that paging cannot pass: refused, nothing imported */
	if (!(r = new_registry()))
		return;
	o.bind_dn = SLAPD_ALICE_DN;
	o.password_file = write_text("pw-alice", SLAPD_ALICE_PW "\n");
	snprintf(limit, sizeof(limit), "stopped after %d entries",
		 SLAPD_USER_LIMIT);
	expect_ldap_error(r, &o, -E2BIG, want, 6, "size limit");
	ASSERT_EQ(n_users(r), 0, "nothing imported in part");
	reg_close(r);
}

static void subtest_ldap_bad_base(void)
{
	const char *nobase[] = { "no such base DN ou=nowhere," SLAPD_BASE,
				 "No such object", NULL };
	const char *baddn[] = { "Invalid DN syntax", NULL };
	const char *badfilter[] = { "bad filter (uid=", NULL };
	const char *nopw[] = { "cannot read password file", "/nonexistent",
			       NULL };
	const char *emptypw[] = { "is empty", NULL };
	struct slapd *s = ldap_server();
	struct registry *r;
	struct ldap_import o;

	if (!s || !(r = new_registry()))
		return;
	o = admin_opts(s);
	o.base = "ou=nowhere," SLAPD_BASE;
	expect_ldap_error(r, &o, -ENOENT, nobase, 6, "missing base");
	o.base = "this is not a DN";
	expect_ldap_error(r, &o, -EINVAL, baddn, 6, "bad base DN");
	o.base = SLAPD_PEOPLE;
	o.filter = "(uid=";
	expect_ldap_error(r, &o, -EINVAL, badfilter, 6, "bad filter");
	o.filter = NULL;
	o.password_file = "/nonexistent/pw";
	expect_ldap_error(r, &o, -ENOENT, nopw, 6, "missing password file");
	o.password_file = write_text("pw-empty", "\n");
	expect_ldap_error(r, &o, -EINVAL, emptypw, 6, "empty password");
	reg_close(r);
}

/* ---- inventory ---- */

/* A registry with the owners the inventories name. */
static struct registry *inventory_registry(void)
{
	static const char *const owners[] = { "alice", "bob" };
	struct registry *r = new_registry();
	struct reg_user u = { 0 };
	size_t i;

	for (i = 0; r && i < 2; i++) {
		u.account = (char *)owners[i];
		if (!ASSERT_OK(reg_user_add(r, &u, "test"), owners[i])) {
			reg_close(r);
			return NULL;
		}
	}
	return r;
}

static const char *prop(const struct reg_device *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nprops; i++)
		if (!strcmp(d->props[i].key, key))
			return d->props[i].value;
	return NULL;
}

/*
 * Check one stored device: owner, group (NULL: none) and exactly the
 * properties in kv ("key", "value", ..., NULL).
 */
static void check_device(struct registry *r, const char *name,
			 const char *owner, const char *group,
			 const char *const *kv)
{
	struct reg_device d;
	size_t n = 0;

	if (!ASSERT_OK(reg_device_get(r, name, &d), name))
		return;
	ASSERT_STREQ(d.name, name, "name exact");
	ASSERT_STREQ(d.owner, owner, "owner");
	if (group)
		ASSERT_STREQ(d.group, group, "group");
	else
		ASSERT_TRUE(d.group == NULL, "no group");
	for (; *kv; kv += 2, n++)
		ASSERT_STREQ(prop(&d, kv[0]), kv[1], kv[0]);
	ASSERT_EQ(d.nprops, n, "no other properties (empty cells not stored)");
	reg_device_free(&d);
}

static const char csv_v1[] =
	"Name,owner,group,serial_number,model,os,os_version,mac,location\r\n"
	"laptop-1,alice,eng,SN-001,\"ThinkPad X1, Gen 9\",debian,12,"
	"02:00:00:00:00:11,\"Desk \"\"A\"\", by the window\"\r\n"
	"phone-1,bob,,SN-002,Pixel 7,android,14,,\r\n"
	"\"sensor \"\"β\"\" ; DROP TABLE devices;--\",alice,iot,SN-003,"
	"\"multi\r\nline\",,,,\r\n";

static const char *const laptop_v1[] = { "serial_number",
					 "SN-001",
					 "model",
					 "ThinkPad X1, Gen 9",
					 "os",
					 "debian",
					 "os_version",
					 "12",
					 "mac",
					 "02:00:00:00:00:11",
					 "location",
					 "Desk \"A\", by the window",
					 NULL };
static const char *const phone_v1[] = { "serial_number", "SN-002", "model",
					"Pixel 7",	 "os",	   "android",
					"os_version",	 "14",	   NULL };
static const char *const sensor_v1[] = { "serial_number", "SN-003", "model",
					 "multi\r\nline", NULL };
#define SENSOR "sensor \"β\" ; DROP TABLE devices;--"

/* laptop-1 gets os_version 13, phone-1 a group; the sensor stays. */
static const char csv_v2[] =
	"name,owner,group,serial_number,model,os,os_version,mac,location\n"
	"laptop-1,alice,eng,SN-001,\"ThinkPad X1, Gen 9\",debian,13,"
	"02:00:00:00:00:11,\"Desk \"\"A\"\", by the window\"\n"
	"phone-1,bob,mobile,SN-002,Pixel 7,android,14,,\n"
	"\"sensor \"\"β\"\" ; DROP TABLE devices;--\",alice,iot,SN-003,"
	"\"multi\r\nline\",,,,\n"
	"\n";

static void subtest_inventory_csv(void)
{
	static const char *const laptop_v2[] = { "serial_number",
						 "SN-001",
						 "model",
						 "ThinkPad X1, Gen 9",
						 "os",
						 "debian",
						 "os_version",
						 "13",
						 "mac",
						 "02:00:00:00:00:11",
						 "location",
						 "Desk \"A\", by the window",
						 NULL };
	char err[IMPORT_ERR_LEN] = "", *before, *after;
	struct registry *r = inventory_registry();
	struct seen seen = { 0 };
	struct import_stats st;
	struct reg_device d;
	int64_t laptop_id = 0;
	const char *path;

	if (!r)
		return;
	path = write_text("inv.csv", csv_v1);
	if (!ASSERT_OK(import_inventory(r, path, false, "test", on_record,
					&seen, &st, err),
		       "csv import"))
		fprintf(stderr, "    err: %s\n", err);
	stats_eq(&st, 3, 0, 0, "csv created");
	ASSERT_EQ(seen.created, 3, "callback per device");
	check_device(r, "laptop-1", "alice", "eng", laptop_v1);
	check_device(r, "phone-1", "bob", NULL, phone_v1);
	check_device(r, SENSOR, "alice", "iot", sensor_v1);
	if (ASSERT_OK(reg_device_get(r, "laptop-1", &d), "laptop-1")) {
		laptop_id = d.id;
		ASSERT_EQ(d.status, REG_DEV_PENDING, "imported as pending");
		reg_device_free(&d);
	}

	before = snapshot(r);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"csv re-import");
	stats_eq(&st, 0, 0, 3, "csv re-import unchanged");
	after = snapshot(r);
	ASSERT_TRUE(same_before_audit(before, after),
		    "re-import left users and devices alone");
	free(before);
	free(after);

	path = write_text("inv.csv", csv_v2);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"csv modified");
	stats_eq(&st, 0, 2, 1, "csv modified: two updates");
	ASSERT_EQ(n_devices(r), 3, "never duplicated");
	check_device(r, "laptop-1", "alice", "eng", laptop_v2);
	check_device(r, "phone-1", "bob", "mobile", phone_v1);
	check_device(r, SENSOR, "alice", "iot", sensor_v1);
	if (ASSERT_OK(reg_device_get(r, "laptop-1", &d), "laptop-1")) {
		ASSERT_EQ(d.id, laptop_id, "same device id after update");
		reg_device_free(&d);
	}
	reg_close(r);
}

static const char json_v1[] =
	"  [\n"
	"  {\"name\": \"tablet-ü\", \"owner\": \"bob\", \"group\": \"field\",\n"
	"   \"properties\": {\"serial_number\": \"T-1\", \"model\": \"Tab \\\"S\\\", 9\",\n"
	"                  \"os\": \"android\", \"asset.tag\": \"A-77\", \"mac\": \"\"}},\n"
	"  {\"name\": \"printer-2\", \"owner\": \"alice\", \"group\": null,\n"
	"   \"properties\": {\"manufacturer\": \"HP\"}},\n"
	"  {\"name\": \"bare\", \"owner\": \"alice\"}\n"
	"]\n";

static void subtest_inventory_json(void)
{
	static const char *const tablet_v1[] = {
		"asset.tag",	 "A-77", "model",
		"Tab \"S\", 9",	 "os",	 "android",
		"serial_number", "T-1",	 NULL
	};
	static const char *const tablet_v2[] = {
		"asset.tag",	 "A-78", "model",
		"Tab \"S\", 9",	 "os",	 "android",
		"serial_number", "T-1",	 NULL
	};
	static const char *const printer[] = { "manufacturer", "HP", NULL };
	static const char *const none[] = { NULL };
	char err[IMPORT_ERR_LEN] = "", *v2;
	struct registry *r = inventory_registry();
	struct import_stats st;
	const char *path;

	if (!r)
		return;
	path = write_text("inv.json", json_v1);
	if (!ASSERT_OK(import_inventory(r, path, false, "test", NULL, NULL, &st,
					err),
		       "json import"))
		fprintf(stderr, "    err: %s\n", err);
	stats_eq(&st, 3, 0, 0, "json created");
	check_device(r, "tablet-ü", "bob", "field", tablet_v1);
	check_device(r, "printer-2", "alice", NULL, printer);
	check_device(r, "bare", "alice", NULL, none);

	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"json re-import");
	stats_eq(&st, 0, 0, 3, "json re-import unchanged");

	/* a changed property and a new owner */
	v2 = strdup(json_v1);
	if (!ASSERT_OK_PTR(v2, "strdup"))
		goto out;
	memcpy(strstr(v2, "A-77"), "A-78", 4);
	memcpy(strstr(v2, "\"owner\": \"alice\"}"), "\"owner\": \"bob\"  }",
	       17);
	path = write_text("inv.json", v2);
	free(v2);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"json modified");
	stats_eq(&st, 0, 2, 1, "json modified: two updates");
	ASSERT_EQ(n_devices(r), 3, "never duplicated");
	check_device(r, "tablet-ü", "bob", "field", tablet_v2);
	check_device(r, "bare", "bob", NULL, none);
out:
	reg_close(r);
}

static void subtest_inventory_dry_run(void)
{
	static const char *const laptop_new[] = { "serial_number", "SN-900",
						  NULL };
	char err[IMPORT_ERR_LEN] = "", *before, *after, csv[1024];
	struct registry *r = inventory_registry();
	struct seen seen = { 0 };
	struct import_stats st;
	struct reg_device d;
	const char *path;

	if (!r)
		return;
	path = write_text("dry.csv", csv_v1);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"import");
	/* v2 (two updates) plus one new device */
	snprintf(csv, sizeof(csv), "%slaptop-new,bob,,SN-900,,,,,\n", csv_v2);
	path = write_text("dry.csv", csv);

	before = snapshot(r);
	if (!ASSERT_OK(import_inventory(r, path, true, "test", on_record, &seen,
					&st, err),
		       "csv dry run"))
		fprintf(stderr, "    err: %s\n", err);
	after = snapshot(r);
	stats_eq(&st, 1, 2, 1, "dry run reports what would change");
	ASSERT_EQ(seen.records, 4, "dry run callbacks");
	ASSERT_STREQ(after, before, "csv dry run changed nothing");
	ASSERT_EQ(reg_device_get(r, "laptop-new", &d), -ENOENT,
		  "no device from the dry run");
	free(after);
	free(before);

	/* JSON too, into an empty device table */
	path = write_text("dry.json", json_v1);
	before = snapshot(r);
	ASSERT_OK(import_inventory(r, path, true, "test", NULL, NULL, &st, err),
		  "json dry run");
	after = snapshot(r);
	stats_eq(&st, 3, 0, 0, "json dry run would create three");
	ASSERT_STREQ(after, before, "json dry run changed nothing");
	free(after);
	free(before);

	path = write_text("dry.csv", csv);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"real run");
	stats_eq(&st, 1, 2, 1, "real run does what the dry run said");
	check_device(r, "laptop-new", "bob", NULL, laptop_new);
	reg_close(r);
}

struct bad_file {
	const char *what, *name, *text;
	const char *want[3]; /* substrings of the error */
};

static void subtest_inventory_bad(void)
{
	static char long_csv[REG_STR_MAX + 256];
	const struct bad_file bad[] = {
		{ "unknown owner",
		  "owner.csv",
		  "name,owner\nok-1,alice\nbad-1,mallory\n",
		  { "line 3", "\"mallory\"" } },
		{ "no name column",
		  "noname.csv",
		  "host,owner,model\nok-1,alice,x\n",
		  { "line 1", "no \"name\" column" } },
		{ "no owner column",
		  "noowner.csv",
		  "name,model\nok-1,x\n",
		  { "no \"owner\" column" } },
		{ "unterminated quote",
		  "quote.csv",
		  "name,owner,model\nok-1,alice,x\nok-2,alice,\"open\nstill open\n",
		  { "line 3", "unterminated" } },
		{ "text after quote",
		  "after.csv",
		  "name,owner,model\nok-1,alice,\"x\"y\n",
		  { "line 2", "after the closing quote" } },
		{ "stray quote",
		  "stray.csv",
		  "name,owner,model\nok-1,alice,15\" screen\n",
		  { "line 2", "quote inside unquoted field 3" } },
		{ "field count",
		  "count.csv",
		  "name,owner,model\nok-1,alice,x\nok-2,alice\n",
		  { "line 3", "2 fields, the header has 3" } },
		{ "duplicate name csv",
		  "dup.csv",
		  "name,owner\r\ndev-a,alice\r\ndev-b,bob\r\ndev-a,bob\r\n",
		  { "line 4", "line 2" } },
		{ "bad column name",
		  "col.csv",
		  "name,owner,Serial Number\nok-1,alice,1\n",
		  { "line 1", "column 3" } },
		{ "duplicate column",
		  "dupcol.csv",
		  "name,owner,model,Model\nok-1,alice,a,b\n",
		  { "\"model\" appears twice" } },
		{ "empty name",
		  "emptyname.csv",
		  "name,owner\nok-1,alice\n,alice\n",
		  { "line 3", "no device name" } },
		{ "bad utf-8",
		  "utf8.csv",
		  "name,owner\nok-1,alice\nbad\xc3(,alice\n",
		  { "line 3", "UTF-8" } },
		{ "too long",
		  "long.csv",
		  long_csv,
		  { "line 3", "more than 4096" } },
		{ "empty file", "empty.csv", "", { "header" } },
		{ "invalid json",
		  "bad.json",
		  "[\n {\"name\": \"ok-1\", \"owner\": \"alice\"},\n"
		  " {\"name\": \"b\" \"owner\": \"alice\"}\n]\n",
		  { "invalid JSON", "line 3" } },
		{ "truncated json",
		  "trunc.json",
		  "[{\"name\": \"ok-1\", \"owner\": \"alice\"},\n",
		  { "invalid JSON" } },
		{ "json missing name",
		  "noname.json",
		  "[{\"name\": \"ok-1\", \"owner\": \"alice\"},"
		  " {\"owner\": \"alice\"}]",
		  { "record 2", "no device name" } },
		{ "json duplicate",
		  "dup.json",
		  "[{\"name\": \"x\", \"owner\": \"alice\"},"
		  " {\"name\": \"y\", \"owner\": \"alice\"},"
		  " {\"name\": \"x\", \"owner\": \"bob\"}]",
		  { "record 3", "record 1" } },
		{ "json unknown owner",
		  "owner.json",
		  "[{\"name\": \"ok-1\", \"owner\": \"alice\"},"
		  " {\"name\": \"z\", \"owner\": \"mallory\"}]",
		  { "record 2", "\"mallory\"" } },
		{ "json typo key",
		  "typo.json",
		  "[{\"name\": \"ok-1\", \"onwer\": \"alice\"}]",
		  { "record 1", "unknown key \"onwer\"" } },
		{ "json non-string",
		  "num.json",
		  "[{\"name\": \"ok-1\", \"owner\": \"alice\","
		  " \"properties\": {\"os_version\": 12}}]",
		  { "record 1", "must be a string" } },
		{ "json bad key",
		  "key.json",
		  "[{\"name\": \"ok-1\", \"owner\": \"alice\","
		  " \"properties\": {\"Bad Key\": \"v\"}}]",
		  { "record 1", "bad property key" } },
		{ "json not an object",
		  "arr.json",
		  "[{\"name\": \"ok-1\", \"owner\": \"alice\"}, 7]",
		  { "record 2", "not a JSON object" } },
		{ "missing file",
		  NULL,
		  NULL,
		  { "cannot read", "No such file" } },
	};
	char err[IMPORT_ERR_LEN], *before, *after, path_buf[192];
	struct registry *r = inventory_registry();
	struct import_stats st;
	const char *path;
	size_t i, j, n;
	int ret;

	if (!r)
		return;
	/* a 4097-byte model on line 3, after a good line 2 */
	n = snprintf(long_csv, sizeof(long_csv),
		     "name,owner,model\nok-1,alice,x\nlong,alice,");
	memset(long_csv + n, 'm', REG_STR_MAX + 1);
	strcpy(long_csv + n + REG_STR_MAX + 1, "\n");

	/* something there already, so "nothing imported" means something */
	path = write_text("base.csv", csv_v1);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"base import");
	before = snapshot(r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].name) {
			path = write_text(bad[i].name, bad[i].text);
		} else {
			snprintf(path_buf, sizeof(path_buf), "%s/missing.csv",
				 tmpdir);
			path = path_buf;
		}
		err[0] = '\0';
		ret = import_inventory(r, path, false, "test", NULL, NULL, &st,
				       err);
		ASSERT_LT(ret, 0, bad[i].what);
		for (j = 0; j < 3 && bad[i].want[j]; j++)
			ASSERT_HAS_SUBSTR(err, bad[i].want[j], bad[i].what);
		ASSERT_EQ(st.created + st.updated + st.unchanged, 0,
			  "no stats on failure");
		after = snapshot(r);
		ASSERT_STREQ(after, before, bad[i].what);
		free(after);
		if (env.verbose)
			fprintf(stderr, "    %-20s %s\n", bad[i].what, err);
	}
	ASSERT_EQ(reg_device_get(r, "ok-1", &(struct reg_device){ 0 }), -ENOENT,
		  "no ok-1 from any bad file");
	free(before);
	reg_close(r);
}

void test_import(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tp-imp-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(tmpdir), "mkdtemp"))
		return;
	if (test__start_subtest("ldap_import"))
		subtest_ldap_import();
	if (test__start_subtest("ldap_dry_run"))
		subtest_ldap_dry_run();
	if (test__start_subtest("ldap_anonymous_filter"))
		subtest_ldap_anonymous_filter();
	if (test__start_subtest("ldap_unreachable"))
		subtest_ldap_unreachable();
	if (test__start_subtest("ldap_timeout"))
		subtest_ldap_timeout();
	if (test__start_subtest("ldap_bad_credentials"))
		subtest_ldap_bad_credentials();
	if (test__start_subtest("ldap_paged"))
		subtest_ldap_paged();
	if (test__start_subtest("ldap_bad_base"))
		subtest_ldap_bad_base();
	if (test__start_subtest("inventory_csv"))
		subtest_inventory_csv();
	if (test__start_subtest("inventory_json"))
		subtest_inventory_json();
	if (test__start_subtest("inventory_dry_run"))
		subtest_inventory_dry_run();
	if (test__start_subtest("inventory_bad"))
		subtest_inventory_bad();
	if (ldap_started)
		slapd_stop(&ldap_srv);
	SYS_NOFAIL("rm -rf '%s'", tmpdir);
}
