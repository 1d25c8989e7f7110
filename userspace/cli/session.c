// SPDX-License-Identifier: GPL-2.0-only
/*
 * session.c - tpctl session { list | kill }: the devices connected to
 * trustpointd right now, asked over its control socket. Sessions live only
 * in the daemon, so without one there is nothing to list or kill.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cli/main.h"
#include "lib/control.h"

#define CALL_TIMEOUT_MS 10000

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s session list\n"
		"       %1$s session kill DEV\n"
		"\n"
		"       DEV := { NAME | UUID | ID }\n"
		"       kill closes the device's sessions and evicts their entries at\n"
		"       once; the device may connect again (revoke it to keep it out).\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

/* Ask the daemon; reports the error itself. */
static int call(struct json_object *req, struct json_object **resp)
{
	struct json_object *e;
	int err;

	err = control_call(opts.socket, req, resp, CALL_TIMEOUT_MS);
	json_object_put(req);
	if (err == -ENOENT || err == -ECONNREFUSED) {
		p_err("trustpointd is not running (no control socket at %s)",
		      opts.socket);
		return err;
	}
	if (err) {
		p_err("control socket %s: %s", opts.socket, strerror(-err));
		return err;
	}
	if (json_object_object_get_ex(*resp, "error", &e)) {
		p_err("%s", json_object_get_string(e));
		json_object_put(*resp);
		*resp = NULL;
		return -EINVAL;
	}
	return 0;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static void print_session(struct json_object *s)
{
	struct json_object *a = NULL;
	time_t since = get_int(s, "since");
	char when[32] = "";
	struct tm tm;

	if (gmtime_r(&since, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out_open_object(NULL);
	out_string("device", NULL, get_str(s, "device"));
	out_string("name", "%s", get_str(s, "name"));
	out_int("id", " (%" PRId64 ")", get_int(s, "id"));
	out_string("owner", " owner %s", get_str(s, "owner"));
	out_string("state", " %s\n", get_str(s, "state"));
	out_string("peer", "\tpeer %s", get_str(s, "peer"));
	out_int("port", " port %" PRId64, get_int(s, "port"));
	out_open_array("addresses");
	out_text(" addresses");
	json_object_object_get_ex(s, "addresses", &a);
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		out_string(NULL, " %s",
			   json_object_get_string(
				   json_object_array_get_idx(a, i)));
	out_close_array();
	out_text("\n");
	out_string("mac", "\tmac %s", get_str(s, "mac"));
	out_string("ifname", " dev %s", get_str(s, "ifname"));
	out_int("ifindex", NULL, get_int(s, "ifindex"));
	out_int("vlan", " vlan %" PRId64, get_int(s, "vlan"));
	out_int("svlan", " svlan %" PRId64 "\n", get_int(s, "svlan"));
	out_int("since", NULL, since);
	out_text("\tsince %s", when);
	out_int("lease_left", " lease %" PRId64 "s", get_int(s, "lease_left"));
	out_int("packets", " packets %" PRId64, get_int(s, "packets"));
	out_int("bytes", " bytes %" PRId64 "\n", get_int(s, "bytes"));
	out_close_object();
}

static int do_list(int argc, char **argv)
{
	struct json_object *req, *resp, *arr, *next;
	int64_t offset = 0;
	int err = 0;

	if (argc) {
		p_err("usage: session list");
		return 1;
	}
	out_open_array(NULL);
	/* the daemon answers in pages that fit one control message */
	do {
		req = json_object_new_object();
		json_object_object_add(req, "cmd",
				       json_object_new_string("session.list"));
		json_object_object_add(req, "offset",
				       json_object_new_int64(offset));
		if (call(req, &resp))
			return 1;
		if (!json_object_object_get_ex(resp, "sessions", &arr) ||
		    !json_object_is_type(arr, json_type_array)) {
			p_err("malformed answer from trustpointd");
			json_object_put(resp);
			return 1;
		}
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			print_session(json_object_array_get_idx(arr, i));
		next = NULL;
		json_object_object_get_ex(resp, "next", &next);
		err = next && json_object_get_int64(next) <= offset;
		offset = next ? json_object_get_int64(next) : 0;
		json_object_put(resp);
	} while (next && !err);
	out_close_array();
	if (err) {
		p_err("trustpointd's pages do not advance");
		return 1;
	}
	out_flush();
	return 0;
}

static int do_kill(int argc, char **argv)
{
	struct json_object *req, *resp;

	if (argc != 1 || !argv[0][0]) {
		p_err("usage: session kill DEV");
		return 1;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("session.kill"));
	json_object_object_add(req, "device", json_object_new_string(argv[0]));
	if (call(req, &resp))
		return 1;
	out_open_object(NULL);
	out_string("name", "%s: ", get_str(resp, "name"));
	out_int("killed", "%" PRId64 " sessions killed\n",
		get_int(resp, "killed"));
	out_close_object();
	out_flush();
	json_object_put(resp);
	return 0;
}

int do_session(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", do_list},
		{"kill", do_kill},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
