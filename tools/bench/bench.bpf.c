// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench.bpf.c - the programs the benchmarks measure trustpoint's gate
 * against, and the one that drives the traffic generator:
 *   bench_pass  an empty XDP_PASS program, the floor of any XDP program;
 *   bench_drop  a bare XDP_DROP program, the fastest possible drop;
 *   bench_tx    XDP_TX, run by BPF_PROG_RUN in live-frame mode on one end of
 *               a veth pair: every frame it returns goes out to the peer.
 * They stay bare on purpose: anything added (even a counter) would be
 * measured as part of the floor. Receivers are counted by the interface.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int bench_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
