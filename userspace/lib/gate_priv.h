/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gate_priv.h - the handle on the pinned maps, shared by gate_maps.c (the
 * handle, counters, bootstrap, events) and gate_identity.c (identities,
 * device slots, the per-device index). Not for use outside lib/gate_*.c.
 */
#ifndef TP_LIB_GATE_PRIV_H
#define TP_LIB_GATE_PRIV_H

#include <linux/types.h>

#include "bpf/gate.h"

struct gate_index;

struct tp_gate {
	int identity_fd;
	int dev_stats_fd;
	int dev_slots_fd;
	int bootstrap_fd;
	int bootstrap_ports_fd;
	__u64 *owner; /* cached copy of tp_dev_slots, NULL until first use */
	struct gate_index *ix; /* NULL unless gate_identity_index() */
	int verdicts_fd;
	int evstats_fd;
	int events_fd;
	int ncpus;
};

/* The sum over CPUs of one per-CPU counter. */
int gate_percpu_sum(int fd, const void *key, int ncpus, struct tp_counter *sum);
void gate_index_free(struct tp_gate *g);

#endif /* TP_LIB_GATE_PRIV_H */
