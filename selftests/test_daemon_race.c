// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon_race.c - no interleaving of handshakes and revocations leaves
 * a revoked device in the gate. dev1 hammers trustpointd with handshakes
 * from four loops at once (two of stock `openssl s_client`, which connect
 * and leave, two of `tp-agent --once`, which stay until told otherwise)
 * while the test flips dev1 between quarantined and active through the
 * control socket. Whenever a quarantine has returned, and until the next
 * activation, dev1 has no entry; after the final quarantine none is left,
 * nor after a revoke that fires while the loops still run, nor after the
 * loops stop, nor one sweep later.
 */
#include <sys/wait.h>

#include "daemon_lab.h"
#include "test_progs.h"

#define RACE_S 10
#define TAIL_S 3 /* the loops run on past the flips, through the revoke */
#define LOOPS 4
#define GRACE_S 1

static int entries_dev1(void)
{
	return dlab_identity_count(dl.dev_id[1], NULL);
}

/* quarantine or activate dev1 through the daemon; false on failure */
static bool set_status(bool quarantine)
{
	struct cmd_result r;
	bool ok;

	dlab_tp(&r, NULL, "device %s dev1",
		quarantine ? "quarantine" : "activate");
	ok = !r.status && strstr(r.out, "by trustpointd");
	if (!ok)
		fprintf(stderr, "device %s dev1: status %d, '%s' '%s'\n",
			quarantine ? "quarantine" : "activate", r.status, r.out,
			r.err);
	cmd_free(&r);
	return ok;
}

static bool start_loops(pid_t pids[LOOPS])
{
	char script[2048], log[160];

	for (int i = 0; i < LOOPS; i++) {
		if (i < 2)
			snprintf(
				script, sizeof(script),
				"end=$(($(date +%%s) + %d)); "
				"while [ $(date +%%s) -lt $end ]; do "
				"timeout 5 openssl s_client -connect %s:%d -cert %s/dev1.pem -key %s/dev1.key -CAfile %s -tls1_3 </dev/null >/dev/null 2>&1; "
				"done",
				RACE_S + TAIL_S, LAB_GW_LAN_IP4, DLAB_PORT,
				dl.dir, dl.dir, dl.ca);
		else
			snprintf(
				script, sizeof(script),
				"end=$(($(date +%%s) + %d)); "
				"while [ $(date +%%s) -lt $end ]; do "
				"timeout 4 %s/tp-agent --once --timeout 3 --gateway %s:%d --cert %s/dev1.pem --key %s/dev1.key --ca %s --posture-file %s/posture-dev1; "
				"echo \"tp-agent exit $?\"; "
				"done",
				RACE_S + TAIL_S, env.build_dir, LAB_GW_LAN_IP4,
				DLAB_PORT, dl.dir, dl.dir, dl.ca, dl.dir);
		snprintf(log, sizeof(log), "%s/loop%d.log", dl.dir, i);
		pids[i] = dlab_spawn_sh(dl.dev[1], log, script);
		if (!ASSERT_GT(pids[i], 0, "handshake loop"))
			return false;
	}
	return true;
}

void test_daemon_race(void)
{
	struct dlab_opts o = {
		.lease_s = 30, .heartbeat_s = 1, .grace_s = GRACE_S};
	int flips = 0, failed = 0, leaks = 0, unread = 0, n;
	pid_t pids[LOOPS] = {};
	struct cmd_result r;
	long off, roff, end;
	bool quarantined = false;

	if (!dlab_up("drace", &o) || !dlab_daemon_start())
		goto out;
	off = dlab_log_offset();
	if (!start_loops(pids))
		goto out;
	for (end = dlab_now_ms() + RACE_S * 1000L; dlab_now_ms() < end;) {
		quarantined = !quarantined;
		if (!set_status(quarantined))
			failed++;
		flips++;
		/*
		 * Quarantined, and no activation can happen until we make
		 * it: any entry now was written after the quarantine.
		 */
		if (quarantined) {
			n = entries_dev1();
			if (n < 0)
				unread++;
			else if (n) {
				fprintf(stderr,
					"flip %d: %d dev1 entries while quarantined\n",
					flips, n);
				leaks++;
			}
		}
		dlab_sleep_ms(quarantined ? 150 : 250);
	}
	if (!quarantined && !set_status(true))
		failed++;
	ASSERT_EQ(failed, 0, "every status change through the daemon");
	ASSERT_EQ(leaks, 0, "no entry while quarantined");
	ASSERT_EQ(unread, 0, "identity list readable");
	ASSERT_EQ(entries_dev1(), 0,
		  "no dev1 entry after the final quarantine");

	/* a revoke while the loops still knock */
	roff = dlab_log_offset();
	dlab_tp(&r, NULL, "device revoke dev1 reason keyCompromise");
	ASSERT_OK(r.status, "revoke dev1 during the loops");
	cmd_free(&r);
	ASSERT_EQ(entries_dev1(), 0, "no dev1 entry after the revoke");
	dlab_sleep_ms(1000);
	ASSERT_EQ(entries_dev1(), 0, "no dev1 entry while the loops go on");
	ASSERT_EQ(dlab_log_count(roff, "authenticated: device dev1"), 0,
		  "no handshake of dev1 after its revoke");

	for (int i = 0; i < LOOPS; i++) {
		if (dlab_pid_wait(pids[i], 8000) == -1)
			CHECK_FAIL_("handshake loop ends", "loop %d still runs",
				    i);
		dlab_pid_stop(&pids[i], 1000);
	}
	ASSERT_EQ(entries_dev1(), 0, "no dev1 entry after the loops");
	dlab_sleep_ms(DLAB_SWEEP_MS + GRACE_S * 1000 + 500);
	ASSERT_EQ(entries_dev1(), 0, "no dev1 entry one sweep later");
	ASSERT_FALSE(dlab_session_wait("dev1", 0), "no dev1 session left");
	dlab_tp(&r, NULL, "-j device show dev1");
	ASSERT_HAS_SUBSTR(r.out, "\"revoked\"", "dev1 stays revoked");
	cmd_free(&r);

	/* the race was real: both sides of it happened, many times */
	if (env.verbose)
		fprintf(stderr,
			"race: %d flips, %d handshakes authenticated, %d refused as quarantined, %d quarantine events\n",
			flips,
			dlab_log_count(off, "authenticated: device dev1"),
			dlab_log_events(off, DLAB_EV_REFUSED, LAB_DEV1_IP4,
					"device-quarantined"),
			dlab_log_events(off, DLAB_EV_QUARANTINED, "dev1",
					NULL));
	ASSERT_GE(flips, 10, "status flips");
	ASSERT_GT(dlab_log_count(off, "authenticated: device dev1"), 5,
		  "handshakes authenticated while active");
	ASSERT_GT(dlab_log_events(off, DLAB_EV_REFUSED, LAB_DEV1_IP4,
				  "device-quarantined"),
		  0, "handshakes refused while quarantined");
	n = 0;
	for (int i = 2; i < LOOPS; i++) {
		char log[160];

		snprintf(log, sizeof(log), "%s/loop%d.log", dl.dir, i);
		n += dlab_file_has(log, "tp-agent exit 3");
	}
	ASSERT_GT(n, 0, "an agent was told REVOKED by a quarantine");
out:
	for (int i = 0; i < LOOPS; i++)
		dlab_pid_stop(&pids[i], 500);
	dlab_down();
}
