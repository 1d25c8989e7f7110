/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * main.h - what tpctl's object files share: the command table and its
 * prefix-matching dispatcher, the keyword-argument parser, and the global
 * options.
 */
#ifndef TP_CLI_MAIN_H
#define TP_CLI_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/output.h"

struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
};

struct tpctl_opts {
	const char *bpffs; /* pin directory */
	const char *state_dir;
	const char *socket;
	const char *config; /* NULL: TP_CONFIG_DEFAULT, optional */
	bool debug;
	bool bpffs_set, state_dir_set; /* given on the command line */
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
#define HELP_OPTIONS                                                                     \
	"       OPTIONS := { -j|--json [-p|--pretty] | -d|--debug |\n"                   \
	"                    -c|--config FILE | -B|--bpffs DIR | -S|--state-dir DIR |\n" \
	"                    -s|--socket PATH }\n"

/*
 * One keyword argument: `name VALUE`, or a bare word when flag is set, or
 * a repeatable `name VALUE` when vals/max are given. kw_parse() fills val
 * (NULL when absent), set, and vals/nvals, and refuses unknown words,
 * words given twice (unless repeatable) and words without their value.
 */
struct kwarg {
	const char *name;
	bool flag;
	const char **vals; /* repeatable: room for max values */
	int max;
	const char *val;
	bool set;
	int nvals;
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
/*
 * What a change that has nothing more to say prints: {"<what>": true} in
 * JSON, nothing in plain text.
 */
void print_done(const char *what);

/* state.c: the registry, the CA and the configuration, opened for a command. */
struct registry;
struct ca;
struct tp_config;
/* Load the configuration; flags given on the command line win. */
int config_init(void);
const struct tp_config *config(void);
int open_registry(struct registry **r);
/* Create the state directory (0700) when missing. */
int mkdir_state(void);
int open_ca(struct ca **ca);
/* "$CA dir": <state_dir>/ca */
const char *ca_dir(void);
/* Who the audit trail names: "tpctl:<login>". */
const char *actor(void);
/* Read a whole file (at most max bytes); *buf is malloc'd. */
int read_file(const char *path, size_t max, unsigned char **buf, size_t *len);
/*
 * Evict a device's gate entries when a gate is loaded; returns how many,
 * 0 when no gate runs here, or -errno.
 */
int evict_device(long long device_id);
/*
 * Ask trustpointd (consumes req, adds the actor): 0 with *resp when it
 * did it, 1 when no daemon listens (take the direct path), -1 when it
 * refused or failed (reported).
 */
struct json_object;
int daemon_call(struct json_object *req, struct json_object **resp);
/*
 * A change to the gate's maps: trustpointd makes it when it runs (it is
 * the one writer of the maps; consumes req), and *g is NULL; its answer
 * goes to *resp when resp is not NULL (put it). When no daemon listens,
 * *g is the pinned gate, to change here and close. 0, or -1 when it
 * failed (reported).
 */
int gate_change(struct json_object *req, struct json_object **resp,
		struct tp_gate **g);
/* user.c: closes the "records" array and the object an import opened. */
struct import_stats;
void print_import_stats(const struct import_stats *st, bool dry_run);
/* "create", "update", "unchanged", "skip" for an import callback's value. */
const char *import_change_name(int changed);
int do_ca(int argc, char **argv);
int do_cert(int argc, char **argv);
int do_session(int argc, char **argv);
/* event_log.c: print the last n events of the daemon's log, or follow it. */
int tail_event_log(const char *path, unsigned long long n, bool follow,
		   const char *device);
int do_device(int argc, char **argv);
int do_user(int argc, char **argv);

#endif /* TP_CLI_MAIN_H */
