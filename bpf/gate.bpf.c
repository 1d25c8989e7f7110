// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate.bpf.c - the XDP identity gate on a LAN interface.
 *
 * A frame passes when its (ifindex, VLAN, source address) is bound to a
 * device whose lease is running and whose bound MAC is the frame's source
 * MAC, or when it is bootstrap traffic a device needs to reach the
 * handshake (ARP, IPv6 ND, DHCP, listed endpoints). Everything else,
 * including any frame the parser cannot fully read, is dropped.
 *
 * The authorized case costs one hash lookup to decide; counting adds one
 * per-CPU array and one per-CPU hash access.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bpf/gate.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

const volatile __u32 tp_event_rate = TP_EVENT_RATE_DEFAULT;
const volatile __u32 tp_event_burst = TP_EVENT_BURST_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_IDENTITY_MAX_DEFAULT);
	__type(key, struct tp_identity_key);
	__type(value, struct tp_identity);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_identity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_DEVICES_MAX);
	__type(key, __u32);
	__type(value, struct tp_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_dev_stats SEC(".maps");

/* Which device holds each tp_dev_stats slot; written by the library only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_DEVICES_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_dev_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_BOOTSTRAP_MAX);
	__type(key, struct tp_bootstrap_key);
	__type(value, struct tp_bootstrap);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_bootstrap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_BOOTSTRAP_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_bootstrap_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_REASON_MAX);
	__type(key, __u32);
	__type(value, struct tp_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_evstats SEC(".maps");

/*
 * The boot-time clock as of the last jiffy seen on this CPU. Reading
 * CLOCK_BOOTTIME costs more than the rest of the authorized path, and a
 * lease needs no finer grain than a tick; jiffies are nearly free to read.
 * Private to the program: not pinned.
 */
struct tp_clock {
	__u64 jiffies;
	__u64 boot_ns;
	__u32 ev_budget; /* drop events this CPU may still try this tick */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tp_clock);
} tp_clock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TP_EVENTS_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TP_EVLIMIT_MAX);
	__type(key, struct tp_evlimit_key);
	__type(value, struct tp_evlimit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_evlimit SEC(".maps");

/* What the parser learnt about one frame. */
struct pkt {
	struct tp_identity_key key; /* ifindex, VLANs, family, source */
	__u8 daddr[16];
	__u16 ethertype;
	__u16 sport, dport;
	__u8 l4proto;
	__u8 icmp_type;
	__u8 hop_limit;
	__u8 fragment;	     /* part of a fragmented datagram */
	__u8 later_fragment; /* no L4 header in this frame */
	__u8 routed; /* IPv6 routing header: the real destination is elsewhere
		      */
	__u8 icmp_code;
};

#define IPV6_EXT_HOPOPTS 0
#define IPV6_EXT_ROUTING 43
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_DSTOPTS 60

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 identification;
};

/*
 * The L4 header must be complete in every frame that carries one: a frame
 * whose TCP header is cut short (a tiny first fragment) is dropped. lim is
 * where the datagram ends (before any Ethernet padding); end is data_end,
 * checked too because only that convinces the verifier.
 */
static __always_inline bool l4_short(void *hdr_end, void *end, void *lim)
{
	return hdr_end > end || hdr_end > lim;
}

static __always_inline int parse_l4(void *l4, void *end, void *lim,
				    struct pkt *p)
{
	switch (p->l4proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if (l4_short(th + 1, end, lim) || th->doff < 5 ||
		    l4_short(l4 + th->doff * 4, end, lim))
			return -1;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		return 0;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if (l4_short(uh + 1, end, lim))
			return -1;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		return 0;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		struct icmphdr *ih = l4;

		if (l4_short(ih + 1, end, lim))
			return -1;
		p->icmp_type = ih->type;
		p->icmp_code = ih->code;
		return 0;
	}
	}
	return 0;
}

/*
 * data..end is the linear part of the frame, where every header must lie.
 * A datagram longer than that is either cut short or a multi-buffer
 * (jumbo) frame: only then is the whole frame's length asked for, since
 * the helper call costs as much as the rest of the parse. *flen holds the
 * frame's length on return.
 */
static __always_inline bool dgram_fits(struct xdp_md *ctx, __u64 end_off,
				       __u64 *flen)
{
	if (end_off <= *flen)
		return true;
	*flen = bpf_xdp_get_buff_len(ctx);
	return end_off <= *flen;
}

static __always_inline int parse_ipv4(struct xdp_md *ctx, void *data, void *l3,
				      void *end, __u64 *flen, struct pkt *p)
{
	struct iphdr *iph = l3;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return TP_DROP_MALFORMED;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (l3 + hlen > end || tot < hlen ||
	    !dgram_fits(ctx, (__u64)(l3 - data) + tot, flen))
		return TP_DROP_MALFORMED;

	p->key.family = TP_AF_INET;
	__builtin_memcpy(p->key.addr, &iph->saddr, 4);
	__builtin_memcpy(p->daddr, &iph->daddr, 4);
	p->l4proto = iph->protocol;
	p->hop_limit = iph->ttl;
	frag = bpf_ntohs(iph->frag_off);
	p->fragment = (frag & 0x3fff) != 0; /* MF or an offset */
	p->later_fragment = (frag & 0x1fff) != 0;
	if (p->later_fragment)
		return 0;
	/* the L4 header ends where the datagram does, not at padding */
	if (parse_l4(l3 + hlen, end, l3 + tot, p))
		return TP_DROP_MALFORMED;
	return 0;
}

static __always_inline int parse_ipv6(struct xdp_md *ctx, void *data, void *l3,
				      void *end, __u64 *flen, struct pkt *p)
{
	struct ipv6hdr *ip6 = l3;
	void *cur, *dgram_end;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return TP_DROP_MALFORMED;
	dgram_end = (void *)(ip6 + 1) + bpf_ntohs(ip6->payload_len);
	if (!dgram_fits(ctx,
			(__u64)((void *)(ip6 + 1) - data) +
				bpf_ntohs(ip6->payload_len),
			flen))
		return TP_DROP_MALFORMED;

	p->key.family = TP_AF_INET6;
	__builtin_memcpy(p->key.addr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	p->hop_limit = ip6->hop_limit;
	nexthdr = ip6->nexthdr;
	cur = ip6 + 1;

	for (i = 0; i < TP_IPV6_EXT_MAX; i++) {
		if (nexthdr == IPV6_EXT_FRAGMENT) {
			struct frag_hdr *fh = cur;

			if (l4_short(fh + 1, end, dgram_end))
				return TP_DROP_MALFORMED;
			p->fragment = 1;
			if (bpf_ntohs(fh->frag_off) & 0xfff8) {
				p->later_fragment = 1;
				p->l4proto = fh->nexthdr;
				return 0;
			}
			nexthdr = fh->nexthdr;
			cur = fh + 1;
		} else if (nexthdr == IPV6_EXT_HOPOPTS ||
			   nexthdr == IPV6_EXT_ROUTING ||
			   nexthdr == IPV6_EXT_DSTOPTS) {
			__u8 *opt = cur;
			__u32 len;

			if (l4_short(opt + 2, end, dgram_end))
				return TP_DROP_MALFORMED;
			len = (opt[1] + 1) * 8;
			if (l4_short(cur + len, end, dgram_end))
				return TP_DROP_MALFORMED;
			if (nexthdr == IPV6_EXT_ROUTING)
				p->routed = 1;
			nexthdr = opt[0];
			cur += len;
		} else {
			break;
		}
	}
	if (nexthdr == IPV6_EXT_HOPOPTS || nexthdr == IPV6_EXT_ROUTING ||
	    nexthdr == IPV6_EXT_FRAGMENT || nexthdr == IPV6_EXT_DSTOPTS)
		return TP_DROP_EXT_CHAIN;
	p->l4proto = nexthdr;
	if (parse_l4(cur, end, dgram_end, p))
		return TP_DROP_MALFORMED;
	return 0;
}

/*
 * Returns 0 when an IP frame was parsed into p and the identity decides,
 * else the frame's verdict reason (never TP_PASS_IDENTITY, which is 0).
 */
static __always_inline int parse(struct xdp_md *ctx, struct ethhdr *eth,
				 void *end, __u64 *flen, struct pkt *p)
{
	void *cur = eth + 1;
	__u16 proto = bpf_ntohs(eth->h_proto);
	int i;

	for (i = 0; i <= TP_VLAN_MAX; i++) {
		__be16 *tag = cur; /* TCI, then the inner ethertype */

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (i == TP_VLAN_MAX)
			return TP_DROP_VLAN_DEPTH;
		if ((void *)(tag + 2) > end)
			return TP_DROP_MALFORMED;
		/* the outer of two tags moves to svlan */
		p->key.svlan = p->key.vlan;
		p->key.vlan = bpf_ntohs(tag[0]) & 0x0fff;
		proto = bpf_ntohs(tag[1]);
		cur = tag + 2;
	}
	p->ethertype = proto;

	switch (proto) {
	case ETH_P_ARP: {
		/* only Ethernet/IPv4 ARP: 8-byte header, two address pairs */
		struct arp_eth {
			__be16 htype, ptype;
			__u8 hlen, plen;
			__be16 op;
			__u8 addrs[20];
		} *arp = cur;

		if ((void *)(arp + 1) > end || arp->htype != bpf_htons(1) ||
		    arp->ptype != bpf_htons(ETH_P_IP) ||
		    arp->hlen != ETH_ALEN || arp->plen != 4)
			return TP_DROP_MALFORMED;
		return TP_PASS_ARP;
	}
	case ETH_P_IP:
		return parse_ipv4(ctx, eth, cur, end, flen, p);
	case ETH_P_IPV6:
		return parse_ipv6(ctx, eth, cur, end, flen, p);
	}
	return TP_DROP_ETHERTYPE;
}

static __always_inline int bootstrap(struct pkt *p)
{
	struct tp_bootstrap_key bk = {};
	__u32 word;
	__u64 *bits;

	/*
	 * A fragment's later pieces cannot be checked, and a routing header
	 * would carry the packet past the endpoint it names: neither is
	 * bootstrap traffic.
	 */
	if (p->fragment || p->routed)
		return -1;
	if (p->l4proto == IPPROTO_ICMPV6 && p->key.family == TP_AF_INET6 &&
	    p->icmp_type >= 133 && p->icmp_type <= 136 && p->icmp_code == 0 &&
	    p->hop_limit == 255)
		return TP_PASS_ND;
	if (p->l4proto != IPPROTO_TCP && p->l4proto != IPPROTO_UDP)
		return -1;
	if (p->l4proto == IPPROTO_UDP && ((p->key.family == TP_AF_INET &&
					   p->sport == 68 && p->dport == 67) ||
					  (p->key.family == TP_AF_INET6 &&
					   p->sport == 546 && p->dport == 547)))
		return TP_PASS_DHCP;
	word = p->dport / 64;
	bits = bpf_map_lookup_elem(&tp_bootstrap_ports, &word);
	if (!bits || !(*bits & (1ULL << (p->dport % 64))))
		return -1;
	bk.family = p->key.family;
	bk.proto = p->l4proto;
	bk.port = p->dport;
	__builtin_memcpy(bk.addr, p->daddr, sizeof(bk.addr));
	if (bpf_map_lookup_elem(&tp_bootstrap, &bk))
		return TP_PASS_BOOTSTRAP;
	return -1;
}

static __always_inline void count(__u32 reason, __u64 bytes)
{
	struct tp_counter *c = bpf_map_lookup_elem(&tp_verdicts, &reason);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void evstat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&tp_evstats, &idx);

	if (v)
		(*v)++;
}

/* This CPU's clock: CLOCK_BOOTTIME, at most one tick old. */
static __always_inline struct tp_clock *tick_clock(void)
{
	__u32 zero = 0;
	struct tp_clock *c = bpf_map_lookup_elem(&tp_clock, &zero);
	__u64 j = bpf_jiffies64();

	if (c && c->jiffies != j) {
		c->jiffies = j;
		c->boot_ns = bpf_ktime_get_boot_ns();
		c->ev_budget = TP_EV_PER_TICK;
	}
	return c;
}

static __always_inline __u64 lease_clock(void)
{
	struct tp_clock *c = tick_clock();

	return c ? c->boot_ns : bpf_ktime_get_boot_ns();
}

/* Token bucket per source; racy across CPUs, which only blurs the rate. */
static __always_inline bool event_allowed(struct pkt *p, struct ethhdr *eth,
					  __u64 now)
{
	struct tp_evlimit_key k = {};
	struct tp_evlimit *b, nb;
	__u64 burst = (__u64)tp_event_burst * 1000;
	__u64 ms;

	k.ifindex = p->key.ifindex;
	k.vlan = p->key.vlan;
	k.svlan = p->key.svlan;
	k.family = p->key.family;
	if (p->key.family)
		__builtin_memcpy(k.addr, p->key.addr, sizeof(k.addr));
	else if (eth)
		__builtin_memcpy(k.addr, eth->h_source, ETH_ALEN);

	b = bpf_map_lookup_elem(&tp_evlimit, &k);
	if (!b) {
		if (!burst)
			return false;
		nb.last_ns = now;
		nb.tokens_milli = burst - 1000;
		bpf_map_update_elem(&tp_evlimit, &k, &nb, BPF_ANY);
		return true;
	}
	/* rate tokens per second are rate milli-tokens per millisecond */
	/* another CPU's clock may be a tick ahead of this one's */
	ms = now > b->last_ns ? (now - b->last_ns) / 1000000 : 0;
	if (ms) {
		b->tokens_milli += ms * tp_event_rate;
		if (b->tokens_milli > burst)
			b->tokens_milli = burst;
		b->last_ns += ms * 1000000;
	}
	if (b->tokens_milli < 1000)
		return false;
	b->tokens_milli -= 1000;
	return true;
}

static __noinline void emit_drop(struct xdp_md *ctx, struct pkt *p,
				 __u32 reason)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tp_clock *c = tick_clock();
	struct tp_event *e;
	__u64 now;

	/* a flood from many sources stops here, before any hash lookup */
	if (!c || !c->ev_budget) {
		evstat(TP_EV_SUPPRESSED);
		return;
	}
	c->ev_budget--;
	now = c->boot_ns;
	if ((void *)(eth + 1) > end)
		eth = NULL;
	if (!event_allowed(p, eth, now)) {
		evstat(TP_EV_SUPPRESSED);
		return;
	}
	e = bpf_ringbuf_reserve(&tp_events, sizeof(*e), 0);
	if (!e) {
		evstat(TP_EV_RINGBUF_FULL);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = now;
	e->ifindex = p->key.ifindex;
	e->len = bpf_xdp_get_buff_len(ctx);
	e->vlan = p->key.vlan;
	e->svlan = p->key.svlan;
	e->ethertype = p->ethertype;
	e->sport = p->sport;
	e->dport = p->dport;
	e->reason = reason;
	e->family = p->key.family;
	e->l4proto = p->l4proto;
	if (eth) {
		__builtin_memcpy(e->src_mac, eth->h_source, ETH_ALEN);
		__builtin_memcpy(e->dst_mac, eth->h_dest, ETH_ALEN);
	}
	__builtin_memcpy(e->saddr, p->key.addr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, p->daddr, sizeof(e->daddr));
	bpf_ringbuf_submit(e, 0);
	evstat(TP_EV_EMITTED);
}

static __always_inline bool mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/* xdp.frags: jumbo frames arrive as several buffers and are gated too */
SEC("xdp.frags")
int tp_gate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 bytes = end - data; /* the whole frame's, once parse knows it */
	struct tp_identity *id;
	struct pkt p = {};
	int reason;

	p.key.ifindex = ctx->ingress_ifindex;
	if ((void *)(eth + 1) > end) {
		reason = TP_DROP_MALFORMED;
		goto verdict;
	}
	reason = parse(ctx, eth, end, &bytes, &p);
	if (reason)
		goto verdict;

	id = bpf_map_lookup_elem(&tp_identity, &p.key);
	if (!id) {
		reason = p.fragment ? TP_DROP_FRAGMENT : TP_DROP_UNKNOWN;
	} else if (!mac_eq(id->mac, eth->h_source)) {
		reason = TP_DROP_MAC_MISMATCH;
	} else if (id->expires_ns <= lease_clock()) {
		reason = TP_DROP_EXPIRED;
	} else {
		struct tp_counter *dc;

		dc = bpf_map_lookup_elem(&tp_dev_stats, &id->slot);
		if (dc) {
			dc->packets++;
			dc->bytes += bytes;
		}
		count(TP_PASS_IDENTITY, bytes);
		return XDP_PASS;
	}
	/* not authorized: it may still be bootstrap traffic */
	{
		int b = bootstrap(&p);

		if (b >= 0)
			reason = b;
	}
verdict:
	count(reason, bytes);
	if (reason < TP_REASON_DROP_FIRST)
		return XDP_PASS;
	emit_drop(ctx, &p, reason);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
