/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * revlat.h - what the two halves of the revocation-latency bench share:
 * revlat.c (setup, the control socket, revoke -> entry gone) and
 * revlat_stream.c (revoke -> first dropped packet of a running stream).
 */
#ifndef TP_BENCH_REVLAT_H
#define TP_BENCH_REVLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "bpf/gate.h"

/*
 * A target device's source address is 10.128.0.0 + its registry id, so
 * every run over a range of devices has addresses of its own (ids stay
 * below 65536: see prepare's limit).
 */
#define TARGET_NET 0x0a800000U
#define TARGET_ID_MAX 65535
#define LEASE_S 86400

enum trigger { TRIG_CONTROL, TRIG_HTTP };

struct revlat_opts {
	const char *state, *pin, *sock;
	long devices, identities, first;
	const char *gate_dev;	/* the gate's end of the veth: identity keys */
	const char *sender_dev; /* the stream's end: the bound MAC */
	int gate_ifindex, sender_ifindex;
	__u8 gate_mac[6], sender_mac[6];
	__u32 gate_addr; /* network order */
	enum trigger trigger;
	const char *http;	/* "127.0.0.1:PORT" */
	const char *token_file; /* [http] token_file */
	long gap_ns;		/* the stream's packet spacing */
	long quiet_ms;		/* no packet of the target for this long: cut */
	long warm;		/* packets of a target that must pass first */
};

/* The identity key of device id on the gate end. */
void target_key(const struct revlat_opts *o, long id,
		struct tp_identity_key *k);

/*
 * The devices first..first+devices-1 into the gate, through the daemon's
 * control socket (identity.add), so the daemon knows what to evict.
 */
int targets_add(const struct revlat_opts *o);

/* A device.revoke request for device id, framed for the control socket. */
int ctl_revoke_msg(long id, __u8 **msg, size_t *len);
int ctl_connect(const char *sock);
/* The daemon's answer on fd; true when it says ok. */
bool ctl_answer(int fd);

/* The share (0..1) of the n values in v that are below limit. */
double share_below(const double *v, long n, double limit);

/* The number of entries in the pinned identity map (walks it). */
long map_entries(int mfd);

/* revoke (control socket or HTTP API) -> first dropped packet. */
int stream_run(const struct revlat_opts *o);

#endif /* TP_BENCH_REVLAT_H */
