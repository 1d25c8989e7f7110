// SPDX-License-Identifier: GPL-2.0-only
/*
 * control_gate.c - the control commands that change the gate's maps by
 * hand: static identities and bootstrap endpoints. tpctl sends them here
 * while trustpointd runs, so the daemon stays the one writer of the maps.
 * A static binding is refused for a device the registry has revoked or
 * quarantined: no command puts such a device in a map.
 */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/control_gate.h"
#include "lib/gate.h"
#include "lib/registry.h"

static struct json_object *result(int err, const char *what, unsigned int n)
{
	struct json_object *o = json_object_new_object();

	if (err) {
		json_object_object_add(o, "error",
				       json_object_new_string(what));
		return o;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "removed", json_object_new_int64(n));
	return o;
}

static struct json_object *identity_add(struct json_object *req)
{
	struct tp_identity_key k;
	struct reg_device d = {};
	struct tp_identity v;
	const char *why;
	uint64_t lease;
	int err;

	if (ctl_identity_parse(req, &k, &v, &lease, &why))
		return result(-EINVAL, why, 0);
	if (!reg_device_get_id(tpd->reg, v.device_id, &d)) {
		/* a pending device may be a printer that never does mTLS */
		bool cut = d.status == REG_DEV_REVOKED ||
			   d.status == REG_DEV_QUARANTINED;

		reg_device_free(&d);
		if (cut)
			return result(
				-EPERM,
				"the device is revoked or quarantined in the registry",
				0);
	}
	v.expires_ns = gate_now_ns() + lease * 1000000000ULL;
	err = gate_identity_add(tpd->gate, &k, &v);
	if (!err)
		log_msg("static identity added for device %llu by operator",
			(unsigned long long)v.device_id);
	return result(err,
		      err == -ENOSPC ? "no free device slot" : strerror(-err),
		      0);
}

static struct json_object *identity_del(struct json_object *req)
{
	struct tp_identity_key k;
	const char *why;
	int err;

	if (ctl_identity_parse(req, &k, NULL, NULL, &why))
		return result(-EINVAL, why, 0);
	err = gate_identity_del(tpd->gate, &k);
	return result(err, err == -ENOENT ? "no such binding" : strerror(-err),
		      1);
}

static struct json_object *identity_flush(struct json_object *req)
{
	struct json_object *d;
	unsigned int removed = 0;
	__u64 id = 0;
	int err;

	if (json_object_object_get_ex(req, "device", &d)) {
		if (!json_object_is_type(d, json_type_int) ||
		    json_object_get_int64(d) <= 0)
			return result(-EINVAL, "bad device", 0);
		id = json_object_get_int64(d);
	}
	err = gate_identity_flush(tpd->gate, id ? &id : NULL, &removed);
	if (!err)
		log_msg("operator flushed %u identities", removed);
	return result(err, strerror(-err), removed);
}

static struct json_object *bootstrap_change(struct json_object *req, bool add)
{
	struct tp_bootstrap_key k;
	const char *why;
	int err;

	if (ctl_bootstrap_parse(req, &k, &why))
		return result(-EINVAL, why, 0);
	err = add ? gate_bootstrap_add(tpd->gate, &k)
		  : gate_bootstrap_del(tpd->gate, &k);
	return result(err, err == -ENOENT ? "no such endpoint" : strerror(-err),
		      0);
}

struct json_object *control_gate_cmd(const char *cmd, struct json_object *req)
{
	static const char *const cmds[] = {"identity.add", "identity.del",
					   "identity.flush", "bootstrap.add",
					   "bootstrap.del"};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i]))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return NULL;
	if (!tpd->gate)
		return result(-ENOENT, "no gate loaded", 0);
	switch (i) {
	case 0:
		return identity_add(req);
	case 1:
		return identity_del(req);
	case 2:
		return identity_flush(req);
	default:
		return bootstrap_change(req, i == 3);
	}
}
