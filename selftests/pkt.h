/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pkt.h - a small packet builder for the verdict tests: one struct
 * describes a frame (Ethernet, up to PKT_VLAN_MAX tags, ARP / IPv4 with
 * options and fragment fields / IPv6 with an extension chain, TCP, UDP,
 * ICMP, ICMPv6) and pkt_build() lays it out with lengths and checksums
 * filled in. Every field that a test wants to get wrong has an override,
 * so malformed frames are described in the same table as good ones.
 */
#ifndef TP_SELFTEST_PKT_H
#define TP_SELFTEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define PKT_VLAN_MAX 4 /* one more than the gate accepts, and then some */
#define PKT_EXT_MAX 8  /* one more than TP_IPV6_EXT_MAX, and then some */
#define PKT_MAC(last)                    \
	{                                \
		0x02, 0, 0, 0, 0, (last) \
	}

enum pkt_l3 {
	PKT_L3_NONE = 0, /* Ethernet (and tags) only, then payload bytes */
	PKT_L3_ARP,
	PKT_L3_IPV4,
	PKT_L3_IPV6,
};

struct pkt_vlan {
	__u16 tpid; /* 0x8100 or 0x88a8 (anything goes) */
	__u16 tci;  /* PCP/DEI bits and VID as they go on the wire */
};

/* One IPv6 extension header: 0 hop-by-hop, 43 routing, 44 fragment, 60 dst. */
struct pkt_ext {
	__u8 type;
	__u8 len; /* Hdr Ext Len: 8-octet units beyond the first; not for 44 */
	bool len_lie; /* write len_claim instead of len into Hdr Ext Len */
	__u8 len_claim;
	__u16 frag_off; /* 44: offset in 8-octet units */
	bool mf;	/* 44: more fragments */
};

struct pkt_spec {
	__u8 dmac[6], smac[6];
	int nr_vlan;
	struct pkt_vlan vlan[PKT_VLAN_MAX];
	__u16 ethertype; /* 0: from l3 */
	enum pkt_l3 l3;

	/* ARP (request unless arp_op) and IP addresses, as text */
	const char *src, *dst;
	__u16 arp_op;
	__u16 arp_htype, arp_ptype; /* 0: Ethernet (1), IPv4 (0x0800) */
	__u8 arp_hlen, arp_plen;    /* 0: 6, 4 */
	int arp_len; /* 0: the full 28-byte body; else cut the body here */

	/* IP header fields; 0 means "the right value" unless said otherwise */
	int version;	/* 0: 4 or 6 */
	__u8 ttl;	/* TTL / hop limit; 0: 64 */
	int ihl;	/* IPv4: 0: 5 + opt_len / 4; -1: write 0 */
	int opt_len;	/* IPv4 options, bytes, multiple of 4 (NOPs + EOL) */
	int ip_len;	/* tot_len / payload_len; 0: computed; -1: write 0 */
	__u16 frag_off; /* IPv4 fragment offset in 8-octet units */
	bool mf, df;
	int nr_ext;
	struct pkt_ext ext[PKT_EXT_MAX];

	/* L4 */
	__u8 proto; /* IPPROTO_*; 0 with IPv6 means 59 (no next header) */
	bool no_l4; /* write no L4 header (a later fragment): payload only */
	__u16 sport, dport;
	__u8 icmp_type, icmp_code;
	int tcp_doff;	 /* 0: 5 + tcp_opt_len / 4 */
	int tcp_opt_len; /* bytes, multiple of 4 */
	int l4_cut;  /* write only this many bytes of the L4 header (0: all) */
	int payload; /* bytes after the L4 header */

	int pad; /* trailing bytes after the IP packet (Ethernet padding) */
	int cut; /* cut the finished frame to this length (0: don't) */
};

/* Where the headers of a built frame start and end. */
struct pkt_layout {
	size_t l3_off;	/* after Ethernet and tags */
	size_t l4_off;	/* after the IP header and extension chain */
	size_t hdr_end; /* after the whole header stack (the L4 header) */
	size_t ip_end;	/* end of the IP packet (before padding) */
	size_t len;	/* frame length */
};

/*
 * Build the frame into buf (cap bytes). Returns its length, -EINVAL on a
 * bad spec (an address that does not parse) or -ENOSPC. lay may be NULL.
 */
int pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap,
	      struct pkt_layout *lay);

/*
 * Rewrite the IP length field of a built frame cut to len bytes so the
 * IP packet ends exactly at len (as far as the field is present), and
 * fix the IPv4 header checksum: the cut then shows only in the headers.
 */
void pkt_fit_ip_len(__u8 *buf, size_t len, const struct pkt_layout *lay,
		    bool ipv6);

/*
 * Random bytes, 14 to max bytes long, with an ethertype (and the one
 * behind up to two tags) that is never ARP: IPv4, IPv6 and VLAN TPIDs
 * twice as often as anything else. seed is the state of a xorshift64*.
 */
size_t pkt_garbage(__u8 *buf, size_t max, __u64 *seed);

__u16 pkt_csum_fold(__u32 sum);
__u32 pkt_csum_add(__u32 sum, const void *data, size_t len);

void pkt_hexdump(FILE *f, const __u8 *buf, size_t len);

#endif /* TP_SELFTEST_PKT_H */
