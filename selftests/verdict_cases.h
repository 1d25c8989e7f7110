/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * verdict_cases.h - the verdict table of test_verdict.c: the identities
 * and bootstrap endpoints the gate is loaded with, and one row per crafted
 * frame with the XDP action and reason it must get. Included once.
 */
#ifndef TP_VERDICT_CASES_H
#define TP_VERDICT_CASES_H

#define EV_RATE 1 /* events per second per source: no refill during a burst */
#define EV_BURST 5
#define EV_CAP 4096
#define NDEV 5 /* device ids 1..NDEV */
#define ETH_HLEN_ 14
#define ANY_DROP TP_REASON_MAX /* check_frame(): whichever drop reason */
#define LEASE_NS (3600ULL * 1000000000ULL)

/* Addresses: device N is 192.0.2.N1 and 2001:db8:1::N1, MAC 02:..:N1. */
#define GW4 "192.0.2.1"
#define GW6 "2001:db8:1::1"
#define D1_4 "192.0.2.11" /* untagged */
#define D1_6 "2001:db8:1::11"
#define D2_4 "192.0.2.21" /* vlan 10 */
#define D2_6 "2001:db8:1::21"
#define D3_4 "192.0.2.31" /* svlan 100, vlan 10 */
#define D3_6 "2001:db8:1::31"
#define D4_4 "192.0.2.41" /* lease ran out */
#define D4_6 "2001:db8:1::41"
#define D5_4 "192.0.2.51" /* bound to MAC ..:51, frames come from ..:52 */
#define D5_6 "2001:db8:1::51"
#define UN_4 "192.0.2.66" /* not bound at all */
#define UN_6 "2001:db8:1::66"
#define LL_6 "fe80::66"
#define BS_TCP 4433 /* bootstrap: GW4/GW6 TCP 4433 and UDP 5683 */
#define BS_UDP 5683

static const struct ident {
	const char *ip;
	__u16 vlan, svlan;
	__u8 mac;
	__u64 dev;
	bool expired;
} idents[] = {
	{D1_4, 0, 0, 0x11, 1, false},	 {D1_6, 0, 0, 0x11, 1, false},
	{D2_4, 10, 0, 0x21, 2, false},	 {D2_6, 10, 0, 0x21, 2, false},
	{D3_4, 10, 100, 0x31, 3, false}, {D3_6, 10, 100, 0x31, 3, false},
	{D4_4, 0, 0, 0x41, 4, true},	 {D4_6, 0, 0, 0x41, 4, true},
	{D5_4, 0, 0, 0x51, 5, false},	 {D5_6, 0, 0, 0x51, 5, false},
};

/* clang-format off */
#define UP4 "198.51.100.10" /* upstream */
#define UP6 "2001:db8:2::10"
#define L2(m) .dmac = PKT_MAC(0x01), .smac = PKT_MAC(m)
#define ARP66 L2(0x66), .l3 = PKT_L3_ARP, .src = UN_4, .dst = GW4
#define IP4(m, s, d) L2(m), .l3 = PKT_L3_IPV4, .src = s, .dst = d
#define IP6(m, s, d) L2(m), .l3 = PKT_L3_IPV6, .src = s, .dst = d
#define B4 IP4(0x11, D1_4, UP4) /* device 1, bound, to upstream */
#define B6 IP6(0x11, D1_6, UP6)
#define U4 IP4(0x66, UN_4, GW4) /* unbound, to the gateway */
#define U6 IP6(0x66, UN_6, GW6)
#define LL6(d) IP6(0x66, LL_6, d) /* unbound, link-local */
#define TCP(d) .proto = IPPROTO_TCP, .sport = 40000, .dport = (d)
#define UDP(s, d) .proto = IPPROTO_UDP, .sport = (s), .dport = (d)
#define ICMP4(t) .proto = IPPROTO_ICMP, .icmp_type = (t)
#define ICMP6(t) .proto = IPPROTO_ICMPV6, .icmp_type = (t)
#define ND(t) ICMP6(t), .ttl = 255
#define TAG1(v) .nr_vlan = 1, .vlan = { { 0x8100, (v) } }
#define TAG2(s, v) .nr_vlan = 2, .vlan = { { 0x88a8, (s) }, { 0x8100, (v) } }
#define TAG3 .nr_vlan = 3, .vlan = { { 0x88a8, 100 }, { 0x8100, 10 }, { 0x8100, 10 } }
#define X(t) { .type = (t) }
#define FRAG6(off, m) { .type = 44, .frag_off = (off), .mf = (m) }
#define EXT6 X(0), X(60), X(43), X(60), X(43), X(60)
#define EXT7 .nr_ext = 7, .ext = { EXT6, X(60) }

struct vcase {
	const char *name;
	struct pkt_spec s;
	__u32 act; /* XDP_PASS or XDP_DROP */
	__u32 reason;
	__u64 dev; /* device whose counters grow (pass-identity only) */
};

#define PASS_(r) .act = XDP_PASS, .reason = TP_PASS_##r
#define DROP_(r) .act = XDP_DROP, .reason = TP_DROP_##r
#define C(n, v, ...)                               \
	{                                          \
		.name = n, v, .s = { __VA_ARGS__ } \
	}
#define ID(d) .act = XDP_PASS, .reason = TP_PASS_IDENTITY, .dev = (d)

static const struct vcase cases[] = {
	/* ARP: Ethernet/IPv4 body of 28 bytes */
	C("arp_request", PASS_(ARP), ARP66),
	C("arp_reply", PASS_(ARP), ARP66, .arp_op = 2),
	C("arp_padded_60", PASS_(ARP), ARP66, .pad = 18),
	C("arp_vlan", PASS_(ARP), ARP66, TAG1(10)),
	C("arp_qinq", PASS_(ARP), ARP66, TAG2(100, 10)),
	C("arp_body_27", DROP_(MALFORMED), ARP66, .arp_len = 27),
	C("arp_body_8", DROP_(MALFORMED), ARP66, .arp_len = 8),
	/* fail-closed reading of "Ethernet/IPv4 ARP body": other forms drop */
	C("arp_htype_ieee802", DROP_(MALFORMED), ARP66, .arp_htype = 6),
	C("arp_ptype_ipv6", DROP_(MALFORMED), ARP66, .arp_ptype = 0x86dd),
	C("arp_hlen_8", DROP_(MALFORMED), ARP66, .arp_hlen = 8),
	C("arp_plen_16", DROP_(MALFORMED), ARP66, .arp_plen = 16),
	C("rarp", DROP_(ETHERTYPE), ARP66, .ethertype = 0x8035),
	C("arp_triple_tag", DROP_(VLAN_DEPTH), ARP66, TAG3),

	/* IPv6 ND: types 133-136 with hop limit 255 only */
	C("nd_rs", PASS_(ND), LL6("ff02::2"), ND(133)),
	C("nd_ra", PASS_(ND), LL6("ff02::1"), ND(134), .payload = 8),
	C("nd_ns", PASS_(ND), LL6("ff02::1:ff00:1"), ND(135), .payload = 16),
	C("nd_ns_dad", PASS_(ND), IP6(0x66, "::", "ff02::1:ff00:66"), ND(135), .payload = 16),
	C("nd_na", PASS_(ND), U6, ND(136), .payload = 16),
	C("nd_ns_vlan", PASS_(ND), LL6("ff02::1:ff00:1"), TAG1(10), ND(135),
	  .payload = 16),
	C("nd_ns_after_hbh", PASS_(ND), LL6("ff02::1:ff00:1"), ND(135), .payload = 16,
	  .nr_ext = 1, .ext = { X(0) }),
	C("nd_ns_hop64", DROP_(UNKNOWN), LL6("ff02::1:ff00:1"), ICMP6(135), .ttl = 64,
	  .payload = 16),
	C("nd_ra_hop254", DROP_(UNKNOWN), LL6("ff02::1"), ICMP6(134), .ttl = 254,
	  .payload = 8),
	C("nd_redirect_137", DROP_(UNKNOWN), LL6(GW6), ND(137), .payload = 32),
	C("icmp6_echo_hop255", DROP_(UNKNOWN), U6, ND(128)),
	C("nd_ns_icmp6_4_bytes", DROP_(MALFORMED), LL6("ff02::1:ff00:1"), ND(135),
	  .l4_cut = 4),
	C("nd_ns_atomic_fragment", DROP_(FRAGMENT), LL6("ff02::1:ff00:1"), ND(135),
	  .payload = 16, .nr_ext = 1, .ext = { FRAG6(0, false) }),
	C("nd_type_over_ipv4", DROP_(UNKNOWN), U4, ND(135), .payload = 16),

	/* DHCP: client to server only */
	C("dhcpv4_discover", PASS_(DHCP), .dmac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	  .smac = PKT_MAC(0x66), .l3 = PKT_L3_IPV4, .src = "0.0.0.0", .dst = "255.255.255.255",
	  UDP(68, 67), .payload = 240),
	C("dhcpv4_ip_options", PASS_(DHCP), U4, UDP(68, 67), .opt_len = 12, .payload = 240),
	C("dhcpv4_vlan", PASS_(DHCP), U4, TAG1(10), UDP(68, 67), .payload = 240),
	C("dhcpv4_server_reply", DROP_(UNKNOWN), IP4(0x66, UN_4, "192.0.2.255"), UDP(67, 68),
	  .payload = 240),
	C("dhcpv4_first_fragment", DROP_(FRAGMENT), U4, UDP(68, 67), .mf = true, .payload = 240),
	C("dhcpv4_ports_over_ipv6", DROP_(UNKNOWN), LL6("ff02::1:2"), UDP(68, 67)),
	C("dhcpv6_solicit", PASS_(DHCP), LL6("ff02::1:2"), UDP(546, 547),
	  .payload = 32),
	C("dhcpv6_after_dstopts", PASS_(DHCP), LL6("ff02::1:2"), UDP(546, 547),
	  .nr_ext = 1, .ext = { X(60) }),
	C("dhcpv6_server_reply", DROP_(UNKNOWN), LL6("fe80::1"), UDP(547, 546)),
	C("dhcpv6_ports_over_ipv4", DROP_(UNKNOWN), U4, UDP(546, 547)),
	C("dhcpv6_fragment", DROP_(FRAGMENT), LL6("ff02::1:2"), UDP(546, 547),
	  .nr_ext = 1, .ext = { FRAG6(0, true) }),

	/* bootstrap endpoints: dst addr + proto + dst port */
	C("bootstrap_tcp4", PASS_(BOOTSTRAP), U4, TCP(BS_TCP)),
	C("bootstrap_tcp4_df", PASS_(BOOTSTRAP), U4, TCP(BS_TCP), .df = true),
	C("bootstrap_tcp4_ip_options", PASS_(BOOTSTRAP), U4, TCP(BS_TCP), .opt_len = 20),
	C("bootstrap_tcp4_vlan", PASS_(BOOTSTRAP), U4, TAG2(100, 10), TCP(BS_TCP)),
	C("bootstrap_udp4", PASS_(BOOTSTRAP), U4, UDP(40000, BS_UDP)),
	C("bootstrap_tcp6", PASS_(BOOTSTRAP), U6, TCP(BS_TCP)),
	C("bootstrap_udp6", PASS_(BOOTSTRAP), U6, UDP(40000, BS_UDP)),
	C("bootstrap_tcp6_after_ext", PASS_(BOOTSTRAP), U6, TCP(BS_TCP), .nr_ext = 2,
	  .ext = { X(0), X(60) }),
	C("bootstrap_wrong_mac_source", PASS_(BOOTSTRAP), IP4(0x52, D5_4, GW4), TCP(BS_TCP)),
	C("bootstrap_expired_source", PASS_(BOOTSTRAP), IP4(0x41, D4_4, GW4), TCP(BS_TCP)),
	C("bootstrap_tcp_unlisted_port", DROP_(UNKNOWN), U4, TCP(BS_TCP + 1)),
	C("bootstrap_udp_to_tcp_port", DROP_(UNKNOWN), U4, UDP(40000, BS_TCP)),
	C("bootstrap_tcp_to_udp_port", DROP_(UNKNOWN), U4, TCP(BS_UDP)),
	C("bootstrap_other_dst", DROP_(UNKNOWN), IP4(0x66, UN_4, "192.0.2.2"), TCP(BS_TCP)),
	C("bootstrap_v4_port_on_v6", DROP_(UNKNOWN), IP6(0x66, UN_6, "2001:db8:1::2"), TCP(BS_TCP)),
	C("bootstrap_port_as_source", DROP_(UNKNOWN), U4, .proto = IPPROTO_TCP, .sport = BS_TCP,
	  .dport = 80),
	C("bootstrap_icmp_to_gw", DROP_(UNKNOWN), U4, ICMP4(8)),

	/* identity */
	C("bound4_tcp", ID(1), B4, TCP(443)),
	C("bound4_udp", ID(1), B4, UDP(40000, 53), .payload = 30),
	C("bound4_icmp", ID(1), B4, ICMP4(8), .payload = 56),
	C("bound4_gre", ID(1), B4, .proto = 47, .payload = 4),
	C("bound4_padded_60", ID(1), B4, UDP(40000, 53), .pad = 18),
	C("bound4_tcp_options", ID(1), B4, TCP(443), .tcp_opt_len = 20),
	C("bound4_dhcp", ID(1), IP4(0x11, D1_4, GW4), UDP(68, 67), .payload = 240),
	C("bound6_tcp", ID(1), B6, TCP(443)),
	C("bound6_udp", ID(1), B6, UDP(40000, 53), .payload = 30),
	C("bound6_icmp6_echo", ID(1), B6, ICMP6(128), .payload = 56),
	C("bound6_no_next_header", ID(1), B6),
	C("bound6_padded", ID(1), B6, UDP(40000, 53), .pad = 20),
	C("bound4_wrong_mac", DROP_(MAC_MISMATCH), IP4(0x52, D5_4, UP4), TCP(443)),
	C("bound6_wrong_mac", DROP_(MAC_MISMATCH), IP6(0x52, D5_6, UP6), TCP(443)),
	C("bound4_mac_of_other_device", DROP_(MAC_MISMATCH), IP4(0x21, D1_4, UP4), TCP(443)),
	C("expired4", DROP_(EXPIRED), IP4(0x41, D4_4, UP4), TCP(443)),
	C("expired6", DROP_(EXPIRED), IP6(0x41, D4_6, UP6), TCP(443)),
	C("unknown4", DROP_(UNKNOWN), IP4(0x66, UN_4, UP4), TCP(443)),
	C("unknown6", DROP_(UNKNOWN), IP6(0x66, UN_6, UP6), TCP(443)),
	C("unknown4_mac_of_bound", DROP_(UNKNOWN), IP4(0x11, UN_4, UP4), TCP(443)),

	/* VLANs: the key holds the inner VID and, double tagged, the outer */
	C("vlan10_bound4", ID(2), IP4(0x21, D2_4, UP4), TAG1(10), TCP(443)),
	C("vlan10_bound6", ID(2), IP6(0x21, D2_6, UP6), TAG1(10), UDP(40000, 53)),
	C("vlan10_pcp_dei_bits", ID(2), IP4(0x21, D2_4, UP4), .nr_vlan = 1,
	  .vlan = { { 0x8100, 0xb000 | 10 } }, TCP(443)),
	C("vlan20_bound4", DROP_(UNKNOWN), IP4(0x21, D2_4, UP4), TAG1(20), TCP(443)),
	C("vlan10_src_untagged", DROP_(UNKNOWN), IP4(0x21, D2_4, UP4), TCP(443)),
	C("untagged_src_in_vlan10", DROP_(UNKNOWN), B4, TAG1(10), TCP(443)),
	C("qinq_bound4", ID(3), IP4(0x31, D3_4, UP4), TAG2(100, 10), TCP(443)),
	C("qinq_bound6", ID(3), IP6(0x31, D3_6, UP6), TAG2(100, 10), TCP(443)),
	C("qinq_wrong_outer", DROP_(UNKNOWN), IP4(0x31, D3_4, UP4), TAG2(200, 10), TCP(443)),
	C("qinq_wrong_inner", DROP_(UNKNOWN), IP4(0x31, D3_4, UP4), TAG2(100, 11), TCP(443)),
	C("qinq_src_single_tag", DROP_(UNKNOWN), IP4(0x31, D3_4, UP4), TAG1(10), TCP(443)),
	C("qinq_swapped_tags", DROP_(UNKNOWN), IP4(0x31, D3_4, UP4), TAG2(10, 100), TCP(443)),
	C("triple_tag", DROP_(VLAN_DEPTH), IP4(0x31, D3_4, UP4), TAG3, TCP(443)),
	C("triple_tag_8100", DROP_(VLAN_DEPTH), IP4(0x31, D3_4, UP4), .nr_vlan = 3,
	  .vlan = { { 0x8100, 100 }, { 0x8100, 10 }, { 0x8100, 10 } }, TCP(443)),
	C("quad_tag", DROP_(VLAN_DEPTH), IP4(0x31, D3_4, UP4), .nr_vlan = 4,
	  .vlan = { { 0x88a8, 1 }, { 0x88a8, 100 }, { 0x8100, 10 }, { 0x8100, 10 } }, TCP(443)),
	C("triple_tag_to_bootstrap", DROP_(VLAN_DEPTH), U4, TAG3, TCP(BS_TCP)),

	/* ethertypes */
	C("ethertype_lldp", DROP_(ETHERTYPE), L2(0x66), .ethertype = 0x88cc, .payload = 46),
	C("ethertype_mpls", DROP_(ETHERTYPE), L2(0x66), .ethertype = 0x8847, .payload = 46),
	C("ethertype_8023_length", DROP_(ETHERTYPE), L2(0x66), .ethertype = 46, .payload = 46),
	C("ethertype_in_vlan", DROP_(ETHERTYPE), L2(0x66), TAG1(10), .ethertype = 0x88cc,
	  .payload = 46),
	C("eth_only_0800", DROP_(MALFORMED), L2(0x66), .ethertype = 0x0800),
	C("eth_only_86dd", DROP_(MALFORMED), L2(0x66), .ethertype = 0x86dd),
	C("eth_only_0806", DROP_(MALFORMED), L2(0x66), .ethertype = 0x0806),
	C("eth_only_8100", DROP_(MALFORMED), L2(0x66), .ethertype = 0x8100),
	C("eth_only_88a8", DROP_(MALFORMED), L2(0x66), .ethertype = 0x88a8),
	C("eth_only_88b5", DROP_(ETHERTYPE), L2(0x66), .ethertype = 0x88b5),

	/* IPv4 header */
	C("ipv4_options_bound", ID(1), B4, TCP(443), .opt_len = 8),
	C("ipv4_options_40_bound", ID(1), B4, TCP(443), .opt_len = 40),
	C("ipv4_ihl_4", DROP_(MALFORMED), B4, TCP(443), .ihl = 4),
	C("ipv4_ihl_0", DROP_(MALFORMED), B4, TCP(443), .ihl = -1),
	C("ipv4_ihl_beyond_frame", DROP_(MALFORMED), B4, UDP(40000, 53), .ihl = 15),
	C("ipv4_ihl_beyond_tot_len", DROP_(MALFORMED), B4, UDP(40000, 53), .ihl = 6, .ip_len = 20),
	C("ipv4_tot_len_beyond_frame", DROP_(MALFORMED), B4, UDP(40000, 53), .ip_len = 29),
	C("ipv4_tot_len_19", DROP_(MALFORMED), B4, UDP(40000, 53), .ip_len = 19),
	C("ipv4_version_6", DROP_(MALFORMED), B4, TCP(443), .version = 6),
	C("ipv4_udp_hdr_in_padding", DROP_(MALFORMED), B4, UDP(40000, 53), .ip_len = 24),
	C("ipv4_tcp_hdr_in_padding", DROP_(MALFORMED), B4, TCP(443), .ip_len = 28),
	C("ipv4_tcp_doff_4", DROP_(MALFORMED), B4, TCP(443), .tcp_doff = 4),
	C("ipv4_tcp_doff_beyond", DROP_(MALFORMED), B4, TCP(443), .tcp_doff = 15, .payload = 8),
	C("ipv4_icmp_4_bytes", DROP_(MALFORMED), B4, ICMP4(8), .l4_cut = 4),
	C("ipv4_udp_4_bytes_unbound", DROP_(MALFORMED), U4, UDP(40000, BS_UDP), .l4_cut = 4),

	/* IPv4 fragments */
	C("frag4_first_bound", ID(1), B4, TCP(443), .mf = true, .payload = 64),
	C("frag4_later_bound", ID(1), B4, .proto = IPPROTO_TCP, .no_l4 = true, .frag_off = 185,
	  .mf = true, .payload = 64),
	C("frag4_last_bound_1_byte", ID(1), B4, .proto = IPPROTO_TCP, .no_l4 = true, .frag_off = 1,
	  .payload = 1),
	C("frag4_first_unbound_bootstrap", DROP_(FRAGMENT), U4, TCP(BS_TCP), .mf = true,
	  .payload = 64),
	C("frag4_later_unbound_bootstrap", DROP_(FRAGMENT), U4, .proto = IPPROTO_TCP, .no_l4 = true,
	  .frag_off = 3, .payload = 64),
	C("frag4_later_unbound_udp", DROP_(FRAGMENT), U4, .proto = IPPROTO_UDP, .no_l4 = true,
	  .frag_off = 3, .mf = true, .payload = 64),
	C("frag4_tiny_first_bound", DROP_(MALFORMED), B4, TCP(443), .mf = true, .l4_cut = 8),
	C("frag4_tiny_first_unbound", DROP_(MALFORMED), U4, TCP(BS_TCP), .mf = true, .l4_cut = 8),

	/* IPv6 header and extension chain */
	C("ipv6_version_4", DROP_(MALFORMED), B6, TCP(443), .version = 4),
	C("ipv6_payload_len_beyond_frame", DROP_(MALFORMED), B6, UDP(40000, 53), .ip_len = 9),
	C("ipv6_payload_len_0", DROP_(MALFORMED), B6, TCP(443), .ip_len = -1),
	C("ipv6_udp_hdr_in_padding", DROP_(MALFORMED), B6, UDP(40000, 53), .ip_len = 4),
	C("ipv6_tcp_doff_4", DROP_(MALFORMED), B6, TCP(443), .tcp_doff = 4),
	C("ext_hbh_dst_rt_bound", ID(1), B6, TCP(443), .nr_ext = 3,
	  .ext = { X(0), X(60), { .type = 43, .len = 2 } }),
	C("ext_6_bound", ID(1), B6, TCP(443), .nr_ext = 6, .ext = { EXT6 }),
	C("ext_5_and_later_fragment_bound", ID(1), B6, .proto = IPPROTO_TCP, .no_l4 = true,
	  .payload = 64, .nr_ext = 6, .ext = { X(0), X(60), X(43), X(60), X(43),
	  FRAG6(100, true) }),
	C("ext_2kib_bound", ID(1), B6, TCP(443), .nr_ext = 1,
	  .ext = { { .type = 60, .len = 255 } }),
	C("ext_7_bound", DROP_(EXT_CHAIN), B6, TCP(443), EXT7),
	C("ext_7_to_bootstrap", DROP_(EXT_CHAIN), U6, TCP(BS_TCP), EXT7),
	C("ext_7_nd", DROP_(EXT_CHAIN), LL6("ff02::1:ff00:1"), ND(135), .payload = 16,
	  EXT7),
	C("ext_8_with_fragment_last", DROP_(EXT_CHAIN), B6, TCP(443), .nr_ext = 8,
	  .ext = { EXT6, X(60), FRAG6(0, true) }),
	C("ext_len_beyond_frame", DROP_(MALFORMED), B6, TCP(443), .nr_ext = 1,
	  .ext = { { .type = 60, .len_lie = true, .len_claim = 255 } }),
	C("ext_len_beyond_payload_len", DROP_(MALFORMED), B6, .nr_ext = 1,
	  .ext = { { .type = 60, .len_lie = true, .len_claim = 1 } }, .pad = 8),
	C("ext_cut_in_middle", DROP_(MALFORMED), B6, TCP(443), .nr_ext = 2,
	  .ext = { X(0), { .type = 60, .len = 1 } }, .ip_len = 20),
	C("ext_hbh_only_4_bytes", DROP_(MALFORMED), B6, TCP(443), .nr_ext = 1, .ext = { X(0) },
	  .cut = 14 + 40 + 4),

	/* IPv6 fragments */
	C("frag6_first_bound", ID(1), B6, TCP(443), .payload = 64, .nr_ext = 1,
	  .ext = { FRAG6(0, true) }),
	C("frag6_later_bound", ID(1), B6, .proto = IPPROTO_TCP, .no_l4 = true, .payload = 64,
	  .nr_ext = 1, .ext = { FRAG6(185, true) }),
	C("frag6_later_bound_qinq", ID(3), IP6(0x31, D3_6, UP6), TAG2(100, 10),
	  .proto = IPPROTO_UDP, .no_l4 = true, .payload = 1, .nr_ext = 2, .ext = { X(0),
	  FRAG6(7, false) }),
	C("frag6_first_unbound_bootstrap", DROP_(FRAGMENT), U6, TCP(BS_TCP), .payload = 64,
	  .nr_ext = 1, .ext = { FRAG6(0, true) }),
	C("frag6_later_unbound_bootstrap", DROP_(FRAGMENT), U6, .proto = IPPROTO_TCP, .no_l4 = true,
	  .payload = 64, .nr_ext = 1, .ext = { FRAG6(185, false) }),
	C("frag6_atomic_unbound_bootstrap", DROP_(FRAGMENT), U6, TCP(BS_TCP), .nr_ext = 1,
	  .ext = { FRAG6(0, false) }),
	C("frag6_tiny_first_bound", DROP_(MALFORMED), B6, TCP(443), .l4_cut = 8, .nr_ext = 1,
	  .ext = { FRAG6(0, true) }),
	C("frag6_header_cut", DROP_(MALFORMED), B6, TCP(443), .nr_ext = 1,
	  .ext = { FRAG6(0, true) }, .ip_len = 4),
};
/* clang-format on */

#endif /* TP_VERDICT_CASES_H */
