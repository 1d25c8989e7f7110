/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lab.h - the netns lab of tools/lab.sh as C constants, for tests that
 * send traffic through it. Every value here must match lab.sh exactly;
 * a namespace's name is "<node>-<env.suffix>" (LAB_NS below).
 */
#ifndef TP_LAB_H
#define TP_LAB_H

#define LAB_SH "tools/lab.sh" /* relative to env.src_dir */

/* Node names; the namespace is "<node>-<suffix>". */
#define LAB_GW "gw"
#define LAB_DEV1 "dev1"
#define LAB_DEV2 "dev2"
#define LAB_ROGUE "rogue"
#define LAB_SRV "srv"
#define LAB_SW "sw" /* holds bridge br0, the LAN segment */

/* Fill BUF with the namespace name of NODE in this run. */
#define LAB_NS(buf, node) test__name(buf, sizeof(buf), node)

/* Interfaces. LAN nodes and srv have eth0; sw's port to node X is p-X. */
#define LAB_GW_LAN "lan0"
#define LAB_GW_WAN "wan0"
#define LAB_NODE_IF "eth0"
#define LAB_SW_BRIDGE "br0"

/* The LAN: 192.0.2.0/24 and 2001:db8:1::/64. */
#define LAB_GW_LAN_MAC "02:00:00:00:00:01"
#define LAB_GW_LAN_IP4 "192.0.2.1"
#define LAB_GW_LAN_IP6 "2001:db8:1::1"
#define LAB_DEV1_MAC "02:00:00:00:00:11"
#define LAB_DEV1_IP4 "192.0.2.11"
#define LAB_DEV1_IP6 "2001:db8:1::11"
#define LAB_DEV2_MAC "02:00:00:00:00:12"
#define LAB_DEV2_IP4 "192.0.2.12"
#define LAB_DEV2_IP6 "2001:db8:1::12"
#define LAB_ROGUE_MAC "02:00:00:00:00:66"
#define LAB_ROGUE_IP4 "192.0.2.66"
#define LAB_ROGUE_IP6 "2001:db8:1::66"
#define LAB_LAN_PREFIX4 24
#define LAB_LAN_PREFIX6 64

/* Upstream: 198.51.100.0/24 and 2001:db8:2::/64. */
#define LAB_GW_WAN_MAC "02:00:00:00:01:01"
#define LAB_GW_WAN_IP4 "198.51.100.1"
#define LAB_GW_WAN_IP6 "2001:db8:2::1"
#define LAB_SRV_MAC "02:00:00:00:01:10"
#define LAB_SRV_IP4 "198.51.100.10"
#define LAB_SRV_IP6 "2001:db8:2::10"

/* The MACs as bytes, for raw frames. */
/* clang-format off */
#define LAB_GW_LAN_MAC_BYTES { 0x02, 0, 0, 0, 0, 0x01 }
#define LAB_DEV1_MAC_BYTES { 0x02, 0, 0, 0, 0, 0x11 }
#define LAB_DEV2_MAC_BYTES { 0x02, 0, 0, 0, 0, 0x12 }
#define LAB_ROGUE_MAC_BYTES { 0x02, 0, 0, 0, 0, 0x66 }
/* clang-format on */

/* Switch ports (in sw) and their MACs: 02:00:00:00:f0:<node byte>. */
#define LAB_SW_PORT_GW "p-gw"
#define LAB_SW_PORT_DEV1 "p-dev1"
#define LAB_SW_PORT_DEV2 "p-dev2"
#define LAB_SW_PORT_ROGUE "p-rogue"
#define LAB_SW_BRIDGE_MAC "02:00:00:00:f0:00"

#endif /* TP_LAB_H */
