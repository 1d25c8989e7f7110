/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fill.h - filling the gate's identity map and xdp-filter's source map
 * with many entries, in batches (one syscall per few thousand entries, so
 * a million takes seconds, not minutes), and reading a map's memory.
 *
 * Filler sources are 10.0.0.1 upwards: map keys only, never on a wire,
 * and never the bench frames' documentation-range sources.
 */
#ifndef TP_BENCH_FILL_H
#define TP_BENCH_FILL_H

#include <linux/types.h>

/* The i-th filler source (IPv4, network order). */
__u32 filler_addr(__u32 i);

/* n identities on ifindex, untagged, each with its own MAC and device. */
int fill_gate(int identity_fd, int ifindex, __u32 n);

/*
 * n source rules in xdp-filter's filter_ipv4 (a per-CPU hash): every CPU's
 * value is val, the flag word xdp-filter's CLI writes for `--mode src`.
 */
int fill_xdpf(int ipv4_fd, __u32 n, __u64 val);

/* The kernel's own estimate of a map's memory ("memlock" in fdinfo). */
int map_memlock(int fd, __u64 *bytes);

#endif /* TP_BENCH_FILL_H */
