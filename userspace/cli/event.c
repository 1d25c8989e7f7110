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
#include "lib/config.h"
#include "lib/gate.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s event tail [-f] [count N] [device DEV] [source { log | gate }]\n"
		"\n"
		"       source log (the default when the configuration names an [events]\n"
		"       file): trustpointd's identity-bound events (handshakes, sessions,\n"
		"       revocations, trust, posture, sampled drops) from that file, the\n"
		"       last N (default 10), or followed with -f; device DEV keeps the\n"
		"       events of one device (name or uuid). With -j each event is its\n"
		"       ECS JSON line.\n"
		"       source gate: the gate's raw drop events from its ring buffer, as\n"
		"       text or JSON lines. The ring has one reader: events printed here\n"
		"       are consumed, so use it when no daemon runs.\n" HELP_OPTIONS,
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
		out_uint("sport", e->sport ? " sport %" PRIu64 : NULL,
			 e->sport);
		out_uint("dport", e->dport ? " dport %" PRIu64 : NULL,
			 e->dport);
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
	struct kwarg kw[] = {{"count"}, {"device"}, {"source"}};
	struct tail_ctx c = {};
	struct gate_events *ev;
	bool follow = false;
	char *rest[8];
	int nrest = 0, err;
	const char *logfile = config()->events.file;
	struct tp_gate *g;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "follow"))
			follow = true;
		else if (nrest < 8)
			rest[nrest++] = argv[i];
		else {
			p_err("unexpected argument '%.64s'", argv[i]);
			return 1;
		}
	}
	if (kw_parse(nrest, rest, kw, 3))
		return 1;
	if (kw[2].val && strcmp(kw[2].val, "log") &&
	    strcmp(kw[2].val, "gate")) {
		p_err("source must be log or gate");
		return 1;
	}
	if (kw[2].val ? !strcmp(kw[2].val, "log") : logfile != NULL) {
		uint64_t n = 10;

		if (!logfile) {
			p_err("no events log: set [events] file in the configuration");
			return 1;
		}
		if (kw[0].val && u64_parse(kw[0].val, 1, UINT32_MAX, &n)) {
			p_err("count must be a positive number");
			return 1;
		}
		return tail_event_log(logfile, n, follow, kw[1].val) ? 1 : 0;
	}
	if (kw[1].val) {
		p_err("device DEV needs the events log: the gate's drop events belong to no device");
		return 1;
	}
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
		{"tail", do_tail},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
