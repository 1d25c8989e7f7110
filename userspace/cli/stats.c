// SPDX-License-Identifier: GPL-2.0-only
/* stats.c - tpctl stats show: the gate's verdict and event counters. */
#include <stdio.h>
#include <string.h>

#include "cli/main.h"
#include "lib/gate.h"

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s stats show\n"
		"\n"
		"       Packets and bytes per verdict reason, summed over CPUs, and the\n"
		"       drop-event counters (emitted, suppressed by the per-source limit,\n"
		"       lost to a full ring buffer).\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

static int do_show(int argc, char **argv)
{
	static const char *const ev_names[TP_EV_MAX] = {
		[TP_EV_EMITTED] = "emitted",
		[TP_EV_SUPPRESSED] = "suppressed",
		[TP_EV_RINGBUF_FULL] = "ringbuf_full",
	};
	struct tp_counter v[TP_REASON_MAX];
	__u64 ev[TP_EV_MAX];
	struct tp_gate *g;
	int err;

	if (argc) {
		p_err("unexpected argument '%.64s'", argv[0]);
		return 1;
	}
	if (open_gate(&g))
		return 1;
	err = gate_verdicts(g, v);
	err = err ?: gate_evstats(g, ev);
	gate_close(g);
	if (err) {
		p_err("cannot read counters: %s", strerror(-err));
		return 1;
	}
	out_open_object(NULL);
	out_open_object("verdicts");
	out_text("%-20s %15s %18s\n", "verdict", "packets", "bytes");
	for (unsigned int r = 0; r < TP_REASON_MAX; r++) {
		out_open_object(gate_reason_name(r));
		out_text("%-20s", gate_reason_name(r));
		out_uint("packets", " %15" PRIu64, v[r].packets);
		out_uint("bytes", " %18" PRIu64 "\n", v[r].bytes);
		out_close_object();
	}
	out_close_object();
	out_open_object("events");
	out_text("events:");
	for (unsigned int i = 0; i < TP_EV_MAX; i++) {
		char fmt[48];

		snprintf(fmt, sizeof(fmt), " %s %%" PRIu64, ev_names[i]);
		out_uint(ev_names[i], fmt, ev[i]);
	}
	out_text("\n");
	out_close_object();
	out_close_object();
	out_flush();
	return 0;
}

int do_stats(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"show", do_show},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
