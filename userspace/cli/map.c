// SPDX-License-Identifier: GPL-2.0-only
/* map.c - tpctl map show: the gate's pinned maps with their entry counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/main.h"
#include "lib/gate.h"

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s map show\n"
		"\n"
		"       Pinned maps under the bpffs directory; dump one with\n"
		"       'bpftool map dump pinned DIR/NAME'.\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

static int do_show(int argc, char **argv)
{
	struct gate_map_info *maps;
	int n, err;

	if (argc) {
		p_err("unexpected argument '%.64s'", argv[0]);
		return 1;
	}
	err = gate_maps(opts.bpffs, &maps, &n);
	if (err) {
		p_err("no gate maps under %s: %s", opts.bpffs,
		      err == -ENOENT ? "gate not loaded" : strerror(-err));
		return 1;
	}
	out_open_array(NULL);
	for (int i = 0; i < n; i++) {
		const struct gate_map_info *m = &maps[i];

		out_open_object(NULL);
		out_uint("id", "%" PRIu64 ": ", m->id);
		out_string("type", "%s", m->type);
		out_string("name", " name %s", m->name);
		out_uint("key_size", "  key %" PRIu64 "B", m->key_size);
		out_uint("value_size", "  value %" PRIu64 "B", m->value_size);
		out_uint("max_entries", "  max_entries %" PRIu64,
			 m->max_entries);
		out_uint("entries", "  entries %" PRIu64 "\n", m->entries);
		out_close_object();
	}
	out_close_array();
	out_flush();
	free(maps);
	return 0;
}

int do_map(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"show", do_show},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
