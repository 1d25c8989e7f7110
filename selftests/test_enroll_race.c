// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_enroll_race.c - issue 3 end to end, what changes a device's
 * standing: revocation and its statuses, inventory and LDAP imports,
 * kill -9 in the middle of an enrollment loop (no half-written rows), two
 * tpctl processes enrolling at once (both succeed), and revoking a device
 * evicting its entries from the gate's map (in a namespace and pin dir of
 * this run). Helpers (enr_*) live in test_enroll.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"
#include "test_progs.h"

#include "selftests/enroll.h"

#define P256 "-newkey ec -pkeyopt ec_paramgen_curve:P-256"

/* The status of a certificate, with its reason when revoked. */
static bool cert_status_is(const char *serial, const char *want,
			   const char *reason)
{
	struct cmd_result r = {0};
	json_object *o = NULL;
	bool ok;

	ok = enr_tp_ok(&r, "-j cert show %s", serial) && (o = parse_one(r.out));
	ok = ok && ASSERT_STREQ(enr_jstr(o, "status"), want, serial);
	if (ok && reason)
		ok = ASSERT_STREQ(enr_jstr(o, "reason"), reason, serial) &&
		     ASSERT_OK_PTR(enr_jstr(o, "revoked_at"), "revoked_at");
	json_object_put(o);
	cmd_free(&r);
	return ok;
}

static void subtest_revoke_status(void)
{
	static const char *const w_revoked[] = {"revoked", NULL};
	char s1[65], s2[65], s3[65], s3b[65] = "", *before = NULL;
	json_object *o = NULL;
	struct cmd_result r = {0};

	if (!enr_base("alice") || !enr_csr("rv", P256) ||
	    !enr_device("rv1", "rv", NULL, s1) ||
	    !enr_device("rv2", "rv", NULL, s2) ||
	    !enr_device("rv3", "rv", NULL, s3) ||
	    !enr_device("rv4", "rv", NULL, NULL))
		return;

	if (enr_tp_ok(&r, "device revoke rv1 reason keyCompromise")) {
		enr_dev_status_is("rv1", "revoked");
		cert_status_is(s1, "revoked", "keyCompromise");
	}
	cmd_free(&r);
	if (enr_tp_ok(&r, "cert revoke %s reason superseded", s2))
		cert_status_is(s2, "revoked", "superseded");
	cmd_free(&r);
	enr_tp(&r, "cert revoke %s reason keyCompromise", s2);
	enr_refused(&r, "revoking twice", NULL);
	cmd_free(&r);
	cert_status_is(s2, "revoked", "superseded");
	enr_tp(&r, "device revoke rv4 reason noSuchReason");
	enr_refused(&r, "bad reason", NULL);
	cmd_free(&r);
	enr_dev_status_is("rv4", "active");

	if (enr_tp_ok(&r, "device quarantine rv4 reason posture"))
		enr_dev_status_is("rv4", "quarantined");
	cmd_free(&r);
	if (enr_tp_ok(&r, "device activate rv4"))
		enr_dev_status_is("rv4", "active");
	cmd_free(&r);

	if (enr_tp_ok(&r, "-j cert renew rv3 csr %s/w/rv.csr old revoke",
		      enr_dir) &&
	    (o = parse_one(r.out)) && enr_jstr(o, "serial"))
		snprintf(s3b, sizeof(s3b), "%s", enr_jstr(o, "serial"));
	json_object_put(o);
	cmd_free(&r);
	ASSERT_TRUE(s3b[0] && strcmp(s3b, s3), "renew: a new serial");
	cert_status_is(s3, "revoked", "superseded");
	if (s3b[0])
		cert_status_is(s3b, "good", NULL);
	enr_dev_status_is("rv3", "active");

	if (enr_tp_ok(&r, "-j cert list device rv1"))
		before = strdup(r.out);
	cmd_free(&r);
	enr_tp(&r, "device enroll rv1 csr %s/w/rv.csr", enr_dir);
	enr_refused(&r, "enrolling a revoked device", w_revoked);
	cmd_free(&r);
	if (enr_tp_ok(&r, "-j cert list device rv1"))
		ASSERT_STREQ(r.out, before, "no certificate for rv1");
	cmd_free(&r);
	enr_dev_status_is("rv1", "revoked");
	free(before);
}

/* Import FILE (with extra args) and check the counts it reports. */
static void import_counts(const char *file, const char *extra, int created,
			  int updated, int unchanged)
{
	struct cmd_result r = {0};
	json_object *o = NULL;

	if (enr_tp_ok(&r, "-j device import %s/w/%s %s", enr_dir, file,
		      extra) &&
	    (o = parse_one(r.out))) {
		ASSERT_EQ(enr_jint(o, "created"), created, file);
		ASSERT_EQ(enr_jint(o, "updated"), updated, file);
		ASSERT_EQ(enr_jint(o, "unchanged"), unchanged, file);
		ASSERT_TRUE(json_object_get_boolean(json_object_object_get(
				    o, "dry_run")) == !!extra[0],
			    "dry_run flag");
	}
	json_object_put(o);
	cmd_free(&r);
}

static void subtest_imports(void)
{
	static const char *const w_owner[] = {"nobody9", "owner", NULL};
	static const char *const w_ldap[] = {"reach", "contact", "connect",
					     NULL};
	json_object *o = NULL, *p;
	struct cmd_result r = {0};
	size_t devs, users;

	if (!enr_base("alice") || !enr_base("impowner"))
		return;
	SYS(out,
	    "printf 'name,owner,group,serial_number,model\\n"
	    "imp-a,impowner,lab,SN-A,M1\\nimp-b,impowner,lab,SN-B,M2\\n' "
	    "> %s/w/inv.csv",
	    enr_dir);
	SYS(out,
	    "printf '[{\"name\":\"imp-j\",\"owner\":\"impowner\",\"group\":\"g\","
	    "\"properties\":{\"os\":\"linux\",\"os_version\":\"6.1\"}}]\\n' "
	    "> %s/w/inv.json",
	    enr_dir);
	SYS(out,
	    "printf 'name,owner,model\\nimp-c,impowner,M\\nimp-d,nobody9,M\\n' "
	    "> %s/w/badowner.csv",
	    enr_dir);

	devs = enr_list_len("device");
	import_counts("inv.csv", "dry-run", 2, 0, 0);
	ASSERT_EQ(enr_list_len("device"), devs, "dry run wrote nothing");
	import_counts("inv.csv", "", 2, 0, 0);
	ASSERT_EQ(enr_list_len("device"), devs + 2, "two devices imported");
	if (enr_tp_ok(&r, "-j device show imp-a") && (o = parse_one(r.out))) {
		ASSERT_STREQ(enr_jstr(o, "owner"), "impowner", "owner");
		ASSERT_STREQ(enr_jstr(o, "group"), "lab", "group");
		p = json_object_object_get(o, "properties");
		ASSERT_STREQ(enr_jstr(p, "serial_number"), "SN-A",
			     "serial_number");
		ASSERT_STREQ(enr_jstr(p, "model"), "M1", "model");
		ASSERT_STREQ(enr_jstr(o, "status"), "pending",
			     "imported pending");
	}
	json_object_put(o);
	o = NULL;
	cmd_free(&r);
	import_counts("inv.csv", "", 0, 0, 2);
	SYS(out, "sed -i 's/SN-A,M1/SN-A,M9/' %s/w/inv.csv", enr_dir);
	import_counts("inv.csv", "dry-run", 0, 1, 1);
	import_counts("inv.csv", "", 0, 1, 1);
	ASSERT_EQ(enr_list_len("device"), devs + 2, "re-import: no duplicates");
	if (enr_tp_ok(&r, "-j device show imp-a") && (o = parse_one(r.out)))
		ASSERT_STREQ(enr_jstr(json_object_object_get(o, "properties"),
				      "model"),
			     "M9", "re-import updated");
	json_object_put(o);
	o = NULL;
	cmd_free(&r);

	import_counts("inv.json", "dry-run", 1, 0, 0);
	import_counts("inv.json", "", 1, 0, 0);
	import_counts("inv.json", "", 0, 0, 1);
	if (enr_tp_ok(&r, "-j device show imp-j") && (o = parse_one(r.out))) {
		p = json_object_object_get(o, "properties");
		ASSERT_STREQ(enr_jstr(p, "os"), "linux", "json property");
		ASSERT_STREQ(enr_jstr(p, "os_version"), "6.1", "json property");
	}
	json_object_put(o);
	cmd_free(&r);

	enr_tp(&r, "device import %s/w/badowner.csv", enr_dir);
	enr_refused(&r, "unknown owner", w_owner);
	cmd_free(&r);
	enr_tp(&r, "device show imp-c");
	ASSERT_NEQ(r.status, 0, "all or nothing: imp-c not imported");
	cmd_free(&r);
	ASSERT_EQ(enr_list_len("device"), devs + 3,
		  "bad file imported nothing");

	users = enr_list_len("user");
	cmd_run(&r, 15,
		"%s/tpctl -S %s user import ldap ldap://127.0.0.1:1 "
		"base dc=x timeout 2",
		env.build_dir, enr_dir);
	ASSERT_NEQ(r.status, 128 + 9, "ldap import ends within its timeout");
	enr_refused(&r, "unreachable LDAP", w_ldap);
	cmd_free(&r);
	ASSERT_EQ(enr_list_len("user"), users, "no user from a failed import");
out:
	cmd_free(&r);
}

/* One number from the sqlite3 CLI, or -1. */
static long long sql_num(const char *query)
{
	struct cmd_result r = {0};
	long long n = -1;

	cmd_run(&r, 30, "sqlite3 %s/registry.db \"%s\"", enr_dir, query);
	if (ASSERT_EQ(r.status, 0, "sqlite3"))
		n = strtoll(r.out, NULL, 10);
	else
		fprintf(stderr, "sqlite3 %s: %s", query, r.err);
	cmd_free(&r);
	return n;
}

static bool write_script(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/w/%s", enr_dir, name);
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, path))
		return false;
	fputs(text, f);
	return ASSERT_OK(fclose(f), path);
}

/*
 * A loop that adds and enrolls devices TAG-1, TAG-2, ...; at most 200 of
 * them or 20 s.
 */
static const char loop_sh[] =
	"T=$1 S=$2 tag=$3 csr=$4; i=0; end=$(($(date +%s) + 20))\n"
	"while [ $i -lt 200 ] && [ $(date +%s) -lt $end ]; do\n"
	"  i=$((i + 1))\n"
	"  $T -S $S device add $tag-$i owner alice prop serial_number=SN-$i "
	"prop model=K >/dev/null 2>&1\n"
	"  $T -S $S device enroll $tag-$i csr $csr >/dev/null 2>&1\n"
	"done\n";

static void subtest_kill9(void)
{
	struct cmd_result r = {0};
	long long n;

	if (!enr_base("alice") || !enr_csr("k", P256) ||
	    !write_script("loop.sh", loop_sh))
		return;
	srand(time(NULL) ^ getpid());
	for (int round = 0; round < 3; round++) {
		int ms = 300 + rand() % 1700;

		/* setsid: the loop and its tpctl are one group to kill */
		cmd_run(&r, 30,
			"setsid sh %1$s/w/loop.sh %2$s/tpctl %1$s k%3$d "
			"%1$s/w/k.csr </dev/null >/dev/null 2>&1 & p=$!; "
			"sleep %4$d.%5$03d; kill -9 -$p && echo killed; wait $p",
			enr_dir, env.build_dir, round, ms / 1000, ms % 1000);
		ASSERT_HAS_SUBSTR(r.out, "killed", "killed while running");
		cmd_free(&r);
	}
	n = sql_num("SELECT count(*) FROM devices WHERE name LIKE 'k_-%'");
	fprintf(stderr,
		"kill9: %lld devices, %lld certificates before the kills\n", n,
		sql_num("SELECT count(*) FROM certs c JOIN devices d ON "
			"c.device_id = d.id WHERE d.name LIKE 'k_-%'"));
	ASSERT_GT(n, 3, "the loops made progress");

	cmd_run(&r, 30, "sqlite3 %s/registry.db 'PRAGMA integrity_check'",
		enr_dir);
	ASSERT_STREQ(r.out, "ok\n", "integrity_check");
	cmd_free(&r);
	cmd_run(&r, 30, "sqlite3 %s/registry.db 'PRAGMA foreign_key_check'",
		enr_dir);
	ASSERT_TRUE(!r.status && !r.out_len, "foreign_key_check");
	cmd_free(&r);
	/* status 1 = active, 0 = pending; kind 0 = device certificate */
	ASSERT_EQ(
		sql_num("SELECT count(*) FROM devices d WHERE status = 1 AND "
			"NOT EXISTS (SELECT 1 FROM certs c WHERE c.device_id = d.id "
			"AND c.status = 0)"),
		0, "active device without a good certificate");
	/* (a pending device may hold revoked ones: revoke_status makes one) */
	ASSERT_EQ(
		sql_num("SELECT count(*) FROM devices d WHERE status = 0 AND "
			"EXISTS (SELECT 1 FROM certs c WHERE c.device_id = d.id "
			"AND c.status = 0)"),
		0, "pending device with a good certificate");
	ASSERT_EQ(
		sql_num("SELECT count(*) FROM certs WHERE kind = 0 AND "
			"(device_id IS NULL OR device_id NOT IN (SELECT id FROM devices))"),
		0, "certificate without a device");
	ASSERT_EQ(sql_num("SELECT count(*) FROM device_props WHERE "
			  "device_id NOT IN (SELECT id FROM devices)"),
		  0, "property without a device");
	ASSERT_EQ(
		sql_num("SELECT count(*) FROM devices d WHERE name LIKE 'k_-%' "
			"AND (SELECT count(*) FROM device_props p "
			"WHERE p.device_id = d.id) != 2"),
		0, "device with half its properties");
	/* and the registry is usable: not left locked */
	if (enr_tp_ok(&r, "-j device list"))
		ASSERT_OK_PTR(strstr(r.out, "\"k0-1\""),
			      "device list after kill");
	cmd_free(&r);
	enr_device("k-after", "k", NULL, NULL);
}

static const char conc_sh[] =
	"T=$1 S=$2 tag=$3 csr=$4 n=$5 fail=0\n"
	"for i in $(seq 1 $n); do\n"
	"  $T -S $S device add $tag-$i owner alice >/dev/null 2>>$S/w/$tag.err"
	" || fail=$((fail + 1))\n"
	"  $T -S $S device enroll $tag-$i csr $csr >/dev/null 2>>$S/w/$tag.err"
	" || fail=$((fail + 1))\n"
	"done\n"
	"echo $fail\n";

/* Certificates whose subject is CN=TAG-... */
static int certs_of(json_object *list, const char *tag)
{
	char pfx[32];
	int n = 0;

	snprintf(pfx, sizeof(pfx), "CN=%s-", tag);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *s =
			enr_jstr(json_object_array_get_idx(list, i), "subject");

		n += s && !strncmp(s, pfx, strlen(pfx));
	}
	return n;
}

static void subtest_concurrent(void)
{
	const int n = 30;
	struct cmd_result r = {0};
	json_object *o = NULL;
	size_t before = 0;

	if (!enr_base("alice") || !enr_csr("c", P256) ||
	    !write_script("conc.sh", conc_sh))
		return;
	if (enr_tp_ok(&r, "-j cert list") && (o = parse_one(r.out)))
		before = json_object_array_length(o);
	json_object_put(o);
	o = NULL;
	cmd_free(&r);

	cmd_run(&r, 60,
		"sh %1$s/w/conc.sh %2$s/tpctl %1$s ca %1$s/w/c.csr %3$d > %1$s/w/fa & "
		"sh %1$s/w/conc.sh %2$s/tpctl %1$s cb %1$s/w/c.csr %3$d > %1$s/w/fb & "
		"wait; cat %1$s/w/fa %1$s/w/fb %1$s/w/ca.err %1$s/w/cb.err",
		enr_dir, env.build_dir, n);
	ASSERT_STREQ(r.out, "0\n0\n", "both loops: every call succeeded");
	cmd_free(&r);

	if (enr_tp_ok(&r, "-j cert list") && (o = parse_one(r.out))) {
		ASSERT_EQ(json_object_array_length(o), before + 2 * n,
			  "certificates recorded");
		ASSERT_EQ(certs_of(o, "ca"), n, "certificates of loop a");
		ASSERT_EQ(certs_of(o, "cb"), n, "certificates of loop b");
	}
	json_object_put(o);
	o = NULL;
	cmd_free(&r);
	ASSERT_EQ(sql_num("SELECT count(*) FROM devices WHERE status = 1 AND "
			  "(name LIKE 'ca-%' OR name LIKE 'cb-%')"),
		  2 * n, "active devices");
	ASSERT_EQ(sql_num("SELECT count(DISTINCT serial) FROM certs"),
		  sql_num("SELECT count(*) FROM certs"), "serials unique");
}

static const char *ns_of(char *buf, size_t len)
{
	snprintf(buf, len, "tpenr-%s", env.suffix);
	return buf;
}

/* identity entries of device id in `identity list -j` (-1: no list) */
static int entries_of(const char *ns, const char *pins, long long id)
{
	struct cmd_result r = {0};
	json_object *o = NULL;
	int n = -1;

	tpctl(&r, ns, "-B %s -j identity list", pins);
	if (ASSERT_EQ(r.status, 0, "identity list") && (o = parse_one(r.out))) {
		n = 0;
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += enr_jint(json_object_array_get_idx(o, i),
				      "device") == id;
	}
	json_object_put(o);
	cmd_free(&r);
	return n;
}

static void subtest_revoke_evicts_gate(void)
{
	char ns[64], pins[128];
	long long id1 = 0, id2 = 0, id3 = 0;
	struct cmd_result r = {0};
	json_object *o = NULL;
	struct {
		const char *ip, *mac;
		long long *id;
	} ents[] = {
		{"192.0.2.11", "02:00:00:00:00:11", &id1},
		{"2001:db8:1::11", "02:00:00:00:00:11", &id1},
		{"192.0.2.12", "02:00:00:00:00:12", &id2},
		{"192.0.2.13", "02:00:00:00:00:13", &id3},
	};

	ns_of(ns, sizeof(ns));
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/tp-enr-%s", env.suffix);
	if (!enr_base("alice") || !enr_csr("g", P256) ||
	    !enr_device("gv1", "g", &id1, NULL) ||
	    !enr_device("gv2", "g", &id2, NULL) ||
	    !enr_device("gv3", "g", &id3, NULL))
		return;
	SYS(out, "mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf");
	SYS(out,
	    "ip netns add %1$s && ip -n %1$s link add enr0 type veth peer name enr1"
	    " && ip -n %1$s link set enr0 up && ip -n %1$s link set enr1 up"
	    " && ip -n %1$s addr add 192.0.2.2/24 dev enr1",
	    ns);
	tpctl(&r, ns, "-B %s gate attach dev enr0", pins);
	if (!ASSERT_EQ(r.status, 0, "gate attach")) {
		fprintf(stderr, "%s", r.err);
		goto out;
	}
	cmd_free(&r);
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		tpctl(&r, ns,
		      "-B %s identity add dev enr0 ip %s mac %s device %lld",
		      pins, ents[i].ip, ents[i].mac, *ents[i].id);
		if (!ASSERT_EQ(r.status, 0, "identity add"))
			goto out;
		cmd_free(&r);
	}
	ASSERT_EQ(entries_of(ns, pins, id1), 2, "gv1 bound twice");

	tpctl(&r, ns, "-B %s -S %s -j device revoke gv1 reason keyCompromise",
	      pins, enr_dir);
	if (ASSERT_EQ(r.status, 0, "device revoke") && (o = parse_one(r.out)))
		ASSERT_EQ(enr_jint(o, "evicted"), 2, "revoke: evicted count");
	json_object_put(o);
	o = NULL;
	cmd_free(&r);
	ASSERT_EQ(entries_of(ns, pins, id1), 0, "gv1 evicted");
	ASSERT_EQ(entries_of(ns, pins, id2), 1, "gv2 untouched");
	ASSERT_EQ(entries_of(ns, pins, id3), 1, "gv3 untouched");

	tpctl(&r, ns, "-B %s -S %s device quarantine gv3", pins, enr_dir);
	ASSERT_EQ(r.status, 0, "device quarantine");
	cmd_free(&r);
	ASSERT_EQ(entries_of(ns, pins, id3), 0, "quarantine evicts gv3");
	ASSERT_EQ(entries_of(ns, pins, id2), 1, "gv2 still untouched");
out:
	cmd_free(&r);
	tpctl(&r, ns, "-B %s gate detach all", pins);
	cmd_free(&r);
	SYS_NOFAIL("rm -rf %s", pins);
	SYS_NOFAIL("ip netns del %s 2>/dev/null", ns);
}

void test_enroll_race(void)
{
	if (!enr_mkstate())
		return;
	if (test__start_subtest("revoke_status"))
		subtest_revoke_status();
	if (test__start_subtest("imports"))
		subtest_imports();
	if (test__start_subtest("kill9_integrity"))
		subtest_kill9();
	if (test__start_subtest("concurrent_enroll"))
		subtest_concurrent();
	if (test__start_subtest("revoke_evicts_gate"))
		subtest_revoke_evicts_gate();
	enr_rmstate();
}
