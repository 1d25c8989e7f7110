// SPDX-License-Identifier: GPL-2.0-only
/* gate.c - tpctl gate { attach | detach | show }: the XDP gate on LAN links. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/main.h"
#include "lib/addr.h"
#include "lib/gate.h"

#define MAX_IFACES 64

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s gate show\n"
		"       %1$s gate attach dev IF [dev IF]... [mode { auto | native | generic }]\n"
		"       %1$s gate detach { dev IF [dev IF]... | all }\n"
		"\n"
		"       attach loads the gate and pins one XDP link per interface under the\n"
		"       bpffs directory; an interface already gated gets the new program in\n"
		"       place. Pinned maps are reused, so identities survive. mode auto tries\n"
		"       native XDP and falls back to generic, saying so.\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

static void print_link(const struct gate_link *l, const char *verb)
{
	char name[IF_NAMESIZE] = "";

	if (!if_indextoname(l->ifindex, name))
		snprintf(name, sizeof(name), "%s", "?");
	out_open_object(NULL);
	out_string("ifname", "%s", name);
	out_int("ifindex", "(%" PRId64 "):", l->ifindex);
	if (verb[0])
		out_text(" %s", verb);
	out_string("mode", " %s", gate_mode_name(l->mode));
	out_uint("prog_id", " prog_id %" PRIu64, l->prog_id);
	out_uint("link_id", " link_id %" PRIu64, l->link_id);
	if (verb[0]) /* attach reports whether it replaced a program */
		out_bool("replaced", NULL, l->replaced);
	if (l->replaced)
		out_text(" (program replaced in place)");
	if (verb[0])
		out_bool("vlan_offload_off",
			 l->vlan_offload_off ? " (VLAN rx offload turned off)"
					     : NULL,
			 l->vlan_offload_off);
	out_text("\n");
	out_close_object();
}

/* Collect `dev IF` pairs; returns the count or -errno after an error. */
static int parse_devs(int argc, char **argv, int *ifindex, const char **mode)
{
	int n = 0;

	for (int a = 0; a < argc; a += 2) {
		if (a + 1 >= argc) {
			p_err("'%s' needs a value", argv[a]);
			return -EINVAL;
		}
		if (mode && !strcmp(argv[a], "mode")) {
			if (*mode) {
				p_err("'mode' given twice");
				return -EINVAL;
			}
			*mode = argv[a + 1];
			continue;
		}
		if (strcmp(argv[a], "dev")) {
			p_err("unexpected argument '%.64s'", argv[a]);
			return -EINVAL;
		}
		if (n == MAX_IFACES) {
			p_err("at most %d interfaces at once", MAX_IFACES);
			return -E2BIG;
		}
		if (ifname_parse(argv[a + 1], &ifindex[n])) {
			p_err("no interface '%.64s'", argv[a + 1]);
			return -ENODEV;
		}
		for (int i = 0; i < n; i++)
			if (ifindex[i] == ifindex[n]) {
				p_err("interface '%s' given twice",
				      argv[a + 1]);
				return -EINVAL;
			}
		n++;
	}
	if (!n) {
		p_err("no interface given (dev IF)");
		return -EINVAL;
	}
	return n;
}

static int do_attach(int argc, char **argv)
{
	struct gate_link links[MAX_IFACES];
	enum gate_mode mode = GATE_MODE_AUTO;
	int ifindex[MAX_IFACES];
	const char *mode_s = NULL;
	int n, err;

	n = parse_devs(argc, argv, ifindex, &mode_s);
	if (n < 0)
		return 1;
	if (mode_s) {
		if (!strcmp(mode_s, "native"))
			mode = GATE_MODE_NATIVE;
		else if (!strcmp(mode_s, "generic"))
			mode = GATE_MODE_GENERIC;
		else if (strcmp(mode_s, "auto")) {
			p_err("mode must be auto, native or generic");
			return 1;
		}
	}
	err = gate_attach(opts.bpffs, ifindex, n, mode, NULL, links);
	if (err) {
		p_err("attach failed: %s%s", strerror(-err),
		      mode == GATE_MODE_NATIVE && err == -EOPNOTSUPP
			      ? " (driver has no native XDP: try mode generic)"
			      : "");
		return 1;
	}
	out_open_array(NULL);
	for (int i = 0; i < n; i++) {
		print_link(&links[i], "attached");
		if (mode == GATE_MODE_AUTO &&
		    links[i].mode == GATE_MODE_GENERIC)
			p_warn("native XDP refused on ifindex %d: using generic XDP (slower)",
			       links[i].ifindex);
	}
	out_close_array();
	out_flush();
	return 0;
}

static int detach_all(void)
{
	struct gate_link *links;
	int n, err;

	err = gate_links(opts.bpffs, &links, &n);
	if (err) {
		p_err("cannot list links under %s: %s", opts.bpffs,
		      strerror(-err));
		return 1;
	}
	for (int i = 0; i < n && !err; i++)
		err = gate_detach(opts.bpffs, links[i].ifindex);
	free(links);
	if (err) {
		p_err("detach failed: %s", strerror(-err));
		return 1;
	}
	out_open_object(NULL);
	out_uint("detached", "detached %" PRIu64 " interface(s)\n", n);
	out_close_object();
	out_flush();
	return 0;
}

static int do_detach(int argc, char **argv)
{
	int ifindex[MAX_IFACES];
	int n, err;

	if (argc == 1 && !strcmp(argv[0], "all"))
		return detach_all();
	n = parse_devs(argc, argv, ifindex, NULL);
	if (n < 0)
		return 1;
	/* check all first: nothing half-applied */
	for (int i = 0; i < n; i++) {
		struct gate_link *links;
		bool found = false;
		int cnt;

		err = gate_links(opts.bpffs, &links, &cnt);
		if (err) {
			p_err("cannot list links: %s", strerror(-err));
			return 1;
		}
		for (int j = 0; j < cnt; j++)
			found |= links[j].ifindex == ifindex[i];
		free(links);
		if (!found) {
			char name[IF_NAMESIZE] = "?";

			if_indextoname(ifindex[i], name);
			p_err("%s has no trustpoint gate", name);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		err = gate_detach(opts.bpffs, ifindex[i]);
		if (err) {
			p_err("detach of ifindex %d failed: %s", ifindex[i],
			      strerror(-err));
			return 1;
		}
	}
	out_open_object(NULL);
	out_uint("detached", "detached %" PRIu64 " interface(s)\n", n);
	out_close_object();
	out_flush();
	return 0;
}

static int do_show(int argc, char **argv)
{
	struct gate_link *links;
	int n, err;

	if (argc) {
		p_err("unexpected argument '%.64s'", argv[0]);
		return 1;
	}
	err = gate_links(opts.bpffs, &links, &n);
	if (err) {
		p_err("cannot list links under %s: %s", opts.bpffs,
		      strerror(-err));
		return 1;
	}
	out_open_array(NULL);
	for (int i = 0; i < n; i++)
		print_link(&links[i], "");
	out_close_array();
	if (!n)
		out_text("no interface gated under %s\n", opts.bpffs);
	out_flush();
	free(links);
	return 0;
}

int do_gate(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"show", do_show},
		{"attach", do_attach},
		{"detach", do_detach},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
