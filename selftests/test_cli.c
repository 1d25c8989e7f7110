// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli.c - tpctl as an operator meets it: the grammar, prefixes, text
 * and JSON output, gate, identity, bootstrap, stats, maps and events. The
 * gate is attached to a veth pair in a namespace of this test's own; all
 * pins live in a pin dir of this run. Bad invocations: test_cli_args.c.
 */
#include "cli_util.h"
#include "test_progs.h"

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

static int ifindex_of(const char *ifname)
{
	struct cmd_result r;
	int idx;

	cmd_run(&r, 10, "ip -n %s -o link show dev %s", cli_ns, ifname);
	idx = r.status ? -1 : atoi(r.out);
	cmd_free(&r);
	return idx;
}

/* One ICMP echo from the peer into the gate, which drops or passes it. */
static void send_frame(void)
{
	SYS_NOFAIL("nsenter --net=/run/netns/%s ping -q -c 1 -W 1 -I %s %s",
		   cli_ns, IF_PEER, SINK_IP);
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
	cmd_run(&r, 30, "bpftool map dump pinned %s/tp_identity", cli_dir);
	if (ASSERT_EQ(r.status, 0, "bpftool map dump"))
		for (unsigned int i = 0; i < ARRAY_SIZE(fields); i++)
			ASSERT_HAS_SUBSTR(r.out, fields[i], "BTF field name");
	cmd_free(&r);

	cmd_run(&r, 30, "bpftool -j map dump pinned %s/tp_identity", cli_dir);
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
	char *attach_out = NULL;

	if (!cli_setup("cli", &attach_out))
		goto out;

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
	cli_teardown();
}
