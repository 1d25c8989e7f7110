// SPDX-License-Identifier: GPL-2.0-only
/*
 * probe.c - `tpctl probe [dev IF]...`: print what the kmod-free probe
 * found, like `bpftool feature probe`, and exit 1 naming what is missing.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/main.h"
#include "kmod-free/probe.h"

/* Every feature trustpoint probes for is in a stock 5.9 kernel. */
#define TP_MIN_KERNEL "5.9"

static bool is_prefix(const char *word, const char *keyword)
{
	return *word && !strncmp(word, keyword, strlen(word));
}

static int probe_help(void)
{
	if (out_json()) {
		out_null(NULL, NULL);
		out_flush();
		return 0;
	}
	fprintf(stderr,
		"Usage: %s probe [dev IF]...\n"
		"       %s probe help\n"
		"\n"
		"       Ask the running kernel whether it has everything the\n"
		"       XDP gate needs (kernel " TP_MIN_KERNEL
		" or later), without\n"
		"       loading a module or touching a host interface. With\n"
		"       dev IF, also report whether IF's driver has native XDP\n"
		"       (yes|no|unknown); generic XDP is the fallback. Exit\n"
		"       status 1 names what is missing.\n"
		"\n" HELP_OPTIONS,
		bin_name, bin_name);
	return 0;
}

static void print_feature(const struct tp_feature *f)
{
	out_open_object(NULL);
	out_string("name", "%s: ", f->name);
	out_bool("ok", NULL, f->ok);
	out_bool("required", NULL, f->required);
	out_text("%s", f->ok ? "ok" : f->required ? "MISSING" : "no");
	out_string("detail", " (%s)\n", f->detail);
	out_close_object();
}

static void print_iface(const struct tp_iface_probe *ip)
{
	out_open_object(NULL);
	out_string("ifname", "dev %s", ip->ifname);
	out_uint("ifindex", NULL, ip->ifindex);
	out_text(" (ifindex %d):", ip->ifindex);
	out_string("native", " native XDP %s,", tp_native_str(ip->native));
	out_bool("generic", NULL, ip->generic);
	out_text(" generic XDP %s", ip->generic ? "yes" : "no");
	out_string("detail", " (%s)\n", ip->detail);
	out_close_object();
}

/* "a, b, c" of the missing required features, for the error line. */
static void missing_list(const struct tp_probe *p, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < p->n && off < len; i++) {
		if (!p->feat[i].required || p->feat[i].ok)
			continue;
		off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
				p->feat[i].name);
	}
}

static int print_probe(const struct tp_probe *p,
		       const struct tp_iface_probe *ifs, int nifs, int missing)
{
	char msg[600] = "";
	int i;

	if (missing) {
		snprintf(msg, sizeof(msg),
			 "kernel lacks what trustpoint needs: ");
		missing_list(p, msg + strlen(msg), sizeof(msg) - strlen(msg));
	}

	out_open_object(NULL);
	out_string("kernel", "kernel: %s", p->kernel);
	out_text(" (trustpoint needs " TP_MIN_KERNEL " or later)\n");
	out_open_array("features");
	for (i = 0; i < p->n; i++)
		print_feature(&p->feat[i]);
	out_close_array();
	out_open_array("interfaces");
	for (i = 0; i < nifs; i++)
		print_iface(&ifs[i]);
	out_close_array();
	out_open_array("missing");
	out_text("missing:");
	for (i = 0; i < p->n; i++)
		if (p->feat[i].required && !p->feat[i].ok)
			out_string(NULL, " %s", p->feat[i].name);
	out_text("%s\n", missing ? "" : " none");
	out_close_array();
	/*
	 * In JSON the error goes into the report: p_err() would replace
	 * the report, and a second document would break parsers.
	 */
	if (missing && out_json())
		out_string("error", NULL, msg);
	out_close_object();
	out_flush();

	if (!missing)
		return 0;
	if (!out_json())
		p_err("%s", msg);
	return 1;
}

int do_probe(int argc, char **argv)
{
	struct tp_iface_probe *ifs = NULL;
	struct tp_probe p;
	int i, err, nifs = 0, missing, ret = 1;

	if (argc >= 1 && is_prefix(argv[0], "help"))
		return probe_help();

	/* Check every argument before probing anything. */
	ifs = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*ifs));
	if (!ifs) {
		p_err("out of memory");
		return 1;
	}
	for (i = 0; i < argc; i++) {
		if (!is_prefix(argv[i], "dev")) {
			p_err("unknown argument '%s' (try 'tpctl probe help')",
			      argv[i]);
			goto out;
		}
		if (++i >= argc) {
			p_err("dev needs an interface name");
			goto out;
		}
		ifs[nifs].ifindex = if_nametoindex(argv[i]);
		if (!ifs[nifs].ifindex) {
			p_err("no interface '%s' in this network namespace",
			      argv[i]);
			goto out;
		}
		nifs++;
	}

	missing = tp_probe_run(&p);
	for (i = 0; i < nifs; i++) {
		err = tp_probe_iface(ifs[i].ifindex, &ifs[i]);
		if (err) {
			p_err("interface %d: %s", ifs[i].ifindex,
			      strerror(-err));
			goto out;
		}
	}
	ret = print_probe(&p, ifs, nifs, missing);
out:
	free(ifs);
	return ret;
}
