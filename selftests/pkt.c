// SPDX-License-Identifier: GPL-2.0-only
/*
 * pkt.c - the packet builder behind the verdict tables (see pkt.h). It
 * writes headers front to back and patches length fields and checksums
 * once the end of the packet is known; overrides are applied last, so a
 * "wrong" field is wrong in exactly the way the test asked for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "selftests/pkt.h"

#define ETH_P_ARP_ 0x0806
#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86dd
#define ETH_P_EXPERIMENTAL_ 0x88b5 /* IEEE 802 local experimental */
#define NEXTHDR_NONE_ 59
#define L4_HDR_MAX 60

struct writer {
	__u8 *buf;
	size_t cap, len;
	bool full;
};

static __u8 *put(struct writer *w, size_t n)
{
	__u8 *p;

	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return NULL;
	}
	p = w->buf + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put_be32(__u8 *p, __u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

__u32 pkt_csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

__u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static int parse_addr(const char *s, bool ipv6, __u8 *out)
{
	if (!s) {
		memset(out, 0, ipv6 ? 16 : 4);
		return 0;
	}
	return inet_pton(ipv6 ? AF_INET6 : AF_INET, s, out) == 1 ? 0 : -EINVAL;
}

static void fill_payload(__u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = 0xa5 ^ (i & 0xff);
}

/* HBH and destination options stay valid: the body is PadN options. */
static void fill_padn(__u8 *p, size_t n)
{
	while (n >= 2) {
		size_t chunk = n - 2 > 255 ? 255 : n - 2;

		p[0] = 1; /* PadN */
		p[1] = chunk;
		p += 2 + chunk;
		n -= 2 + chunk;
	}
	if (n == 1)
		p[0] = 0; /* Pad1 */
}

static int build_arp(const struct pkt_spec *s, struct writer *w)
{
	__u8 *p = put(w, 28);
	int err;

	if (!p)
		return -ENOSPC;
	put_be16(p, s->arp_htype ? s->arp_htype : 1); /* Ethernet */
	put_be16(p + 2, s->arp_ptype ? s->arp_ptype : ETH_P_IP_);
	p[4] = s->arp_hlen ? s->arp_hlen : 6;
	p[5] = s->arp_plen ? s->arp_plen : 4;
	put_be16(p + 6, s->arp_op ? s->arp_op : 1);
	memcpy(p + 8, s->smac, 6);
	err = parse_addr(s->src, false, p + 14);
	if (!err)
		err = parse_addr(s->dst, false, p + 24);
	if (err)
		return err;
	if (s->arp_len > 0 && s->arp_len < 28)
		w->len -= 28 - s->arp_len;
	return 0;
}

/* The L4 header into hdr; returns its full length (before l4_cut). */
static size_t l4_header(const struct pkt_spec *s, __u8 *hdr)
{
	size_t n;

	memset(hdr, 0, L4_HDR_MAX);
	switch (s->proto) {
	case IPPROTO_TCP:
		n = 20 + s->tcp_opt_len;
		put_be16(hdr, s->sport);
		put_be16(hdr + 2, s->dport);
		put_be32(hdr + 4, 0x01020304);
		hdr[12] = (s->tcp_doff ? s->tcp_doff : (int)n / 4) << 4;
		hdr[13] = 0x02; /* SYN */
		put_be16(hdr + 14, 64240);
		memset(hdr + 20, 1, s->tcp_opt_len); /* NOPs */
		return n;
	case IPPROTO_UDP:
		put_be16(hdr, s->sport);
		put_be16(hdr + 2, s->dport);
		return 8;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		hdr[0] = s->icmp_type;
		hdr[1] = s->icmp_code;
		return 8;
	default:
		return 0;
	}
}

static void l4_checksum(const struct pkt_spec *s, bool ipv6, __u8 *ip, __u8 *l4,
			size_t l4_len)
{
	__u32 sum = 0;
	size_t off;

	switch (s->proto) {
	case IPPROTO_TCP:
		off = 16;
		break;
	case IPPROTO_UDP:
		off = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		off = 2;
		break;
	default:
		return;
	}
	if (s->proto != IPPROTO_ICMP) {
		/*
		 * Pseudo header from the fixed header's addresses: with a
		 * routing header the real checksum would use the final
		 * destination, which the gate never looks at.
		 */
		if (ipv6)
			sum = pkt_csum_add(sum, ip + 8, 32);
		else
			sum = pkt_csum_add(sum, ip + 12, 8);
		sum += s->proto + (__u32)l4_len;
	}
	sum = pkt_csum_add(sum, l4, l4_len);
	put_be16(l4 + off,
		 pkt_csum_fold(sum) ?: (s->proto == IPPROTO_UDP ? 0xffff : 0));
}

static __u8 l4_next(const struct pkt_spec *s, bool ipv6)
{
	if (ipv6 && !s->proto)
		return NEXTHDR_NONE_;
	return s->proto;
}

static int build_ipv6_ext(const struct pkt_spec *s, struct writer *w)
{
	int i;

	for (i = 0; i < s->nr_ext && i < PKT_EXT_MAX; i++) {
		const struct pkt_ext *e = &s->ext[i];
		size_t n = e->type == 44 ? 8 : ((size_t)e->len + 1) * 8;
		__u8 *p = put(w, n);

		if (!p)
			return -ENOSPC;
		p[0] = i + 1 < s->nr_ext ? s->ext[i + 1].type
					 : l4_next(s, true);
		if (e->type == 44) {
			put_be16(p + 2, e->frag_off << 3 | (e->mf ? 1 : 0));
			put_be32(p + 4, 0xdeadbeef);
		} else if (e->type == 43) {
			p[1] = e->len;
			p[2] = 253; /* RFC 4727 experimental routing type */
			p[3] = 0; /* segments left: none, so it is skippable */
		} else {
			p[1] = e->len;
			fill_padn(p + 2, n - 2);
		}
		if (e->len_lie)
			p[1] = e->len_claim;
	}
	return 0;
}

static int build_ip(const struct pkt_spec *s, struct writer *w,
		    struct pkt_layout *lay)
{
	bool ipv6 = s->l3 == PKT_L3_IPV6;
	size_t hlen = ipv6 ? 40 : 20 + s->opt_len;
	size_t l4_full, l4_len, ip_len;
	__u8 hdr[L4_HDR_MAX], *ip, *l4 = NULL, *p;
	int err;

	if (s->opt_len < 0 || s->opt_len > 40 || s->tcp_opt_len < 0 ||
	    s->tcp_opt_len > 40 || s->payload < 0)
		return -EINVAL;
	if (!put(w, hlen))
		return -ENOSPC;
	ip = w->buf + lay->l3_off;
	if (ipv6) {
		ip[0] = (s->version ? s->version : 6) << 4;
		ip[6] = s->nr_ext ? s->ext[0].type : l4_next(s, true);
		ip[7] = s->ttl ? s->ttl : 64;
		err = parse_addr(s->src, true, ip + 8);
		if (!err)
			err = parse_addr(s->dst, true, ip + 24);
		if (!err)
			err = build_ipv6_ext(s, w);
	} else {
		ip[0] = (s->version ? s->version : 4) << 4 |
			(s->ihl < 0 ? 0
			 : s->ihl   ? s->ihl & 0xf
				    : (int)hlen / 4);
		put_be16(ip + 4, 0x1234);
		put_be16(ip + 6, (s->df ? 0x4000 : 0) | (s->mf ? 0x2000 : 0) |
					 (s->frag_off & 0x1fff));
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		if (s->opt_len) {
			memset(ip + 20, 1, s->opt_len); /* NOPs ... */
			ip[hlen - 1] = 0; /* ... and End of Options */
		}
		err = parse_addr(s->src, false, ip + 12);
		if (!err)
			err = parse_addr(s->dst, false, ip + 16);
	}
	if (err)
		return err;

	lay->l4_off = w->len;
	l4_full = s->no_l4 ? 0 : l4_header(s, hdr);
	l4_len = s->l4_cut > 0 && (size_t)s->l4_cut < l4_full
			 ? (size_t)s->l4_cut
			 : l4_full;
	if (l4_len) {
		l4 = put(w, l4_len);
		if (!l4)
			return -ENOSPC;
		memcpy(l4, hdr, l4_len);
	}
	lay->hdr_end = w->len;
	if (l4_len == l4_full && s->payload) {
		p = put(w, s->payload);
		if (!p)
			return -ENOSPC;
		fill_payload(p, s->payload);
	}
	lay->ip_end = w->len;

	ip_len = lay->ip_end - lay->l3_off - (ipv6 ? 40 : 0);
	if (s->ip_len)
		ip_len = s->ip_len < 0 ? 0 : s->ip_len;
	put_be16(ip + (ipv6 ? 4 : 2), ip_len);
	if (s->proto == IPPROTO_UDP && l4_len == l4_full && l4)
		put_be16(l4 + 4, lay->ip_end - lay->l4_off);
	if (l4 && l4_len == l4_full)
		l4_checksum(s, ipv6, ip, l4, lay->ip_end - lay->l4_off);
	if (!ipv6)
		put_be16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, hlen)));
	return 0;
}

int pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap,
	      struct pkt_layout *lay_out)
{
	struct writer w = {.buf = buf, .cap = cap};
	struct pkt_layout lay = {0};
	__u16 ethertype = s->ethertype;
	__u8 *p;
	int i, err = 0;

	if (s->nr_vlan < 0 || s->nr_vlan > PKT_VLAN_MAX)
		return -EINVAL;
	p = put(&w, 12);
	if (!p)
		return -ENOSPC;
	memcpy(p, s->dmac, 6);
	memcpy(p + 6, s->smac, 6);
	for (i = 0; i < s->nr_vlan; i++) {
		p = put(&w, 4);
		if (!p)
			return -ENOSPC;
		put_be16(p, s->vlan[i].tpid);
		put_be16(p + 2, s->vlan[i].tci);
	}
	if (!ethertype) {
		switch (s->l3) {
		case PKT_L3_ARP:
			ethertype = ETH_P_ARP_;
			break;
		case PKT_L3_IPV4:
			ethertype = ETH_P_IP_;
			break;
		case PKT_L3_IPV6:
			ethertype = ETH_P_IPV6_;
			break;
		default:
			ethertype = ETH_P_EXPERIMENTAL_;
		}
	}
	p = put(&w, 2);
	if (!p)
		return -ENOSPC;
	put_be16(p, ethertype);
	lay.l3_off = w.len;

	switch (s->l3) {
	case PKT_L3_ARP:
		err = build_arp(s, &w);
		lay.l4_off = lay.hdr_end = lay.ip_end = w.len;
		break;
	case PKT_L3_IPV4:
	case PKT_L3_IPV6:
		err = build_ip(s, &w, &lay);
		break;
	default:
		lay.l4_off = lay.hdr_end = w.len;
		p = put(&w, s->payload);
		if (!p)
			return -ENOSPC;
		fill_payload(p, s->payload);
		lay.ip_end = w.len;
	}
	if (err)
		return err;
	if (s->pad > 0 && !put(&w, s->pad))
		return -ENOSPC;
	if (s->cut > 0 && (size_t)s->cut < w.len)
		w.len = s->cut;
	lay.len = w.len;
	if (lay_out)
		*lay_out = lay;
	return w.len;
}

void pkt_fit_ip_len(__u8 *buf, size_t len, const struct pkt_layout *lay,
		    bool ipv6)
{
	__u8 *ip = buf + lay->l3_off;
	size_t hlen;

	if (ipv6) {
		if (len >= lay->l3_off + 6)
			put_be16(ip + 4, len > lay->l3_off + 40
						 ? len - lay->l3_off - 40
						 : 0);
		return;
	}
	if (len >= lay->l3_off + 4)
		put_be16(ip + 2, len - lay->l3_off);
	if (len >= lay->l3_off + 20) {
		hlen = (ip[0] & 0xf) * 4;
		if (hlen < 20 || lay->l3_off + hlen > len)
			hlen = 20;
		put_be16(ip + 10, 0);
		put_be16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, hlen)));
	}
}

static __u64 xorshift64s(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

size_t pkt_garbage(__u8 *buf, size_t max, __u64 *seed)
{
	static const __u16 types[] = {ETH_P_IP_, ETH_P_IPV6_, 0x8100, 0x88a8};
	size_t len = 14 + xorshift64s(seed) % (max - 14 + 1), i;
	__u16 et;

	for (i = 0; i < len; i++)
		buf[i] = xorshift64s(seed);
	et = xorshift64s(seed) % 3 ? types[xorshift64s(seed) % 4]
				   : (__u16)xorshift64s(seed);
	put_be16(buf + 12, et == ETH_P_ARP_ ? ETH_P_ARP_ - 1 : et);
	for (i = 16; i + 2 <= len && i <= 20; i += 4)
		if (buf[i] == 0x08 && buf[i + 1] == 0x06)
			buf[i + 1] = 0x05;
	return len;
}

void pkt_hexdump(FILE *f, const __u8 *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x%s", buf[i],
			(i + 1) % 16 == 0 || i + 1 == len ? "\n" : " ");
}
