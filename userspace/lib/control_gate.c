// SPDX-License-Identifier: GPL-2.0-only
/* control_gate.c - encode and check the gate-changing control requests. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include "lib/addr.h"
#include "lib/control_gate.h"

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static int get_uint(struct json_object *req, const char *key, uint64_t max,
		    uint64_t *out, bool required)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, key, &v))
		return required ? -ENOENT : 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static const char *get_str(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) > 64)
		return NULL;
	return json_object_get_string(v);
}

struct json_object *ctl_identity_req(const char *cmd,
				     const struct tp_identity_key *k,
				     const struct tp_identity *v,
				     uint64_t lease_s)
{
	struct json_object *o = json_object_new_object();
	char ip[IP_STRLEN], mac[MAC_STRLEN];

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	if (k) {
		ip_format(k->family, k->addr, ip);
		add_int(o, "ifindex", k->ifindex);
		add_int(o, "vlan", k->vlan);
		add_int(o, "svlan", k->svlan);
		json_object_object_add(o, "ip", json_object_new_string(ip));
	}
	if (v) {
		mac_format(v->mac, mac);
		json_object_object_add(o, "mac", json_object_new_string(mac));
		add_int(o, "device", v->device_id);
		add_int(o, "group", v->group);
		add_int(o, "lease", lease_s);
	}
	return o;
}

int ctl_identity_parse(struct json_object *req, struct tp_identity_key *k,
		       struct tp_identity *v, uint64_t *lease_s,
		       const char **err)
{
	uint64_t ifindex = 0, vlan = 0, svlan = 0, dev = 0, group = 0;

	memset(k, 0, sizeof(*k));
	*err = "bad ifindex, vlan or svlan";
	if (get_uint(req, "ifindex", INT32_MAX, &ifindex, true) || !ifindex ||
	    get_uint(req, "vlan", 4094, &vlan, false) ||
	    get_uint(req, "svlan", 4094, &svlan, false))
		return -EINVAL;
	k->ifindex = ifindex;
	k->vlan = vlan;
	k->svlan = svlan;
	*err = "bad ip";
	if (ip_parse(get_str(req, "ip"), &k->family, k->addr))
		return -EINVAL;
	if (!v)
		return 0;
	memset(v, 0, sizeof(*v));
	*err = "bad mac";
	if (mac_parse(get_str(req, "mac"), v->mac) || (v->mac[0] & 1))
		return -EINVAL;
	*err = "bad device, group or lease";
	if (get_uint(req, "device", (1ULL << 53) - 1, &dev, true) || !dev ||
	    get_uint(req, "group", 65535, &group, false) ||
	    get_uint(req, "lease", CTL_LEASE_MAX, lease_s, true) || !*lease_s)
		return -EINVAL;
	v->device_id = dev;
	v->group = group;
	v->flags = TP_IDF_STATIC;
	return 0;
}

struct json_object *ctl_bootstrap_req(const char *cmd,
				      const struct tp_bootstrap_key *k)
{
	struct json_object *o = json_object_new_object();
	char ip[IP_STRLEN];

	ip_format(k->family, k->addr, ip);
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "ip", json_object_new_string(ip));
	add_int(o, "proto", k->proto);
	add_int(o, "port", k->port);
	return o;
}

int ctl_bootstrap_parse(struct json_object *req, struct tp_bootstrap_key *k,
			const char **err)
{
	uint64_t proto = 0, port = 0;

	memset(k, 0, sizeof(*k));
	*err = "bad ip";
	if (ip_parse(get_str(req, "ip"), &k->family, k->addr))
		return -EINVAL;
	*err = "bad proto or port";
	if (get_uint(req, "proto", 255, &proto, true) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    get_uint(req, "port", 65535, &port, true) || !port)
		return -EINVAL;
	k->proto = proto;
	k->port = port;
	return 0;
}
