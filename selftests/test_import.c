// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import.c - LDAP imports into a real registry file: users from a
 * real slapd (started here in a temporary folder). Each import must
 * create, then find everything unchanged, then update what changed, never
 * duplicate; a dry run must leave the registry byte for byte as it was;
 * every bad server, credential, base or filter must be refused with a
 * clear error, in time, and nothing imported. Inventory files:
 * test_import_inventory.c.
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "import_util.h"
#include "netns.h"
#include "slapd.h"
#include "test_progs.h"

static struct slapd ldap_srv;
static bool ldap_started, ldap_missing;

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
	return (struct ldap_import){.uri = s->uri,
				    .base = SLAPD_PEOPLE,
				    .bind_dn = SLAPD_ADMIN_DN,
				    .password_file = s->pw_file,
				    .timeout_s = 5};
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
	struct seen seen = {0};
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
	struct seen seen = {0};
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
	o = (struct ldap_import){
		.uri = s->uri, .base = SLAPD_PEOPLE, .filter = "(uid=zoe)"};
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
	struct ldap_import o = {.base = SLAPD_BASE, .timeout_s = 3};
	char uri[64], want0[96];
	const char *want[] = {want0, "Can't contact LDAP server", NULL};
	struct registry *r = new_registry();
	int port = loopback_port(NULL);

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
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct ldap_import o = {.base = SLAPD_BASE, .timeout_s = 2};
	const char *want[] = {"cannot reach", "Timed out", NULL};
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
	const char *want[] = {"bind as " SLAPD_ADMIN_DN " refused",
			      "Invalid credentials", NULL};
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
	const char *want[] = {limit, "Size limit exceeded", NULL};
	struct slapd *s = ldap_server();
	struct import_stats st;
	struct ldap_import o;
	struct registry *r;
	struct reg_user u;

	if (!s || !(r = new_registry()))
		return;
	/* anonymous gets past slapd's limit of 500 only page by page */
	o = (struct ldap_import){.uri = s->uri, .base = SLAPD_BULK_BASE};
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
	const char *nobase[] = {"no such base DN ou=nowhere," SLAPD_BASE,
				"No such object", NULL};
	const char *baddn[] = {"Invalid DN syntax", NULL};
	const char *badfilter[] = {"bad filter (uid=", NULL};
	const char *nopw[] = {"cannot read password file", "/nonexistent",
			      NULL};
	const char *emptypw[] = {"is empty", NULL};
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

void test_import(void)
{
	if (!imptest_dir_make())
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
	if (ldap_started)
		slapd_stop(&ldap_srv);
	imptest_dir_remove();
}
