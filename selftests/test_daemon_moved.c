// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon_moved.c - an address that moves from one device to another
 * is the new device's: the old device's session stops renewing it, and
 * revoking the old device neither evicts it nor kills the new device's
 * flows from it (conntrack entries with it as their source).
 */
#include "selftests/daemon_lab.h"
#include "selftests/test_progs.h"

#define WAIT_MS 10000

/* Entries in gw's conntrack table from LAB_DEV1_IP4 to port 4711. */
static int ct_count(void)
{
	struct cmd_result r;
	int n = 0;

	if (cmd_run(&r, 10,
		    "nsenter --net=/run/netns/%s conntrack -L -s %s 2>/dev/null",
		    dl.gw, LAB_DEV1_IP4)) {
		cmd_free(&r);
		return -1;
	}
	/* one line per entry, with both its tuples */
	for (char *p = r.out; (p = strstr(p, "dport=4711 ")); n++) {
		p = strchr(p, '\n');
		if (!p)
			break;
	}
	cmd_free(&r);
	return n;
}

/*
 * A lab with dev1's agent bound to its address, which then moves to dev2
 * by an operator's binding (with dev2's MAC). false: the lab failed.
 */
static bool moved_lab(const char *tag, unsigned int heartbeat_s)
{
	struct dlab_opts o = {.lease_s = 30 * heartbeat_s,
			      .heartbeat_s = heartbeat_s};
	struct cmd_result r = {};
	bool ok;

	if (!dlab_up(tag, &o) || !dlab_daemon_start() ||
	    !dlab_agent_start(1, NULL))
		return false;
	if (!ASSERT_EQ(
		    dlab_identity_wait(dl.dev_id[1], LAB_DEV1_IP4, 1, WAIT_MS),
		    1, "dev1 bound to its address"))
		return false;
	ok = ASSERT_OK(dlab_tp(&r, dl.gw,
			       "identity add dev lan0 ip %s mac %s device %lld",
			       LAB_DEV1_IP4, LAB_DEV2_MAC, dl.dev_id[2]),
		       "bind dev1's address to dev2");
	cmd_free(&r);
	return ok && ASSERT_EQ(dlab_identity_count(dl.dev_id[2], LAB_DEV1_IP4),
			       1, "dev2's now");
}

/* dev1's session renews its keys with every heartbeat: not this one. */
static void subtest_renewal(void)
{
	if (!moved_lab("moved-renew", 1))
		return;
	dlab_sleep_ms(3500); /* three heartbeats */
	ASSERT_EQ(dlab_identity_count(dl.dev_id[2], LAB_DEV1_IP4), 1,
		  "still dev2's after dev1's renewals");
	ASSERT_EQ(dlab_identity_count(dl.dev_id[1], LAB_DEV1_IP4), 0,
		  "not taken back by dev1");
	ASSERT_GE(dlab_log_count(0, "is bound to another device now"), 1,
		  "dev1's session let go of it");
}

/*
 * Revoked before its next heartbeat, dev1's session still lists the
 * address among its keys; the revocation must go by the gate's entries.
 */
static void subtest_revocation(void)
{
	struct cmd_result r = {};

	if (!moved_lab("moved-revoke", 20))
		return;
	/* dev2's flow from the address, as conntrack holds it */
	ASSERT_OK(
		cmd_run(&r, 10,
			"nsenter --net=/run/netns/%s conntrack -I -s %s -d %s "
			"-p udp --sport 4711 --dport 4711 --timeout 300",
			dl.gw, LAB_DEV1_IP4, LAB_SRV_IP4),
		"conntrack -I");
	cmd_free(&r);
	if (!ASSERT_EQ(ct_count(), 1, "the flow is there"))
		return;
	ASSERT_OK(dlab_tp(&r, NULL, "device revoke dev1"), "revoke dev1");
	cmd_free(&r);
	ASSERT_EQ(dlab_log_count(0, "is bound to another device now"), 0,
		  "no renewal came between");
	ASSERT_EQ(dlab_identity_wait(dl.dev_id[1], NULL, 0, WAIT_MS), 0,
		  "dev1's entries gone");
	ASSERT_EQ(dlab_identity_count(dl.dev_id[2], LAB_DEV1_IP4), 1,
		  "dev2 keeps the address");
	ASSERT_EQ(ct_count(), 1, "dev2's flow from it survives");
}

void test_daemon_moved(void)
{
	if (test__start_subtest("renewal_lets_go"))
		subtest_renewal();
	dlab_down();
	if (test__start_subtest("revocation_spares_the_new_owner"))
		subtest_revocation();
	dlab_down();
}
