// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon_sweep.c - a status written to the registry by another
 * process (tpctl when it cannot reach the daemon) still cuts the device's
 * session: trustpointd notices the registry changed and checks its
 * sessions once. While nothing changes it does not read them at all.
 */
#include <sys/wait.h>

#include "selftests/daemon_lab.h"
#include "selftests/test_progs.h"

#define PASS_LINE "registry changed by another process"
#define WAIT_MS 10000

void test_daemon_sweep(void)
{
	struct cmd_result r = {};
	long off, end;
	int st;

	if (!dlab_up("sweep", NULL) || !dlab_daemon_start() ||
	    !dlab_agent_start(1, NULL))
		goto out;
	if (!ASSERT_TRUE(dlab_session_wait("dev1", WAIT_MS), "dev1 session") ||
	    !ASSERT_GE(dlab_identity_wait(dl.dev_id[1], NULL, 1, WAIT_MS), 1,
		       "dev1 bound"))
		goto out;

	off = dlab_log_offset();
	dlab_sleep_ms(DLAB_SWEEP_MS * 5 / 2);
	ASSERT_EQ(dlab_log_count(off, PASS_LINE), 0,
		  "no pass over the sessions while nothing changed");

	/* another process: tpctl with a socket where no daemon listens */
	if (!ASSERT_OK(tpctl(&r, NULL,
			     "-c %s -S %s -B %s -s %s/nobody.sock device "
			     "quarantine dev1",
			     dl.conf, dl.state, dl.pin, dl.dir),
		       "tpctl device quarantine, directly"))
		goto out;
	ASSERT_FALSE(strstr(r.out, "by trustpointd"), "not through the daemon");
	cmd_free(&r);

	end = dlab_now_ms() + WAIT_MS;
	while (dlab_session_wait("dev1", 0) && dlab_now_ms() < end)
		dlab_sleep_ms(100);
	ASSERT_FALSE(dlab_session_wait("dev1", 0), "dev1's session cut");
	ASSERT_EQ(dlab_log_count(off, PASS_LINE), 1, "one pass");
	ASSERT_GE(dlab_log_count(off, "trustpointd:sweep"), 1,
		  "the cut names the sweep");
	st = dlab_agent_wait(1, WAIT_MS);
	ASSERT_TRUE(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
		    "the agent was told (exit 3)");
	ASSERT_EQ(dlab_identity_count(dl.dev_id[1], NULL), 0, "no dev1 entry");

	/* and quiet again afterwards */
	off = dlab_log_offset();
	dlab_sleep_ms(DLAB_SWEEP_MS * 5 / 2);
	ASSERT_EQ(dlab_log_count(off, PASS_LINE), 0, "no pass after it");
out:
	cmd_free(&r);
	dlab_down();
}
