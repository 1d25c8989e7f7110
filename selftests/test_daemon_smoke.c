// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon_smoke.c - trustpointd in the lab, first light: a CA, dev1
 * enrolled by CSR, the gate on gw's lan0, the daemon in gw; then a plain
 * `openssl s_client` with dev1's certificate gets an identity entry, and
 * rogue without a certificate is refused with a reason and gets none.
 */
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "daemon_lab.h"
#include "lab.h"
#include "test_progs.h"

#define WAIT_MS 8000 /* for the daemon to start and to bind */
#define POLL_MS 100

struct smoke {
	char gw[64], dev1[64], rogue[64];
	char pin[128], dir[128], state[PATH_MAX], sock[PATH_MAX];
	char log[PATH_MAX];
	char tp[PATH_MAX + 64]; /* tpctl options for this run */
	char tp_gw[160];	/* and for gw's gate: -B pin */
	pid_t daemon;
};

static struct smoke sm;

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static bool log_has(const char *what)
{
	struct cmd_result r;
	bool yes = !cmd_run(&r, 5, "grep -qF -- '%s' %s", what, sm.log);

	cmd_free(&r);
	return yes;
}

static bool setup_state(void)
{
	struct cmd_result r;
	bool ok;

	ok = ASSERT_OK(
		tpctl(&r, NULL, "%s ca init subject 'CN=smoke CA'", sm.tp),
		"tpctl ca init");
	cmd_free(&r);
	ok = ok && ASSERT_OK(tpctl(&r, NULL, "%s user add alice", sm.tp),
			     "tpctl user add");
	cmd_free(&r);
	ok = ok &&
	     ASSERT_OK(tpctl(&r, NULL, "%s device add dev1 owner alice", sm.tp),
		       "tpctl device add");
	cmd_free(&r);
	ok = ok &&
	     ASSERT_OK(
		     cmd_run(&r, 30,
			     "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/dev1.key -subj /CN=dev1 -out %s/dev1.csr",
			     sm.dir, sm.dir),
		     "openssl req");
	cmd_free(&r);
	ok = ok &&
	     ASSERT_OK(
		     tpctl(&r, NULL,
			   "%s device enroll dev1 csr %s/dev1.csr out %s/dev1.pem",
			   sm.tp, sm.dir, sm.dir),
		     "tpctl device enroll");
	cmd_free(&r);
	ok = ok && ASSERT_OK(tpctl(&r, NULL, "%s cert issue-server gw san %s",
				   sm.tp, LAB_GW_LAN_IP4),
			     "tpctl cert issue-server");
	cmd_free(&r);
	return ok;
}

static bool start_daemon(void)
{
	char pidfile[PATH_MAX + 8];
	struct cmd_result r;
	struct stat st;
	FILE *f;
	int waited;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", sm.dir);
	if (!ASSERT_OK(
		    cmd_run(&r, 10,
			    "nsenter --net=/run/netns/%s %s/trustpointd -c /dev/null -S %s -B %s -s %s --foreground -v >%s 2>&1 </dev/null & echo $! >%s",
			    sm.gw, env.build_dir, sm.state, sm.pin, sm.sock,
			    sm.log, pidfile),
		    "start trustpointd")) {
		cmd_free(&r);
		return false;
	}
	cmd_free(&r);
	f = fopen(pidfile, "r");
	if (!ASSERT_OK_PTR(f, "pid file") || fscanf(f, "%d", &sm.daemon) != 1)
		sm.daemon = 0;
	if (f)
		fclose(f);
	for (waited = 0; waited < WAIT_MS; waited += POLL_MS) {
		if (!stat(sm.sock, &st) && log_has("ready:"))
			return true;
		if (sm.daemon && kill(sm.daemon, 0))
			break;
		sleep_ms(POLL_MS);
	}
	CHECK_FAIL_("trustpointd ready", "no control socket after %d ms",
		    WAIT_MS);
	cmd_run(&r, 5, "cat %s >&2", sm.log);
	cmd_free(&r);
	return false;
}

static void subtest_device_cert_binds(void)
{
	struct cmd_result r;
	int waited, found = 0;

	/* s_client holds the connection while its stdin stays open */
	SYS(out,
	    "(sleep 6 | nsenter --net=/run/netns/%s timeout 10 openssl s_client -connect %s:4433 -cert %s/dev1.pem -key %s/dev1.key -CAfile %s/ca/ca.pem -quiet >%s/s_client.out 2>&1 &)",
	    sm.dev1, LAB_GW_LAN_IP4, sm.dir, sm.dir, sm.state, sm.dir);
	for (waited = 0; waited < WAIT_MS && found != 1; waited += POLL_MS) {
		sleep_ms(POLL_MS);
		found = dlab_identity_count_in(sm.gw, sm.tp_gw, 1,
					       LAB_DEV1_IP4);
	}
	if (!ASSERT_EQ(found, 1, "dev1 entry written")) {
		cmd_run(&r, 5, "cat %s >&2", sm.log);
		cmd_free(&r);
		return;
	}
	ASSERT_TRUE(log_has("authenticated: device dev1"), "log names dev1");
	ASSERT_TRUE(log_has("mac " LAB_DEV1_MAC), "bound to dev1's MAC");
out:
	return;
}

static void subtest_no_cert_refused(void)
{
	struct cmd_result r;
	int waited;

	cmd_run(&r, 15,
		"echo | nsenter --net=/run/netns/%s timeout 10 openssl s_client -connect %s:4433 -CAfile %s/ca/ca.pem -quiet",
		sm.rogue, LAB_GW_LAN_IP4, sm.state);
	cmd_free(&r);
	for (waited = 0;
	     waited < WAIT_MS && !log_has("\"reason\":\"no-client-cert\"");
	     waited += POLL_MS)
		sleep_ms(POLL_MS);
	ASSERT_TRUE(log_has("\"reason\":\"no-client-cert\""),
		    "refusal logged with its reason");
	ASSERT_TRUE(log_has("\"peer\":\"" LAB_ROGUE_IP4 "\""),
		    "refusal names rogue");
	ASSERT_EQ(dlab_identity_count_in(sm.gw, sm.tp_gw, -1, LAB_ROGUE_IP4), 0,
		  "no entry for rogue");
}

static void stop_daemon(void)
{
	int waited;

	if (!sm.daemon || kill(sm.daemon, SIGTERM))
		return;
	for (waited = 0; waited < 5000 && !kill(sm.daemon, 0);
	     waited += POLL_MS)
		sleep_ms(POLL_MS);
	if (!kill(sm.daemon, 0)) {
		CHECK_FAIL_("trustpointd stops on SIGTERM", "still running");
		kill(sm.daemon, SIGKILL);
	}
	sm.daemon = 0;
}

void test_daemon_smoke(void)
{
	struct cmd_result r;

	memset(&sm, 0, sizeof(sm));
	LAB_NS(sm.gw, LAB_GW);
	LAB_NS(sm.dev1, LAB_DEV1);
	LAB_NS(sm.rogue, LAB_ROGUE);
	snprintf(sm.pin, sizeof(sm.pin), "/sys/fs/bpf/tp-d-%s", env.suffix);
	snprintf(sm.tp_gw, sizeof(sm.tp_gw), "-B %s", sm.pin);
	snprintf(sm.dir, sizeof(sm.dir), "/tmp/tp-dsmoke-%s-XXXXXX",
		 env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(sm.dir), "mkdtemp"))
		return;
	snprintf(sm.state, sizeof(sm.state), "%s/state", sm.dir);
	snprintf(sm.sock, sizeof(sm.sock), "%s/run/control.sock", sm.dir);
	snprintf(sm.log, sizeof(sm.log), "%s/trustpointd.log", sm.dir);
	snprintf(sm.tp, sizeof(sm.tp), "-c /dev/null -S %s", sm.state);

	SYS(out, "mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf");
	SYS(out, "%s/" LAB_SH " up %s", env.src_dir, env.suffix);
	if (!setup_state())
		goto out;
	if (!ASSERT_OK(tpctl(&r, sm.gw, "-B %s gate attach dev %s", sm.pin,
			     LAB_GW_LAN),
		       "gate attach")) {
		cmd_free(&r);
		goto out;
	}
	cmd_free(&r);
	if (!start_daemon())
		goto out;

	if (test__start_subtest("device_cert_binds"))
		subtest_device_cert_binds();
	if (test__start_subtest("no_cert_refused"))
		subtest_no_cert_refused();
out:
	stop_daemon();
	if (env.verbose) {
		cmd_run(&r, 5, "cat %s >&2", sm.log);
		cmd_free(&r);
	}
	tpctl(&r, sm.gw, "-B %s gate detach all", sm.pin);
	cmd_free(&r);
	SYS_NOFAIL("rm -rf %s", sm.pin);
	SYS_NOFAIL("%s/" LAB_SH " down %s", env.src_dir, env.suffix);
	if (sm.dir[0] && strcmp(sm.dir + strlen(sm.dir) - 6, "XXXXXX"))
		SYS_NOFAIL("rm -rf %s", sm.dir);
}
