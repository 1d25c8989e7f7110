// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_e2e.c - the gate with real traffic: the lab of tools/lab.sh (a LAN
 * bridge with dev1, dev2, rogue and the gateway, and srv upstream), the
 * gate attached to gw's lan0 through tpctl, and TCP, UDP, ping and raw
 * tagged frames between the namespaces. Every drop asserted here is
 * silence (NETNS_NO_REPLY) plus the counter or event that names it; every
 * pass is an echo compared byte for byte.
 */
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bpf/gate.h"
#include "lib/gate.h"
#include "cmd.h"
#include "lab.h"
#include "netns.h"
#include "test_progs.h"

#define ECHO_PORT 7    /* TCP and UDP echo servers in srv */
#define BOOT_PORT 4433 /* the handshake port, bootstrap subtest */
#define PASS_MS 3000   /* a probe that should pass returns as soon as it does */
#define DROP_MS 1000   /* how long silence must last to count as a drop */
#define SERVER_LIFETIME_S 120 /* servers end on their own after this */
#define VLAN_ID 10
#define SVLAN_ID 100
#define NR_FRAMES 8 /* tagged frames per batch */

struct e2e {
	char gw[64], dev1[64], dev2[64], rogue[64], srv[64];
	char pin[128];	       /* the gate's bpffs dir, unique to this run */
	bool attached;	       /* lan0 carries the gate */
	bool dev1_v4, dev1_v6; /* dev1's identities are in the map */
	struct netns_server tcp_echo, udp_echo;
};

static struct e2e e;

static int tcp_echo(const char *ns, const char *src, const char *dst, int port,
		    int ms)
{
	char payload[128];

	snprintf(payload, sizeof(payload), "trustpoint e2e tcp from %s to %s",
		 ns, dst);
	return netns_tcp_echo(ns, src, dst, port, payload, ms);
}

static int udp_echo(const char *ns, const char *dst, int ms)
{
	char payload[128];

	snprintf(payload, sizeof(payload), "trustpoint e2e udp from %s to %s",
		 ns, dst);
	return netns_udp_echo(ns, NULL, dst, ECHO_PORT, payload, ms);
}

/* tpctl in gw with this run's pin dir; r must be freed. */
static int __attribute__((format(printf, 2, 3)))
gw_tpctl(struct cmd_result *r, const char *fmt, ...)
{
	char args[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return tpctl(r, e.gw, "-B %s %s", e.pin, args);
}

/* Run tpctl ARGS in gw, expect exit status 0. */
static bool __attribute__((format(printf, 1, 2))) gw_ok(const char *fmt, ...)
{
	struct cmd_result r;
	char args[4096];
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	gw_tpctl(&r, "%s", args);
	ok = ASSERT_EQ(r.status, 0, args);
	if (!ok)
		fprintf(stderr, "  stdout: %.300s\n  stderr: %.300s\n", r.out,
			r.err);
	cmd_free(&r);
	return ok;
}

/*
 * Every JSON value in s, one after the other (JSON lines or a single
 * document), as an array; NULL when s holds anything else.
 */
static json_object *parse_all(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *all = json_object_new_array();
	size_t len = strlen(s), off = 0;

	while (tok && all) {
		json_object *o;

		while (off < len && strchr(" \t\r\n", s[off]))
			off++;
		if (off == len)
			break;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, s + off, len - off);
		if (!o || json_tokener_get_error(tok) != json_tokener_success) {
			fprintf(stderr, "not JSON at %zu: '%.200s'\n", off,
				s + off);
			json_object_put(o);
			json_object_put(all);
			all = NULL;
			break;
		}
		json_object_array_add(all, o);
		off += json_tokener_get_parse_end(tok);
	}
	if (tok)
		json_tokener_free(tok);
	return all;
}

/* Run tpctl -j ARGS in gw, expect success and one JSON value. */
static json_object *__attribute__((format(printf, 1, 2)))
gw_json(const char *fmt, ...)
{
	json_object *all = NULL, *o = NULL;
	struct cmd_result r;
	char args[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	gw_tpctl(&r, "-j %s", args);
	if (ASSERT_EQ(r.status, 0, args))
		all = parse_all(r.out);
	else
		fprintf(stderr, "  stdout: %.300s\n  stderr: %.300s\n", r.out,
			r.err);
	if (all && json_object_array_length(all) == 1)
		o = json_object_get(json_object_array_get_idx(all, 0));
	ASSERT_OK_PTR(o, args);
	json_object_put(all);
	cmd_free(&r);
	return o;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* LLONG_MIN when missing or not an integer. */
static long long jint(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
						     : LLONG_MIN;
}

static int jlen(json_object *arr)
{
	return json_object_is_type(arr, json_type_array)
		       ? (int)json_object_array_length(arr)
		       : -1;
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Packets per verdict reason, from `stats show -j`. */
struct verdicts {
	long long packets[TP_REASON_MAX];
};

static bool stats_read(struct verdicts *v)
{
	json_object *o = gw_json("stats show");
	json_object *verdicts = jget(o, "verdicts");
	bool ok = true;

	if (!o)
		return false;
	for (int i = 0; i < TP_REASON_MAX; i++) {
		v->packets[i] =
			jint(jget(verdicts, gate_reason_name(i)), "packets");
		if (v->packets[i] == LLONG_MIN) {
			CHECK_FAIL_("stats show -j", "no packets for %s",
				    gate_reason_name(i));
			ok = false;
		}
	}
	json_object_put(o);
	return ok;
}

static long long delta(const struct verdicts *before,
		       const struct verdicts *after, enum tp_reason reason)
{
	return after->packets[reason] - before->packets[reason];
}

/* The drop events queued since the last call, as an array. */
static json_object *events_drain(void)
{
	json_object *all = NULL;
	struct cmd_result r;

	gw_tpctl(&r, "-j event tail");
	if (ASSERT_EQ(r.status, 0, "event tail -j"))
		all = parse_all(r.out);
	ASSERT_OK_PTR(all, "event tail -j output");
	cmd_free(&r);
	return all;
}

/* Is there an event with this reason, source MAC and saddr (and tags)? */
static bool event_seen(json_object *events, const char *reason,
		       const char *src_mac, const char *saddr, int vlan,
		       int svlan)
{
	for (int i = 0; i < jlen(events); i++) {
		json_object *ev = json_object_array_get_idx(events, i);

		if (streq(jstr(ev, "reason"), reason) &&
		    streq(jstr(ev, "src_mac"), src_mac) &&
		    streq(jstr(ev, "saddr"), saddr) &&
		    streq(jstr(ev, "ifname"), LAB_GW_LAN) &&
		    (vlan < 0 || jint(ev, "vlan") == vlan) &&
		    (svlan < 0 || jint(ev, "svlan") == svlan))
			return true;
	}
	fprintf(stderr,
		"  no %s event from %s %s (vlan %d svlan %d) in: %.600s\n",
		reason, src_mac, saddr, vlan, svlan,
		json_object_to_json_string(events));
	return false;
}

/* The entry of `identity list -j` for ip on lan0 in vlan; put it. */
static json_object *identity_find(const char *ip, int vlan)
{
	json_object *list = gw_json("identity list"), *found = NULL;

	for (int i = 0; i < jlen(list); i++) {
		json_object *id = json_object_array_get_idx(list, i);

		if (streq(jstr(id, "ip"), ip) &&
		    streq(jstr(id, "ifname"), LAB_GW_LAN) &&
		    jint(id, "vlan") == vlan) {
			found = json_object_get(id);
			break;
		}
	}
	json_object_put(list);
	return found;
}

static bool ensure_attached(void)
{
	if (!e.attached)
		e.attached = gw_ok("gate attach dev " LAB_GW_LAN);
	return e.attached;
}

/* dev1's untagged identities, v4 and v6, bound to its MAC as device 1. */
static bool bind_dev1(void)
{
	if (!e.dev1_v4)
		e.dev1_v4 =
			gw_ok("identity add dev " LAB_GW_LAN " ip " LAB_DEV1_IP4
			      " mac " LAB_DEV1_MAC " device 1");
	if (!e.dev1_v6)
		e.dev1_v6 =
			gw_ok("identity add dev " LAB_GW_LAN " ip " LAB_DEV1_IP6
			      " mac " LAB_DEV1_MAC " device 1");
	return e.dev1_v4 && e.dev1_v6;
}

static void subtest_attach(void)
{
	json_object *o = gw_json("gate attach dev " LAB_GW_LAN), *l;

	if (!o)
		return;
	e.attached = true;
	l = json_object_array_get_idx(o, 0);
	ASSERT_EQ(jlen(o), 1, "attach: one interface");
	ASSERT_STREQ(jstr(l, "ifname"), LAB_GW_LAN, "attach: ifname");
	ASSERT_STREQ(jstr(l, "mode"), "native", "attach: mode");
	ASSERT_GT(jint(l, "link_id"), 0, "attach: link_id");
	ASSERT_GT(jint(l, "prog_id"), 0, "attach: prog_id");
	json_object_put(o);
}

static void subtest_rogue_denied(void)
{
	struct verdicts before, after;
	struct cmd_result r;
	json_object *o;

	if (!ensure_attached())
		return;
	if (e.dev1_v4 || e.dev1_v6) {
		e.dev1_v4 = e.dev1_v6 = !gw_ok("identity flush");
	}
	o = gw_json("identity list");
	ASSERT_EQ(jlen(o), 0, "no identities");
	json_object_put(o);
	json_object_put(events_drain());
	if (!stats_read(&before))
		return;

	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, DROP_MS),
		     NETNS_NO_REPLY, "dev1->srv tcp");
	ASSERT_PROBE(udp_echo(e.dev1, LAB_SRV_IP4, DROP_MS), NETNS_NO_REPLY,
		     "dev1->srv udp");
	ASSERT_PROBE(netns_ping(e.dev1, NULL, LAB_SRV_IP4, DROP_MS),
		     NETNS_NO_REPLY, "dev1->srv ping");
	ASSERT_PROBE(netns_ping(e.dev1, NULL, LAB_SRV_IP6, DROP_MS),
		     NETNS_NO_REPLY, "dev1->srv ping6");

	if (!stats_read(&after))
		return;
	/* at least the SYN, the datagram and the echo request */
	ASSERT_GE(delta(&before, &after, TP_DROP_UNKNOWN), 3, "drop-unknown");
	ASSERT_EQ(delta(&before, &after, TP_PASS_IDENTITY), 0, "pass-identity");
	o = events_drain();
	ASSERT_TRUE(
		event_seen(o, "drop-unknown", LAB_DEV1_MAC, LAB_DEV1_IP4, 0, 0),
		"drop-unknown event from dev1");
	json_object_put(o);
	/* the bootstrap let ARP through: what stopped dev1 was the gate */
	cmd_run(&r, 5,
		"nsenter --net=/run/netns/%s ip neigh show " LAB_GW_LAN_IP4,
		e.dev1);
	ASSERT_HAS_SUBSTR(r.out, "lladdr " LAB_GW_LAN_MAC, "dev1 resolved gw");
	cmd_free(&r);
}

static void subtest_dev1_allowed(void)
{
	struct verdicts before, after;
	json_object *id;

	if (!ensure_attached() || !bind_dev1() || !stats_read(&before))
		return;
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp");
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP6, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp6");
	ASSERT_PROBE(udp_echo(e.dev1, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev1->srv udp");
	ASSERT_PROBE(netns_ping(e.dev1, NULL, LAB_SRV_IP4, PASS_MS), NETNS_OK,
		     "dev1->srv ping");
	ASSERT_PROBE(netns_ping(e.dev1, NULL, LAB_SRV_IP6, PASS_MS), NETNS_OK,
		     "dev1->srv ping6");
	ASSERT_PROBE(tcp_echo(e.rogue, NULL, LAB_SRV_IP4, ECHO_PORT, DROP_MS),
		     NETNS_NO_REPLY, "rogue->srv tcp");
	if (!stats_read(&after))
		return;
	ASSERT_GE(delta(&before, &after, TP_PASS_IDENTITY), 5, "pass-identity");
	ASSERT_GT(delta(&before, &after, TP_DROP_UNKNOWN), 0,
		  "drop-unknown (rogue)");

	id = identity_find(LAB_DEV1_IP4, 0);
	ASSERT_OK_PTR(id, "dev1's entry listed");
	ASSERT_STREQ(jstr(id, "mac"), LAB_DEV1_MAC, "entry mac");
	ASSERT_EQ(jint(id, "device"), 1, "entry device");
	ASSERT_GT(jint(id, "packets"), 0, "entry packets");
	json_object_put(id);
}

static void subtest_spoof(void)
{
	struct verdicts before, after;
	json_object *evs;

	if (!ensure_attached() || !bind_dev1())
		return;
	/* rogue keeps its own MAC and claims dev1's address as well */
	SYS(out,
	    "nsenter --net=/run/netns/%s ip addr add " LAB_DEV1_IP4
	    "/24 dev " LAB_NODE_IF,
	    e.rogue);
	json_object_put(events_drain());
	if (!stats_read(&before))
		goto out;
	ASSERT_PROBE(tcp_echo(e.rogue, LAB_DEV1_IP4, LAB_SRV_IP4, ECHO_PORT,
			      DROP_MS),
		     NETNS_NO_REPLY, "rogue as dev1 ->srv tcp");
	if (!stats_read(&after))
		goto out;
	ASSERT_GT(delta(&before, &after, TP_DROP_MAC_MISMATCH), 0,
		  "drop-mac-mismatch");
	ASSERT_EQ(delta(&before, &after, TP_PASS_IDENTITY), 0, "pass-identity");
	evs = events_drain();
	ASSERT_TRUE(event_seen(evs, "drop-mac-mismatch", LAB_ROGUE_MAC,
			       LAB_DEV1_IP4, 0, 0),
		    "drop-mac-mismatch event from rogue");
	json_object_put(evs);
out:
	SYS_NOFAIL("nsenter --net=/run/netns/%s ip addr del " LAB_DEV1_IP4
		   "/24 dev " LAB_NODE_IF,
		   e.rogue);
	/*
	 * rogue's ARP (sender dev1's address) may have taught gw the wrong
	 * MAC for dev1; that is ARP spoofing, not the gate's business here.
	 */
	SYS_NOFAIL("nsenter --net=/run/netns/%s ip neigh flush dev " LAB_GW_LAN,
		   e.gw);
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp after the spoof");
}

static void subtest_del_cuts_off(void)
{
	json_object *id;

	if (!ensure_attached() || !bind_dev1())
		return;
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp before del");
	if (!gw_ok("identity del dev " LAB_GW_LAN " ip " LAB_DEV1_IP4))
		return;
	e.dev1_v4 = false;
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, DROP_MS),
		     NETNS_NO_REPLY, "dev1->srv tcp after del");
	/* only that address: dev1's IPv6 identity still carries it */
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP6, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp6 after del of v4");
	id = identity_find(LAB_DEV1_IP4, 0);
	ASSERT_TRUE(!id, "deleted entry not listed");
	json_object_put(id);
}

static void subtest_detach_attach_keeps_entries(void)
{
	json_object *o, *id;

	if (!ensure_attached() || !bind_dev1())
		return;
	if (!gw_ok("gate detach dev " LAB_GW_LAN))
		return;
	e.attached = false;
	o = gw_json("gate show");
	ASSERT_EQ(jlen(o), 0, "no gate after detach");
	json_object_put(o);
	/* no gate, no enforcement: the detach really took it off */
	ASSERT_PROBE(tcp_echo(e.rogue, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		     NETNS_OK, "rogue->srv tcp while detached");
	if (!ASSERT_TRUE(ensure_attached(), "attach again"))
		return;
	id = identity_find(LAB_DEV1_IP4, 0);
	if (ASSERT_OK_PTR(id, "entry survives detach/attach")) {
		ASSERT_STREQ(jstr(id, "mac"), LAB_DEV1_MAC, "entry mac");
		ASSERT_EQ(jint(id, "device"), 1, "entry device");
	}
	json_object_put(id);
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp after re-attach");
	ASSERT_PROBE(tcp_echo(e.rogue, NULL, LAB_SRV_IP4, ECHO_PORT, DROP_MS),
		     NETNS_NO_REPLY, "rogue->srv tcp after re-attach");
}

static void subtest_pinned_link_outlives_tpctl(void)
{
	json_object *o, *l;
	struct cmd_result r;
	char pin[256];
	long long link_id, ifindex;

	if (!ensure_attached() || !bind_dev1())
		return;
	/* every tpctl above was its own process and has exited by now */
	o = gw_json("gate show");
	l = json_object_array_get_idx(o, 0);
	ASSERT_EQ(jlen(o), 1, "gate show: one interface");
	ASSERT_STREQ(jstr(l, "ifname"), LAB_GW_LAN, "gate show: ifname");
	link_id = jint(l, "link_id");
	ifindex = jint(l, "ifindex");
	json_object_put(o);
	if (!ASSERT_GT(link_id, 0, "gate show: link_id"))
		return;
	snprintf(pin, sizeof(pin), "%s/" TP_LINK_PIN_PREFIX "%lld", e.pin,
		 ifindex);
	ASSERT_OK(access(pin, F_OK), "link pinned");
	cmd_run(&r, 10, "bpftool link show id %lld", link_id);
	ASSERT_EQ(r.status, 0, "bpftool link show");
	ASSERT_HAS_SUBSTR(r.out, "xdp", "bpftool: an XDP link");
	cmd_free(&r);

	ASSERT_PROBE(tcp_echo(e.rogue, NULL, LAB_SRV_IP4, ECHO_PORT, DROP_MS),
		     NETNS_NO_REPLY, "rogue->srv tcp");
	ASSERT_PROBE(tcp_echo(e.dev1, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		     NETNS_OK, "dev1->srv tcp");
}

/* Send NR_FRAMES UDP frames from dev1 (its MAC and IP) with these tags. */
static bool send_tagged(uint16_t svlan, uint16_t vlan)
{
	static const char payload[] = "trustpoint e2e tagged";
	struct netns_frame f = {
		.dst_mac = LAB_GW_LAN_MAC_BYTES,
		.src_mac = LAB_DEV1_MAC_BYTES,
		.svlan = svlan,
		.vlan = vlan,
		.saddr = LAB_DEV1_IP4,
		.daddr = LAB_GW_LAN_IP4,
		.sport = 40000,
		.dport = 9,
		.payload = payload,
		.payload_len = sizeof(payload) - 1,
	};
	uint8_t frame[256];
	int len = netns_frame_udp4(frame, sizeof(frame), &f);

	if (!ASSERT_GT(len, 0, "build frame"))
		return false;
	if (!ASSERT_PROBE(netns_send_frame(e.dev1, LAB_NODE_IF, frame, len,
					   NR_FRAMES),
			  NETNS_OK, "send tagged frames"))
		return false;
	usleep(100 * 1000); /* the veth's NAPI runs the gate a moment later */
	return true;
}

static void subtest_vlan_tagged_frames(void)
{
	struct verdicts v0, v1, v2, v3;
	json_object *evs, *id;

	if (!ensure_attached())
		return;
	json_object_put(events_drain());

	/* vlan 10, nothing bound there (dev1 may be bound untagged) */
	if (!stats_read(&v0) || !send_tagged(0, VLAN_ID) || !stats_read(&v1))
		return;
	ASSERT_GE(delta(&v0, &v1, TP_DROP_UNKNOWN), NR_FRAMES,
		  "vlan 10 unbound: drop-unknown");
	ASSERT_LT(delta(&v0, &v1, TP_PASS_IDENTITY), NR_FRAMES,
		  "vlan 10 unbound: pass-identity");
	evs = events_drain();
	ASSERT_TRUE(event_seen(evs, "drop-unknown", LAB_DEV1_MAC, LAB_DEV1_IP4,
			       VLAN_ID, 0),
		    "drop-unknown event in vlan 10");
	json_object_put(evs);

	/* bound in vlan 10 */
	if (!gw_ok("identity add dev " LAB_GW_LAN " vlan %d ip " LAB_DEV1_IP4
		   " mac " LAB_DEV1_MAC " device 1",
		   VLAN_ID))
		return;
	if (!stats_read(&v1) || !send_tagged(0, VLAN_ID) || !stats_read(&v2))
		goto out;
	ASSERT_GE(delta(&v1, &v2, TP_PASS_IDENTITY), NR_FRAMES,
		  "vlan 10 bound: pass-identity");
	ASSERT_LT(delta(&v1, &v2, TP_DROP_UNKNOWN), NR_FRAMES,
		  "vlan 10 bound: drop-unknown");
	id = identity_find(LAB_DEV1_IP4, VLAN_ID);
	ASSERT_GE(jint(id, "packets"), NR_FRAMES, "vlan 10 entry packets");
	json_object_put(id);

	/* 802.1ad 100 + 802.1Q 10: the svlan is part of the key */
	if (!send_tagged(SVLAN_ID, VLAN_ID) || !stats_read(&v3))
		goto out;
	ASSERT_GE(delta(&v2, &v3, TP_DROP_UNKNOWN), NR_FRAMES,
		  "svlan 100 unbound: drop-unknown");
	ASSERT_LT(delta(&v2, &v3, TP_PASS_IDENTITY), NR_FRAMES,
		  "svlan 100 unbound: pass-identity");
	evs = events_drain();
	ASSERT_TRUE(event_seen(evs, "drop-unknown", LAB_DEV1_MAC, LAB_DEV1_IP4,
			       VLAN_ID, SVLAN_ID),
		    "drop-unknown event in svlan 100 vlan 10");
	json_object_put(evs);
out:
	gw_ok("identity del dev " LAB_GW_LAN " vlan %d ip " LAB_DEV1_IP4,
	      VLAN_ID);
}

static void subtest_bootstrap(void)
{
	struct netns_server boot = {0};
	struct verdicts before, after;
	json_object *o, *b;

	if (!ensure_attached())
		return;
	if (!ASSERT_OK(netns_echo_server_start(&boot, e.gw, IPPROTO_TCP,
					       LAB_GW_LAN_IP4, BOOT_PORT,
					       SERVER_LIFETIME_S),
		       "listener on gw:4433"))
		return;
	ASSERT_PROBE(
		tcp_echo(e.rogue, NULL, LAB_GW_LAN_IP4, BOOT_PORT, DROP_MS),
		NETNS_NO_REPLY, "rogue->gw:4433 before bootstrap add");
	if (!gw_ok("bootstrap add ip " LAB_GW_LAN_IP4 " proto tcp port %d",
		   BOOT_PORT))
		goto out;
	o = gw_json("bootstrap list");
	b = json_object_array_get_idx(o, 0);
	ASSERT_EQ(jlen(o), 1, "bootstrap list: one entry");
	ASSERT_STREQ(jstr(b, "ip"), LAB_GW_LAN_IP4, "bootstrap ip");
	ASSERT_STREQ(jstr(b, "proto"), "tcp", "bootstrap proto");
	ASSERT_EQ(jint(b, "port"), BOOT_PORT, "bootstrap port");
	json_object_put(o);

	if (!stats_read(&before))
		goto del;
	ASSERT_PROBE(
		tcp_echo(e.rogue, NULL, LAB_GW_LAN_IP4, BOOT_PORT, PASS_MS),
		NETNS_OK, "rogue->gw:4433");
	ASSERT_PROBE(tcp_echo(e.rogue, NULL, LAB_SRV_IP4, ECHO_PORT, DROP_MS),
		     NETNS_NO_REPLY, "rogue->srv tcp");
	if (stats_read(&after))
		ASSERT_GE(delta(&before, &after, TP_PASS_BOOTSTRAP), 3,
			  "pass-bootstrap (handshake, data, fin)");
del:
	if (gw_ok("bootstrap del ip " LAB_GW_LAN_IP4 " proto tcp port %d",
		  BOOT_PORT))
		ASSERT_PROBE(tcp_echo(e.rogue, NULL, LAB_GW_LAN_IP4, BOOT_PORT,
				      DROP_MS),
			     NETNS_NO_REPLY, "rogue->gw:4433 after del");
out:
	netns_server_stop(&boot);
}

void test_e2e(void)
{
	struct cmd_result r;

	memset(&e, 0, sizeof(e));
	LAB_NS(e.gw, LAB_GW);
	LAB_NS(e.dev1, LAB_DEV1);
	LAB_NS(e.dev2, LAB_DEV2);
	LAB_NS(e.rogue, LAB_ROGUE);
	LAB_NS(e.srv, LAB_SRV);
	snprintf(e.pin, sizeof(e.pin), "/sys/fs/bpf/tp-e2e-%s", env.suffix);

	SYS(out, "mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf");
	SYS(out, "%s/" LAB_SH " up %s", env.src_dir, env.suffix);
	if (!ASSERT_OK(netns_echo_server_start(&e.tcp_echo, e.srv, IPPROTO_TCP,
					       NULL, ECHO_PORT,
					       SERVER_LIFETIME_S),
		       "tcp echo server in srv") ||
	    !ASSERT_OK(netns_echo_server_start(&e.udp_echo, e.srv, IPPROTO_UDP,
					       NULL, ECHO_PORT,
					       SERVER_LIFETIME_S),
		       "udp echo server in srv"))
		goto out;
	/* without the gate everything flows; else no drop below means a thing
	 */
	if (!ASSERT_PROBE(
		    tcp_echo(e.rogue, NULL, LAB_SRV_IP4, ECHO_PORT, PASS_MS),
		    NETNS_OK, "lab: rogue->srv tcp, no gate") ||
	    !ASSERT_PROBE(netns_ping(e.dev2, NULL, LAB_SRV_IP6, PASS_MS),
			  NETNS_OK, "lab: dev2->srv ping6, no gate"))
		goto out;

	if (test__start_subtest("attach"))
		subtest_attach();
	if (test__start_subtest("rogue_denied"))
		subtest_rogue_denied();
	if (test__start_subtest("dev1_allowed"))
		subtest_dev1_allowed();
	if (test__start_subtest("spoof"))
		subtest_spoof();
	if (test__start_subtest("del_cuts_off"))
		subtest_del_cuts_off();
	if (test__start_subtest("detach_attach_keeps_entries"))
		subtest_detach_attach_keeps_entries();
	if (test__start_subtest("pinned_link_outlives_tpctl"))
		subtest_pinned_link_outlives_tpctl();
	if (test__start_subtest("vlan_tagged_frames"))
		subtest_vlan_tagged_frames();
	if (test__start_subtest("bootstrap"))
		subtest_bootstrap();
out:
	/* always, whatever failed: no gate, no pins, no servers, no lab */
	tpctl(&r, e.gw, "-B %s gate detach all", e.pin);
	cmd_free(&r);
	SYS_NOFAIL("rm -rf %s", e.pin);
	netns_server_stop(&e.udp_echo);
	netns_server_stop(&e.tcp_echo);
	SYS_NOFAIL("%s/" LAB_SH " down %s", env.src_dir, env.suffix);
}
