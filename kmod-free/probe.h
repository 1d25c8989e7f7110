/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * probe.h - the kmod-free feature probe: asks the running kernel, without
 * loading any module and without touching a host interface, whether it
 * has everything the XDP gate needs. `tpctl probe` prints it; the daemon
 * can run it before the first attach to refuse early with a clear reason.
 */
#ifndef TP_KMOD_FREE_PROBE_H
#define TP_KMOD_FREE_PROBE_H

#include <stdbool.h>
#include <linux/types.h>

#define TP_PROBE_FEAT_MAX 16

struct tp_feature {
	const char *name; /* stable: used as the JSON name and in "missing" */
	bool ok;
	bool required; /* false: reported for information only */
	char detail[128];
};

struct tp_probe {
	struct tp_feature feat[TP_PROBE_FEAT_MAX];
	int n;
	char kernel[65]; /* uname -r */
	/*
	 * The ids the xdp_link probe got in its throwaway netns, so a caller
	 * can check that they are gone again (0 when it got none).
	 */
	__u32 xdp_link_id;
	__u32 xdp_prog_id;
};

/*
 * Run every probe. Returns how many required features are missing (0 when
 * trustpoint can run here); never fails as a whole: a probe that cannot
 * run is a missing feature with the reason in its detail.
 */
int tp_probe_run(struct tp_probe *p);
/* The feature called name, or NULL. */
const struct tp_feature *tp_probe_find(const struct tp_probe *p,
				       const char *name);

enum tp_native {
	TP_NATIVE_UNKNOWN = 0, /* kernel < 6.3: no netdev netlink family */
	TP_NATIVE_NO,
	TP_NATIVE_YES,
};

struct tp_iface_probe {
	int ifindex;
	char ifname[16];
	enum tp_native native; /* driver XDP: NETDEV_XDP_ACT_BASIC */
	bool generic; /* generic (skb) XDP: whenever the XDP prog type loads */
	__u64 xdp_features; /* NETDEV_XDP_ACT_* bits when native is known */
	char detail[128];
};

/*
 * Probe one interface of the caller's network namespace. Returns 0, or
 * -ENODEV when ifindex names no interface; a kernel without the netdev
 * family is not an error (native = TP_NATIVE_UNKNOWN).
 */
int tp_probe_iface(int ifindex, struct tp_iface_probe *out);
const char *tp_native_str(enum tp_native n);

#endif /* TP_KMOD_FREE_PROBE_H */
