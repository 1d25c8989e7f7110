// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_api.c - trustpointd's management API (/v1) over real HTTP: curl in
 * gw's namespace against the daemon's 127.0.0.1 address. Each bad request
 * gets its status code and a JSON error and changes nothing (the registry
 * and the gate entries are snapshotted before and after); the good ones
 * list, show and quarantine; every call is in the audit trail; and a token
 * file that group or other may read keeps the daemon from starting.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt_lab.h"
#include "test_progs.h"

#define WAIT_MS 8000
#define CALLS_MAX 64

/* What the test asked, to find each call in the audit trail. */
static struct {
	char action[16], object[128];
} calls[CALLS_MAX];
static int ncalls;

static void note(const char *method, const char *path)
{
	if (ncalls == CALLS_MAX)
		return;
	snprintf(calls[ncalls].action, sizeof(calls[0].action), "api.%s",
		 method);
	for (char *p = calls[ncalls].action; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	snprintf(calls[ncalls].object, sizeof(calls[0].object), "%s", path);
	ncalls++;
}

static int call(const char *method, const char *path, const char *token,
		const char *body, json_object **resp)
{
	note(method, path);
	return mlab_call(method, path, token, body, resp);
}

struct bad {
	const char *what, *method, *path;
	bool token; /* the right one */
	const char *wrong_token;
	const char *body;
	size_t big;	   /* a body of this many bytes instead */
	const char *extra; /* curl options */
	int status;
};

static void one_bad(const struct bad *b, const char *before)
{
	char *resp = NULL, *after, *body = NULL;
	json_object *o;
	size_t len = 0;
	int code;

	if (b->big) {
		body = malloc(b->big);
		if (!ASSERT_OK_PTR(body, "malloc"))
			return;
		memset(body, 'a', b->big);
		len = b->big;
	} else if (b->body) {
		len = strlen(b->body);
	}
	note(b->method, b->path);
	code = mlab_http(b->method, b->path,
			 b->token ? ml.token : b->wrong_token,
			 body ? body : b->body, len, b->extra, &resp, NULL);
	free(body);
	ASSERT_EQ(code, b->status, b->what);
	o = resp ? json_tokener_parse(resp) : NULL;
	if (!ASSERT_OK_PTR(mlab_jpath_str(o, "error"), b->what))
		fprintf(stderr, "%s: response '%.200s'\n", b->what,
			resp ? resp : "");
	json_object_put(o);
	free(resp);
	after = mlab_snapshot();
	if (ASSERT_OK_PTR(after, "snapshot after") &&
	    !ASSERT_STREQ(after, before, b->what))
		fprintf(stderr, "before:\n%s\nafter:\n%s\n", before, after);
	free(after);
}

static void subtest_bad_requests(void)
{
	static const struct bad bad[] = {
		{"no token", "GET", "/v1/devices", false, NULL, NULL, 0, NULL,
		 401},
		{"no token, POST", "POST", "/v1/devices/dev1/revoke", false,
		 NULL, "{\"reason\":\"keyCompromise\"}", 0, NULL, 401},
		{"wrong token", "POST", "/v1/devices/dev1/quarantine", false,
		 "0123456789abcdef0123456789abcdef", "{}", 0, NULL, 401},
		{"token of another length", "GET", "/v1/devices", false, "x",
		 NULL, 0, NULL, 401},
		{"oversized body", "POST", "/v1/devices/dev1/trust", true, NULL,
		 NULL, 5000, NULL, 413},
		{"oversized chunked body", "POST", "/v1/devices/dev1/trust",
		 true, NULL, NULL, 9000, "-H 'Transfer-Encoding: chunked'",
		 413},
		{"malformed JSON", "POST", "/v1/devices/dev1/trust", true, NULL,
		 "{\"score\": 10,", 0, NULL, 400},
		{"JSON not an object", "POST", "/v1/devices/dev1/trust", true,
		 NULL, "[10]", 0, NULL, 400},
		{"trailing garbage", "POST", "/v1/devices/dev1/quarantine",
		 true, NULL, "{} x", 0, NULL, 400},
		{"empty trust body", "POST", "/v1/devices/dev1/trust", true,
		 NULL, "", 0, NULL, 400},
		{"unknown device", "POST", "/v1/devices/nosuchdev/trust", true,
		 NULL, "{\"score\":10}", 0, NULL, 404},
		{"unknown device GET", "GET", "/v1/devices/nosuchdev", true,
		 NULL, NULL, 0, NULL, 404},
		{"unknown path", "GET", "/v1/users", true, NULL, NULL, 0, NULL,
		 404},
		{"score 101", "POST", "/v1/devices/dev1/trust", true, NULL,
		 "{\"score\":101}", 0, NULL, 400},
		{"score -1", "POST", "/v1/devices/dev1/trust", true, NULL,
		 "{\"score\":-1}", 0, NULL, 400},
		{"score a string", "POST", "/v1/devices/dev1/trust", true, NULL,
		 "{\"score\":\"10\"}", 0, NULL, 400},
		{"score a fraction", "POST", "/v1/devices/dev1/trust", true,
		 NULL, "{\"score\":10.5}", 0, NULL, 400},
		{"no score", "POST", "/v1/devices/dev1/trust", true, NULL,
		 "{\"reason\":\"x\"}", 0, NULL, 400},
		{"bad revocation reason", "POST", "/v1/devices/dev1/revoke",
		 true, NULL, "{\"reason\":\"because\"}", 0, NULL, 400},
		{"GET on an action", "GET", "/v1/devices/dev1/trust", true,
		 NULL, NULL, 0, NULL, 405},
		{"DELETE a device", "DELETE", "/v1/devices/dev1", true, NULL,
		 NULL, 0, NULL, 405},
		{"POST the list", "POST", "/v1/devices", true, NULL, "{}", 0,
		 NULL, 405},
	};
	char *before = mlab_snapshot();

	if (!ASSERT_OK_PTR(before, "snapshot before"))
		return;
	ASSERT_GT(dlab_identity_count(dl.dev_id[1], NULL), 0,
		  "dev1 has entries to lose");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		one_bad(&bad[i], before);
	free(before);
}

static void subtest_get(void)
{
	char path[128];
	json_object *o = NULL, *v;
	int code;

	code = call("GET", "/v1/devices", ml.token, NULL, &o);
	ASSERT_EQ(code, 200, "GET /v1/devices");
	if (ASSERT_TRUE(o && json_object_is_type(o, json_type_array),
			"list is an array")) {
		ASSERT_EQ(json_object_array_length(o), 2, "two devices");
		ASSERT_STREQ(dlab_jstr(json_object_array_get_idx(o, 0), "name")
				     ?: "",
			     "dev1", "first is dev1");
	}
	json_object_put(o);

	code = call("GET", "/v1/devices/dev1", ml.token, NULL, &o);
	ASSERT_EQ(code, 200, "GET /v1/devices/dev1");
	ASSERT_STREQ(mlab_jpath_str(o, "properties.serial_number") ?: "",
		     "SN-DEV1", "property serial_number");
	ASSERT_STREQ(mlab_jpath_str(o, "properties.model") ?: "", "lab-node",
		     "property model");
	ASSERT_STREQ(dlab_jstr(o, "owner") ?: "", "alice", "owner");
	ASSERT_STREQ(dlab_jstr(o, "status") ?: "", "active", "status");
	ASSERT_EQ(dlab_jint(o, "trust"), 100, "trust");
	v = mlab_jpath(o, "certificates");
	if (ASSERT_TRUE(v && json_object_array_length(v) == 1,
			"one certificate")) {
		ASSERT_STREQ(
			dlab_jstr(json_object_array_get_idx(v, 0), "serial")
				?: "",
			dl.dev_serial[1], "certificate serial");
		ASSERT_STREQ(
			dlab_jstr(json_object_array_get_idx(v, 0), "status")
				?: "",
			"good", "certificate good");
	}
	v = mlab_jpath(o, "sessions");
	if (ASSERT_TRUE(v && json_object_array_length(v) >= 1,
			"dev1 session shown"))
		ASSERT_STREQ(dlab_jstr(json_object_array_get_idx(v, 0), "ip")
				     ?: "",
			     LAB_DEV1_IP4, "session ip");
	snprintf(path, sizeof(path), "/v1/devices/%s",
		 dlab_jstr(o, "uuid") ?: "none");
	json_object_put(o);

	code = call("GET", path, ml.token, NULL, &o);
	ASSERT_EQ(code, 200, "GET by uuid");
	ASSERT_STREQ(dlab_jstr(o, "name") ?: "", "dev1", "uuid names dev1");
	json_object_put(o);
	snprintf(path, sizeof(path), "/v1/devices/%lld", dl.dev_id[2]);
	code = call("GET", path, ml.token, NULL, &o);
	ASSERT_EQ(code, 200, "GET by id");
	ASSERT_STREQ(dlab_jstr(o, "name") ?: "", "dev2", "id names dev2");
	json_object_put(o);
}

static void subtest_trust_kept(void)
{
	json_object *o = NULL;
	int code;

	/* above both thresholds: the score only */
	code = call("POST", "/v1/devices/dev2/trust", ml.token,
		    "{\"score\": 70, \"reason\": \"siem: odd hours\"}", &o);
	ASSERT_EQ(code, 200, "trust 70");
	ASSERT_EQ(dlab_jint(o, "trust"), 70, "trust in the answer");
	ASSERT_STREQ(dlab_jstr(o, "status") ?: "", "active", "still active");
	json_object_put(o);
	call("GET", "/v1/devices/dev2", ml.token, NULL, &o);
	ASSERT_EQ(dlab_jint(o, "trust"), 70, "trust stored");
	json_object_put(o);
}

static void subtest_quarantine(void)
{
	json_object *o = NULL;
	char *before, *after;
	int code;

	code = call("POST", "/v1/devices/dev1/quarantine", ml.token,
		    "{\"reason\": \"api test\"}", &o);
	ASSERT_EQ(code, 200, "quarantine dev1");
	ASSERT_STREQ(dlab_jstr(o, "status") ?: "", "quarantined",
		     "answer says quarantined");
	json_object_put(o);
	ASSERT_EQ(dlab_identity_wait(dl.dev_id[1], NULL, 0, WAIT_MS), 0,
		  "dev1 entries gone");
	call("GET", "/v1/devices/dev1", ml.token, NULL, &o);
	ASSERT_STREQ(dlab_jstr(o, "status") ?: "", "quarantined",
		     "registry says quarantined");
	json_object_put(o);

	/* a revoked device stays revoked: 409, and nothing changes */
	code = call("POST", "/v1/devices/dev2/revoke", ml.token,
		    "{\"reason\": \"keyCompromise\"}", &o);
	ASSERT_EQ(code, 200, "revoke dev2");
	json_object_put(o);
	before = mlab_snapshot();
	code = call("POST", "/v1/devices/dev2/quarantine", ml.token, "{}", &o);
	ASSERT_EQ(code, 409, "quarantine a revoked device");
	ASSERT_OK_PTR(mlab_jpath_str(o, "error"), "409 has an error");
	json_object_put(o);
	code = call("POST", "/v1/devices/dev2/trust", ml.token,
		    "{\"score\": 40}", &o);
	ASSERT_EQ(code, 409, "trust of a revoked device");
	json_object_put(o);
	after = mlab_snapshot();
	if (ASSERT_OK_PTR(before, "snapshot") &&
	    ASSERT_OK_PTR(after, "snapshot"))
		ASSERT_STREQ(after, before, "409 changed nothing");
	free(before);
	free(after);
}

static void subtest_audit(void)
{
	struct cmd_result r;
	char path[PATH_MAX + 16], line[300];
	int found = 0, rows = 0;

	snprintf(path, sizeof(path), "%s/registry.db", dl.state);
	if (!ASSERT_OK(
		    cmd_run(&r, 10,
			    "sqlite3 -separator '|' %s \"select actor, action, object from audit where action like 'api.%%' order by id\"",
			    path),
		    "sqlite3 audit"))
		goto out;
	for (char *p = r.out; *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (*p == '\n')
			continue;
		rows++;
		ASSERT_TRUE(!strncmp(p, "api:127.0.0.1|", 14),
			    "actor api:peer");
	}
	/* the test's calls in order (mlab_start's probe is /metrics, not
	 * audited) */
	for (int i = 0; i < ncalls; i++) {
		snprintf(line, sizeof(line), "api:127.0.0.1|%.15s|%.127s\n",
			 calls[i].action, calls[i].object);
		if (strstr(r.out, line))
			found++;
		else
			fprintf(stderr, "not audited: %s", line);
	}
	ASSERT_EQ(found, ncalls, "every call audited");
	ASSERT_EQ(rows, ncalls, "one audit row per call");
out:
	cmd_free(&r);
}

/* A token file group or other may read: the daemon refuses to start. */
static void subtest_token_mode(void)
{
	char conf[PATH_MAX + 16], tok[PATH_MAX + 16];
	struct cmd_result r;
	FILE *f;

	snprintf(tok, sizeof(tok), "%s/open.token", dl.dir);
	snprintf(conf, sizeof(conf), "%s/open.conf", dl.dir);
	f = fopen(tok, "w");
	if (!ASSERT_OK_PTR(f, "token file"))
		return;
	fprintf(f, "%s\n", ml.token);
	fclose(f);
	chmod(tok, 0640);
	f = fopen(conf, "w");
	if (!ASSERT_OK_PTR(f, "config"))
		return;
	fprintf(f,
		"[daemon]\nlisten = 127.0.0.1:4433\ncontrol_socket = %s/open.sock\n"
		"[http]\nlisten = 127.0.0.1:%d\ntoken_file = %s\n",
		dl.dir, MLAB_PORT, tok);
	fclose(f);
	/* in srv's namespace: its own loopback, nothing listening there */
	cmd_run(&r, 20,
		"nsenter --net=/run/netns/%s timeout 10 %s/trustpointd -c %s -S %s -B %s/nopins --foreground",
		dl.srv, env.build_dir, conf, dl.state, dl.dir);
	ASSERT_EQ(r.status, 1, "daemon refuses a 0640 token file");
	ASSERT_HAS_SUBSTR(r.err, "0600", "says why");
	cmd_free(&r);
}

void test_api(void)
{
	struct cmd_result r;

	ncalls = 0;
	if (!mlab_up("api", NULL))
		goto out;
	dlab_tp(&r, NULL,
		"device set dev1 prop serial_number=SN-DEV1 prop model=lab-node");
	cmd_free(&r);
	if (!mlab_start() || !dlab_agent_start(1, NULL))
		goto out;
	if (!ASSERT_TRUE(dlab_session_wait("dev1", WAIT_MS), "dev1 session") ||
	    !ASSERT_GT(
		    dlab_identity_wait(dl.dev_id[1], LAB_DEV1_IP4, 1, WAIT_MS),
		    0, "dev1 bound"))
		goto out;

	if (test__start_subtest("bad_requests"))
		subtest_bad_requests();
	if (test__start_subtest("get"))
		subtest_get();
	if (test__start_subtest("trust_kept"))
		subtest_trust_kept();
	if (test__start_subtest("quarantine"))
		subtest_quarantine();
	if (test__start_subtest("audit"))
		subtest_audit();
	if (test__start_subtest("token_mode"))
		subtest_token_mode();
out:
	mlab_down();
}
