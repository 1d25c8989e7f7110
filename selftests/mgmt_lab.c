// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgmt_lab.c - the management-address lab of test_siem.c and test_api.c
 * (see mgmt_lab.h), on top of daemon_lab.c.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt_lab.h"
#include "test_progs.h"

#define HTTP_READY_MS 5000

struct mlab ml;

static bool append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	bool ok = f && fputs(text, f) >= 0;

	if (f && fclose(f))
		ok = false;
	return ASSERT_TRUE(ok, path);
}

static bool make_token(void)
{
	unsigned char raw[16];
	int fd = open("/dev/urandom", O_RDONLY);
	bool ok = fd >= 0 && read(fd, raw, sizeof(raw)) == sizeof(raw);
	FILE *f;

	if (fd >= 0)
		close(fd);
	if (!ASSERT_TRUE(ok, "random token"))
		return false;
	for (int i = 0; i < 16; i++)
		sprintf(ml.token + 2 * i, "%02x", raw[i]);
	snprintf(ml.token_file, sizeof(ml.token_file), "%s/api.token", dl.dir);
	fd = open(ml.token_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	ok = f && fprintf(f, "%s\n", ml.token) > 0;
	if (f && fclose(f))
		ok = false;
	return ASSERT_TRUE(ok, "token file");
}

bool mlab_up(const char *tag, const char *extra)
{
	struct dlab_opts o = {.conntrack = true};
	char text[3 * PATH_MAX + 4096];

	memset(&ml, 0, sizeof(ml));
	if (!dlab_up(tag, &o) || !make_token())
		return false;
	snprintf(ml.events, sizeof(ml.events), "%s/events.json", dl.dir);
	snprintf(ml.url, sizeof(ml.url), "http://127.0.0.1:%d", MLAB_PORT);
	snprintf(text, sizeof(text),
		 "[http]\nlisten = 127.0.0.1:%d\ntoken_file = %s\n"
		 "[events]\nfile = %s\nto_stderr = yes\n%s",
		 MLAB_PORT, ml.token_file, ml.events, extra ? extra : "");
	if (extra && strlen(extra) > 4000)
		return ASSERT_TRUE(false, "extra config fits");
	return append(dl.conf, text);
}

bool mlab_start(void)
{
	long end = dlab_now_ms() + HTTP_READY_MS;

	if (!dlab_daemon_start())
		return false;
	do {
		if (mlab_http("GET", "/metrics", NULL, NULL, 0, NULL, NULL,
			      NULL) == 200)
			return true;
		dlab_sleep_ms(100);
	} while (dlab_now_ms() < end);
	CHECK_FAIL_("http ready", "no answer on %s/metrics", ml.url);
	dlab_log_dump("http not ready");
	return false;
}

void mlab_down(void)
{
	dlab_down();
	memset(&ml, 0, sizeof(ml));
}

int mlab_http(const char *method, const char *path, const char *token,
	      const char *body, size_t len, const char *extra, char **resp,
	      size_t *resp_len)
{
	char req[PATH_MAX + 16], out[PATH_MAX + 16], auth[600] = "",
						     data[PATH_MAX + 80] = "";
	bool typed = extra && strstr(extra, "Content-Type");
	struct cmd_result r;
	int code = -1;
	FILE *f;

	snprintf(req, sizeof(req), "%s/http.req", dl.dir);
	snprintf(out, sizeof(out), "%s/http.resp", dl.dir);
	unlink(out);
	if (resp)
		*resp = NULL;
	if (body) {
		f = fopen(req, "w");
		if (!f || fwrite(body, 1, len, f) != len) {
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		snprintf(data, sizeof(data), "%s--data-binary @%s",
			 typed ? "" : "-H 'Content-Type: application/json' ",
			 req);
	}
	if (token)
		snprintf(auth, sizeof(auth), "-H 'Authorization: Bearer %s'",
			 token);
	cmd_run(&r, 20,
		"nsenter --net=/run/netns/%s curl -sS -m 10 -o %s -w '%%{http_code}' -X %s %s %s %s '%s%s'",
		dl.gw, out, method, auth, data, extra ? extra : "", ml.url,
		path);
	if (r.out[0])
		code = atoi(r.out);
	if (code <= 0) {
		fprintf(stderr, "curl %s %s: '%s' %s\n", method, path, r.out,
			r.err);
		code = -1;
	}
	cmd_free(&r);
	if (resp)
		*resp = file_slurp(out, resp_len);
	return code;
}

int mlab_call(const char *method, const char *path, const char *token,
	      const char *body, json_object **resp)
{
	char *text = NULL;
	int code = mlab_http(method, path, token, body, body ? strlen(body) : 0,
			     NULL, &text, NULL);

	*resp = text ? json_tokener_parse(text) : NULL;
	if (!*resp && code > 0)
		fprintf(stderr, "%s %s: %d, not JSON: '%.200s'\n", method, path,
			code, text ? text : "");
	free(text);
	return code;
}

/* Append `tpctl -j ARGS` output to f; false on error. */
static bool tp_append(FILE *f, const char *ns, const char *args)
{
	struct cmd_result r;
	bool ok = !dlab_tp(&r, ns, "-j %s", args);

	if (ok)
		fprintf(f, "%s\n", r.out);
	cmd_free(&r);
	return ok;
}

char *mlab_snapshot(void)
{
	json_object *arr = NULL, *o;
	struct cmd_result r;
	char *buf = NULL, args[256];
	size_t len = 0;
	bool ok;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	ok = !dlab_tp(&r, NULL, "-j device list");
	if (ok) {
		fprintf(f, "%s\n", r.out);
		arr = json_tokener_parse(r.out);
	}
	cmd_free(&r);
	for (size_t i = 0; ok && arr && i < json_object_array_length(arr);
	     i++) {
		snprintf(args, sizeof(args), "device show %s",
			 dlab_jstr(json_object_array_get_idx(arr, i), "uuid"));
		ok = tp_append(f, NULL, args);
	}
	json_object_put(arr);
	/* the entries, without what moves on its own (lease, counters) */
	arr = NULL;
	if (ok) {
		ok = !dlab_tp(&r, dl.gw, "-j identity list");
		arr = ok ? json_tokener_parse(r.out) : NULL;
		cmd_free(&r);
	}
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		fprintf(f, "%s %s %s %lld %lld\n", dlab_jstr(o, "ifname"),
			dlab_jstr(o, "ip"), dlab_jstr(o, "mac"),
			dlab_jint(o, "vlan"), dlab_jint(o, "device"));
	}
	json_object_put(arr);
	if (fclose(f) || !ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

json_object *mlab_jpath(json_object *o, const char *path)
{
	char part[64];
	const char *dot;

	while (o && path) {
		dot = strchr(path, '.');
		snprintf(part, sizeof(part), "%.*s",
			 dot ? (int)(dot - path) : (int)strlen(path), path);
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, part, &o))
			return NULL;
		path = dot ? dot + 1 : NULL;
	}
	return o;
}

const char *mlab_jpath_str(json_object *o, const char *path)
{
	json_object *v = mlab_jpath(o, path);

	return v ? json_object_get_string(v) : NULL;
}

json_object *mlab_events(const char *action, const char *name)
{
	json_object *arr = json_object_new_array(), *o;
	FILE *f = fopen(ml.events, "r");
	char *line = NULL;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		o = json_tokener_parse(line);
		if (!o)
			continue;
		if (!strcmp(mlab_jpath_str(o, "event.action") ?: "", action) &&
		    (!name ||
		     !strcmp(mlab_jpath_str(o, "host.name") ?: "", name)))
			json_object_array_add(arr, o);
		else
			json_object_put(o);
	}
	free(line);
	if (f)
		fclose(f);
	return arr;
}

json_object *mlab_event_wait(const char *action, const char *name,
			     int timeout_ms)
{
	long end = dlab_now_ms() + timeout_ms;
	json_object *arr, *o;

	for (;;) {
		arr = mlab_events(action, name);
		if (json_object_array_length(arr)) {
			o = json_object_get(json_object_array_get_idx(arr, 0));
			json_object_put(arr);
			return o;
		}
		json_object_put(arr);
		if (dlab_now_ms() >= end)
			return NULL;
		dlab_sleep_ms(100);
	}
}
