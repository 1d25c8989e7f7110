/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * frame.h - what the bench tools share: the test frames (Ethernet + IPv4 or
 * IPv6 + UDP or TCP, checksums right, so a receiving stack treats them as
 * real traffic), address parsing and a monotonic clock.
 */
#ifndef TP_BENCH_FRAME_H
#define TP_BENCH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define FRAME_MAX 1514

struct frame_spec {
	__u8 smac[6], dmac[6];
	int family; /* AF_INET or AF_INET6 */
	__u8 saddr[16], daddr[16];
	__u8 proto; /* IPPROTO_UDP or IPPROTO_TCP (a SYN) */
	__u16 sport, dport;
	int len; /* frame length without FCS; at least the headers */
};

/* Lays the frame out in buf (FRAME_MAX bytes); returns its length or -EINVAL.
 */
int frame_build(const struct frame_spec *s, __u8 *buf);

int parse_mac(const char *str, __u8 mac[6]);
/* IPv4 or IPv6 text; *family gets AF_INET or AF_INET6. */
int parse_addr(const char *str, int *family, __u8 addr[16]);

__u64 now_ns(void); /* CLOCK_MONOTONIC */

#endif /* TP_BENCH_FRAME_H */
