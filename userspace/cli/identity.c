// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity.c - tpctl identity { add | del | list | flush }: the bindings
 * of (interface, VLAN, source address) to a device and its MAC.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli/main.h"
#include "lib/addr.h"
#include "lib/control_gate.h"
#include "lib/gate.h"

#define LEASE_DEFAULT 3600
#define LEASE_MAX (10ULL * 365 * 24 * 3600)
#define DEVICE_ID_MAX ((1ULL << 53) - 1) /* exact in JSON numbers */

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s identity list [device ID]\n"
		"       %1$s identity add dev IF [vlan N] [svlan N] ip ADDR mac MAC device ID\n"
		"                         [group N] [lease SECS]\n"
		"       %1$s identity del dev IF [vlan N] [svlan N] ip ADDR\n"
		"       %1$s identity flush [device ID]\n"
		"\n"
		"       A frame from ADDR on IF (and VLAN) passes the gate only while the lease\n"
		"       runs (default %2$d s) and only with source MAC. vlan is the inner tag,\n"
		"       svlan the outer tag of a double-tagged frame.\n" HELP_OPTIONS,
		bin_name, LEASE_DEFAULT);
	return 0;
}

/* `vlan N` or `svlan N` when given (else *id stays 0): 0..4094. */
static int parse_vlan(const struct kwarg *kw, int n, const char *name,
		      __u16 *id)
{
	const char *s = kw_get(kw, n, name);
	uint64_t v;

	if (!s)
		return 0;
	if (u64_parse(s, 0, 4094, &v)) {
		p_err("%s must be 0..4094, not '%.64s'", name, s);
		return -EINVAL;
	}
	*id = v;
	return 0;
}

/* The key words shared by add and del. */
static int parse_key(const struct kwarg *kw, int n, struct tp_identity_key *k)
{
	const char *dev = kw_get(kw, n, "dev"), *ip = kw_get(kw, n, "ip");
	int ifindex;

	memset(k, 0, sizeof(*k));
	if (!dev || !ip) {
		p_err("'dev IF' and 'ip ADDR' are required");
		return -EINVAL;
	}
	if (ifname_parse(dev, &ifindex)) {
		p_err("no interface '%.64s'", dev);
		return -ENODEV;
	}
	k->ifindex = ifindex;
	if (ip_parse(ip, &k->family, k->addr)) {
		p_err("'%.64s' is not an IPv4 or IPv6 address", ip);
		return -EINVAL;
	}
	if (parse_vlan(kw, n, "vlan", &k->vlan) ||
	    parse_vlan(kw, n, "svlan", &k->svlan))
		return -EINVAL;
	return 0;
}

static int do_add(int argc, char **argv)
{
	struct kwarg kw[] = {{"dev"}, {"vlan"},	  {"svlan"}, {"ip"},
			     {"mac"}, {"device"}, {"group"}, {"lease"}};
	const int n = sizeof(kw) / sizeof(kw[0]);
	struct tp_identity_key k;
	struct tp_identity v = {};
	const char *s;
	uint64_t lease = LEASE_DEFAULT, x;
	struct tp_gate *g;
	int err;

	if (kw_parse(argc, argv, kw, n) || parse_key(kw, n, &k))
		return 1;
	s = kw_get(kw, n, "mac");
	if (!s || mac_parse(s, v.mac)) {
		p_err("'mac MAC' is required, as xx:xx:xx:xx:xx:xx");
		return 1;
	}
	if (v.mac[0] & 1) {
		p_err("%s is a multicast MAC: no device sends from it", s);
		return 1;
	}
	s = kw_get(kw, n, "device");
	if (!s) {
		p_err("'device ID' is required");
		return 1;
	}
	if (u64_parse(s, 1, DEVICE_ID_MAX, &x)) {
		p_err("device must be a number from 1 to %llu, not '%.64s'",
		      DEVICE_ID_MAX, s);
		return 1;
	}
	v.device_id = x;
	s = kw_get(kw, n, "group");
	if (s) {
		if (u64_parse(s, 0, 65535, &x)) {
			p_err("group must be 0..65535, not '%.64s'", s);
			return 1;
		}
		v.group = x;
	}
	s = kw_get(kw, n, "lease");
	if (s && u64_parse(s, 1, LEASE_MAX, &lease)) {
		p_err("lease must be 1..%llu seconds, not '%.64s'", LEASE_MAX,
		      s);
		return 1;
	}
	v.flags = TP_IDF_STATIC;
	v.expires_ns = gate_now_ns() + lease * 1000000000ULL;

	err = gate_change(ctl_identity_req("identity.add", &k, &v, lease), NULL,
			  &g);
	if (err)
		return 1;
	if (g) { /* no daemon: change the pinned maps here */
		err = gate_identity_add(g, &k, &v);
		gate_close(g);
		if (err) {
			p_err("cannot add identity: %s%s", strerror(-err),
			      err == -E2BIG ? " (identity map full)" : "");
			return 1;
		}
	}
	print_done("added");
	return 0;
}

static int do_del(int argc, char **argv)
{
	struct kwarg kw[] = {{"dev"}, {"vlan"}, {"svlan"}, {"ip"}};
	struct tp_identity_key k;
	struct tp_gate *g;
	int err;

	if (kw_parse(argc, argv, kw, 4) || parse_key(kw, 4, &k))
		return 1;
	err = gate_change(ctl_identity_req("identity.del", &k, NULL, 0), NULL,
			  &g);
	if (err)
		return 1;
	if (g) { /* no daemon: change the pinned maps here */
		err = gate_identity_del(g, &k);
		gate_close(g);
		if (err) {
			p_err("cannot delete identity: %s",
			      err == -ENOENT ? "no such binding"
					     : strerror(-err));
			return 1;
		}
	}
	print_done("deleted");
	return 0;
}

struct list_ctx {
	struct tp_gate *g;
	const __u64 *device;
	uint64_t now;
	unsigned int shown;
};

static int print_identity(const struct tp_identity_key *k,
			  const struct tp_identity *v, void *arg)
{
	struct list_ctx *c = arg;
	char ifname[IF_NAMESIZE] = "?", ip[IP_STRLEN], mac[MAC_STRLEN];
	struct tp_counter st = {};
	bool expired = v->expires_ns <= c->now;

	if (c->device && v->device_id != *c->device)
		return 0;
	if_indextoname(k->ifindex, ifname);
	ip_format(k->family, k->addr, ip);
	mac_format(v->mac, mac);
	gate_device_stats(c->g, v->device_id, &st);

	out_open_object(NULL);
	out_string("ifname", "%s", ifname);
	out_uint("ifindex", NULL, k->ifindex);
	if (k->svlan)
		out_text(" svlan %u", k->svlan);
	if (k->vlan)
		out_text(" vlan %u", k->vlan);
	out_uint("vlan", NULL, k->vlan);
	out_uint("svlan", NULL, k->svlan);
	out_string("ip", " %s", ip);
	out_string("mac", " mac %s", mac);
	out_uint("device", " device %" PRIu64, v->device_id);
	out_uint("group", " group %" PRIu64, v->group);
	out_uint("lease_left", " lease %" PRIu64 "s",
		 expired ? 0 : (v->expires_ns - c->now) / 1000000000ULL);
	out_bool("expired", NULL, expired);
	if (expired)
		out_text(" (expired)");
	out_bool("static", NULL, v->flags & TP_IDF_STATIC);
	out_uint("packets", " packets %" PRIu64, st.packets);
	out_uint("bytes", " bytes %" PRIu64 "\n", st.bytes);
	out_close_object();
	c->shown++;
	return 0;
}

/* `device ID` alone, as list and flush take it. */
static int parse_device_filter(int argc, char **argv, __u64 *id,
			       const __u64 **filter)
{
	struct kwarg kw[] = {{"device"}};
	uint64_t v;

	*filter = NULL;
	if (kw_parse(argc, argv, kw, 1))
		return -EINVAL;
	if (!kw[0].val)
		return 0;
	if (u64_parse(kw[0].val, 1, DEVICE_ID_MAX, &v)) {
		p_err("device must be a number from 1 to %llu", DEVICE_ID_MAX);
		return -EINVAL;
	}
	*id = v;
	*filter = id;
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct list_ctx c = {};
	__u64 id;
	int err;

	if (parse_device_filter(argc, argv, &id, &c.device))
		return 1;
	if (open_gate(&c.g))
		return 1;
	c.now = gate_now_ns();
	out_open_array(NULL);
	err = gate_identity_foreach(c.g, print_identity, &c);
	out_close_array();
	gate_close(c.g);
	if (err) {
		p_err("cannot read identities: %s", strerror(-err));
		return 1;
	}
	out_flush();
	return 0;
}

static int do_flush(int argc, char **argv)
{
	struct json_object *req, *resp, *n;
	const __u64 *filter;
	unsigned int removed = 0;
	struct tp_gate *g;
	__u64 id;
	int err;

	if (parse_device_filter(argc, argv, &id, &filter))
		return 1;
	req = ctl_identity_req("identity.flush", NULL, NULL, 0);
	if (filter)
		json_object_object_add(req, "device",
				       json_object_new_int64(*filter));
	err = gate_change(req, &resp, &g);
	if (err)
		return 1;
	if (g) { /* no daemon: flush the pinned map here */
		err = gate_identity_flush(g, filter, &removed);
		gate_close(g);
		if (err) {
			p_err("flush failed after %u entries: %s", removed,
			      strerror(-err));
			return 1;
		}
	} else {
		if (json_object_object_get_ex(resp, "removed", &n))
			removed = json_object_get_int64(n);
		json_object_put(resp);
	}
	out_open_object(NULL);
	out_uint("removed", "removed %" PRIu64 " identities\n", removed);
	out_close_object();
	out_flush();
	return 0;
}

int do_identity(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", do_list},
		{"add", do_add},
		{"del", do_del},
		{"flush", do_flush},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
