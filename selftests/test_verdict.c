// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_verdict.c - the XDP gate's verdict tables, run through
 * BPF_PROG_TEST_RUN: a table of crafted frames with the XDP action and
 * the one reason counter each must produce, then frames cut at every
 * byte of their header stack, garbage, a jumbo frame, the per-device
 * counters, the drop events and their per-source token bucket.
 *
 * Every frame is checked the same way: the action, exactly one reason
 * counter grown by one packet and the frame's bytes, the bound device's
 * counters grown only for pass-identity, and for every drop exactly one
 * step of the event path (emitted, suppressed or ring full).
 */
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/gate.h"
#include "selftests/pkt.h"
#include "selftests/test_progs.h"

#include "selftests/verdict_cases.h"

/* longer than a clock tick at any HZ the kernel allows (>= 100) */
#define TICK_WAIT_US 20000

static struct {
	int prog_fd;
	int ifindex;
	struct tp_gate *g;
	struct gate_events *ev;
	struct tp_event evs[EV_CAP];
	int nev;
} T;

struct snap {
	struct tp_counter v[TP_REASON_MAX];
	__u64 ev[TP_EV_MAX];
	struct tp_counter dev[NDEV + 1];
};

static int on_event(const struct tp_event *e, void *ctx)
{
	(void)ctx;
	if (T.nev < EV_CAP)
		T.evs[T.nev++] = *e;
	return 0;
}

/* Keep the ring empty, so "ring full" never stands in for an event. */
static void drain_events(void)
{
	while (gate_events_poll(T.ev, 0) > 0)
		;
}

static int snap_take(struct snap *s)
{
	__u64 d;
	int err;

	memset(s, 0, sizeof(*s));
	err = gate_verdicts(T.g, s->v);
	if (!err)
		err = gate_evstats(T.g, s->ev);
	for (d = 1; !err && d <= NDEV; d++) {
		err = gate_device_stats(T.g, d, &s->dev[d]);
		if (err == -ENOENT)
			err = 0;
	}
	return err;
}

/* Run a frame; *linear (may be NULL): the part seen in the first buffer. */
static int run_frame(const __u8 *buf, size_t len, __u32 *retval, __u32 *linear)
{
	struct xdp_md in = {.data_end = len, .ingress_ifindex = T.ifindex};
	struct xdp_md out = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = len,
		    .ctx_in = &in, .ctx_size_in = sizeof(in), .ctx_out = &out,
		    .ctx_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(T.prog_fd, &o))
		return -errno;
	*retval = o.retval;
	if (linear)
		*linear = out.data_end - out.data;
	return 0;
}

/* Reasons whose counter moved, as text, for the failure message. */
static void grown_reasons(const struct snap *a, const struct snap *b, char *out,
			  size_t len)
{
	size_t n = 0;
	int r;

	out[0] = 0;
	for (r = 0; r < TP_REASON_MAX && n < len; r++)
		if (b->v[r].packets != a->v[r].packets)
			n += snprintf(out + n, len - n, "%s%s+%llu",
				      n ? "," : "", gate_reason_name(r),
				      (unsigned long long)(b->v[r].packets -
							   a->v[r].packets));
	if (!n)
		snprintf(out, len, "none");
}

/*
 * Run one frame and check everything it must change, and nothing else.
 * Returns false (and fails the subtest) on any difference; a frame
 * shorter than Ethernet that the kernel refuses to run is noted, not
 * failed: the gate never sees it.
 */
static bool check_frame(const char *what, const __u8 *buf, size_t len,
			__u32 act, __u32 reason, __u64 dev)
{
	struct snap a, b;
	__u64 evsum = 0;
	__u32 retval = ~0U;
	char grown[256];
	bool ok = true;
	int err, r, d, got = -1;

	if (snap_take(&a))
		goto fail_snap;
	err = run_frame(buf, len, &retval, NULL);
	if (err == -EINVAL && len < ETH_HLEN_) {
		if (env.verbose)
			fprintf(stderr,
				"    %s: the kernel refuses %zu bytes\n", what,
				len);
		return true;
	}
	if (err) {
		fprintf(stderr, "%s: FAIL: test_run on %zu bytes: %d\n", what,
			len, err);
		test__fail();
		return false;
	}
	drain_events();
	if (snap_take(&b))
		goto fail_snap;

	for (r = 0; r < TP_REASON_MAX; r++) {
		__u64 dp = b.v[r].packets - a.v[r].packets;
		__u64 db = b.v[r].bytes - a.v[r].bytes;

		if (!dp && !db)
			continue;
		if (got >= 0 || dp != 1 || db != len)
			ok = false;
		got = r;
	}
	if (reason == ANY_DROP ? got < TP_REASON_DROP_FIRST
			       : got != (int)reason)
		ok = false;
	if (retval != act || !ok) {
		grown_reasons(&a, &b, grown, sizeof(grown));
		fprintf(stderr,
			"%s: FAIL: %zu bytes: expected %s %s, got %s %s (bytes counted %llu)\n",
			what, len, act == XDP_PASS ? "XDP_PASS" : "XDP_DROP",
			reason == ANY_DROP ? "any drop reason"
					   : gate_reason_name(reason),
			retval == XDP_PASS   ? "XDP_PASS"
			: retval == XDP_DROP ? "XDP_DROP"
					     : "other",
			grown,
			got >= 0 ? (unsigned long long)(b.v[got].bytes -
							a.v[got].bytes)
				 : 0ULL);
		ok = false;
	}
	for (d = 1; d <= NDEV; d++) {
		__u64 dp = b.dev[d].packets - a.dev[d].packets;
		__u64 db = b.dev[d].bytes - a.dev[d].bytes;

		if (dp != ((__u64)d == dev) ||
		    db != ((__u64)d == dev ? len : 0)) {
			fprintf(stderr,
				"%s: FAIL: device %d counters +%llu packets +%llu bytes, expected +%d +%zu\n",
				what, d, (unsigned long long)dp,
				(unsigned long long)db, (__u64)d == dev,
				(__u64)d == dev ? len : 0);
			ok = false;
		}
	}
	for (r = 0; r < TP_EV_MAX; r++)
		evsum += b.ev[r] - a.ev[r];
	if (evsum != (act == XDP_DROP)) {
		fprintf(stderr,
			"%s: FAIL: event path counted %llu times, expected %d\n",
			what, (unsigned long long)evsum, act == XDP_DROP);
		ok = false;
	}
	if (!ok) {
		pkt_hexdump(stderr, buf, len < 128 ? len : 128);
		test__fail();
	}
	return ok;
fail_snap:
	fprintf(stderr, "%s: FAIL: reading the gate's counters\n", what);
	test__fail();
	return false;
}

static int add_identity(const struct ident *id, __u64 now)
{
	bool v6 = strchr(id->ip, ':');
	struct tp_identity_key k = {
		.ifindex = T.ifindex,
		.vlan = id->vlan,
		.svlan = id->svlan,
		.family = v6 ? TP_AF_INET6 : TP_AF_INET,
	};
	struct tp_identity v = {
		.device_id = id->dev,
		/* a tick-grained lease clock: run out a second ago */
		.expires_ns =
			id->expired ? now - 1000000000ULL : now + LEASE_NS,
		.mac = PKT_MAC(id->mac),
	};

	if (inet_pton(v6 ? AF_INET6 : AF_INET, id->ip, k.addr) != 1)
		return -EINVAL;
	return gate_identity_add(T.g, &k, &v);
}

static int add_bootstrap(const char *ip, __u8 proto, __u16 port)
{
	bool v6 = strchr(ip, ':');
	struct tp_bootstrap_key k = {
		.family = v6 ? TP_AF_INET6 : TP_AF_INET,
		.proto = proto,
		.port = port,
	};

	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, k.addr) != 1)
		return -EINVAL;
	return gate_bootstrap_add(T.g, &k);
}

static bool setup_maps(void)
{
	__u64 now = gate_now_ns();
	size_t i;

	for (i = 0; i < sizeof(idents) / sizeof(idents[0]); i++)
		if (!ASSERT_OK(add_identity(&idents[i], now), idents[i].ip))
			return false;
	return ASSERT_OK(add_bootstrap(GW4, IPPROTO_TCP, BS_TCP),
			 "bootstrap tcp4") &&
	       ASSERT_OK(add_bootstrap(GW4, IPPROTO_UDP, BS_UDP),
			 "bootstrap udp4") &&
	       ASSERT_OK(add_bootstrap(GW6, IPPROTO_TCP, BS_TCP),
			 "bootstrap tcp6") &&
	       ASSERT_OK(add_bootstrap(GW6, IPPROTO_UDP, BS_UDP),
			 "bootstrap udp6");
}

static void run_table(void)
{
	__u8 buf[4096];
	size_t i;
	int len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];

		if (!test__start_subtest(c->name))
			continue;
		len = pkt_build(&c->s, buf, sizeof(buf), NULL);
		if (!ASSERT_GT(len, 0, "pkt_build"))
			continue;
		check_frame(c->name, buf, len, c->act, c->reason, c->dev);
	}
}

/*
 * Cut a good frame at every byte. Raw cuts leave the IP length field
 * pointing past the end; "fitted" cuts rewrite it to match, so only the
 * header checks themselves stand between a cut header and the stack. A
 * fitted cut at or past the end of the header stack is a good frame.
 */
static void run_cuts(const char *name, const struct pkt_spec *s, __u64 dev)
{
	__u8 full[512], buf[512];
	struct pkt_layout lay;
	char what[128];
	int len, p, fails = 0;

	if (!test__start_subtest(name))
		return;
	len = pkt_build(s, full, sizeof(full), &lay);
	if (!ASSERT_GT(len, 0, "pkt_build"))
		return;
	/* below ETH_HLEN the kernel refuses to run: see frame_0_to_13_bytes */
	for (p = ETH_HLEN_; p < len && fails < 8; p++) {
		memcpy(buf, full, p);
		snprintf(what, sizeof(what), "%s/raw_%d", name, p);
		fails += !check_frame(what, buf, p, XDP_DROP, TP_DROP_MALFORMED,
				      0);
		if (s->l3 != PKT_L3_IPV4 && s->l3 != PKT_L3_IPV6)
			continue;
		pkt_fit_ip_len(buf, p, &lay, s->l3 == PKT_L3_IPV6);
		snprintf(what, sizeof(what), "%s/fitted_%d", name, p);
		if ((size_t)p < lay.hdr_end)
			fails += !check_frame(what, buf, p, XDP_DROP,
					      TP_DROP_MALFORMED, 0);
		else
			fails += !check_frame(what, buf, p, XDP_PASS,
					      TP_PASS_IDENTITY, dev);
	}
}

/* clang-format off */
static const struct cut_case {
	const char *name;
	struct pkt_spec s;
	__u64 dev;
} cuts[] = {
	{ "cut_ipv4_tcp", { B4, TCP(443), .payload = 8 }, 1 },
	{ "cut_ipv4_options_udp", { B4, UDP(40000, 53), .opt_len = 12, .payload = 4 }, 1 },
	{ "cut_vlan_ipv6_udp", { IP6(0x21, D2_6, UP6), TAG1(10), UDP(40000, 53), .payload = 8 }, 2 },
	{ "cut_qinq_ipv6_ext_tcp", { IP6(0x31, D3_6, UP6), TAG2(100, 10), TCP(443),
	  .tcp_opt_len = 12, .nr_ext = 3, .ext = { X(0), { .type = 43, .len = 1 }, X(60) } }, 3 },
	{ "cut_ipv6_fragment_tcp", { B6, TCP(443), .payload = 8, .nr_ext = 1,
	  .ext = { FRAG6(0, true) } }, 1 },
	{ "cut_vlan_arp", { ARP66, TAG1(10) }, 0 },
};
/* clang-format on */

/*
 * Random frames whose ethertypes are never ARP: none may pass. Half are
 * short so the parsers' length checks are hit more often than not.
 */
static void run_garbage(void)
{
	__u64 seed = 0x7470766572646963ULL; /* fixed: "tpverdic" */
	__u8 buf[1514];
	char what[64];
	int i, fails = 0;
	size_t len;

	if (!test__start_subtest("random_garbage_1000"))
		return;
	for (i = 0; i < 1000 && fails < 8; i++) {
		len = pkt_garbage(buf, i & 1 ? 114 : sizeof(buf), &seed);
		snprintf(what, sizeof(what), "garbage_%d", i);
		fails += !check_frame(what, buf, len, XDP_DROP, ANY_DROP, 0);
	}
}

/* Frames shorter than Ethernet, as far as the kernel runs them at all. */
static void run_short_frames(void)
{
	static const __u8 zero[ETH_HLEN_];
	size_t len;

	if (!test__start_subtest("frame_0_to_13_bytes"))
		return;
	for (len = 0; len < ETH_HLEN_; len++)
		check_frame("short_frame", zero, len, XDP_DROP,
			    TP_DROP_MALFORMED, 0);
}

static int build_udp4(__u8 *buf, size_t cap, int len)
{
	const struct pkt_spec s = {B4, UDP(40000, 9), .payload = len - 42};

	return pkt_build(&s, buf, cap, NULL);
}

/*
 * Jumbo frames from a bound source pass. BPF_PROG_TEST_RUN puts what
 * exceeds one page (minus XDP headroom and skb_shared_info) into frags,
 * even for a program without BPF_F_XDP_HAS_FRAGS: the largest frame in
 * one buffer is learnt from ctx_out and must pass; so must 9000 bytes in
 * several buffers, the way a frags-aware native driver delivers them.
 */
static void run_jumbo(void)
{
	static __u8 buf[128 * 1024];
	int lo = 60, hi = sizeof(buf), mid, len;
	__u32 linear = 0, retval;

	if (test__start_subtest("jumbo_single_buffer")) {
		len = build_udp4(buf, sizeof(buf), 9000);
		if (!ASSERT_OK(run_frame(buf, len, &retval, &linear),
			       "test_run 9000 bytes"))
			return;
		while (lo < hi) {
			mid = (lo + hi + 1) / 2;
			len = build_udp4(buf, sizeof(buf), mid);
			if (len == mid && !run_frame(buf, len, &retval, NULL))
				lo = mid;
			else
				hi = mid - 1;
		}
		fprintf(stderr,
			"    BPF_PROG_TEST_RUN here: one buffer holds %u bytes, frames up to %d bytes run (multi-buffer)\n",
			linear, lo);
		len = build_udp4(buf, sizeof(buf), linear);
		check_frame("jumbo_single_buffer", buf, len, XDP_PASS,
			    TP_PASS_IDENTITY, 1);
	}
	if (test__start_subtest("jumbo_9000_multi_buffer")) {
		len = build_udp4(buf, sizeof(buf), 9000);
		if (ASSERT_EQ(len, 9000, "pkt_build"))
			check_frame("jumbo_9000", buf, len, XDP_PASS,
				    TP_PASS_IDENTITY, 1);
	}
}

/* The bound device's counters add up the frames it passed, and only those. */
static void run_device_counters(void)
{
	const struct pkt_spec s4 = {IP4(0x21, D2_4, UP4), TAG1(10),
				    UDP(40000, 9)};
	const struct pkt_spec s6 = {IP6(0x21, D2_6, UP6), TAG1(10),
				    UDP(40000, 9)};
	const struct pkt_spec bad = {IP4(0x22, D2_4, UP4), TAG1(10),
				     UDP(40000, 9)};
	static const int payloads[] = {0, 200, 1400};
	struct tp_counter a, b;
	struct pkt_spec s;
	__u64 bytes = 0;
	__u8 buf[1600];
	size_t i;
	int len;

	if (!test__start_subtest("device_counters"))
		return;
	if (!ASSERT_OK(gate_device_stats(T.g, 2, &a), "gate_device_stats"))
		return;
	for (i = 0; i < 2 * sizeof(payloads) / sizeof(payloads[0]); i++) {
		s = i & 1 ? s6 : s4;
		s.payload = payloads[i / 2];
		len = pkt_build(&s, buf, sizeof(buf), NULL);
		if (!ASSERT_GT(len, 0, "pkt_build"))
			return;
		check_frame("device_counters", buf, len, XDP_PASS,
			    TP_PASS_IDENTITY, 2);
		bytes += len;
	}
	len = pkt_build(&bad, buf, sizeof(buf), NULL);
	check_frame("device_counters_drop", buf, len, XDP_DROP,
		    TP_DROP_MAC_MISMATCH, 0);
	if (!ASSERT_OK(gate_device_stats(T.g, 2, &b), "gate_device_stats"))
		return;
	ASSERT_EQ(b.packets - a.packets, 6, "device 2 packets");
	ASSERT_EQ(b.bytes - a.bytes, bytes, "device 2 bytes");
}

static int count_events_from(const char *ip)
{
	__u8 addr[16] = {0};
	int i, n = 0;

	inet_pton(strchr(ip, ':') ? AF_INET6 : AF_INET, ip, addr);
	for (i = 0; i < T.nev; i++)
		n += !memcmp(T.evs[i].saddr, addr, 16);
	return n;
}

/* The one event a drop of s produced carries what the frame said. */
static void check_event(const char *what, const struct pkt_spec *s,
			__u32 reason)
{
	bool v6 = s->l3 == PKT_L3_IPV6, ip = v6 || s->l3 == PKT_L3_IPV4;
	__u8 sa[16] = {0}, da[16] = {0}, buf[512];
	const struct tp_event *e = T.evs;
	__u64 t0, t1;
	int len;

	len = pkt_build(s, buf, sizeof(buf), NULL);
	if (ip) {
		inet_pton(v6 ? AF_INET6 : AF_INET, s->src, sa);
		inet_pton(v6 ? AF_INET6 : AF_INET, s->dst, da);
	}
	usleep(TICK_WAIT_US); /* a fresh per-tick event budget */
	T.nev = 0;
	t0 = gate_now_ns();
	if (!check_frame(what, buf, len, XDP_DROP, reason, 0))
		return;
	t1 = gate_now_ns();
	if (!ASSERT_EQ(T.nev, 1, "events"))
		return;
	ASSERT_EQ(e->reason, reason, "reason");
	/* the gate's clock is CLOCK_BOOTTIME as of its CPU's last tick */
	ASSERT_TRUE(e->ts_ns + TICK_WAIT_US * 1000ULL >= t0 && e->ts_ns <= t1,
		    "ts_ns");
	ASSERT_EQ(e->ifindex, T.ifindex, "ifindex");
	ASSERT_EQ(e->len, len, "len");
	ASSERT_EQ(e->vlan, s->nr_vlan ? s->vlan[s->nr_vlan - 1].tci & 0xfff : 0,
		  "vlan");
	ASSERT_EQ(e->svlan, s->nr_vlan == 2 ? s->vlan[0].tci & 0xfff : 0,
		  "svlan");
	ASSERT_EQ(e->ethertype,
		  s->ethertype
			  ?: v6 ? 0x86dd
				: 0x0800,
		  "ethertype");
	ASSERT_EQ(e->family, !ip ? 0 : v6 ? TP_AF_INET6 : TP_AF_INET, "family");
	ASSERT_EQ(e->l4proto, s->proto, "l4proto");
	ASSERT_EQ(e->sport, s->sport, "sport");
	ASSERT_EQ(e->dport, s->dport, "dport");
	ASSERT_OK(memcmp(e->src_mac, s->smac, 6), "src_mac");
	ASSERT_OK(memcmp(e->dst_mac, s->dmac, 6), "dst_mac");
	ASSERT_OK(memcmp(e->saddr, sa, 16), "saddr");
	ASSERT_OK(memcmp(e->daddr, da, 16), "daddr");
}

static void run_events(void)
{
	const struct pkt_spec unk4 = {IP4(0x77, "192.0.2.77", UP4), TCP(443)};
	const struct pkt_spec unk6 = {IP6(0x78, "2001:db8:1::78", UP6),
				      TAG2(100, 10), UDP(5353, 53),
				      .payload = 20};
	const struct pkt_spec mac = {IP4(0x52, D5_4, UP4), UDP(1, 2)};
	const struct pkt_spec exp6 = {IP6(0x41, D4_6, UP6), TCP(22)};
	const struct pkt_spec lldp = {.dmac = {0x01, 0x80, 0xc2, 0, 0, 0x0e},
				      .smac = PKT_MAC(0x79),
				      TAG1(7),
				      .ethertype = 0x88cc,
				      .payload = 46};

	if (!test__start_subtest("drop_events"))
		return;
	drain_events();
	check_event("event_unknown4", &unk4, TP_DROP_UNKNOWN);
	check_event("event_unknown6_qinq", &unk6, TP_DROP_UNKNOWN);
	check_event("event_mac_mismatch", &mac, TP_DROP_MAC_MISMATCH);
	check_event("event_expired6", &exp6, TP_DROP_EXPIRED);
	check_event("event_lldp", &lldp, TP_DROP_ETHERTYPE);
}

/*
 * 100 drops from one source: the bucket lets the burst through and
 * suppresses the rest (rate 1/s adds at most a token per second run);
 * another source still gets its events.
 */
static void run_token_bucket(void)
{
	const struct pkt_spec flood = {IP4(0x88, "192.0.2.88", UP4), TCP(443)};
	const struct pkt_spec other = {IP4(0x89, "192.0.2.89", UP4), TCP(443)};
	const struct pkt_spec mac1 = {L2(0x90), .ethertype = 0x88cc,
				      .payload = 46};
	const struct pkt_spec mac2 = {L2(0x91), .ethertype = 0x88cc,
				      .payload = 46};
	__u64 t0, secs, sup;
	struct snap a, b;
	__u8 buf[256];
	int i, len, n;

	if (!test__start_subtest("event_token_bucket"))
		return;
	drain_events();
	T.nev = 0;
	if (!ASSERT_OK(snap_take(&a), "snap"))
		return;
	t0 = gate_now_ns();
	len = pkt_build(&flood, buf, sizeof(buf), NULL);
	for (i = 0; i < 100; i++)
		if (!check_frame("flood", buf, len, XDP_DROP, TP_DROP_UNKNOWN,
				 0))
			return;
	secs = (gate_now_ns() - t0) / 1000000000ULL + 1;
	if (!ASSERT_OK(snap_take(&b), "snap"))
		return;
	n = count_events_from("192.0.2.88");
	sup = b.ev[TP_EV_SUPPRESSED] - a.ev[TP_EV_SUPPRESSED];
	ASSERT_GE(n, EV_BURST, "events from the flooding source");
	ASSERT_LE(n, EV_BURST + secs * EV_RATE,
		  "events from the flooding source");
	ASSERT_EQ(b.ev[TP_EV_EMITTED] - a.ev[TP_EV_EMITTED], n, "emitted");
	ASSERT_EQ(sup, 100 - n, "suppressed");
	ASSERT_EQ(b.ev[TP_EV_RINGBUF_FULL] - a.ev[TP_EV_RINGBUF_FULL], 0,
		  "ringbuf_full");

	/*
	 * A CPU tries at most TP_EV_PER_TICK events per tick, whatever their
	 * source: the flood spent this tick's, so wait for the next one.
	 */
	usleep(TICK_WAIT_US);
	len = pkt_build(&other, buf, sizeof(buf), NULL);
	for (i = 0; i < 3; i++)
		check_frame("other_source", buf, len, XDP_DROP, TP_DROP_UNKNOWN,
			    0);
	ASSERT_EQ(count_events_from("192.0.2.89"), 3,
		  "events from another source");

	/* frames without an IP source are limited per source MAC */
	usleep(TICK_WAIT_US);
	T.nev = 0;
	len = pkt_build(&mac1, buf, sizeof(buf), NULL);
	for (i = 0; i < 30; i++)
		check_frame("lldp_flood", buf, len, XDP_DROP, TP_DROP_ETHERTYPE,
			    0);
	n = T.nev;
	ASSERT_GE(n, EV_BURST, "events from the flooding MAC");
	ASSERT_LE(n, EV_BURST + secs * EV_RATE + 1,
		  "events from the flooding MAC");
	usleep(TICK_WAIT_US);
	len = pkt_build(&mac2, buf, sizeof(buf), NULL);
	for (i = 0; i < 3; i++)
		check_frame("lldp_other_mac", buf, len, XDP_DROP,
			    TP_DROP_ETHERTYPE, 0);
	ASSERT_EQ(T.nev - n, 3, "events from another MAC");
}

/*
 * A bounded drain takes what it was given room for and leaves the rest,
 * in order, for the next call: nothing lost, nothing twice.
 */
static void run_consume_budget(void)
{
	char src[6][16];
	__u8 buf[256];
	__u32 retval;
	int i, len, n;

	if (!test__start_subtest("events_consume_budget"))
		return;
	drain_events();
	usleep(TICK_WAIT_US); /* within one tick's TP_EV_PER_TICK */
	T.nev = 0;
	for (i = 0; i < 6; i++) {
		struct pkt_spec s = {IP4(0x60 + i, src[i], UP4), TCP(443)};

		snprintf(src[i], sizeof(src[i]), "192.0.2.%d", 60 + i);
		len = pkt_build(&s, buf, sizeof(buf), NULL);
		if (!ASSERT_OK(run_frame(buf, len, &retval, NULL),
			       "test_run") ||
		    !ASSERT_EQ(retval, XDP_DROP, "dropped"))
			return;
	}
	ASSERT_EQ(T.nev, 0, "nothing handled before the drain");
	n = gate_events_consume(T.ev, 4);
	ASSERT_EQ(n, 4, "the first call handles its budget");
	ASSERT_EQ(T.nev, 4, "and no more");
	n = gate_events_consume(T.ev, 4);
	ASSERT_EQ(n, 2, "the second call the rest");
	ASSERT_EQ(gate_events_consume(T.ev, 4), 0, "then the ring is empty");
	if (!ASSERT_EQ(T.nev, 6, "six events"))
		return;
	for (i = 0; i < 6; i++) {
		__u8 a[16] = {0};

		inet_pton(AF_INET, src[i], a);
		ASSERT_OK(memcmp(T.evs[i].saddr, a, 16), "in order, each once");
	}
}

void test_verdict(void)
{
	struct gate_opts o = {.event_rate = EV_RATE, .event_burst = EV_BURST};
	struct gate_bpf *skel = NULL;
	char dir[128];
	size_t i;

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/tp-verdict-%s", env.suffix);
	T.ifindex = if_nametoindex("lo");
	if (!ASSERT_GT(T.ifindex, 0, "if_nametoindex(lo)"))
		return;
	if (!ASSERT_OK(gate_bpffs_prepare(dir), "gate_bpffs_prepare") ||
	    !ASSERT_OK(gate_load(dir, &o, &skel), "gate_load") ||
	    !ASSERT_OK(gate_open(dir, &T.g), "gate_open") ||
	    !ASSERT_OK(gate_events_open(T.g, on_event, NULL, &T.ev),
		       "gate_events_open") ||
	    !setup_maps())
		goto out;
	T.prog_fd = gate_prog_fd(skel);

	run_table();
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		run_cuts(cuts[i].name, &cuts[i].s, cuts[i].dev);
	run_short_frames();
	run_garbage();
	run_jumbo();
	run_device_counters();
	run_events();
	run_token_bucket();
	run_consume_budget();
out:
	gate_events_close(T.ev);
	gate_close(T.g);
	gate_unload(skel);
	SYS_NOFAIL("rm -rf '%s'", dir);
}
