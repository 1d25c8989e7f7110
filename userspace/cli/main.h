/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * main.h - what tpctl's object files share: the command table and its
 * prefix-matching dispatcher, the keyword-argument parser, and the global
 * options.
 */
#ifndef TP_CLI_MAIN_H
#define TP_CLI_MAIN_H

#include <stdbool.h>

#include "lib/output.h"

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

struct tpctl_opts {
	const char *bpffs; /* pin directory */
	const char *state_dir;
	const char *socket;
	bool debug;
};
extern struct tpctl_opts opts;
extern const char *bin_name;

/*
 * Run the command argv[0] names: an exact name or a unique prefix. With no
 * argument the first command runs (the read-only one, by convention);
 * "help" runs help().
 */
int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv));

/* Options every object's help text lists. */
#define HELP_OPTIONS                                                          \
	"       OPTIONS := { -j|--json [-p|--pretty] | -d|--debug |\n"       \
	"                    -B|--bpffs DIR | -S|--state-dir DIR | -s|--socket PATH }\n"

/*
 * One keyword argument: `name VALUE`. kw_parse() fills val (NULL when the
 * keyword is absent) and refuses unknown, repeated and value-less words.
 */
struct kwarg {
	const char *name;
	const char *val;
};
int kw_parse(int argc, char **argv, struct kwarg *kws, int n);
const char *kw_get(const struct kwarg *kws, int n, const char *name);

/* Objects. */
int do_gate(int argc, char **argv);
int do_identity(int argc, char **argv);
int do_bootstrap(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_event(int argc, char **argv);
int do_probe(int argc, char **argv);
int do_map(int argc, char **argv);

/* Open the pinned gate, reporting a clear error when it is not loaded. */
struct tp_gate;
int open_gate(struct tp_gate **g);

#endif /* TP_CLI_MAIN_H */
