/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * gate.h - the ABI between the XDP gate (gate.bpf.c) and userspace: map
 * keys and values, event records, verdict reasons and pin names. Every
 * struct here is laid out without implicit padding so that BPF and
 * userspace agree byte for byte, and so that bpftool prints it by BTF.
 */
#ifndef TP_GATE_H
#define TP_GATE_H

#include <linux/types.h>

/* Map names; with LIBBPF_PIN_BY_NAME each is pinned as <bpffs dir>/<name>. */
#define TP_MAP_IDENTITY "tp_identity"
#define TP_MAP_DEV_STATS "tp_dev_stats"
#define TP_MAP_DEV_SLOTS "tp_dev_slots"
#define TP_MAP_BOOTSTRAP "tp_bootstrap"
#define TP_MAP_BOOTSTRAP_PORTS "tp_bootstrap_ports"
#define TP_MAP_VERDICTS "tp_verdicts"
#define TP_MAP_EVSTATS "tp_evstats"
#define TP_MAP_EVENTS "tp_events"
#define TP_MAP_EVLIMIT "tp_evlimit"

/* One pinned bpf_link per LAN interface: <bpffs dir>/link_xdp_<ifindex>. */
#define TP_LINK_PIN_PREFIX "link_xdp_"
#define TP_BPFFS_DEFAULT "/sys/fs/bpf/trustpoint"

#define TP_IDENTITY_MAX_DEFAULT 65536
#define TP_DEVICES_MAX 16384 /* devices with bindings at once */
#define TP_BOOTSTRAP_MAX 256
#define TP_EVLIMIT_MAX 8192
#define TP_EVENTS_RINGBUF_BYTES (256 * 1024)

/* The longest IPv6 extension-header chain the gate walks before it gives up. */
#define TP_IPV6_EXT_MAX 6
/* VLAN tags parsed: 802.1ad outer (S-tag) plus 802.1Q inner (C-tag). */
#define TP_VLAN_MAX 2

#define TP_AF_INET 2   /* == AF_INET */
#define TP_AF_INET6 10 /* == AF_INET6 */

/*
 * Verdict reasons. Every frame the gate sees is counted under exactly one;
 * the first TP_REASON_DROP_FIRST are passes.
 */
enum tp_reason {
	TP_PASS_IDENTITY = 0, /* bound source, right MAC, lease running */
	TP_PASS_ARP,	      /* bootstrap: ARP */
	TP_PASS_ND,	      /* bootstrap: ICMPv6 RS/RA/NS/NA, hop limit 255 */
	TP_PASS_DHCP,	      /* bootstrap: DHCPv4 68->67 or DHCPv6 546->547 */
	TP_PASS_BOOTSTRAP,    /* bootstrap: TCP/UDP to a listed endpoint */
	TP_DROP_UNKNOWN,      /* source not bound */
	TP_DROP_MAC_MISMATCH, /* source bound to another MAC */
	TP_DROP_EXPIRED,      /* lease ran out */
	TP_DROP_MALFORMED,    /* truncated or invalid header */
	TP_DROP_FRAGMENT,     /* IP fragment of an unbound source */
	TP_DROP_EXT_CHAIN,    /* IPv6 extension chain beyond TP_IPV6_EXT_MAX */
	TP_DROP_VLAN_DEPTH,   /* more than TP_VLAN_MAX tags */
	TP_DROP_ETHERTYPE,    /* neither ARP, IPv4 nor IPv6 */
	TP_REASON_MAX,
};
#define TP_REASON_DROP_FIRST TP_DROP_UNKNOWN

/*
 * Per-CPU packets and bytes: tp_verdicts[reason], and tp_dev_stats[slot]
 * for the device that holds the slot in tp_dev_slots[slot] (its device
 * id; 0 = free). A device keeps its slot while it has bindings; the array
 * makes counting an authorized frame an inlined lookup, not a hash walk.
 */
struct tp_counter {
	__u64 packets;
	__u64 bytes;
};

/* Indices of tp_evstats, the per-CPU counters of the drop-event path. */
enum tp_evstat {
	TP_EV_EMITTED = 0,  /* written to the ring buffer */
	TP_EV_SUPPRESSED,   /* withheld by the per-source token bucket */
	TP_EV_RINGBUF_FULL, /* ring buffer had no room */
	TP_EV_MAX,
};

/*
 * tp_identity key: where a source lives. vlan is the innermost VLAN id
 * (0 when untagged); svlan the outer id of a double-tagged (802.1ad)
 * frame, else 0. IPv4 addresses fill addr[0..3], the rest stays zero.
 */
struct tp_identity_key {
	__u32 ifindex;
	__u16 vlan;
	__u16 svlan;
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};

#define TP_IDF_STATIC (1U << 0) /* written by an operator, not a session */

/* tp_identity value: who the source is and until when. */
struct tp_identity {
	__u64 device_id;  /* registry device id */
	__u64 expires_ns; /* CLOCK_BOOTTIME; the entry is dead from then on */
	__u8 mac[6];	  /* the MAC the source is bound to */
	__u16 group;	  /* policy group */
	__u32 flags;	  /* TP_IDF_* */
	__u32 slot; /* the device's counters: tp_dev_stats[slot], set by the
		       library */
};

/* tp_bootstrap key: an endpoint any LAN source may reach (dst addr/port). */
struct tp_bootstrap_key {
	__u8 family;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port; /* host byte order */
	__u8 addr[16];
};

struct tp_bootstrap {
	__u32 flags;
};

/*
 * tp_bootstrap_ports: one bit per destination port that some bootstrap
 * endpoint listens on, 64 to a word (key = port / 64). Most dropped frames
 * are then refused by an inlined array lookup instead of a hash miss.
 * Derived from tp_bootstrap by the library, which writes both.
 */
#define TP_BOOTSTRAP_PORT_WORDS (65536 / 64)

/* tp_evlimit: token bucket per source, so a flood cannot drown the ring. */
struct tp_evlimit_key {
	__u32 ifindex;
	__u16 vlan;
	__u16 svlan;
	__u8 family; /* 0 for frames without an IP source: addr holds the MAC */
	__u8 pad[3];
	__u8 addr[16];
};

struct tp_evlimit {
	__u64 last_ns;
	__u64 tokens_milli; /* tokens * 1000 */
};

/* A drop event in the tp_events ring buffer. */
struct tp_event {
	__u64 ts_ns; /* CLOCK_BOOTTIME */
	__u32 ifindex;
	__u32 len; /* frame length */
	__u16 vlan;
	__u16 svlan;
	__u16 ethertype; /* host byte order, after VLAN tags */
	__u16 sport;	 /* host byte order; 0 when not parsed */
	__u16 dport;
	__u8 reason; /* enum tp_reason */
	__u8 family; /* 0, TP_AF_INET or TP_AF_INET6 */
	__u8 l4proto;
	__u8 pad[3];
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 pad2[4];
};

/*
 * Drop events a CPU may try to emit per clock tick, before the per-source
 * limit is even asked: a flood from many sources costs a counter bump.
 */
#define TP_EV_PER_TICK 8

/* Knobs set in .rodata before load. */
#define TP_EVENT_RATE_DEFAULT 10 /* events per second per source */
#define TP_EVENT_BURST_DEFAULT 20

#endif /* TP_GATE_H */
