// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - tpctl: global options, the object table and the dispatcher.
 * Grammar: tpctl [OPTIONS] OBJECT {COMMAND | help}; unique prefixes of
 * objects and commands are accepted, ambiguous ones refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cli/main.h"
#include "lib/config.h"
#include "lib/gate.h"

struct tpctl_opts opts = {
	.bpffs = TP_BPFFS_DEFAULT,
	.state_dir = "/var/lib/trustpoint",
	.socket = "/run/trustpoint/control.sock",
};
const char *bin_name = "tpctl";

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv))
{
	const struct cmd *match = NULL;
	char others[256] = "";
	int nmatch = 0;

	if (argc < 1)
		return cmds[0].func ? cmds[0].func(0, argv) : help(0, argv);
	if (!strcmp(argv[0], "help")) {
		if (out_json()) { /* bpftool's convention: help is null */
			out_null(NULL, NULL);
			out_flush();
			return 0;
		}
		return help(argc - 1, argv + 1);
	}
	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[0]))
			return c->func(argc - 1, argv + 1);
		if (!strncmp(c->name, argv[0], strlen(argv[0]))) {
			match = c;
			nmatch++;
			strncat(others, " ",
				sizeof(others) - strlen(others) - 1);
			strncat(others, c->name,
				sizeof(others) - strlen(others) - 1);
		}
	}
	if (nmatch == 1 && argv[0][0])
		return match->func(argc - 1, argv + 1);
	if (nmatch > 1 && argv[0][0])
		p_err("ambiguous '%s', could be:%s", argv[0], others);
	else
		p_err("unknown command '%s' (try '%s ... help')", argv[0],
		      bin_name);
	return 1;
}

int kw_parse(int argc, char **argv, struct kwarg *kws, int n)
{
	for (int i = 0; i < n; i++) {
		kws[i].val = NULL;
		kws[i].set = false;
		kws[i].nvals = 0;
	}
	for (int a = 0; a < argc; a++) {
		struct kwarg *kw = NULL;

		for (int i = 0; i < n; i++)
			if (!strcmp(argv[a], kws[i].name))
				kw = &kws[i];
		if (!kw) {
			p_err("unexpected argument '%.64s'", argv[a]);
			return -EINVAL;
		}
		if (kw->set && !kw->vals) {
			p_err("'%s' given twice", kw->name);
			return -EINVAL;
		}
		kw->set = true;
		if (kw->flag)
			continue;
		if (a + 1 >= argc) {
			p_err("'%s' needs a value", kw->name);
			return -EINVAL;
		}
		kw->val = argv[++a];
		if (kw->vals) {
			if (kw->nvals == kw->max) {
				p_err("'%s' at most %d times", kw->name,
				      kw->max);
				return -E2BIG;
			}
			kw->vals[kw->nvals++] = kw->val;
		}
	}
	return 0;
}

const char *kw_get(const struct kwarg *kws, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kws[i].name, name))
			return kws[i].val;
	return NULL;
}

static struct tp_config cfg;

int config_init(void)
{
	char err[256];
	int ret;

	ret = config_load(opts.config ? opts.config : TP_CONFIG_DEFAULT,
			  opts.config != NULL, &cfg, err, sizeof(err));
	if (ret) {
		p_err("%s", err);
		return ret;
	}
	if (!opts.state_dir_set)
		opts.state_dir = cfg.state_dir;
	if (!opts.bpffs_set && cfg.bpffs)
		opts.bpffs = cfg.bpffs;
	if (opts.state_dir[0] != '/') {
		p_err("state directory must be an absolute path: '%s'",
		      opts.state_dir);
		return -EINVAL;
	}
	return 0;
}

const struct tp_config *config(void)
{
	return &cfg;
}

int open_gate(struct tp_gate **g)
{
	int err = gate_open(opts.bpffs, g);

	if (err == -ENOENT)
		p_err("no gate under %s: run '%s gate attach dev IF' first",
		      opts.bpffs, bin_name);
	else if (err)
		p_err("cannot open the gate's maps under %s: %s", opts.bpffs,
		      strerror(-err));
	return err;
}

void print_done(const char *what)
{
	out_open_object(NULL);
	out_bool(what, NULL, true);
	out_close_object();
	out_flush();
}

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %s [OPTIONS] OBJECT { COMMAND | help }\n"
		"       %s version\n"
		"\n"
		"       OBJECT := { device | user | ca | cert | session | gate | identity |\n"
		"                   bootstrap | stats | event | probe | map }\n" HELP_OPTIONS
		"              -V|--version\n",
		bin_name, bin_name);
	return 0;
}

static int do_version(int argc, char **argv)
{
	if (out_json()) {
		out_open_object(NULL);
		out_string("version", NULL, TP_VERSION);
		out_string("libbpf", NULL, libbpf_version_string());
		out_close_object();
		out_flush();
	} else {
		printf("%s v%s\nusing libbpf %s\n", bin_name, TP_VERSION,
		       libbpf_version_string());
	}
	return 0;
}

static const struct cmd objects[] = {
	{"help", do_help},
	{"gate", do_gate},
	{"identity", do_identity},
	{"bootstrap", do_bootstrap},
	{"stats", do_stats},
	{"event", do_event},
	{"probe", do_probe},
	{"map", do_map},
	{"device", do_device},
	{"user", do_user},
	{"ca", do_ca},
	{"cert", do_cert},
	{"session", do_session},
	{"version", do_version},
	{0},
};

/*
 * Global options may stand anywhere; they are taken out of argv and the
 * rest goes to the objects, so a command can have words like "-f".
 */
static int take_options(int *argcp, char **argv, bool *version)
{
	bool json = false, pretty = false;
	int argc = *argcp, out = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;

		if (!strcmp(a, "--")) {
			while (++i < argc)
				argv[out++] = argv[i];
			break;
		}
		if (!strcmp(a, "-j") || !strcmp(a, "--json"))
			json = true;
		else if (!strcmp(a, "-p") || !strcmp(a, "--pretty"))
			pretty = true;
		else if (!strcmp(a, "-d") || !strcmp(a, "--debug"))
			opts.debug = true;
		else if (!strcmp(a, "-V") || !strcmp(a, "--version"))
			*version = true;
		else if (!strcmp(a, "-B") || !strcmp(a, "--bpffs"))
			dst = &opts.bpffs, opts.bpffs_set = true;
		else if (!strcmp(a, "-S") || !strcmp(a, "--state-dir"))
			dst = &opts.state_dir, opts.state_dir_set = true;
		else if (!strcmp(a, "-c") || !strcmp(a, "--config"))
			dst = &opts.config;
		else if (!strcmp(a, "-s") || !strcmp(a, "--socket"))
			dst = &opts.socket;
		else if (!strncmp(a, "--", 2)) {
			out_init(json, pretty);
			p_err("unrecognized option '%.64s'", a);
			return -EINVAL;
		} else
			argv[out++] = argv[i];
		if (dst) {
			if (++i >= argc || !argv[i][0]) {
				out_init(json, pretty);
				p_err("option '%s' needs a value", a);
				return -EINVAL;
			}
			*dst = argv[i];
		}
	}
	out_init(json, pretty);
	*argcp = out;
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !opts.debug)
		return 0;
	if (level == LIBBPF_INFO && !opts.debug)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	bool version = false;
	int ret;

	if (take_options(&argc, argv, &version))
		return 1;
	libbpf_set_print(libbpf_print);
	if (config_init())
		return 1;
	if (opts.bpffs[0] != '/') {
		p_err("bpffs directory must be an absolute path: '%s'",
		      opts.bpffs);
		return 1;
	}
	if (version)
		return do_version(0, NULL);
	if (argc < 2) {
		do_help(0, NULL);
		return 1;
	}
	if (!strcmp(argv[1], "help") && out_json()) {
		out_null(NULL, NULL);
		out_flush();
		return 0;
	}
	ret = cmd_select(objects, argc - 1, argv + 1, do_help);
	return ret ? 1 : 0;
}
