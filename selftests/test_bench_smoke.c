// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_bench_smoke.c - `make bench` end to end on a tiny scale, so that
 * CI notices when the benchmarks break: tools/bench/run.sh with the
 * smallest knobs, into a folder of its own (links to the built tools), then
 * its results.json read back. Asserted: every figure is there and was
 * measured (never how fast: that is the benchmark's job, not a test's),
 * every revocation left no entry behind, and the bench removed its
 * namespaces, pins and processes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cmd.h"
#include "test_progs.h"

#define HS_COUNT 20
#define HOLD 20
#define REV_IDS 10
#define REV_N 10
#define RUN_LIMIT_S 230 /* the bench's own deadline: its trap cleans up */

static const char *const tools[] = {
	"bench/gate_cost",   "bench/gate_setup",   "bench/trafficgen",
	"bench/hsload",	     "bench/crypto_bound", "bench/revlat",
	"bench/bench.bpf.o", "trustpointd",	   "tpctl",
};

/* A figure of results.json by name, or NULL. */
static json_object *figure(json_object *all, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(all); i++) {
		json_object *f = json_object_array_get_idx(all, i), *n;

		if (json_object_object_get_ex(f, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return f;
	}
	return NULL;
}

static double num(json_object *f, const char *key)
{
	json_object *v;

	if (!f || !json_object_object_get_ex(f, key, &v))
		return -1;
	return json_object_get_double(v);
}

/* The figure exists and its median is a measurement (> 0). */
static json_object *measured(json_object *all, const char *name)
{
	json_object *f = figure(all, name);
	char what[160];

	snprintf(what, sizeof(what), "%s measured", name);
	/* a double: ASSERT_GT compares integers, and 0.9 Mpps is a figure */
	ASSERT_TRUE(num(f, "median") > 0, what);
	return f;
}

/* What the bench makes: namespaces "tpb-*", pins "tp-bench-*", a list. */
static char *bench_things(void)
{
	struct cmd_result r;
	char *list;

	cmd_run(&r, 10,
		"ip netns list | awk '/^tpb-/ {print \"netns \" $1}'; "
		"for d in /sys/fs/bpf/tp-bench-*; do "
		"[ -e \"$d\" ] && echo \"pin $d\"; done; true");
	list = r.status ? NULL : strdup(r.out);
	cmd_free(&r);
	return list;
}

/* Remove what is in now but was not in before: this run's leftovers. */
static void remove_new(const char *before, const char *now)
{
	struct cmd_result r;
	char *copy = strdup(now ?: ""), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (before && strstr(before, line))
			continue;
		if (!strncmp(line, "netns tpb-", 10))
			cmd_run(&r, 10, "ip netns del '%s'", line + 6);
		else if (!strncmp(line, "pin /sys/fs/bpf/tp-bench-", 25))
			cmd_run(&r, 10, "rm -rf '%s'", line + 4);
		else
			continue;
		cmd_free(&r);
	}
	free(copy);
}

static void check_results(json_object *all)
{
	static const char *const frames[] = {"authorized", "unknown",
					     "bootstrap"};
	static const char *const algs[] = {"p256", "ed25519"};
	static const char *const rates[] = {"gate-drop",     "gate-pass",
					    "xdp-drop",	     "xdp-pass",
					    "nftables-drop", "xdp-filter-drop"};
	char name[96];
	json_object *f;

	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "gate_cost/gate/%s/1", frames[i]);
		measured(all, name);
		snprintf(name, sizeof(name), "gate_cost/gate/%s/%d", frames[i],
			 REV_IDS);
		measured(all, name);
	}
	for (size_t i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "rate/%s", rates[i]);
		measured(all, name);
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "crypto_bound/%s", algs[i]);
		measured(all, name);
		snprintf(name, sizeof(name), "handshake_cpu/tp/%s/full",
			 algs[i]);
		f = measured(all, name);
		ASSERT_EQ(num(f, "handshakes"), HS_COUNT, "every handshake");
		snprintf(name, sizeof(name), "handshake_cpu/nginx/%s/full",
			 algs[i]);
		measured(all, name);
		snprintf(name, sizeof(name), "handshake_cpu/s_server/%s/full",
			 algs[i]);
		measured(all, name);
	}
	snprintf(name, sizeof(name), "idle_session_bytes/%d", HOLD);
	f = measured(all, name);
	ASSERT_EQ(num(f, "sessions"), HOLD, "sessions held");

	snprintf(name, sizeof(name), "revoke_entry_gone/%d", REV_IDS);
	f = measured(all, name);
	ASSERT_EQ(num(f, "revocations"), REV_N, "revocations");
	ASSERT_EQ(num(f, "failures"), 0, "no failed revocation");
	for (size_t i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "revoke_first_drop/%s/%d",
			 i ? "http" : "control", REV_IDS);
		f = measured(all, name);
		ASSERT_EQ(num(f, "revocations"), REV_N, "revocations");
		ASSERT_EQ(num(f, "failures"), 0, "no failed revocation");
		/* after every answer the device's entry was gone */
		ASSERT_EQ(num(f, "violations"), 0, "no entry left behind");
	}
}

void test_bench_smoke(void)
{
	char dir[] = "/tmp/tp-bench-smoke-XXXXXX", p[PATH_MAX], t[PATH_MAX];
	char *before = bench_things(), *after = NULL, *md = NULL, *real;
	struct cmd_result r = {};
	json_object *all = NULL;

	if (!ASSERT_OK_PTR(before, "list namespaces and pins") ||
	    !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		goto out_list;
	snprintf(p, sizeof(p), "%s/bench", dir);
	if (!ASSERT_OK(mkdir(p, 0700), "mkdir"))
		goto out;
	/* the bench writes next to its tools: give it a folder of its own */
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, tools[i]);
		snprintf(t, sizeof(t), "%s/%s", env.build_dir, tools[i]);
		real = realpath(t, NULL);
		if (!ASSERT_OK_PTR(real, t) ||
		    !ASSERT_OK(symlink(real, p), tools[i])) {
			free(real);
			goto out;
		}
		free(real);
	}
	cmd_run(&r, RUN_LIMIT_S + 30,
		"cd %s && TPB_COUNTS='1 %d' TPB_RUNS=1 TPB_REPEAT=1000 "
		"TPB_RATE_RUNS=1 TPB_RATE_SECONDS=0.5 TPB_RATE_IDENTITIES=%d "
		"TPB_HS_COUNT=%d TPB_HS_RUNS=1 TPB_STIME_SECONDS=1 "
		"TPB_STIME_RUNS=1 TPB_CRYPTO_RUNS=1 TPB_HOLD=%d TPB_HOLD_RUNS=1 "
		"TPB_HOLD_BIG= TPB_HOLD_DEVICES=5 TPB_REV=%d:%d "
		"timeout -s TERM %d tools/bench/run.sh %s",
		env.src_dir, REV_IDS, REV_IDS, HS_COUNT, HOLD, REV_IDS, REV_N,
		RUN_LIMIT_S, dir);
	if (!ASSERT_OK(r.status, "tools/bench/run.sh")) {
		fprintf(stderr, "%.4000s\n%.4000s\n", r.out, r.err);
		goto out;
	}
	snprintf(p, sizeof(p), "%s/bench/results.json", dir);
	all = json_object_from_file(p);
	if (!ASSERT_TRUE(all && json_object_is_type(all, json_type_array),
			 "results.json is a JSON array"))
		goto out;
	check_results(all);
	snprintf(p, sizeof(p), "%s/bench/results.md", dir);
	md = file_slurp(p, NULL);
	ASSERT_HAS_SUBSTR(md, "## Targets (issue 6)",
			  "results.md: the gate's targets");
	ASSERT_HAS_SUBSTR(md, "## Targets (TLS)", "results.md: TLS targets");
out:
	after = bench_things();
	ASSERT_STREQ(after ?: "?", before, "the bench removed what it made");
	remove_new(before, after);
	cmd_free(&r);
	cmd_run(&r, 20, "rm -rf %s", dir);
	cmd_free(&r);
out_list:
	free(md);
	free(before);
	free(after);
	json_object_put(all);
}
