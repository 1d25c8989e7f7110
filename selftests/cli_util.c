// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli_util.c - the setup and the helpers test_cli and test_cli_args share:
 * see cli_util.h.
 */
#include <limits.h>
#include <stdarg.h>

#include "cli_util.h"
#include "test_progs.h"

char cli_ns[64], cli_dir[128];

/* tpctl in our namespace with our pin dir; the arguments are a format. */
int run(struct cmd_result *r, const char *fmt, ...)
{
	char args[6000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return tpctl(r, cli_ns, "-B %s %s", cli_dir, args);
}

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The member key of o when it has the type t, else NULL. */
static json_object *jtyped(json_object *o, const char *key, json_type t)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, t) ? v : NULL;
}

/* Missing or mistyped: NULL, LLONG_MIN, -1, -1; the ASSERTs show it. */
const char *jstr(json_object *o, const char *key)
{
	o = jtyped(o, key, json_type_string);
	return o ? json_object_get_string(o) : NULL;
}

long long jint(json_object *o, const char *key)
{
	o = jtyped(o, key, json_type_int);
	return o ? json_object_get_int64(o) : LLONG_MIN;
}

int jbool(json_object *o, const char *key)
{
	o = jtyped(o, key, json_type_boolean);
	return o ? json_object_get_boolean(o) : -1;
}

int jlen(json_object *arr)
{
	if (!json_object_is_type(arr, json_type_array))
		return -1;
	return json_object_array_length(arr);
}

json_object *jidx(json_object *arr, int i)
{
	return i < jlen(arr) ? json_object_array_get_idx(arr, i) : NULL;
}

/* The member of array arr whose key is the string val. */
json_object *jfind(json_object *arr, const char *key, const char *val)
{
	for (int i = 0; i < jlen(arr); i++) {
		const char *s = jstr(jidx(arr, i), key);

		if (s && !strcmp(s, val))
			return jidx(arr, i);
	}
	return NULL;
}

/* tpctl -j ARGS must succeed; its output, parsed (caller puts it). */
json_object *run_json(const char *args)
{
	struct cmd_result r;
	json_object *o = NULL;

	run(&r, "-j %s", args);
	if (ASSERT_EQ(r.status, 0, args))
		o = parse_one(r.out);
	ASSERT_OK_PTR(o, args);
	cmd_free(&r);
	return o;
}

/* tpctl ARGS must succeed; the caller frees r. */
bool run_ok(struct cmd_result *r, const char *args)
{
	run(r, "%s", args);
	return ASSERT_EQ(r->status, 0, args);
}

bool tp_ok(const char *args)
{
	struct cmd_result r;
	bool ok = run_ok(&r, args);

	cmd_free(&r);
	return ok;
}

/*
 * The error contract: exit status 1 (not a crash, not a timeout); text
 * mode prints "Error: ..." on stderr and nothing on stdout; JSON mode
 * prints one object {"error": "..."} on stdout.
 */
void expect_error(bool json, const char *args)
{
	struct cmd_result r;
	json_object *o;
	bool ok;

	run(&r, "%s%s", json ? "-j " : "", args);
	ok = ASSERT_EQ(r.status, 1, "exit status");
	if (!json) {
		ok &= ASSERT_HAS_SUBSTR(r.err, "Error:", "stderr") &
		      ASSERT_EQ(r.out_len, 0, "stdout empty on error");
	} else {
		o = parse_one(r.out);
		ok &= ASSERT_TRUE(json_object_is_type(o, json_type_object) &&
					  json_object_object_length(o) == 1 &&
					  jstr(o, "error") && *jstr(o, "error"),
				  "{\"error\": \"...\"}");
		json_object_put(o);
	}
	if (!ok)
		fprintf(stderr, "  for: tpctl %s%.200s\n", json ? "-j " : "",
			args);
	cmd_free(&r);
}

char *plain(json_object *o)
{
	return o ? strdup(json_object_to_json_string_ext(
			   o, JSON_C_TO_STRING_PLAIN))
		 : NULL;
}

/*
 * `tpctl ARGS` of an identity listing in JSON as a string, with lease_left
 * taken out (it runs with the clock) and kept in lease[] when given.
 */
char *identity_plain(const char *args, long long *lease, int *n)
{
	struct cmd_result r;
	json_object *l = NULL;
	char *s;

	run(&r, "%s", args);
	if (ASSERT_EQ(r.status, 0, args))
		l = parse_one(r.out);
	cmd_free(&r);
	for (int i = 0; i < jlen(l); i++) {
		if (lease && i < *n)
			lease[i] = jint(jidx(l, i), "lease_left");
		json_object_object_del(jidx(l, i), "lease_left");
	}
	if (n)
		*n = jlen(l) < *n ? jlen(l) : *n;
	s = plain(l);
	json_object_put(l);
	return s;
}

bool cli_setup(const char *tag, char **attach_out)
{
	struct cmd_result r = {0};
	bool ok = false;

	snprintf(cli_ns, sizeof(cli_ns), "tp%s-%s", tag, env.suffix);
	snprintf(cli_dir, sizeof(cli_dir), "/sys/fs/bpf/tp-%s-%s", tag,
		 env.suffix);

	SYS(out,
	    "ip netns add %1$s && ip -n %1$s link add " IF_GATE
	    " type veth peer name " IF_PEER " address " PEER_MAC
	    " && ip -n %1$s link set " IF_GATE " up"
	    " && ip -n %1$s link set " IF_PEER " up"
	    " && ip -n %1$s addr add " PEER_IP "/24 dev " IF_PEER
	    " && ip -n %1$s neigh add " SINK_IP " lladdr " SINK_MAC
	    " dev " IF_PEER " nud permanent",
	    cli_ns);
	run(&r, "-j gate attach dev %s", IF_GATE);
	if (!ASSERT_EQ(r.status, 0, "gate attach (setup)"))
		goto out;
	if (attach_out)
		*attach_out = strdup(r.out);
	ok = true;
out:
	cmd_free(&r);
	return ok;
}

void cli_teardown(void)
{
	struct cmd_result r = {0};

	tpctl(&r, cli_ns, "-B %s gate detach all", cli_dir);
	cmd_free(&r);
	SYS_NOFAIL("rm -rf %s", cli_dir);
	SYS_NOFAIL("ip netns del %s", cli_ns);
}
