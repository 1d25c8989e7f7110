/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * netlink.h - what trustpointd asks the kernel about a peer: the interface
 * a route to it leaves by, what VLAN sub-interface that is, the MAC the
 * neighbour table holds for it (libnl-route); and, on revocation, the
 * deletion of its conntrack entries (libmnl, nfnetlink conntrack).
 *
 * Functions return 0 or a negative errno.
 */
#ifndef TP_LIB_NETLINK_H
#define TP_LIB_NETLINK_H

#include <stdint.h>

struct tp_nl;

int tp_nl_open(struct tp_nl **nl);
void tp_nl_close(struct tp_nl *nl);

/* The output interface of the route to addr: where the peer lives. */
int tp_nl_route_oif(struct tp_nl *nl, uint8_t family, const uint8_t addr[16],
		    int *ifindex);

/*
 * A VLAN sub-interface maps to the interface the gate sees the frames on
 * and the tags they carry there: eth0.10 to (eth0, vlan 10, svlan 0), a
 * QinQ eth0.100.10 to (eth0, vlan 10, svlan 100). Any other interface
 * maps to itself with both ids 0.
 */
int tp_nl_link_vlan(struct tp_nl *nl, int ifindex, int *parent, uint16_t *vlan,
		    uint16_t *svlan);

/*
 * The MAC of addr on ifindex from the neighbour table. When there is no
 * usable entry, a zero-length UDP datagram to the address makes the kernel
 * resolve it, and the table is asked again until timeout_ms passes
 * (-EHOSTUNREACH then).
 */
int tp_nl_neigh_mac(struct tp_nl *nl, int ifindex, uint8_t family,
		    const uint8_t addr[16], uint8_t mac[6], int timeout_ms);

/*
 * Delete every conntrack entry whose original source is addr; *deleted
 * (may be NULL) counts them. Nothing to delete is success.
 */
int tp_ct_delete_src(uint8_t family, const uint8_t addr[16],
		     unsigned int *deleted);

#endif /* TP_LIB_NETLINK_H */
