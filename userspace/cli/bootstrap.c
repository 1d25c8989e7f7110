// SPDX-License-Identifier: GPL-2.0-only
/*
 * bootstrap.c - tpctl bootstrap { add | del | list }: the endpoints any
 * LAN source may reach before it has proved its identity (the gateway's
 * handshake port).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli/main.h"
#include "lib/addr.h"
#include "lib/control_gate.h"
#include "lib/gate.h"

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s bootstrap list\n"
		"       %1$s bootstrap add ip ADDR proto { tcp | udp } port PORT\n"
		"       %1$s bootstrap del ip ADDR proto { tcp | udp } port PORT\n"
		"\n"
		"       ARP, IPv6 ND and DHCP always pass; these endpoints pass too, for\n"
		"       any source, so that an unknown device can reach the handshake.\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

static int parse_endpoint(int argc, char **argv, struct tp_bootstrap_key *k)
{
	struct kwarg kw[] = {{"ip"}, {"proto"}, {"port"}};
	uint64_t port;

	memset(k, 0, sizeof(*k));
	if (kw_parse(argc, argv, kw, 3))
		return -EINVAL;
	if (!kw[0].val) {
		p_err("'ip ADDR' is required");
		return -EINVAL;
	}
	if (ip_parse(kw[0].val, &k->family, k->addr)) {
		p_err("'%.64s' is not an IPv4 or IPv6 address", kw[0].val);
		return -EINVAL;
	}
	if (kw[1].val && !strcmp(kw[1].val, "tcp")) {
		k->proto = IPPROTO_TCP;
	} else if (kw[1].val && !strcmp(kw[1].val, "udp")) {
		k->proto = IPPROTO_UDP;
	} else {
		p_err("'proto' must be tcp or udp");
		return -EINVAL;
	}
	if (!kw[2].val || u64_parse(kw[2].val, 1, 65535, &port)) {
		p_err("'port' must be 1..65535");
		return -EINVAL;
	}
	k->port = port;
	return 0;
}

static int change(int argc, char **argv, bool add)
{
	struct tp_bootstrap_key k;
	struct tp_gate *g;
	int err;

	if (parse_endpoint(argc, argv, &k))
		return 1;
	err = gate_change(
		ctl_bootstrap_req(add ? "bootstrap.add" : "bootstrap.del", &k),
		NULL, &g);
	if (err)
		return 1;
	if (g) { /* no daemon: change the pinned maps here */
		err = add ? gate_bootstrap_add(g, &k)
			  : gate_bootstrap_del(g, &k);
		gate_close(g);
		if (err) {
			p_err("cannot %s endpoint: %s", add ? "add" : "delete",
			      err == -ENOENT ? "no such endpoint"
					     : strerror(-err));
			return 1;
		}
	}
	print_done(add ? "added" : "deleted");
	return 0;
}

static int do_add(int argc, char **argv)
{
	return change(argc, argv, true);
}

static int do_del(int argc, char **argv)
{
	return change(argc, argv, false);
}

static int print_endpoint(const struct tp_bootstrap_key *k, void *ctx)
{
	char ip[IP_STRLEN];

	ip_format(k->family, k->addr, ip);
	out_open_object(NULL);
	out_string("ip", "%s", ip);
	out_string("proto", " %s", k->proto == IPPROTO_TCP ? "tcp" : "udp");
	out_uint("port", " port %" PRIu64 "\n", k->port);
	out_close_object();
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct tp_gate *g;
	int err;

	if (argc) {
		p_err("unexpected argument '%.64s'", argv[0]);
		return 1;
	}
	if (open_gate(&g))
		return 1;
	out_open_array(NULL);
	err = gate_bootstrap_foreach(g, print_endpoint, NULL);
	out_close_array();
	gate_close(g);
	if (err) {
		p_err("cannot read endpoints: %s", strerror(-err));
		return 1;
	}
	out_flush();
	return 0;
}

int do_bootstrap(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", do_list},
		{"add", do_add},
		{"del", do_del},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
