/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control_gate.h - the control-socket requests that change the gate's
 * maps by hand (identity add/del/flush, bootstrap add/del): tpctl encodes
 * them, trustpointd, the one writer of the maps, decodes and applies them.
 *
 *   {"cmd":"identity.add","ifindex":3,"vlan":0,"svlan":0,"ip":"192.0.2.11",
 *    "mac":"02:00:00:00:00:11","device":1,"group":0,"lease":3600}
 *   {"cmd":"identity.del","ifindex":3,"vlan":0,"svlan":0,"ip":"192.0.2.11"}
 *   {"cmd":"identity.flush"[,"device":1]}
 *   {"cmd":"bootstrap.add"|"bootstrap.del","ip":"192.0.2.1","proto":6,"port":4433}
 */
#ifndef TP_LIB_CONTROL_GATE_H
#define TP_LIB_CONTROL_GATE_H

#include <stdint.h>
#include <linux/types.h>

#include "bpf/gate.h"

struct json_object;

#define CTL_LEASE_MAX (10ULL * 365 * 24 * 3600)

struct json_object *ctl_identity_req(const char *cmd,
				     const struct tp_identity_key *k,
				     const struct tp_identity *v,
				     uint64_t lease_s);
/*
 * Decode and check an identity request; v and lease_s may be NULL (del).
 * -EINVAL with a reason in err on anything out of range.
 */
int ctl_identity_parse(struct json_object *req, struct tp_identity_key *k,
		       struct tp_identity *v, uint64_t *lease_s,
		       const char **err);

struct json_object *ctl_bootstrap_req(const char *cmd,
				      const struct tp_bootstrap_key *k);
int ctl_bootstrap_parse(struct json_object *req, struct tp_bootstrap_key *k,
			const char **err);

#endif /* TP_LIB_CONTROL_GATE_H */
