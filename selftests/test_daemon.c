// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon.c - the issue-4 story end to end, with real handshakes in the
 * netns lab: dev1 and dev2 connect with tp-agent and reach srv, rogue does
 * not; revoking dev1 cuts its running TCP stream and its conntrack entry the
 * moment tpctl returns, its agent is told and is refused on reconnect, and
 * dev2 never notices; a stock `openssl s_client` completes a handshake; and
 * a kill -9 of trustpointd while dev2 streams costs dev2 nothing.
 */
#include <netinet/in.h>
#include <sys/wait.h>

#include "daemon_lab.h"
#include "netns.h"
#include "test_progs.h"

#define ECHO_PORT 7007
#define STREAM_DEV1_PORT 9001
#define STREAM_DEV2_PORT 9002
#define STREAM_RESTART_PORT 9003
#define BIND_MS 10000 /* agent start to its entry in the gate */
#define PASS_MS 2000  /* a probe that must get through */
#define DROP_MS 1500  /* a probe that must be dropped */
#define STOP_MS 300   /* in-flight bytes settle after a cut */
#define STILL_MS 1500 /* a stopped stream must stay stopped this long */
#define INFLIGHT_MAX (256 * 1024)
/*
 * A stream paced at 4 KiB / 10 ms that loses even one segment waits at
 * least one TCP RTO (200 ms minimum) plus backoff; 500 ms of silence means
 * packets were dropped, not that a scheduler was slow.
 */
#define STALL_MS 500

static struct {
	struct netns_server echo;
	bool revoked; /* revoke_cuts_stream ran */
	int ct_before, ct_after;
} t;

static int echo_probe(int n, const char *dst, int ms)
{
	const char *ns = n ? dl.dev[n] : dl.rogue;

	return netns_tcp_echo(ns, NULL, dst, ECHO_PORT, "trustpoint", ms);
}

/* devN's agent runs and its IPv4 address is bound. */
static bool agent_bound(int n)
{
	const char *ip = n == 1 ? LAB_DEV1_IP4 : LAB_DEV2_IP4;
	struct cmd_result r;
	int st;

	if (dl.agent[n] > 0 && (st = dlab_agent_wait(n, 0)) != -1)
		fprintf(stderr, "dev%d agent had exited, status 0x%x\n", n, st);
	if (dl.agent[n] <= 0 && !dlab_agent_start(n, NULL))
		return false;
	if (ASSERT_EQ(dlab_identity_wait(dl.dev_id[n], ip, 1, BIND_MS), 1,
		      n == 1 ? "dev1 entry written" : "dev2 entry written"))
		return true;
	dlab_log_dump("no entry");
	cmd_run(&r, 5, "tail -n 20 %s >&2", dl.agent_log[n]);
	cmd_free(&r);
	return false;
}

/* Forwarded flows dev1 -> srv in gw's conntrack table, -1 on error. */
static int ct_flows_dev1(void)
{
	struct cmd_result r;
	int n = 0;

	if (cmd_run(&r, 10,
		    "nsenter --net=/run/netns/%s conntrack -L -s %s -d %s 2>/dev/null",
		    dl.gw, LAB_DEV1_IP4, LAB_SRV_IP4)) {
		cmd_free(&r);
		return -1;
	}
	for (char *p = r.out; (p = strstr(p, "dport=9001 ")); p++)
		n++;
	cmd_free(&r);
	return n;
}

static bool stream_grows(struct dlab_stream *s, int ms)
{
	uint64_t before = dlab_stream_rx(s);

	dlab_sleep_ms(ms);
	return dlab_stream_rx(s) > before;
}

static void subtest_story(void)
{
	json_object *arr, *s, *a;
	bool has_ip;

	if (!agent_bound(1) || !agent_bound(2))
		return;
	ASSERT_PROBE(echo_probe(1, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev1 reaches srv");
	ASSERT_PROBE(echo_probe(2, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev2 reaches srv");
	ASSERT_PROBE(echo_probe(0, LAB_SRV_IP4, DROP_MS), NETNS_NO_REPLY,
		     "rogue does not reach srv");
	/* the agents announce their IPv6 address on the same link too */
	ASSERT_EQ(dlab_identity_wait(dl.dev_id[1], LAB_DEV1_IP6, 1, 2000), 1,
		  "dev1 IPv6 entry");
	ASSERT_EQ(dlab_identity_wait(dl.dev_id[2], LAB_DEV2_IP6, 1, 2000), 1,
		  "dev2 IPv6 entry");
	ASSERT_PROBE(echo_probe(1, LAB_SRV_IP6, PASS_MS), NETNS_OK,
		     "dev1 reaches srv over IPv6");
	ASSERT_PROBE(echo_probe(2, LAB_SRV_IP6, PASS_MS), NETNS_OK,
		     "dev2 reaches srv over IPv6");
	ASSERT_PROBE(echo_probe(0, LAB_SRV_IP6, DROP_MS), NETNS_NO_REPLY,
		     "rogue does not reach srv over IPv6");
	ASSERT_EQ(dlab_identity_count(-1, LAB_ROGUE_IP4), 0,
		  "no entry for rogue");

	arr = dlab_sessions();
	if (!ASSERT_OK_PTR(arr, "session list -j"))
		return;
	for (int n = 1; n <= 2; n++) {
		const char *ip = n == 1 ? LAB_DEV1_IP4 : LAB_DEV2_IP4;
		const char *ip6 = n == 1 ? LAB_DEV1_IP6 : LAB_DEV2_IP6;
		bool has_ip6 = false;
		const char *mac = n == 1 ? LAB_DEV1_MAC : LAB_DEV2_MAC;
		char name[8];

		snprintf(name, sizeof(name), "dev%d", n);
		s = dlab_session_of(arr, name);
		if (!ASSERT_OK_PTR(s, "session of the device listed")) {
			fprintf(stderr, "sessions: %s\n",
				json_object_to_json_string(arr));
			continue;
		}
		ASSERT_EQ(dlab_jint(s, "id"), dl.dev_id[n], "session id");
		ASSERT_STREQ(dlab_jstr(s, "owner"), "alice", "session owner");
		ASSERT_STREQ(dlab_jstr(s, "mac"), mac, "session mac");
		ASSERT_STREQ(dlab_jstr(s, "ifname"), LAB_GW_LAN,
			     "session interface");
		ASSERT_STREQ(dlab_jstr(s, "peer"), ip, "session peer");
		ASSERT_STREQ(dlab_jstr(s, "state"), "active", "session state");
		has_ip = false;
		if (json_object_object_get_ex(s, "addresses", &a))
			for (size_t i = 0; i < json_object_array_length(a);
			     i++) {
				const char *x = json_object_get_string(
					json_object_array_get_idx(a, i));

				has_ip |= !strcmp(x, ip);
				has_ip6 |= !strcmp(x, ip6);
			}
		if (!ASSERT_TRUE(has_ip, "session addresses hold the peer") ||
		    !ASSERT_TRUE(has_ip6, "session addresses hold the IPv6"))
			fprintf(stderr, "session: %s\n",
				json_object_to_json_string(s));
	}
	json_object_put(arr);
}

/* The revoke story; also what the conntrack subtest looks at. */
static void revoke_dev1(void)
{
	struct dlab_stream s1 = {}, s2 = {};
	struct cmd_result r;
	uint64_t b0, b1, b2;
	char *why;
	long off, t0;
	int st;

	t.revoked = true;
	t.ct_before = t.ct_after = -1;
	if (!agent_bound(1) || !agent_bound(2))
		return;
	if (!ASSERT_OK(dlab_stream_start(&s1, dl.dev[1], LAB_SRV_IP4,
					 STREAM_DEV1_PORT),
		       "dev1 stream flows") ||
	    !ASSERT_OK(dlab_stream_start(&s2, dl.dev[2], LAB_SRV_IP4,
					 STREAM_DEV2_PORT),
		       "dev2 stream flows"))
		goto out;
	ASSERT_TRUE(stream_grows(&s1, 300), "dev1 stream grows");
	t.ct_before = ct_flows_dev1();
	dlab_stream_gap_reset(&s2);

	off = dlab_log_offset();
	dlab_tp(&r, NULL, "device revoke dev1 reason keyCompromise");
	t0 = dlab_now_ms();
	b0 = dlab_stream_rx(&s1);
	if (!ASSERT_OK(r.status, "tpctl device revoke dev1"))
		fprintf(stderr, "revoke: %s %s\n", r.out, r.err);
	ASSERT_HAS_SUBSTR(r.out, "by trustpointd",
			  "revoke went through daemon");
	cmd_free(&r);
	/* right after it returns: entries gone, stream stops */
	ASSERT_EQ(dlab_identity_count(dl.dev_id[1], NULL), 0,
		  "dev1 entries gone when revoke returns");
	dlab_sleep_ms(STOP_MS);
	b1 = dlab_stream_rx(&s1);
	dlab_sleep_ms(STILL_MS);
	b2 = dlab_stream_rx(&s1);
	ASSERT_EQ(b2, b1, "dev1 stream stopped");
	ASSERT_LT(b1 - b0, INFLIGHT_MAX, "no more than in-flight bytes after");
	t.ct_after = ct_flows_dev1();
	ASSERT_PROBE(echo_probe(1, LAB_SRV_IP4, DROP_MS), NETNS_NO_REPLY,
		     "fresh connect from dev1 fails");
	ASSERT_TRUE(stream_grows(&s2, 300), "dev2 stream grows after revoke");
	ASSERT_PROBE(echo_probe(2, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev2 reaches srv after revoke");
	if (env.verbose)
		fprintf(stderr, "revoke: %ld ms to check; %llu bytes after\n",
			dlab_now_ms() - t0, (unsigned long long)(b1 - b0));

	st = dlab_agent_wait(1, 5000);
	if (ASSERT_NEQ(st, -1, "dev1 agent exits") &&
	    ASSERT_TRUE(WIFEXITED(st), "dev1 agent exits normally"))
		ASSERT_EQ(WEXITSTATUS(st), 3, "dev1 agent exit status");
	ASSERT_TRUE(dlab_file_has(dl.agent_log[1], "revoked"),
		    "dev1 agent says revoked");
	why = dlab_log_event(off, DLAB_EV_REVOKED, "dev1", 2000);
	ASSERT_OK_PTR(why, "device revoked event");
	free(why);

	/* a restarted agent is refused */
	off = dlab_log_offset();
	if (dlab_agent_start(1, "--once")) {
		st = dlab_agent_wait(1, 15000);
		if (ASSERT_NEQ(st, -1, "restarted dev1 agent gives up") &&
		    ASSERT_TRUE(WIFEXITED(st), "exits normally"))
			ASSERT_EQ(WEXITSTATUS(st), 2,
				  "restarted dev1 agent refused (exit 2)");
		dlab_agent_stop(1);
	}
	why = dlab_log_event(off, DLAB_EV_REFUSED, LAB_DEV1_IP4, 2000);
	if (ASSERT_OK_PTR(why, "refusal of dev1 logged") &&
	    !ASSERT_TRUE(!strcmp(why, "revoked-serial") ||
				 !strcmp(why, "device-revoked"),
			 "refused as revoked"))
		fprintf(stderr, "reason '%s'\n", why);
	free(why);
	ASSERT_EQ(dlab_identity_count(dl.dev_id[1], NULL), 0,
		  "no dev1 entry after its agent retried");
	ASSERT_TRUE(stream_grows(&s2, 300), "dev2 stream grows throughout");
	ASSERT_LT(dlab_stream_gap_ms(&s2), STALL_MS,
		  "dev2 stream never stalled through the revoke");
	ASSERT_PROBE(echo_probe(2, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev2 reaches srv at the end");
out:
	dlab_stream_stop(&s1);
	dlab_stream_stop(&s2);
}

static void subtest_conntrack(void)
{
	if (!t.revoked)
		revoke_dev1();
	ASSERT_GT(t.ct_before, 0, "dev1's forwarded flow in conntrack before");
	ASSERT_EQ(t.ct_after, 0, "no dev1 forwarded flow in conntrack after");
}

static void subtest_openssl_client(void)
{
	struct cmd_result r;
	long off = dlab_log_offset();

	if (!agent_bound(2))
		return;
	cmd_run(&r, 20,
		"echo | nsenter --net=/run/netns/%s timeout 15 openssl s_client -connect %s:%d -cert %s/dev2.pem -key %s/dev2.key -CAfile %s -tls1_3 -verify_ip %s -verify_return_error",
		dl.dev[2], LAB_GW_LAN_IP4, DLAB_PORT, dl.dir, dl.dir, dl.ca,
		LAB_GW_LAN_IP4);
	ASSERT_OK(r.status, "openssl s_client exit status");
	ASSERT_HAS_SUBSTR(r.out, "Verify return code: 0 (ok)",
			  "s_client verified the gateway");
	ASSERT_HAS_SUBSTR(r.out, "TLSv1.3", "TLS 1.3 negotiated");
	if (r.status)
		fprintf(stderr, "s_client stderr: %.2000s\n", r.err);
	cmd_free(&r);
	ASSERT_GT(dlab_log_count(off, "authenticated: device dev2"), 0,
		  "daemon authenticated s_client as dev2");
	ASSERT_EQ(dlab_log_events(off, DLAB_EV_REFUSED, LAB_DEV2_IP4, NULL), 0,
		  "no refusal of s_client");
	/* its connection is gone; the agent's session still holds the entry */
	dlab_sleep_ms(2000 + 1500);
	ASSERT_EQ(dlab_identity_count(dl.dev_id[2], LAB_DEV2_IP4), 1,
		  "dev2 entry survives the s_client session's grace");
	ASSERT_PROBE(echo_probe(2, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev2 still reaches srv");
}

static void subtest_restart(void)
{
	struct dlab_stream s = {};
	long off;

	if (!agent_bound(2))
		return;
	if (!ASSERT_OK(dlab_stream_start(&s, dl.dev[2], LAB_SRV_IP4,
					 STREAM_RESTART_PORT),
		       "dev2 stream flows"))
		goto out;
	dlab_sleep_ms(300);
	dlab_stream_gap_reset(&s);
	dlab_daemon_kill9();
	ASSERT_EQ(dlab_identity_count(dl.dev_id[2], LAB_DEV2_IP4), 1,
		  "dev2 entry stays while the daemon is dead");
	ASSERT_TRUE(stream_grows(&s, 1000), "stream flows with no daemon");
	off = dlab_log_offset();
	if (!ASSERT_TRUE(dlab_daemon_start(), "daemon restarts"))
		goto out;
	ASSERT_EQ(dlab_identity_count(dl.dev_id[2], LAB_DEV2_IP4), 1,
		  "reconcile keeps dev2's entry");
	if (!ASSERT_TRUE(dlab_session_wait("dev2", 20000),
			 "dev2's agent reconnects"))
		dlab_log_dump("no reconnect");
	ASSERT_GT(dlab_log_count(off, "authenticated: device dev2"), 0,
		  "dev2 handshake after restart");
	ASSERT_EQ(dlab_agent_wait(2, 0), -1, "dev2 agent kept running");
	ASSERT_TRUE(stream_grows(&s, 500), "stream flows after reconnect");
	if (env.verbose)
		fprintf(stderr,
			"restart: longest silence of the stream %ld ms\n",
			dlab_stream_gap_ms(&s));
	if (!ASSERT_LT(dlab_stream_gap_ms(&s), STALL_MS,
		       "stream never stalled across the restart"))
		dlab_log_dump("stall");
	ASSERT_PROBE(echo_probe(2, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev2 reaches srv after the restart");
out:
	dlab_stream_stop(&s);
}

void test_daemon(void)
{
	struct dlab_opts o = {.lease_s = 30,
			      .heartbeat_s = 2,
			      .grace_s = 2,
			      .conntrack = true};

	memset(&t, 0, sizeof(t));
	if (!dlab_up("dstory", &o))
		goto out;
	if (!ASSERT_OK(netns_echo_server_start(&t.echo, dl.srv, IPPROTO_TCP,
					       NULL, ECHO_PORT, 120),
		       "echo server in srv"))
		goto out;
	if (!dlab_daemon_start())
		goto out;

	if (test__start_subtest("story"))
		subtest_story();
	if (test__start_subtest("revoke_cuts_stream"))
		revoke_dev1();
	if (test__start_subtest("conntrack"))
		subtest_conntrack();
	if (test__start_subtest("openssl_client"))
		subtest_openssl_client();
	if (test__start_subtest("restart"))
		subtest_restart();
out:
	netns_server_stop(&t.echo);
	dlab_down();
}
