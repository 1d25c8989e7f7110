/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gate.h - the library around the XDP gate: load, pin, attach and detach,
 * and every operation on the gate's maps. This is the only code that
 * touches those maps; trustpointd and tpctl both go through it.
 *
 * All functions return 0 or a negative errno.
 */
#ifndef TP_LIB_GATE_H
#define TP_LIB_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpf/gate.h"

struct gate_bpf;

enum gate_mode {
	GATE_MODE_AUTO = 0, /* native, else generic (reported) */
	GATE_MODE_NATIVE,
	GATE_MODE_GENERIC,
};

struct gate_opts {
	__u32 identity_max; /* 0: TP_IDENTITY_MAX_DEFAULT (or the pinned size)
			     */
	__u32 event_rate;   /* 0: TP_EVENT_RATE_DEFAULT */
	__u32 event_burst;  /* 0: TP_EVENT_BURST_DEFAULT */
};

/* Mount bpffs on /sys/fs/bpf when missing, then create dir (0700). */
int gate_bpffs_prepare(const char *dir);

/*
 * Open and load the gate with its maps pinned under dir, reusing maps
 * already pinned there so their entries survive a reload. The caller owns
 * *skel and frees it with gate_unload().
 */
int gate_load(const char *dir, const struct gate_opts *o,
	      struct gate_bpf **skel);
void gate_unload(struct gate_bpf *skel);
int gate_prog_fd(const struct gate_bpf *skel);

struct gate_link {
	int ifindex;
	enum gate_mode mode; /* what the kernel gave: NATIVE or GENERIC */
	__u32 prog_id;
	__u32 link_id;
	bool replaced;	       /* an existing link got the new program */
	bool vlan_offload_off; /* attach turned VLAN rx offloads off */
};

/*
 * Turn off the receive VLAN offloads that would strip tags before XDP
 * sees them. -EOPNOTSUPP when the device cannot turn them off.
 */
int gate_vlan_offload_off(int ifindex, bool *changed);

/*
 * Attach a freshly loaded gate to each interface and pin one bpf_link per
 * interface. An interface that already has a trustpoint link gets the new
 * program in place (no gap). All or nothing: on failure, links made by
 * this call are removed again. links[] receives n results.
 */
int gate_attach(const char *dir, const int *ifindex, int n, enum gate_mode mode,
		const struct gate_opts *o, struct gate_link *links);
/* Detach and unpin the link of one interface; -ENOENT when none. */
int gate_detach(const char *dir, int ifindex);
/* Links pinned under dir; *links is malloc'd, the caller frees it. */
int gate_links(const char *dir, struct gate_link **links, int *n);

/* Handle on the pinned maps, for everything that is not load/attach. */
struct tp_gate;

/* -ENOENT when no gate was ever loaded under dir. */
int gate_open(const char *dir, struct tp_gate **g);
void gate_close(struct tp_gate *g);

/* Add or replace a binding; creates the device's counters when missing. */
int gate_identity_add(struct tp_gate *g, const struct tp_identity_key *k,
		      const struct tp_identity *v);
int gate_identity_del(struct tp_gate *g, const struct tp_identity_key *k);
int gate_identity_get(struct tp_gate *g, const struct tp_identity_key *k,
		      struct tp_identity *v);
/* Stops early and returns the callback's value when it is non-zero. */
typedef int (*gate_identity_cb)(const struct tp_identity_key *k,
				const struct tp_identity *v, void *ctx);
int gate_identity_foreach(struct tp_gate *g, gate_identity_cb cb, void *ctx);
/*
 * Remove every binding of one device (device_id != NULL) or all bindings;
 * *removed (may be NULL) counts them. The device counters go with them.
 */
int gate_identity_flush(struct tp_gate *g, const __u64 *device_id,
			unsigned int *removed);
/* The bindings of one device (see gate_identity_index). */
int gate_identity_of(struct tp_gate *g, __u64 device_id, gate_identity_cb cb,
		     void *ctx);
/*
 * For the maps' one writer (trustpointd): index this handle's bindings by
 * device, with one walk now, so that gate_identity_of, _del and a device's
 * _flush touch only that device's entries instead of walking the map.
 * Only writes made through this handle are indexed. -EUCLEAN when an
 * entry's counter slot does not name its device (then there is no index
 * and those calls walk, as without one).
 */
int gate_identity_index(struct tp_gate *g);
/* Sum over CPUs of one device's packets and bytes; -ENOENT when none. */
int gate_device_stats(struct tp_gate *g, __u64 device_id,
		      struct tp_counter *sum);

int gate_bootstrap_add(struct tp_gate *g, const struct tp_bootstrap_key *k);
/*
 * Recompute the port bitmap from the endpoints (all words when port < 0):
 * add/del do it, and a load does it for maps pinned by an older gate.
 */
int gate_bootstrap_sync_ports(int bootstrap_fd, int ports_fd, int port);
int gate_bootstrap_del(struct tp_gate *g, const struct tp_bootstrap_key *k);
typedef int (*gate_bootstrap_cb)(const struct tp_bootstrap_key *k, void *ctx);
int gate_bootstrap_foreach(struct tp_gate *g, gate_bootstrap_cb cb, void *ctx);

/* Sums over CPUs. */
int gate_verdicts(struct tp_gate *g, struct tp_counter out[TP_REASON_MAX]);
int gate_evstats(struct tp_gate *g, __u64 out[TP_EV_MAX]);

/* Drop events from the ring buffer. */
struct gate_events;
typedef int (*gate_event_cb)(const struct tp_event *e, void *ctx);
int gate_events_open(struct tp_gate *g, gate_event_cb cb, void *ctx,
		     struct gate_events **ev);
/* Waits up to timeout_ms; returns the number of events handled. */
int gate_events_poll(struct gate_events *ev, int timeout_ms);
/*
 * Handles what is there without waiting, at most max events (max <= 0:
 * all); returns the number handled, so max means "there may be more".
 */
int gate_events_consume(struct gate_events *ev, int max);
void gate_events_close(struct gate_events *ev);

/* Pinned maps under dir with their sizes and entry counts. */
struct gate_map_info {
	char name[32];
	char type[24];
	__u32 id;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 entries; /* counted by walking the keys; 0 for arrays/ring */
};
int gate_maps(const char *dir, struct gate_map_info **maps, int *n);

/* "pass-identity", "drop-unknown", ...; NULL when out of range. */
const char *gate_reason_name(unsigned int reason);
const char *gate_mode_name(enum gate_mode mode);
/* CLOCK_BOOTTIME in ns, the clock of tp_identity.expires_ns. */
__u64 gate_now_ns(void);

#endif /* TP_LIB_GATE_H */
