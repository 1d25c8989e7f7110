// SPDX-License-Identifier: GPL-2.0-only
/*
 * event.c - tpctl event tail: the gate's drop events from its ring buffer,
 * as text or JSON lines (one object per event, for piping into a SIEM).
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/main.h"
#include "lib/addr.h"
#include "lib/gate.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s event tail [-f] [count N]\n"
		"\n"
		"       Print the queued drop events and exit; -f keeps following until\n"
		"       interrupted, count N stops after N events. With -j each event is\n"
		"       one JSON object on its own line. The ring buffer has one reader:\n"
		"       events printed here are consumed.\n"
		HELP_OPTIONS,
		bin_name);
	return 0;
}

struct tail_ctx {
	uint64_t left; /* events still wanted; 0 = no limit */
	bool limited;
};

static int print_event(const struct tp_event *e, void *arg)
{
	struct tail_ctx *c = arg;
	char ifname[IF_NAMESIZE] = "?", src[MAC_STRLEN], dst[MAC_STRLEN];
	char sa[IP_STRLEN], da[IP_STRLEN], et[8];
	const char *reason = gate_reason_name(e->reason);

	if (c->limited && c->left == 0)
		return 1; /* stop consuming: the rest stays queued */
	if_indextoname(e->ifindex, ifname);
	mac_format(e->src_mac, src);
	mac_format(e->dst_mac, dst);
	snprintf(et, sizeof(et), "0x%04x", e->ethertype);

	out_open_object(NULL);
	out_uint("ts_ns", "%" PRIu64, e->ts_ns);
	out_string("reason", " %s", reason ? reason : "unknown");
	out_string("ifname", " dev %s", ifname);
	out_uint("ifindex", NULL, e->ifindex);
	out_uint("vlan", e->vlan ? " vlan %" PRIu64 : NULL, e->vlan);
	out_uint("svlan", e->svlan ? " svlan %" PRIu64 : NULL, e->svlan);
	out_string("src_mac", " %s", src);
	out_string("dst_mac", " > %s", dst);
	out_string("ethertype", " %s", et);
	if (e->family) {
		ip_format(e->family, e->saddr, sa);
		ip_format(e->family, e->daddr, da);
		out_string("family", NULL,
			   e->family == TP_AF_INET ? "ipv4" : "ipv6");
		out_string("saddr", " %s", sa);
		out_string("daddr", " > %s", da);
		out_uint("proto", " proto %" PRIu64, e->l4proto);
		out_uint("sport", e->sport ? " sport %" PRIu64 : NULL, e->sport);
		out_uint("dport", e->dport ? " dport %" PRIu64 : NULL, e->dport);
	}
	out_uint("len", " len %" PRIu64 "\n", e->len);
	out_close_object();
	out_flush();
	if (c->limited)
		c->left--;
	return 0;
}

static int do_tail(int argc, char **argv)
{
	struct kwarg kw[] = { { "count" } };
	struct tail_ctx c = {};
	struct gate_events *ev;
	bool follow = false;
	char *rest[4];
	int nrest = 0, err;
	struct tp_gate *g;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "follow"))
			follow = true;
		else if (nrest < 4)
			rest[nrest++] = argv[i];
		else {
			p_err("unexpected argument '%.64s'", argv[i]);
			return 1;
		}
	}
	if (kw_parse(nrest, rest, kw, 1))
		return 1;
	if (kw[0].val) {
		if (u64_parse(kw[0].val, 1, UINT32_MAX, &c.left)) {
			p_err("count must be a positive number");
			return 1;
		}
		c.limited = true;
	}
	if (open_gate(&g))
		return 1;
	err = gate_events_open(g, print_event, &c, &ev);
	if (err) {
		gate_close(g);
		p_err("cannot read the event ring: %s", strerror(-err));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		err = gate_events_poll(ev, follow ? 200 : 0);
		if (err == -EINTR)
			err = 0;
	} while (follow && !stop && err >= 0 && !(c.limited && c.left == 0));
	gate_events_close(ev);
	gate_close(g);
	if (err < 0) {
		p_err("reading events failed: %s", strerror(-err));
		return 1;
	}
	return 0;
}

int do_event(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "tail", do_tail },
		{ 0 },
	};

	return cmd_select(cmds, argc, argv, do_help);
}
