// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli.c - tpctl as an operator meets it: the grammar, prefixes, text
 * and JSON output, and that every bad invocation is refused with a clear
 * error before anything changes. The gate is attached to a veth pair in a
 * namespace of this test's own; all pins live in a pin dir of this run.
 */
#include <limits.h>
#include <stdarg.h>

#include <json-c/json.h>

#include "cmd.h"
#include "test_progs.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* cli0 carries the gate; cli1 is its peer and the source of test frames. */
#define IF_GATE "cli0"
#define IF_PEER "cli1"
#define PEER_IP "192.0.2.2"
#define PEER_MAC "02:00:00:00:00:02"
#define SINK_IP \
	"192.0.2.99" /* static neighbour: frames leave, nobody answers */
#define SINK_MAC "02:00:00:00:00:99"

static char ns[64], dir[128];

static const char *const reason_names[] = {
	"pass-identity",     "pass-arp",
	"pass-nd",	     "pass-dhcp",
	"pass-bootstrap",    "drop-unknown",
	"drop-mac-mismatch", "drop-expired",
	"drop-malformed",    "drop-fragment",
	"drop-ext-chain",    "drop-vlan-depth",
	"drop-ethertype",    NULL,
};
#define N_REASONS (ARRAY_SIZE(reason_names) - 1)

#ifndef TP_VERSION
#define TP_VERSION "" /* built outside the Makefile: any version will do */
#endif

/* tpctl in our namespace with our pin dir; the arguments are a format. */
static int __attribute__((format(printf, 2, 3)))
run(struct cmd_result *r, const char *fmt, ...)
{
	char args[6000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return tpctl(r, ns, "-B %s %s", dir, args);
}

/* The whole string is exactly one JSON value, else NULL. */
static json_object *parse_one(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(s), end = 0;
	json_object *o = tok ? json_tokener_parse_ex(tok, s, len) : NULL;

	if (o && json_tokener_get_error(tok) == json_tokener_success)
		end = json_tokener_get_parse_end(tok);
	while (o && end < len && strchr(" \t\r\n", s[end]))
		end++;
	if (o && end != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o)
		fprintf(stderr, "not one JSON value: '%.400s'\n", s);
	return o;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The member key of o when it has the type t, else NULL. */
static json_object *jtyped(json_object *o, const char *key, json_type t)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, t) ? v : NULL;
}

/* Missing or mistyped: NULL, LLONG_MIN, -1, -1; the ASSERTs show it. */
static const char *jstr(json_object *o, const char *key)
{
	o = jtyped(o, key, json_type_string);
	return o ? json_object_get_string(o) : NULL;
}

static long long jint(json_object *o, const char *key)
{
	o = jtyped(o, key, json_type_int);
	return o ? json_object_get_int64(o) : LLONG_MIN;
}

static int jbool(json_object *o, const char *key)
{
	o = jtyped(o, key, json_type_boolean);
	return o ? json_object_get_boolean(o) : -1;
}

static int jlen(json_object *arr)
{
	if (!json_object_is_type(arr, json_type_array))
		return -1;
	return json_object_array_length(arr);
}

static json_object *jidx(json_object *arr, int i)
{
	return i < jlen(arr) ? json_object_array_get_idx(arr, i) : NULL;
}

/* The member of array arr whose key is the string val. */
static json_object *jfind(json_object *arr, const char *key, const char *val)
{
	for (int i = 0; i < jlen(arr); i++) {
		const char *s = jstr(jidx(arr, i), key);

		if (s && !strcmp(s, val))
			return jidx(arr, i);
	}
	return NULL;
}

/* tpctl -j ARGS must succeed; its output, parsed (caller puts it). */
static json_object *run_json(const char *args)
{
	struct cmd_result r;
	json_object *o = NULL;

	run(&r, "-j %s", args);
	if (ASSERT_EQ(r.status, 0, args))
		o = parse_one(r.out);
	ASSERT_OK_PTR(o, args);
	cmd_free(&r);
	return o;
}

/* tpctl ARGS must succeed; the caller frees r. */
static bool run_ok(struct cmd_result *r, const char *args)
{
	run(r, "%s", args);
	return ASSERT_EQ(r->status, 0, args);
}

static bool tp_ok(const char *args)
{
	struct cmd_result r;
	bool ok = run_ok(&r, args);

	cmd_free(&r);
	return ok;
}

/*
 * tpctl ARGS must succeed and its text output (with both streams: bpftool
 * prints usage on stderr) must name every word of the NULL-ended list.
 */
static void text_has(const char *args, bool both_streams,
		     const char *const *words)
{
	struct cmd_result r;

	if (run_ok(&r, args))
		for (; *words; words++) {
			if (!strstr(r.out, *words) &&
			    !(both_streams && strstr(r.err, *words)))
				CHECK_FAIL_(args, "'%s' not in '%.400s%.400s'",
					    *words, r.out,
					    both_streams ? r.err : "");
		}
	cmd_free(&r);
}
#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * The error contract: exit status 1 (not a crash, not a timeout); text
 * mode prints "Error: ..." on stderr and nothing on stdout; JSON mode
 * prints one object {"error": "..."} on stdout.
 */
static void expect_error(bool json, const char *args)
{
	struct cmd_result r;
	json_object *o;
	bool ok;

	run(&r, "%s%s", json ? "-j " : "", args);
	ok = ASSERT_EQ(r.status, 1, "exit status");
	if (!json) {
		ok &= ASSERT_HAS_SUBSTR(r.err, "Error:", "stderr") &
		      ASSERT_EQ(r.out_len, 0, "stdout empty on error");
	} else {
		o = parse_one(r.out);
		ok &= ASSERT_TRUE(json_object_is_type(o, json_type_object) &&
					  json_object_object_length(o) == 1 &&
					  jstr(o, "error") && *jstr(o, "error"),
				  "{\"error\": \"...\"}");
		json_object_put(o);
	}
	if (!ok)
		fprintf(stderr, "  for: tpctl %s%.200s\n", json ? "-j " : "",
			args);
	cmd_free(&r);
}

static int ifindex_of(const char *ifname)
{
	struct cmd_result r;
	int idx;

	cmd_run(&r, 10, "ip -n %s -o link show dev %s", ns, ifname);
	idx = r.status ? -1 : atoi(r.out);
	cmd_free(&r);
	return idx;
}

/* One ICMP echo from the peer into the gate, which drops or passes it. */
static void send_frame(void)
{
	SYS_NOFAIL("nsenter --net=/run/netns/%s ping -q -c 1 -W 1 -I %s %s", ns,
		   IF_PEER, SINK_IP);
}

static char *plain(json_object *o)
{
	return o ? strdup(json_object_to_json_string_ext(
			   o, JSON_C_TO_STRING_PLAIN))
		 : NULL;
}

/*
 * `tpctl ARGS` of an identity listing in JSON as a string, with lease_left
 * taken out (it runs with the clock) and kept in lease[] when given.
 */
static char *identity_plain(const char *args, long long *lease, int *n)
{
	struct cmd_result r;
	json_object *l = NULL;
	char *s;

	run(&r, "%s", args);
	if (ASSERT_EQ(r.status, 0, args))
		l = parse_one(r.out);
	cmd_free(&r);
	for (int i = 0; i < jlen(l); i++) {
		if (lease && i < *n)
			lease[i] = jint(jidx(l, i), "lease_left");
		json_object_object_del(jidx(l, i), "lease_left");
	}
	if (n)
		*n = jlen(l) < *n ? jlen(l) : *n;
	s = plain(l);
	json_object_put(l);
	return s;
}

/* What a failed command must leave alone. */
struct snap {
	char *ident, *boot, *gate;
	int n;
	long long lease[32];
};

static bool snap_take(struct snap *s)
{
	json_object *bs = run_json("bootstrap list"),
		    *gs = run_json("gate show");

	s->n = ARRAY_SIZE(s->lease);
	s->ident = identity_plain("-j identity list", s->lease, &s->n);
	s->boot = plain(bs);
	s->gate = plain(gs);
	json_object_put(bs);
	json_object_put(gs);
	return s->ident && s->boot && s->gate;
}

static void snap_free(struct snap *s)
{
	free(s->ident);
	free(s->boot);
	free(s->gate);
}

/* lease_left may only have gone down: a re-add would have reset it. */
static bool snap_same(const struct snap *a, const struct snap *b)
{
	bool ok = ASSERT_STREQ(b->ident, a->ident, "identity list unchanged") &
		  ASSERT_STREQ(b->boot, a->boot, "bootstrap list unchanged") &
		  ASSERT_STREQ(b->gate, a->gate, "gate show unchanged");

	for (int i = 0; i < a->n && i < b->n; i++)
		ok &= ASSERT_LE(b->lease[i], a->lease[i], "lease not renewed");
	return ok;
}

static void subtest_version(void)
{
	text_has("-V", false, WORDS(TP_VERSION));
	text_has("--version", false, WORDS(TP_VERSION));
}

/* The objects `tpctl help` names in its "OBJECT := { a | b | ... }" line. */
static int help_objects(char objs[][16], int max)
{
	struct cmd_result r;
	char *all = NULL, *p, *end, *save;
	int n = 0;

	run(&r, "help");
	if (asprintf(&all, "%s%s", r.out, r.err) < 0)
		all = NULL;
	p = all ? strstr(all, "OBJECT := {") : NULL;
	end = p ? strchr(p, '}') : NULL;
	if (end) {
		*end = 0;
		for (p = strtok_r(p + 11, "| \t\n", &save); p && n < max;
		     p = strtok_r(NULL, "| \t\n", &save))
			snprintf(objs[n++], sizeof(objs[0]), "%s", p);
	}
	free(all);
	cmd_free(&r);
	ASSERT_GE(n, 7, "objects in `tpctl help`");
	return n;
}

static void subtest_help(void)
{
	static const char *const helps[] = {"identity help", "gate help",
					    "bootstrap help", "help"};
	char objs[32][16], args[32];
	int n = help_objects(objs, 32);
	struct cmd_result r;

	text_has("help", true,
		 WORDS("Usage", "gate", "identity", "bootstrap", "stats",
		       "event", "probe", "map"));
	text_has("identity help", true,
		 WORDS("Usage", "add", "del", "list", "flush", "dev", "ip",
		       "mac", "device", "vlan", "svlan", "group", "lease"));
	text_has("gate help", true, WORDS("Usage", "attach", "detach", "show"));
	text_has("bootstrap help", true,
		 WORDS("Usage", "add", "del", "list", "proto", "port"));
	/* every object the usage names is there */
	for (int i = 0; i < n; i++) {
		snprintf(args, sizeof(args), "%.15s help", objs[i]);
		text_has(args, true, WORDS("Usage"));
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(helps); i++) {
		run(&r, "-j %s", helps[i]);
		ASSERT_EQ(r.status, 0, helps[i]);
		r.out[strcspn(r.out, "\n")] = 0;
		ASSERT_STREQ(r.out, "null", "help with -j prints null");
		cmd_free(&r);
	}
}

/* One element of `gate attach -j` or `gate show -j`. */
static void check_link(json_object *l, const char *ifname, const char *mode)
{
	ASSERT_STREQ(jstr(l, "ifname"), ifname, "ifname");
	ASSERT_EQ(jint(l, "ifindex"), ifindex_of(ifname), "ifindex");
	ASSERT_STREQ(jstr(l, "mode"), mode, "mode");
	ASSERT_GT(jint(l, "prog_id"), 0, "prog_id");
	ASSERT_GT(jint(l, "link_id"), 0, "link_id");
}

static void subtest_gate(const char *setup_out)
{
	json_object *a = parse_one(setup_out), *b, *s;

	/* the attach of cli0 that the setup did */
	if (ASSERT_EQ(jlen(a), 1, "attach -j: array of 1")) {
		check_link(jidx(a, 0), IF_GATE, "native");
		ASSERT_EQ(jbool(jidx(a, 0), "replaced"), 0, "replaced false");
	}
	b = run_json("gate attach dev " IF_PEER " mode native");
	if (ASSERT_EQ(jlen(b), 1, "attach peer"))
		check_link(jidx(b, 0), IF_PEER, "native");
	json_object_put(b);

	s = run_json("gate show");
	if (ASSERT_EQ(jlen(s), 2, "gate show -j: both links")) {
		check_link(jfind(s, "ifname", IF_GATE), IF_GATE, "native");
		check_link(jfind(s, "ifname", IF_PEER), IF_PEER, "native");
		ASSERT_EQ(jint(jfind(s, "ifname", IF_GATE), "prog_id"),
			  jint(jidx(a, 0), "prog_id"),
			  "show prog_id == attach prog_id");
	}
	json_object_put(s);
	text_has("gate show", false, WORDS(IF_GATE, IF_PEER, "native"));

	/* attaching again swaps the program in place: no second link */
	b = run_json("gate attach dev " IF_PEER);
	ASSERT_EQ(jbool(jidx(b, 0), "replaced"), 1, "re-attach: replaced true");
	json_object_put(b);
	s = run_json("gate show");
	ASSERT_EQ(jlen(s), 2, "no second link after re-attach");
	json_object_put(s);

	if (tp_ok("gate detach dev " IF_PEER)) {
		s = run_json("gate show");
		ASSERT_EQ(jlen(s), 1, "detached");
		ASSERT_OK_PTR(jfind(s, "ifname", IF_GATE),
			      "cli0 still attached");
		json_object_put(s);
	}
	expect_error(false, "gate detach dev " IF_PEER); /* nothing to detach */

	b = run_json("gate attach dev " IF_PEER " mode generic");
	if (ASSERT_EQ(jlen(b), 1, "attach generic"))
		check_link(jidx(b, 0), IF_PEER, "generic");
	json_object_put(b);
	tp_ok("gate detach dev " IF_PEER);

	expect_error(false, "gate attach dev nosuchif0");
	expect_error(true, "gate attach dev nosuchif0");
	json_object_put(a);
}

static void check_identity(json_object *l, const char *ip, const char *mac,
			   int vlan, int svlan, int device, int group,
			   int lease)
{
	json_object *e = jfind(l, "ip", ip);

	if (!ASSERT_OK_PTR(e, ip))
		return;
	ASSERT_STREQ(jstr(e, "mac"), mac, "mac (lower case)");
	ASSERT_STREQ(jstr(e, "ifname"), IF_GATE, "ifname");
	ASSERT_EQ(jint(e, "ifindex"), ifindex_of(IF_GATE), "ifindex");
	ASSERT_EQ(jint(e, "vlan"), vlan, "vlan");
	ASSERT_EQ(jint(e, "svlan"), svlan, "svlan");
	ASSERT_EQ(jint(e, "device"), device, "device");
	ASSERT_EQ(jint(e, "group"), group, "group");
	ASSERT_LE(jint(e, "lease_left"), lease, "lease_left <= lease");
	ASSERT_GT(jint(e, "lease_left"), lease - 5, "lease_left > lease - 5");
	ASSERT_EQ(jbool(e, "expired"), 0, "expired false");
	ASSERT_GE(jint(e, "packets"), 0, "packets");
	ASSERT_GE(jint(e, "bytes"), 0, "bytes");
}

static void subtest_identity(void)
{
	json_object *l, *o;

	if (!tp_ok("identity add dev " IF_GATE " vlan 10 ip 192.0.2.11 "
		   "mac 02:00:00:00:00:11 device 1 group 7 lease 600") |
	    !tp_ok("identity add dev " IF_GATE
		   " vlan 20 svlan 100 ip 2001:db8:1::11 "
		   "mac 02:AB:CD:EF:00:12 device 2 group 3 lease 300") |
	    !tp_ok("identity add dev " IF_GATE " ip 2001:db8:1::13 "
		   "mac 02:00:00:00:00:13 device 1") |
	    !tp_ok("identity add dev " IF_GATE " ip 192.0.2.14 "
		   "mac 02:00:00:00:00:14 device 3 lease 60"))
		goto out;

	l = run_json("identity list");
	ASSERT_EQ(jlen(l), 4, "identity list -j: 4 entries");
	check_identity(l, "192.0.2.11", "02:00:00:00:00:11", 10, 0, 1, 7, 600);
	check_identity(l, "2001:db8:1::11", "02:ab:cd:ef:00:12", 20, 100, 2, 3,
		       300);
	check_identity(l, "2001:db8:1::13", "02:00:00:00:00:13", 0, 0, 1, 0,
		       3600);
	check_identity(l, "192.0.2.14", "02:00:00:00:00:14", 0, 0, 3, 0, 60);
	json_object_put(l);
	text_has("identity list", false,
		 WORDS("192.0.2.11", "02:00:00:00:00:11", "2001:db8:1::11",
		       "02:ab:cd:ef:00:12", IF_GATE));

	l = run_json("identity list device 1");
	ASSERT_EQ(jlen(l), 2, "list device 1");
	ASSERT_OK_PTR(jfind(l, "ip", "192.0.2.11"), "device 1 has 192.0.2.11");
	ASSERT_OK_PTR(jfind(l, "ip", "2001:db8:1::13"), "device 1 has ::13");
	json_object_put(l);
	l = run_json("identity list device 42");
	ASSERT_EQ(jlen(l), 0, "list device 42: []");
	json_object_put(l);

	/* the key holds the VLANs: without them it names another entry */
	expect_error(false, "identity del dev " IF_GATE " ip 2001:db8:1::11");
	if (tp_ok("identity del dev " IF_GATE
		  " vlan 20 svlan 100 ip 2001:db8:1::11")) {
		l = run_json("identity list");
		ASSERT_EQ(jlen(l), 3, "del removed one");
		ASSERT_FALSE(jfind(l, "ip", "2001:db8:1::11"),
			     "del removed ::11");
		json_object_put(l);
	}
	expect_error(false, "identity del dev " IF_GATE
			    " vlan 20 svlan 100 ip 2001:db8:1::11");

	o = run_json("identity flush device 1");
	ASSERT_EQ(jint(o, "removed"), 2, "flush device 1: removed 2");
	json_object_put(o);
	l = run_json("identity list");
	ASSERT_EQ(jlen(l), 1, "device 3 left");
	ASSERT_OK_PTR(jfind(l, "ip", "192.0.2.14"), "192.0.2.14 left");
	json_object_put(l);

	o = run_json("identity flush");
	ASSERT_EQ(jint(o, "removed"), 1, "flush: removed 1");
	json_object_put(o);
	l = run_json("identity list");
	ASSERT_EQ(jlen(l), 0, "flush removed all");
	json_object_put(l);
out:
	tp_ok("identity flush");
}

static void subtest_bootstrap(void)
{
	json_object *l, *e;

	if (!tp_ok("bootstrap add ip 192.0.2.1 proto tcp port 4433") |
	    !tp_ok("bootstrap add ip 2001:db8:1::1 proto udp port 547"))
		return;
	l = run_json("bootstrap list");
	ASSERT_EQ(jlen(l), 2, "bootstrap list -j: 2");
	e = jfind(l, "ip", "192.0.2.1");
	ASSERT_STREQ(jstr(e, "proto"), "tcp", "proto tcp");
	ASSERT_EQ(jint(e, "port"), 4433, "port 4433");
	e = jfind(l, "ip", "2001:db8:1::1");
	ASSERT_STREQ(jstr(e, "proto"), "udp", "proto udp");
	ASSERT_EQ(jint(e, "port"), 547, "port 547");
	json_object_put(l);
	text_has("bootstrap list", false,
		 WORDS("192.0.2.1", "tcp", "4433", "2001:db8:1::1", "udp",
		       "547"));

	/* proto and port are part of the key */
	expect_error(false, "bootstrap del ip 192.0.2.1 proto udp port 4433");
	if (tp_ok("bootstrap del ip 192.0.2.1 proto tcp port 4433")) {
		l = run_json("bootstrap list");
		ASSERT_EQ(jlen(l), 1, "del removed one");
		ASSERT_OK_PTR(jfind(l, "ip", "2001:db8:1::1"),
			      "the other stays");
		json_object_put(l);
	}
	expect_error(false, "bootstrap del ip 192.0.2.1 proto tcp port 4433");
	tp_ok("bootstrap del ip 2001:db8:1::1 proto udp port 547");
	l = run_json("bootstrap list");
	ASSERT_EQ(jlen(l), 0, "bootstrap list empty");
	json_object_put(l);
}

static void subtest_prefixes(void)
{
	static const char *const same[] = {"-j id l",
					   "-j i li",
					   "id l -j",
					   "identity -j list",
					   "--json identity list",
					   "-p identity list",
					   "identity list -p"};
	char objs[32][16], amb[32], *full, *pfx;
	int n = help_objects(objs, 32);

	/* "a" is the unique prefix of add */
	if (tp_ok("identity a dev " IF_GATE
		  " ip 192.0.2.31 mac 02:00:00:00:00:31 "
		  "device 31")) {
		full = identity_plain("-j identity list", NULL, NULL);
		ASSERT_HAS_SUBSTR(full, "192.0.2.31", "identity a added");
		/* prefixes, and options anywhere (-p is -j, indented) */
		for (unsigned int i = 0; i < ARRAY_SIZE(same); i++) {
			pfx = identity_plain(same[i], NULL, NULL);
			ASSERT_STREQ(pfx, full, same[i]);
			free(pfx);
		}
		free(full);
	}
	text_has("g sh", false, WORDS(IF_GATE));

	expect_error(false, "x");
	expect_error(true, "x");
	expect_error(false, "identityx list");
	expect_error(false, "identity x");
	expect_error(false, "identity listx");

	/* the common prefix of two objects is ambiguous */
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			int k = 0;

			while (objs[i][k] && objs[i][k] == objs[j][k])
				k++;
			if (!k || !objs[i][k] || !objs[j][k])
				continue;
			snprintf(amb, sizeof(amb), "%.*s help", k, objs[i]);
			expect_error(false, amb);
		}
	}
	tp_ok("identity flush");
}

/* A valid add, and its parts, to get one thing wrong at a time. */
#define ADD "identity add dev " IF_GATE
#define IPMAC " ip 192.0.2.21 mac 02:00:00:00:00:21"
#define ADD5 ADD IPMAC " device 5"

static const char *const bad_cases[] = {
	ADD " ip 300.1.1.1 mac 02:00:00:00:00:21 device 5",
	ADD " ip 192.0.2.21/24 mac 02:00:00:00:00:21 device 5",
	ADD " ip fe80::1%" IF_GATE " mac 02:00:00:00:00:21 device 5",
	ADD " ip localhost mac 02:00:00:00:00:21 device 5",
	ADD " ip 2001:db8::1::2 mac 02:00:00:00:00:21 device 5",
	ADD " ip 192.0.2.21 mac 02:00:00:00:00 device 5",
	ADD " ip 192.0.2.21 mac zz:00:00:00:00:21 device 5",
	ADD " ip 192.0.2.21 mac 02:00:00:00:00:21:22 device 5",
	ADD " ip 192.0.2.21 mac 02:00:00:00:00:123 device 5",
	ADD " ip 192.0.2.21 mac 02:00:00:00:00:21: device 5",
	ADD IPMAC,
	ADD IPMAC " device 0",
	ADD IPMAC " device -1",
	ADD IPMAC " device 99999999999999999999999",
	ADD IPMAC " device 5x",
	ADD " vlan 4095" IPMAC " device 5",
	ADD " vlan -1" IPMAC " device 5",
	ADD " vlan 10abc" IPMAC " device 5",
	ADD " svlan 4095" IPMAC " device 5",
	ADD5 " group 65536",
	ADD5 " group -1",
	ADD5 " lease abc",
	ADD5 " lease -5",
	ADD5 " lease 60s",
	ADD5 " lease 99999999999999999999",
	ADD5 " lease 18446744073709551615", /* seconds that overflow in ns */
	ADD5 " lease",
	ADD5 " color red",
	ADD5 " extra",
	ADD5 " device 6",
	ADD " ip 192.0.2.22" IPMAC " device 5",
	"identity add dev nosuchif0" IPMAC " device 5",
	ADD " mac 02:00:00:00:00:21 device 5",
	"identity add" IPMAC " device 5",
	"identity add dev",
	ADD " ip",
	"identity add",
	"identity add dev ''" IPMAC " device 5",
	ADD " ip '' mac 02:00:00:00:00:21 device 5",
	ADD " ip 192.0.2.21 mac '' device 5",
	ADD IPMAC " device ''",
	ADD5 " ''",
	"''",
	"identity ''",
	"identity del dev " IF_GATE " ip 300.1.1.1",
	"identity del dev " IF_GATE,
	"identity del dev " IF_GATE " ip 192.0.2.20 mac 02:00:00:00:00:20",
	"identity del dev nosuchif0 ip 192.0.2.20",
	"identity list device 0",
	"identity list device abc",
	"identity list bogus",
	"identity flush device 0",
	"identity flush device -1",
	"identity flush device abc",
	"identity flush device",
	"identity flush now",
	"bootstrap add ip 192.0.2.1 proto icmp port 4433",
	"bootstrap add ip 192.0.2.1 proto tcp port 0",
	"bootstrap add ip 192.0.2.1 proto tcp port 70000",
	"bootstrap add ip 192.0.2.1 proto tcp port -1",
	"bootstrap add ip 192.0.2.1 proto tcp port 443x",
	"bootstrap add ip 192.0.2.1 proto tcp",
	"bootstrap add ip 300.1.1.1 proto tcp port 4433",
	"bootstrap add ip 192.0.2.1 proto tcp port 4433 port 80",
	"bootstrap add ip 192.0.2.1 proto '' port 4433",
	"bootstrap add proto tcp port 4433",
	"bootstrap del ip 192.0.2.1 proto icmp port 4433",
	"bootstrap list extra",
	"gate attach dev " IF_PEER " dev nosuchif0", /* all or nothing */
	"gate attach dev " IF_PEER " mode turbo",
	"gate attach dev " IF_PEER " mode",
	"gate attach",
	"gate attach dev",
	"gate detach dev nosuchif0",
	"gate detach",
	"gate show extra",
	"stats show extra",
	"map show extra",
	"--bogus identity list",
};

static void bad_args(bool json)
{
	const unsigned int n = ARRAY_SIZE(bad_cases);
	char big[4097], bigcase[5000];
	struct snap before = {0}, after;
	struct cmd_result r;

	/* something to lose: an identity and a bootstrap entry */
	if (!tp_ok(ADD " vlan 7 ip 192.0.2.20 mac 02:00:00:00:00:20 device 20 "
		       "group 2 lease 900") |
		    !tp_ok("bootstrap add ip 192.0.2.1 proto tcp port 4433") ||
	    !ASSERT_TRUE(snap_take(&before), "snapshot"))
		goto out;

	for (unsigned int i = 0; i < n + 4; i++) {
		const char *c = i < n ? bad_cases[i] : bigcase;

		/* past the table: one 4 KiB argument in different places */
		memset(big, i == n + 1 ? '9' : 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		if (i == n)
			snprintf(bigcase, sizeof(bigcase), ADD5 " group %s",
				 big);
		else if (i == n + 1)
			snprintf(bigcase, sizeof(bigcase),
				 ADD IPMAC " device %s", big);
		else if (i == n + 2)
			snprintf(bigcase, sizeof(bigcase),
				 "identity add dev %s" IPMAC " device 5", big);
		else if (i == n + 3)
			snprintf(bigcase, sizeof(bigcase),
				 "bootstrap add ip %s proto tcp port 1", big);
		expect_error(json, c);
		if (!snap_take(&after))
			break;
		if (!snap_same(&before, &after))
			fprintf(stderr, "  changed by: tpctl %s%.200s\n",
				json ? "-j " : "", c);
		/* judge each case on its own: the next compares with this */
		snap_free(&before);
		before = after;
	}
out:
	snap_free(&before);
	tp_ok("identity flush");
	/* missing when its add failed: no assertion here */
	run(&r, "bootstrap del ip 192.0.2.1 proto tcp port 4433");
	cmd_free(&r);
}

static long long verdict(json_object *st, const char *reason)
{
	return jint(jget(jget(st, "verdicts"), reason), "packets");
}

static void subtest_stats(void)
{
	json_object *st, *st2, *v, *ev, *l;

	st = run_json("stats show");
	v = jget(st, "verdicts");
	ASSERT_EQ(json_object_is_type(v, json_type_object)
			  ? json_object_object_length(v)
			  : -1,
		  N_REASONS, "one key per reason");
	for (unsigned int i = 0; i < N_REASONS; i++) {
		json_object *c = jget(v, reason_names[i]);

		if (!ASSERT_OK_PTR(c, reason_names[i]))
			continue;
		ASSERT_GE(jint(c, "packets"), 0, reason_names[i]);
		ASSERT_GE(jint(c, "bytes"), 0, reason_names[i]);
	}
	ev = jget(st, "events");
	ASSERT_GE(jint(ev, "emitted"), 0, "events.emitted");
	ASSERT_GE(jint(ev, "suppressed"), 0, "events.suppressed");
	ASSERT_GE(jint(ev, "ringbuf_full"), 0, "events.ringbuf_full");

	/* an unbound source is dropped and counted ... */
	send_frame();
	st2 = run_json("stats show");
	ASSERT_GT(verdict(st2, "drop-unknown"), verdict(st, "drop-unknown"),
		  "drop-unknown counted");
	json_object_put(st);

	/* ... a bound one passes and is counted on its entry */
	if (tp_ok(ADD " ip " PEER_IP " mac " PEER_MAC " device 77")) {
		send_frame();
		st = run_json("stats show");
		ASSERT_GT(verdict(st, "pass-identity"),
			  verdict(st2, "pass-identity"),
			  "pass-identity counted");
		json_object_put(st);
		l = run_json("identity list device 77");
		ASSERT_GE(jint(jidx(l, 0), "packets"), 1, "identity packets");
		ASSERT_GE(jint(jidx(l, 0), "bytes"), 98, "identity bytes");
		json_object_put(l);
	}
	json_object_put(st2);
	tp_ok("identity flush");
	text_has("stats show", false, reason_names);
}

static void subtest_map(void)
{
	static const char *const names[] = {
		"tp_identity", "tp_dev_stats", "tp_bootstrap", "tp_verdicts",
		"tp_evstats",  "tp_events",    "tp_evlimit",   NULL,
	};
	json_object *m, *id;

	tp_ok(ADD " ip 192.0.2.41 mac 02:00:00:00:00:41 device 41");
	tp_ok(ADD " ip 192.0.2.42 mac 02:00:00:00:00:42 device 42");
	tp_ok(ADD " vlan 3 ip 2001:db8:1::43 mac 02:00:00:00:00:43 device 43");
	m = run_json("map show");
	id = jfind(m, "name", "tp_identity");
	if (ASSERT_OK_PTR(id, "map show -j lists tp_identity")) {
		ASSERT_STREQ(jstr(id, "type"), "hash", "type");
		ASSERT_EQ(jint(id, "key_size"), 28, "key_size");
		ASSERT_EQ(jint(id, "value_size"), 32, "value_size");
		ASSERT_GT(jint(id, "id"), 0, "id");
		ASSERT_GE(jint(id, "max_entries"), 3, "max_entries");
		ASSERT_EQ(jint(id, "entries"), 3,
			  "entries == identities added");
	}
	for (int i = 0; names[i]; i++)
		ASSERT_OK_PTR(jfind(m, "name", names[i]), names[i]);
	json_object_put(m);
	text_has("map show", false, names);
	tp_ok("identity flush");
	m = run_json("map show");
	ASSERT_EQ(jint(jfind(m, "name", "tp_identity"), "entries"), 0,
		  "entries after flush");
	json_object_put(m);
}

static void subtest_bpftool(void)
{
	static const char *const fields[] = {
		"ifindex",   "vlan",	   "family", "addr",
		"device_id", "expires_ns", "mac"};
	json_object *d, *f;
	struct cmd_result r;

	if (!tp_ok(ADD
		   " vlan 10 ip 192.0.2.51 mac 02:00:00:00:00:51 device 51"))
		return;
	cmd_run(&r, 30, "bpftool map dump pinned %s/tp_identity", dir);
	if (ASSERT_EQ(r.status, 0, "bpftool map dump"))
		for (unsigned int i = 0; i < ARRAY_SIZE(fields); i++)
			ASSERT_HAS_SUBSTR(r.out, fields[i], "BTF field name");
	cmd_free(&r);

	cmd_run(&r, 30, "bpftool -j map dump pinned %s/tp_identity", dir);
	d = ASSERT_EQ(r.status, 0, "bpftool -j map dump") ? parse_one(r.out)
							  : NULL;
	f = jget(jidx(d, 0), "formatted");
	if (ASSERT_EQ(jlen(d), 1, "one entry") &&
	    ASSERT_OK_PTR(f, "formatted")) {
		ASSERT_EQ(jint(jget(f, "key"), "ifindex"), ifindex_of(IF_GATE),
			  "key.ifindex");
		ASSERT_EQ(jint(jget(f, "key"), "vlan"), 10, "key.vlan");
		ASSERT_EQ(jint(jget(f, "key"), "family"), 2, "key.family");
		ASSERT_EQ(jint(jget(f, "value"), "device_id"), 51,
			  "value.device_id");
	}
	json_object_put(d);
	cmd_free(&r);
	tp_ok("identity flush");
}

/* One line of `event tail -j`; returns whether it is the frame we sent. */
static bool check_event(json_object *e)
{
	const char *reason = jstr(e, "reason");
	bool known = false;

	for (unsigned int i = 0; i < N_REASONS; i++)
		known |= reason && !strcmp(reason, reason_names[i]);
	ASSERT_TRUE(known, "event reason is a reason name");
	ASSERT_GT(jint(e, "ts_ns"), 0, "ts_ns");
	ASSERT_GT(jint(e, "ifindex"), 0, "ifindex");
	if (!jstr(e, "saddr") || strcmp(jstr(e, "saddr"), PEER_IP) ||
	    !jstr(e, "daddr") || strcmp(jstr(e, "daddr"), SINK_IP))
		return false;
	ASSERT_STREQ(reason, "drop-unknown", "reason");
	ASSERT_EQ(jint(e, "ifindex"), ifindex_of(IF_GATE), "ifindex");
	ASSERT_STREQ(jstr(e, "ifname"), IF_GATE, "ifname");
	ASSERT_STREQ(jstr(e, "src_mac"), PEER_MAC, "src_mac");
	ASSERT_STREQ(jstr(e, "dst_mac"), SINK_MAC, "dst_mac");
	ASSERT_STREQ(jstr(e, "ethertype"), "0x0800", "ethertype");
	ASSERT_STREQ(jstr(e, "family"), "ipv4", "family");
	ASSERT_EQ(jint(e, "proto"), 1, "proto icmp");
	ASSERT_EQ(jint(e, "vlan"), 0, "vlan");
	ASSERT_EQ(jint(e, "svlan"), 0, "svlan");
	ASSERT_GE(jint(e, "len"), 98, "len");
	return true;
}

static void subtest_event(void)
{
	struct cmd_result r;
	char *line, *save;
	bool seen = false;

	send_frame(); /* an unbound source: one drop event */
	if (run_ok(&r, "-j event tail")) {
		for (line = strtok_r(r.out, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			json_object *e = parse_one(line);

			if (ASSERT_TRUE(
				    json_object_is_type(e, json_type_object),
				    "event line is a JSON object"))
				seen |= check_event(e);
			json_object_put(e);
		}
		ASSERT_TRUE(seen, "drop event of the frame sent");
	}
	cmd_free(&r);
	/* drained: a second tail finds nothing of ours */
	if (run_ok(&r, "-j event tail"))
		ASSERT_FALSE(strstr(r.out, "\"" SINK_IP "\""),
			     "events drained");
	cmd_free(&r);
}

void test_cli(void)
{
	struct cmd_result r = {0};
	char *attach_out = NULL;

	snprintf(ns, sizeof(ns), "tpcli-%s", env.suffix);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/tp-cli-%s", env.suffix);

	SYS(out,
	    "ip netns add %1$s && ip -n %1$s link add " IF_GATE
	    " type veth peer name " IF_PEER " address " PEER_MAC
	    " && ip -n %1$s link set " IF_GATE " up"
	    " && ip -n %1$s link set " IF_PEER " up"
	    " && ip -n %1$s addr add " PEER_IP "/24 dev " IF_PEER
	    " && ip -n %1$s neigh add " SINK_IP " lladdr " SINK_MAC
	    " dev " IF_PEER " nud permanent",
	    ns);
	run(&r, "-j gate attach dev %s", IF_GATE);
	if (!ASSERT_EQ(r.status, 0, "gate attach (setup)"))
		goto out;
	attach_out = strdup(r.out);

	if (test__start_subtest("version"))
		subtest_version();
	if (test__start_subtest("help"))
		subtest_help();
	if (test__start_subtest("gate"))
		subtest_gate(attach_out);
	if (test__start_subtest("identity"))
		subtest_identity();
	if (test__start_subtest("prefixes"))
		subtest_prefixes();
	if (test__start_subtest("bootstrap"))
		subtest_bootstrap();
	if (test__start_subtest("bad_args_change_nothing"))
		bad_args(false);
	if (test__start_subtest("errors_json"))
		bad_args(true);
	if (test__start_subtest("stats"))
		subtest_stats();
	if (test__start_subtest("map"))
		subtest_map();
	if (test__start_subtest("bpftool"))
		subtest_bpftool();
	if (test__start_subtest("event"))
		subtest_event();
out:
	free(attach_out);
	cmd_free(&r);
	tpctl(&r, ns, "-B %s gate detach all", dir);
	cmd_free(&r);
	SYS_NOFAIL("rm -rf %s", dir);
	SYS_NOFAIL("ip netns del %s", ns);
}
