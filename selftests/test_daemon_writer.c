// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon_writer.c - while trustpointd runs it is the one writer of
 * the gate's maps: tpctl's identity and bootstrap changes go through its
 * control socket, and it refuses a static binding for a device the
 * registry does not trust, which the direct library path could not know.
 */
#include "selftests/daemon_lab.h"
#include "selftests/test_progs.h"

#define STATIC_IP "192.0.2.77"
#define STATIC_MAC "02:00:00:00:00:77"

void test_daemon_writer(void)
{
	struct cmd_result r = {};

	if (!dlab_up("writer", NULL) || !dlab_daemon_start())
		goto out;

	if (test__start_subtest("identity_via_daemon")) {
		ASSERT_OK(
			dlab_tp(&r, dl.gw,
				"identity add dev lan0 ip %s mac %s device 4242 lease 60",
				STATIC_IP, STATIC_MAC),
			"identity add");
		cmd_free(&r);
		ASSERT_EQ(dlab_log_count(
				  0, "static identity added for device 4242"),
			  1, "the daemon wrote it");
		ASSERT_EQ(dlab_identity_count(4242, STATIC_IP), 1, "bound");
		ASSERT_OK(dlab_tp(&r, dl.gw, "identity del dev lan0 ip %s",
				  STATIC_IP),
			  "identity del");
		cmd_free(&r);
		ASSERT_EQ(dlab_identity_count(4242, STATIC_IP), 0, "deleted");
		ASSERT_NEQ(dlab_tp(&r, dl.gw, "identity del dev lan0 ip %s",
				   STATIC_IP),
			   0, "second del refused");
		ASSERT_HAS_SUBSTR(r.err, "no such binding", "reason");
		cmd_free(&r);
	}
	if (test__start_subtest("untrusted_device_refused")) {
		ASSERT_OK(dlab_tp(&r, NULL, "device quarantine dev2"),
			  "quarantine dev2");
		cmd_free(&r);
		ASSERT_NEQ(
			dlab_tp(&r, dl.gw,
				"identity add dev lan0 ip %s mac %s device %lld",
				STATIC_IP, STATIC_MAC, dl.dev_id[2]),
			0, "binding a quarantined device refused");
		ASSERT_HAS_SUBSTR(r.err, "revoked or quarantined", "reason");
		cmd_free(&r);
		ASSERT_EQ(dlab_identity_count(dl.dev_id[2], NULL), 0,
			  "no entry for dev2");
	}
	if (test__start_subtest("bootstrap_and_flush_via_daemon")) {
		ASSERT_OK(
			dlab_tp(&r, dl.gw,
				"bootstrap add ip 192.0.2.1 proto udp port 5683"),
			"bootstrap add");
		cmd_free(&r);
		dlab_tp(&r, dl.gw, "-j bootstrap list");
		ASSERT_HAS_SUBSTR(r.out, "5683", "listed");
		cmd_free(&r);
		ASSERT_OK(
			dlab_tp(&r, dl.gw,
				"bootstrap del ip 192.0.2.1 proto udp port 5683"),
			"bootstrap del");
		cmd_free(&r);
		dlab_tp(&r, dl.gw, "-j bootstrap list");
		ASSERT_FALSE(strstr(r.out, "5683"), "gone");
		cmd_free(&r);
		ASSERT_OK(
			dlab_tp(&r, dl.gw,
				"identity add dev lan0 ip %s mac %s device 4243",
				STATIC_IP, STATIC_MAC),
			"identity add");
		cmd_free(&r);
		ASSERT_OK(dlab_tp(&r, dl.gw, "-j identity flush device 4243"),
			  "flush");
		ASSERT_HAS_SUBSTR(r.out, "\"removed\":1", "one removed");
		cmd_free(&r);
		ASSERT_EQ(dlab_log_count(0, "operator flushed 1 identities"), 1,
			  "the daemon flushed");
	}
out:
	cmd_free(&r);
	dlab_down();
}
