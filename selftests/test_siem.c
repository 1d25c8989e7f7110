// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_siem.c - trustpointd as a SIEM and a reverse proxy see it, in the
 * lab: OCSP at /ocsp asked by `openssl ocsp` (good; revoked with its
 * reason right after a revoke; malformedRequest for garbage; GET too);
 * posture drift (a cloned serial number) quarantines the device; the SIEM
 * story (dev1 streams to srv, a trust score of 10 through the API cuts the
 * stream, OCSP says revoked, and the events are in the JSON file in ECS
 * form); RFC 5424 syslog received by a UDP listener of the test; /metrics
 * parsed strictly (and by promtool when it is installed); and SIGHUP
 * reopening the events file after a logrotate-style move.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt_lab.h"
#include "test_progs.h"

#define WAIT_MS 8000
#define STREAM_PORT 9000

static int syslog_fd = -1;

/* A UDP socket on 127.0.0.1 inside gw's namespace, opened by the test. */
static int syslog_listen(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(MLAB_SYSLOG_PORT)};
	char path[128];
	int self, ns, fd = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", dl.gw);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (self >= 0 && ns >= 0 && !setns(ns, CLONE_NEWNET)) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			fd = -1;
		}
		if (setns(self, CLONE_NEWNET))
			/* the test cannot go on in the wrong namespace */
			abort();
	}
	if (self >= 0)
		close(self);
	if (ns >= 0)
		close(ns);
	return fd;
}

/* `openssl ocsp` for DIR/NAME.pem against /ocsp, in gw; its output. */
static int ocsp_query(const char *name, struct cmd_result *r)
{
	return cmd_run(
		r, 20,
		"nsenter --net=/run/netns/%s openssl ocsp -issuer %s -cert %s/%s.pem -url %s/ocsp -CAfile %s 2>&1",
		dl.gw, dl.ca, dl.dir, name, ml.url, dl.ca);
}

static void subtest_ocsp_good(void)
{
	struct cmd_result r;
	char want[PATH_MAX + 32];

	for (int n = 1; n <= 2; n++) {
		ASSERT_OK(ocsp_query(n == 1 ? "dev1" : "dev2", &r),
			  "openssl ocsp");
		snprintf(want, sizeof(want), "%s/dev%d.pem: good", dl.dir, n);
		ASSERT_HAS_SUBSTR(r.out, want, "good");
		ASSERT_HAS_SUBSTR(r.out, "Response verify OK",
				  "signed by the CA");
		cmd_free(&r);
	}
}

static bool write_posture(int n, const char *serial)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/posture-dev%d", dl.dir, n);
	f = fopen(path, "w");
	if (!ASSERT_OK_PTR(f, "posture file"))
		return false;
	fprintf(f,
		"os=debian\nos_version=12\nmodel=lab-node\n"
		"manufacturer=trustpoint-selftests\nserial_number=%s\n",
		serial);
	return ASSERT_OK(fclose(f), "posture file");
}

static const char *status_of(const char *dev, char *buf, size_t len)
{
	struct cmd_result r;
	json_object *o;

	buf[0] = 0;
	if (!dlab_tp(&r, NULL, "-j device show %s", dev)) {
		o = json_tokener_parse(r.out);
		snprintf(buf, len, "%s", dlab_jstr(o, "status") ?: "");
		json_object_put(o);
	}
	cmd_free(&r);
	return buf;
}

static bool status_wait(const char *dev, const char *want, int timeout_ms)
{
	long end = dlab_now_ms() + timeout_ms;
	char buf[32];

	do {
		if (!strcmp(status_of(dev, buf, sizeof(buf)), want))
			return true;
		dlab_sleep_ms(100);
	} while (dlab_now_ms() < end);
	return false;
}

/* dev2's certificate on a machine with another serial number: a clone. */
static void subtest_posture_drift(void)
{
	json_object *ev;
	char buf[32];

	if (!write_posture(2, "SN-CLONED") || !dlab_agent_start(2, NULL))
		return;
	ASSERT_TRUE(status_wait("dev2", "quarantined", WAIT_MS),
		    "dev2 quarantined");
	ASSERT_STREQ(status_of("dev2", buf, sizeof(buf)), "quarantined",
		     "status");
	ASSERT_EQ(dlab_identity_wait(dl.dev_id[2], NULL, 0, WAIT_MS), 0,
		  "dev2 entries gone");
	ev = mlab_event_wait("posture-drift", "dev2", WAIT_MS);
	if (ASSERT_OK_PTR(ev, "posture-drift event")) {
		ASSERT_HAS_SUBSTR(mlab_jpath_str(ev, "event.reason") ?: "",
				  "SN-CLONED", "reason names the serial");
		ASSERT_STREQ(mlab_jpath_str(ev, "event.kind") ?: "", "alert",
			     "an alert");
		ASSERT_STREQ(mlab_jpath_str(ev, "source.ip") ?: "",
			     LAB_DEV2_IP4, "source.ip");
	}
	json_object_put(ev);
	ev = mlab_event_wait("device-quarantined", "dev2", WAIT_MS);
	ASSERT_STREQ(mlab_jpath_str(ev, "trustpoint.actor") ?: "",
		     "policy:posture-drift", "quarantined by the policy");
	json_object_put(ev);
	dlab_agent_stop(2);
}

static void subtest_ocsp_revoked(void)
{
	char want[PATH_MAX + 32];
	struct cmd_result r;
	json_object *o = NULL;

	ASSERT_EQ(mlab_call("POST", "/v1/devices/dev2/revoke", ml.token,
			    "{\"reason\":\"keyCompromise\"}", &o),
		  200, "API revoke dev2");
	json_object_put(o);
	ocsp_query("dev2", &r);
	snprintf(want, sizeof(want), "%s/dev2.pem: revoked", dl.dir);
	ASSERT_HAS_SUBSTR(r.out, want, "revoked at once");
	ASSERT_HAS_SUBSTR(r.out, "Reason: keyCompromise", "with its reason");
	ASSERT_HAS_SUBSTR(r.out, "Response verify OK", "signed");
	cmd_free(&r);
}

/* What the response file holds, in bytes. */
static bool resp_is(const char *resp, size_t len, const char *want, size_t wlen)
{
	return resp && len == wlen && !memcmp(resp, want, wlen);
}

static void subtest_ocsp_malformed(void)
{
	/* OCSPResponse { responseStatus malformedRequest(1) } */
	static const char malformed[] = "\x30\x03\x0a\x01\x01";
	char hdr[PATH_MAX + 16], extra[PATH_MAX + 96], *resp = NULL;
	size_t len = 0;
	int code;

	snprintf(hdr, sizeof(hdr), "%s/ocsp.hdr", dl.dir);
	snprintf(extra, sizeof(extra),
		 "-H 'Content-Type: application/ocsp-request' -D %s", hdr);
	code = mlab_http("POST", "/ocsp", NULL, "garbage!", 8, extra, &resp,
			 &len);
	ASSERT_EQ(code, 200, "OCSP answers garbage with 200");
	ASSERT_TRUE(resp_is(resp, len, malformed, 5), "malformedRequest");
	ASSERT_TRUE(
		dlab_file_has(hdr, "Content-Type: application/ocsp-response"),
		"ocsp-response content type");
	free(resp);
	/* DER that stops half way */
	code = mlab_http("POST", "/ocsp", NULL, "\x30\x82\x01\x00\x30", 5,
			 extra, &resp, &len);
	ASSERT_EQ(code, 200, "truncated DER");
	ASSERT_TRUE(resp_is(resp, len, malformed, 5), "truncated: malformed");
	free(resp);
	code = mlab_http("GET", "/ocsp/not!base64", NULL, NULL, 0, NULL, &resp,
			 &len);
	ASSERT_EQ(code, 200, "GET garbage");
	ASSERT_TRUE(resp_is(resp, len, malformed, 5), "GET: malformed");
	free(resp);
}

/* RFC 5019 GET: the request base64'd and url-encoded in the path. */
static void subtest_ocsp_get(void)
{
	char want[PATH_MAX + 32], path[4096], *resp = NULL;
	struct cmd_result r;
	size_t len = 0;
	FILE *f;
	int code;

	if (!ASSERT_OK(
		    cmd_run(&r, 20,
			    "openssl ocsp -issuer %s -cert %s/dev1.pem -no_nonce -reqout %s/get.req >/dev/null && base64 -w0 %s/get.req | sed 's/+/%%2B/g; s,/,%%2F,g; s/=/%%3D/g'",
			    dl.ca, dl.dir, dl.dir, dl.dir),
		    "make a request")) {
		cmd_free(&r);
		return;
	}
	snprintf(path, sizeof(path), "/ocsp/%s", r.out);
	cmd_free(&r);
	code = mlab_http("GET", path, NULL, NULL, 0, NULL, &resp, &len);
	ASSERT_EQ(code, 200, "GET /ocsp/...");
	snprintf(want, sizeof(want), "%s/get.resp", dl.dir);
	f = fopen(want, "w");
	if (f) {
		fwrite(resp ? resp : "", 1, len, f);
		fclose(f);
	}
	free(resp);
	cmd_run(&r, 20,
		"openssl ocsp -respin %s/get.resp -issuer %s -cert %s/dev1.pem -CAfile %s -no_nonce 2>&1",
		dl.dir, dl.ca, dl.dir, dl.ca);
	snprintf(want, sizeof(want), "%s/dev1.pem: good", dl.dir);
	ASSERT_HAS_SUBSTR(r.out, want, "GET answers good");
	cmd_free(&r);
}

/* ---- /metrics, parsed strictly ---- */

static bool metric_name(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != ':')
			return false;
	return true;
}

/* {a="b",...}: 0 and the length, or -1. */
static int labels(const char *s, size_t *used)
{
	const char *p = s + 1;

	while (*p != '}') {
		const char *k = p;

		if (!(isalpha((unsigned char)*p) || *p == '_'))
			return -1;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p == k || *p++ != '=' || *p++ != '"')
			return -1;
		while (*p != '"') {
			if (!*p || *p == '\n')
				return -1;
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return -1;
			}
			p++;
		}
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return -1;
	}
	*used = p + 1 - s;
	return 0;
}

static bool value_ok(const char *s)
{
	char *end;

	if (!strcmp(s, "+Inf") || !strcmp(s, "-Inf") || !strcmp(s, "NaN"))
		return true;
	strtod(s, &end);
	return end != s && (!*end || *end == ' ');
}

/* Every line of the exposition format; false (and which) when one is not. */
static bool parse_exposition(char *text)
{
	char *save = NULL, *line, typed[64][64];
	int ntyped = 0;
	bool ok = true;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n, used;

		if (!strncmp(line, "# HELP ", 7) ||
		    !strncmp(line, "# TYPE ", 7)) {
			char *name = line + 7, *sp = strchr(name, ' ');

			if (!sp || !metric_name(name, sp - name))
				goto bad;
			if (line[2] == 'T') {
				if (strcmp(sp + 1, "counter") &&
				    strcmp(sp + 1, "gauge") &&
				    strcmp(sp + 1, "untyped"))
					goto bad;
				for (int i = 0; i < ntyped; i++)
					if (!strncmp(typed[i], name,
						     sp - name) &&
					    !typed[i][sp - name])
						goto bad; /* TYPE twice */
				if (ntyped < 64)
					snprintf(typed[ntyped++], 64, "%.*s",
						 (int)(sp - name), name);
			}
			continue;
		}
		if (line[0] == '#')
			continue;
		n = strcspn(line, "{ ");
		if (!metric_name(line, n))
			goto bad;
		used = 0;
		if (line[n] == '{' && labels(line + n, &used))
			goto bad;
		if (line[n + used] != ' ' || !value_ok(line + n + used + 1))
			goto bad;
		continue;
	bad:
		CHECK_FAIL_("exposition line", "'%.200s'", line);
		ok = false;
	}
	return ok;
}

/* The value of the series "name{labels}" written exactly so, or -1. */
static double series(const char *text, const char *s)
{
	const char *p = text;
	size_t n = strlen(s);

	while ((p = strstr(p, s))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

static void subtest_metrics(void)
{
	char *text = NULL, *copy, file[PATH_MAX + 16];
	struct cmd_result r;
	size_t len = 0;
	FILE *f;

	ASSERT_EQ(
		mlab_http("GET", "/metrics", NULL, NULL, 0, NULL, &text, &len),
		200, "GET /metrics without a token");
	if (!ASSERT_OK_PTR(text, "metrics body"))
		return;
	copy = strdup(text);
	ASSERT_TRUE(copy && parse_exposition(copy), "exposition format");
	free(copy);
	ASSERT_GT(
		series(text, "tp_gate_packets_total{reason=\"pass-identity\"}"),
		0, "gate passes counted");
	ASSERT_GE(
		series(text, "tp_gate_packets_total{reason=\"drop-unknown\"}"),
		0, "drop-unknown present");
	ASSERT_GT(series(text, "tp_gate_bytes_total{reason=\"pass-identity\"}"),
		  0, "gate bytes");
	ASSERT_GE(
		series(text,
		       "tp_handshakes_total{outcome=\"success\",reason=\"verified\"}"),
		2, "handshakes counted");
	ASSERT_GE(series(text, "tp_sessions"), 1, "sessions gauge");
	ASSERT_GE(series(text, "tp_revocations_total"), 1, "revocations");
	ASSERT_GE(series(text, "tp_events_dropped_total"), 0, "events dropped");
	ASSERT_GT(series(text, "tp_events_emitted_total"), 0, "events emitted");
	ASSERT_HAS_SUBSTR(text, "tp_device_packets_total{device_id=\"",
			  "per-device packets");
	ASSERT_HAS_SUBSTR(text, ",name=\"dev1\",owner=\"alice\"} ",
			  "dev1 labelled");
	/* a name with a quote and a backslash, escaped */
	ASSERT_HAS_SUBSTR(text, "name=\"q\\\"uo\\\\te\",owner=\"alice\"} ",
			  "label escaping");
	if (!access("/usr/bin/promtool", X_OK)) {
		snprintf(file, sizeof(file), "%s/metrics.txt", dl.dir);
		f = fopen(file, "w");
		if (f) {
			fwrite(text, 1, len, f);
			fclose(f);
		}
		ASSERT_OK(cmd_run(&r, 20, "promtool check metrics < %s", file),
			  "promtool check metrics");
		if (r.status)
			fprintf(stderr, "promtool: %s%s\n", r.out, r.err);
		cmd_free(&r);
	}
	free(text);
}

/*
 * Sampled gate drops: rogue sends from the address bound (statically) to
 * the odd-named device, with its own MAC: drop-mac-mismatch, and the event
 * names the device the address belongs to. Unbound: no device.
 */
static void subtest_gate_drops(void)
{
	struct cmd_result r;
	json_object *arr, *o;
	bool mapped = false, unbound = false;
	long end = dlab_now_ms() + WAIT_MS;

	cmd_run(&r, 20,
		"nsenter --net=/run/netns/%s sh -c 'ip addr add 192.0.2.99/24 dev " LAB_NODE_IF
		" && ping -c 2 -W 1 -I 192.0.2.99 " LAB_GW_LAN_IP4
		"; ip addr del 192.0.2.99/24 dev " LAB_NODE_IF
		"; ping -c 2 -W 1 " LAB_GW_LAN_IP4 "'",
		dl.rogue);
	cmd_free(&r);
	do {
		arr = mlab_events("gate-drop", NULL);
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			o = json_object_array_get_idx(arr, i);
			if (!strcmp(mlab_jpath_str(o, "source.ip") ?: "",
				    "192.0.2.99") &&
			    !strcmp(mlab_jpath_str(o, "event.reason") ?: "",
				    "drop-mac-mismatch") &&
			    !strcmp(mlab_jpath_str(o, "host.name") ?: "",
				    "q\"uo\\te") &&
			    !strcmp(mlab_jpath_str(o, "source.mac") ?: "",
				    "02-00-00-00-00-66") &&
			    !strcmp(mlab_jpath_str(
					    o,
					    "observer.ingress.interface.name")
					    ?: "",
				    LAB_GW_LAN))
				mapped = true;
			if (!strcmp(mlab_jpath_str(o, "source.ip") ?: "",
				    LAB_ROGUE_IP4) &&
			    !strcmp(mlab_jpath_str(o, "event.reason") ?: "",
				    "drop-unknown") &&
			    !mlab_jpath(o, "device.id") &&
			    !strcmp(mlab_jpath_str(
					    o,
					    "observer.ingress.interface.name")
					    ?: "",
				    LAB_GW_LAN))
				unbound = true;
		}
		json_object_put(arr);
		if (mapped && unbound)
			break;
		dlab_sleep_ms(200);
	} while (dlab_now_ms() < end);
	ASSERT_TRUE(mapped,
		    "spoofed source mapped to the device it is bound to");
	ASSERT_TRUE(unbound, "unbound source: no device");
}

/* ---- the story ---- */

static void subtest_siem_story(struct dlab_stream *st)
{
	char want[PATH_MAX + 32], serial[65], uuid[40] = "";
	struct cmd_result r;
	json_object *o = NULL, *ev;
	uint64_t rx1, rx2;
	int i;

	dlab_tp(&r, NULL, "-j device show dev1");
	o = json_tokener_parse(r.out);
	snprintf(uuid, sizeof(uuid), "%s", dlab_jstr(o, "uuid") ?: "");
	json_object_put(o);
	cmd_free(&r);
	rx1 = dlab_stream_rx(st);
	dlab_sleep_ms(300);
	ASSERT_GT(dlab_stream_rx(st), rx1, "dev1 streams to srv");

	ASSERT_EQ(mlab_call("POST", "/v1/devices/dev1/trust", ml.token,
			    "{\"score\":10,\"reason\":\"siem: malware\"}", &o),
		  200, "POST trust 10");
	ASSERT_STREQ(dlab_jstr(o, "status") ?: "", "revoked",
		     "below revoke_below: revoked");
	json_object_put(o);
	/* what was in flight lands; then nothing more */
	dlab_sleep_ms(300);
	rx1 = dlab_stream_rx(st);
	dlab_sleep_ms(1500);
	rx2 = dlab_stream_rx(st);
	ASSERT_EQ(rx2, rx1, "the stream is cut");
	ASSERT_EQ(dlab_identity_count(dl.dev_id[1], NULL), 0, "entries gone");

	cmd_run(&r, 20,
		"nsenter --net=/run/netns/%s openssl ocsp -issuer %s -cert %s/dev1.pem -url %s/ocsp -CAfile %s -resp_text 2>&1",
		dl.gw, dl.ca, dl.dir, ml.url, dl.ca);
	snprintf(want, sizeof(want), "%s/dev1.pem: revoked", dl.dir);
	ASSERT_HAS_SUBSTR(r.out, want, "OCSP says revoked");
	/* privilegeWithdrawn (9), which OpenSSL 3.0 has no name for */
	ASSERT_HAS_SUBSTR(r.out, "Revocation Reason: (UNKNOWN) (0x9)",
			  "policy revocation reason");
	cmd_free(&r);

	/* ECS: the serial upper case without colons */
	for (i = 0; dl.dev_serial[1][i] && i < 64; i++)
		serial[i] = toupper((unsigned char)dl.dev_serial[1][i]);
	serial[i] = 0;
	ev = mlab_event_wait("handshake", "dev1", WAIT_MS);
	if (ASSERT_OK_PTR(ev, "handshake event")) {
		ASSERT_STREQ(mlab_jpath_str(ev, "event.outcome") ?: "",
			     "success", "event.outcome");
		ASSERT_STREQ(mlab_jpath_str(ev, "device.id") ?: "", uuid,
			     "device.id");
		ASSERT_STREQ(mlab_jpath_str(ev, "user.name") ?: "", "alice",
			     "user.name");
		ASSERT_STREQ(mlab_jpath_str(ev, "source.ip") ?: "",
			     LAB_DEV1_IP4, "source.ip");
		ASSERT_STREQ(mlab_jpath_str(ev, "source.mac") ?: "",
			     "02-00-00-00-00-11", "source.mac");
		ASSERT_STREQ(mlab_jpath_str(ev, "tls.client.x509.serial_number")
				     ?: "",
			     serial, "tls.client.x509.serial_number");
		ASSERT_OK_PTR(mlab_jpath_str(ev, "@timestamp"), "@timestamp");
		ASSERT_STREQ(mlab_jpath_str(ev, "observer.product") ?: "",
			     "trustpoint", "observer.product");
		ASSERT_STREQ(
			mlab_jpath_str(ev, "observer.ingress.interface.name")
				?: "",
			LAB_GW_LAN, "interface");
	}
	json_object_put(ev);
	ev = mlab_event_wait("trust-changed", "dev1", WAIT_MS);
	if (ASSERT_OK_PTR(ev, "trust-changed event")) {
		ASSERT_STREQ(mlab_jpath_str(ev, "event.reason") ?: "",
			     "siem: malware", "trust reason");
		ASSERT_STREQ(mlab_jpath_str(ev, "trustpoint.trust_to") ?: "",
			     "10", "trust_to");
		ASSERT_STREQ(mlab_jpath_str(ev, "trustpoint.actor") ?: "",
			     "api:127.0.0.1", "trust actor");
	}
	json_object_put(ev);
	ev = mlab_event_wait("device-revoked", "dev1", WAIT_MS);
	if (ASSERT_OK_PTR(ev, "device-revoked event")) {
		ASSERT_STREQ(mlab_jpath_str(ev, "trustpoint.actor") ?: "",
			     "api:127.0.0.1", "revoke actor");
		ASSERT_HAS_SUBSTR(mlab_jpath_str(ev, "event.reason") ?: "",
				  "siem: malware", "revoke reason");
		ASSERT_STREQ(mlab_jpath_str(ev, "source.ip") ?: "",
			     LAB_DEV1_IP4, "where it was");
		ASSERT_STREQ(mlab_jpath_str(ev, "device.id") ?: "", uuid,
			     "revoked device.id");
	}
	json_object_put(ev);
	ev = mlab_event_wait("session-end", "dev1", WAIT_MS);
	ASSERT_OK_PTR(ev, "session-end event");
	json_object_put(ev);
}

/* RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG */
static void subtest_syslog(void)
{
	char buf[8192], field[7][256];
	int n, got = 0, good = 0, handshake = 0, pri;
	long end = dlab_now_ms() + 2000;

	if (!ASSERT_GE(syslog_fd, 0, "syslog listener"))
		return;
	while (dlab_now_ms() < end) {
		n = recv(syslog_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0) {
			if (got)
				break;
			dlab_sleep_ms(50);
			continue;
		}
		buf[n] = 0;
		got++;
		if (sscanf(buf, "<%d>%255s %255s %255s %255s %255s %255s %255s",
			   &pri, field[0], field[1], field[2], field[3],
			   field[4], field[5], field[6]) != 8)
			continue;
		/* authpriv (10), any severity; version 1; our app */
		if (pri / 8 == 10 && !strcmp(field[0], "1") &&
		    strlen(field[1]) >= 20 && field[1][10] == 'T' &&
		    !strcmp(field[3], "trustpointd") && field[6][0] == '[' &&
		    strstr(buf, "@timestamp"))
			good++;
		if (!strcmp(field[5], "handshake"))
			handshake++;
	}
	ASSERT_GT(got, 0, "syslog messages arrived");
	ASSERT_EQ(good, got, "each is RFC 5424 with the ECS JSON as MSG");
	ASSERT_GT(handshake, 0, "a handshake message (MSGID)");
}

/* logrotate: move the file, SIGHUP, and new events go to a new file. */
static void subtest_sighup(void)
{
	char moved[PATH_MAX + 16];
	json_object *o = NULL, *ev;
	struct stat st;

	snprintf(moved, sizeof(moved), "%s.1", ml.events);
	if (!ASSERT_OK(rename(ml.events, moved), "move the events file"))
		return;
	ASSERT_OK(kill(dl.daemon, SIGHUP), "SIGHUP");
	dlab_sleep_ms(300);
	/* a refused call makes an api-call event */
	mlab_call("GET", "/v1/devices", NULL, NULL, &o);
	json_object_put(o);
	ev = mlab_event_wait("api-call", NULL, WAIT_MS);
	ASSERT_OK_PTR(ev, "event in the new file");
	json_object_put(ev);
	ASSERT_OK(stat(moved, &st), "old file kept");
	ASSERT_GT(st.st_size, 0, "old file has the old events");
	ASSERT_TRUE(dlab_file_has(moved, "\"handshake\""),
		    "old file has the handshakes");
}

void test_siem(void)
{
	struct dlab_stream st = {};
	struct cmd_result r;
	long long odd_id;
	char extra[256];
	json_object *o;

	snprintf(extra, sizeof(extra), "syslog = udp://127.0.0.1:%d\n",
		 MLAB_SYSLOG_PORT);
	if (!mlab_up("siem", extra))
		goto out;
	for (int n = 1; n <= 2; n++) {
		dlab_tp(&r, NULL,
			"device set dev%d prop serial_number=SN-DEV%d prop model=lab-node prop os=debian prop os_version=12",
			n, n);
		ASSERT_OK(r.status, "device set props");
		cmd_free(&r);
	}
	/* a device whose name needs escaping in the metrics' labels */
	dlab_tp(&r, NULL, "device add 'q\"uo\\te' owner alice");
	cmd_free(&r);
	dlab_tp(&r, NULL, "-j device show 'q\"uo\\te'");
	o = json_tokener_parse(r.out);
	odd_id = dlab_jint(o, "id");
	json_object_put(o);
	cmd_free(&r);
	ASSERT_GT(odd_id, 0, "device with an odd name");
	syslog_fd = syslog_listen();
	if (!ASSERT_GE(syslog_fd, 0, "syslog listener in gw") || !mlab_start())
		goto out;

	if (test__start_subtest("ocsp_good"))
		subtest_ocsp_good();
	if (test__start_subtest("posture_drift"))
		subtest_posture_drift();
	if (test__start_subtest("ocsp_revoked"))
		subtest_ocsp_revoked();
	if (test__start_subtest("ocsp_malformed"))
		subtest_ocsp_malformed();
	if (test__start_subtest("ocsp_get"))
		subtest_ocsp_get();

	/* dev1 connected and streaming for what follows */
	if (!dlab_agent_start(1, NULL) ||
	    !ASSERT_GT(
		    dlab_identity_wait(dl.dev_id[1], LAB_DEV1_IP4, 1, WAIT_MS),
		    0, "dev1 bound") ||
	    !ASSERT_OK(
		    dlab_stream_start(&st, dl.dev[1], LAB_SRV_IP4, STREAM_PORT),
		    "dev1 streams"))
		goto out;
	dlab_tp(&r, dl.gw,
		"identity add dev " LAB_GW_LAN
		" ip 192.0.2.99 mac 02:00:00:00:00:99 device %lld",
		odd_id);
	cmd_free(&r);

	if (test__start_subtest("gate_drops"))
		subtest_gate_drops();
	if (test__start_subtest("metrics"))
		subtest_metrics();
	if (test__start_subtest("siem_story"))
		subtest_siem_story(&st);
	if (test__start_subtest("syslog"))
		subtest_syslog();
	if (test__start_subtest("sighup"))
		subtest_sighup();
out:
	dlab_stream_stop(&st);
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
	mlab_down();
}
