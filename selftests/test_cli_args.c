// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_args.c - every bad tpctl invocation, in text and in JSON mode,
 * is refused with a clear error before anything changes: a snapshot of
 * identities, bootstrap entries and gate links is taken before and after
 * each case of the table. Runs in a namespace and pin dir of its own.
 */
#include "cli_util.h"
#include "test_progs.h"

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

void test_cli_args(void)
{
	if (cli_setup("cli-args", NULL)) {
		if (test__start_subtest("bad_args_change_nothing"))
			bad_args(false);
		if (test__start_subtest("errors_json"))
			bad_args(true);
	}
	cli_teardown();
}
