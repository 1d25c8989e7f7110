// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_events.c - the event outputs against real receivers: JSON lines
 * parsed back with json-c field by field (escaping of hostile device
 * names included), a file moved away as logrotate does and reopened,
 * UDP, TCP (octet counting, a listener restart) and unix socket syslog
 * listeners in this process on loopback, and a dead or stalled TCP peer
 * that must cost dropped events, never a blocked caller or a lost file
 * line.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/events.h"
#include "test_progs.h"

#define T_MS 1796386272345LL /* 2026-12-04T12:11:12.345Z */
#define T_STR "2026-12-04T12:11:12.345Z"
#define BOM "\xef\xbb\xbf"

static char tdir[128];

static const char *tpath(const char *name)
{
	static char path[2][PATH_MAX];
	static int i;

	i ^= 1;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tdir, name);
	return path[i];
}

static const struct ev_identity dev1 = {
	.device_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7",
	.device_name = "dev1",
	.owner = "alice",
	.ip = "192.0.2.11",
	.mac = "02:00:00:00:00:11",
	.ifname = "lan0",
};

/* A plain event carrying its sequence number in trustpoint.seq. */
static int emit_seq(struct events *e, long long seq, const char *pad)
{
	struct ev_field f[2] = { { "seq", NULL, seq }, { "pad", pad } };
	struct ev_record ev = {
		.action = "session-start", .category = "network",
		.outcome = "success", .id = &dev1, .extra = f,
		.nextra = pad ? 2 : 1,
	};

	return events_emit(e, &ev);
}

/* The value at a dotted path ("@timestamp" has no dot); NULL if none. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	const char *dot;
	char part[64];

	while (o && (dot = strchr(path, '.'))) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
		path = dot + 1;
	}
	return o && json_object_object_get_ex(o, path, &o) ? o : NULL;
}

static const char *jstr(struct json_object *o, const char *path)
{
	o = jget(o, path);
	return o ? json_object_get_string(o) : NULL;
}

static long long jseq(struct json_object *o)
{
	const char *s = jstr(o, "trustpoint.seq");

	return s ? atoll(s) : -1;
}

static void put_all(struct json_object **objs, int n)
{
	while (n-- > 0)
		json_object_put(objs[n]);
}

/* The file's lines, parsed; returns the count (-1: a line is not JSON). */
static int read_json_lines(const char *path, struct json_object **objs,
			   int max)
{
	static char buf[1 << 22];
	char *line, *save = NULL;
	int fd = open(path, O_RDONLY), n = 0;
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (n == max)
			return n + 1;
		objs[n] = json_tokener_parse(line);
		if (!objs[n]) {
			put_all(objs, n);
			return -1;
		}
		n++;
	}
	return n;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static struct events *open_ev(struct events_config *c)
{
	struct events *e = NULL;
	char err[256] = "";

	if (!c->hostname)
		c->hostname = "gw-test";
	if (!c->reconnect_min_ms)
		c->reconnect_min_ms = 20;
	if (!c->reconnect_max_ms)
		c->reconnect_max_ms = 200;
	if (!ASSERT_OK(events_open(c, &e, err, sizeof(err)), "events_open"))
		fprintf(stderr, "  events_open: %s\n", err);
	return e;
}

static void subtest_ecs_fields(void)
{
	static const char name[] =
		"lab \"printer\" \\ 2\n\t\x01 \xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 \xff!";
	static const char name_clean[] =
		"lab \"printer\" \\ 2\n\t\x01 \xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 \xef\xbf\xbd!";
	struct ev_identity id = {
		.device_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		.device_name = name, .owner = "alice", .group = "printers",
		.model = "M404dn", .manufacturer = "HP",
		.serial_number = "CNB3K12345", .os = "Linux",
		.os_version = "6.1", .cert_serial = "0a:1b:2c",
		.ip = "2001:db8:1:0:0::11", .mac = "02:00:00:00:00:1a",
		.ifname = "lan0", .vlan = 10,
	};
	struct ev_field f[2] = { { "seq", NULL, 1 }, { "tls", "TLSv1.3" } };
	struct ev_record ev = {
		.action = "handshake", .category = "authentication,network",
		.outcome = "success", .reason = "certificate \"ok\"",
		.actor = "agent", .id = &id, .extra = f, .nextra = 2,
		.time_ms = T_MS,
	};
	struct ev_record bare = { .action = "api-call", .kind = "alert" };
	/* ECS name → value; the identity as the daemon would pass it. */
	const char *want[][2] = {
		{ "@timestamp", T_STR },
		{ "ecs.version", "8.11.0" },
		{ "event.kind", "event" },
		/* an array (json-c prints one so) */
		{ "event.category", "[ \"authentication\", \"network\" ]" },
		{ "event.action", "handshake" },
		{ "event.outcome", "success" },
		{ "event.reason", "certificate \"ok\"" },
		{ "source.ip", "2001:db8:1::11" }, /* canonical */
		{ "source.mac", "02-00-00-00-00-1A" }, /* ECS form */
		{ "user.name", "alice" },
		{ "device.id", id.device_id },
		{ "device.model.identifier", "M404dn" },
		{ "device.manufacturer", "HP" },
		{ "host.name", name_clean }, /* bad byte: U+FFFD */
		{ "host.os.name", "Linux" },
		{ "host.os.version", "6.1" },
		{ "tls.client.x509.serial_number", "0A1B2C" },
		{ "observer.hostname", "gw-test" },
		{ "observer.type", "gateway" },
		{ "observer.product", "trustpoint" },
		{ "observer.ingress.interface.name", "lan0" },
		{ "observer.ingress.vlan.id", "10" },
		{ "trustpoint.actor", "agent" },
		{ "trustpoint.device.group", "printers" },
		{ "trustpoint.device.serial_number", "CNB3K12345" },
		{ "trustpoint.seq", "1" },
		{ "trustpoint.tls", "TLSv1.3" },
	};
	static const char *const absent[] = {
		"event.outcome", "event.category", "event.reason", "source",
		"user", "device", "host", "tls", "observer.ingress",
		"trustpoint",
	};
	struct events_config c = { .file = tpath("ecs.json") };
	struct json_object *o[3] = {};
	struct events *e = open_ev(&c);
	char raw[4096] = "";
	const char *p;
	size_t i;
	FILE *fp;
	int n;

	if (!e)
		return;
	ASSERT_GE(events_fd(e), 0, "events_fd");
	ASSERT_OK(events_emit(e, &ev), "emit");
	ASSERT_OK(events_emit(e, &bare), "emit bare");
	events_close(e);

	fp = fopen(c.file, "r");
	if (ASSERT_OK_PTR(fp, "open file")) {
		ASSERT_OK_PTR(fgets(raw, sizeof(raw), fp), "first line");
		fclose(fp);
	}
	/* json-c escaped every control character: none is left raw. */
	for (p = raw; *p && *p != '\n'; p++)
		if (!ASSERT_GE((unsigned char)*p, 0x20, "raw control char"))
			break;
	ASSERT_HAS_SUBSTR(raw, "\\\"printer\\\"", "quotes escaped");
	ASSERT_HAS_SUBSTR(raw, "\\u0001", "control escaped");
	ASSERT_HAS_SUBSTR(raw, "{\"@timestamp\":", "nested, timestamp first");

	n = read_json_lines(c.file, o, 3);
	if (!ASSERT_EQ(n, 2, "two JSON lines"))
		goto out;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!ASSERT_STREQ(jstr(o[0], want[i][0]), want[i][1], "field"))
			fprintf(stderr, "  field %s\n", want[i][0]);
	ASSERT_TRUE(json_object_is_type(jget(o[0], "trustpoint.seq"),
					json_type_int),
		    "numeric extra field is a number");
	ASSERT_TRUE(json_object_is_type(jget(o[0], "observer.ingress.vlan.id"),
					json_type_string),
		    "vlan.id is a keyword (string)");

	/* Nothing invented for what the event does not carry. */
	ASSERT_STREQ(jstr(o[1], "event.kind"), "alert", "bare kind");
	ASSERT_STREQ(jstr(o[1], "event.action"), "api-call", "bare action");
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (!ASSERT_FALSE(jget(o[1], absent[i]), "absent field"))
			fprintf(stderr, "  field %s\n", absent[i]);
	p = jstr(o[1], "@timestamp");
	ASSERT_TRUE(p && strlen(p) == 24 && p[4] == '-' && p[10] == 'T' &&
			    p[19] == '.' && p[23] == 'Z',
		    "now as RFC 3339 with ms");
out:
	put_all(o, n > 0 ? n : 0);
}

static void subtest_bad_input(void)
{
	struct ev_identity bad_ip = { .ip = "192.0.2.300" },
			   bad_mac = { .mac = "02:00:00:00:00" },
			   bad_vlan = { .vlan = 4095 }, neg_vlan = { .vlan = -1 },
			   bad_cert = { .cert_serial = "zz" };
	struct ev_field bad_key[] = { { "Bad", "x" } },
			reserved[] = { { "actor", "x" } },
			dup[] = { { "a", "x" }, { "a", "y" } }, many[17];
	struct ev_record bad[] = {
		{ .action = NULL },
		{ .action = "Hand Shake" },
		{ .action = "an-action-name-of-thirty-three-ch" },
		{ .action = "x", .kind = "bogus" },
		{ .action = "x", .outcome = "ok" },
		{ .action = "x", .category = "auth" },
		{ .action = "x", .category = "iam,iam,iam,iam,iam" },
		{ .action = "x", .category = "iam," },
		{ .action = "x", .id = &bad_ip },
		{ .action = "x", .id = &bad_mac },
		{ .action = "x", .id = &bad_vlan },
		{ .action = "x", .id = &neg_vlan },
		{ .action = "x", .id = &bad_cert },
		{ .action = "x", .extra = bad_key, .nextra = 1 },
		{ .action = "x", .extra = reserved, .nextra = 1 },
		{ .action = "x", .extra = dup, .nextra = 2 },
		{ .action = "x", .extra = many, .nextra = 17 },
		{ .action = "x", .extra = NULL, .nextra = 1 },
		{ .action = "x", .time_ms = -5 },
	};
	static char big[13][300], longname[6001];
	struct ev_identity huge = {
		big[0], big[1], big[2], big[3], big[4], big[5], big[6],
		big[7], big[8], NULL, NULL, NULL, big[9],
	};
	struct ev_identity cut = { .device_name = longname };
	struct ev_record ok_huge = { .action = "x", .id = &huge,
				     .reason = big[10], .actor = big[11] };
	struct ev_record ok_cut = { .action = "x", .id = &cut };
	struct events_config c = { .file = tpath("bad.json") };
	struct json_object *o[3] = {};
	struct events *e = open_ev(&c);
	const char *s;
	struct stat st;
	size_t i;
	int n;

	if (!e)
		return;
	for (i = 0; i < 17; i++)
		many[i] = (struct ev_field){ "k", "v" };
	ASSERT_EQ(events_emit(e, NULL), -EINVAL, "NULL event");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ASSERT_EQ(events_emit(e, &bad[i]), -EINVAL, "bad event"))
			fprintf(stderr, "  bad event #%zu accepted\n", i);
	ASSERT_OK(stat(c.file, &st), "stat");
	ASSERT_EQ(st.st_size, 0, "nothing written for bad events");
	ASSERT_EQ(st.st_mode & 0777, 0640, "file mode");

	/* A name of 3000 two-byte characters after one ASCII byte: the cut
	 * must fall before a character, not inside it. */
	longname[0] = 'a';
	for (i = 1; i + 2 <= 6000; i += 2)
		memcpy(longname + i, "\xc3\xa9", 2);
	/* Control characters escape to six bytes each: a line of them is
	 * cut to the short field size to stay under the line limit. */
	for (i = 0; i < 13; i++)
		memset(big[i], '\x01', 299);
	ASSERT_OK(events_emit(e, &ok_cut), "long name");
	ASSERT_OK(events_emit(e, &ok_huge), "huge event");
	events_close(e);
	n = read_json_lines(c.file, o, 3);
	if (!ASSERT_EQ(n, 2, "two lines"))
		goto out;
	s = jstr(o[0], "host.name");
	ASSERT_EQ(s ? strlen(s) : 0, 255, "cut to 255 bytes, whole chars");
	ASSERT_TRUE(s && !strncmp(s, longname, 255), "cut keeps the prefix");
	s = jstr(o[1], "host.name");
	ASSERT_EQ(s ? strlen(s) : 0, 64, "huge event: short fields");
	ASSERT_LE(strlen(json_object_to_json_string_ext(
			  o[1], JSON_C_TO_STRING_PLAIN)),
		  16384, "huge event line bounded");
out:
	put_all(o, n > 0 ? n : 0);
}

static void subtest_bad_config(void)
{
	char longapp[50];
	struct events_config bad[] = {
		{ .hostname = "gw" },
		{ .syslog = "ftp://127.0.0.1:514" },
		{ .syslog = "udp://127.0.0.1" },
		{ .syslog = "udp://127.0.0.1:0" },
		{ .syslog = "udp://127.0.0.1:70000" },
		{ .syslog = "tcp://[::1]6514" },
		{ .syslog = "tcp://::1:6514" },
		{ .syslog = "unix://dev/log" },
		{ .to_stderr = true, .hostname = "gw test" },
		{ .to_stderr = true, .app_name = longapp },
		{ .to_stderr = true, .facility = 24 },
		{ .to_stderr = true, .facility = -1 },
		{ .to_stderr = true, .sd_id = "tp" },
		{ .to_stderr = true, .sd_id = "tp@x" },
		{ .to_stderr = true, .sd_id = "t]p@1" },
		{ .to_stderr = true, .reconnect_min_ms = 10,
		  .reconnect_max_ms = 5 },
		{ .file = "/nonexistent-dir-tp/ev.json" },
	};
	struct events *e;
	char err[256];
	size_t i;

	memset(longapp, 'a', 49);
	longapp[49] = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = (struct events *)1;
		err[0] = 0;
		if (!ASSERT_ERR(events_open(&bad[i], &e, err, sizeof(err)),
				"bad config"))
			fprintf(stderr, "  bad config #%zu accepted\n", i);
		ASSERT_TRUE(!e, "no handle");
		ASSERT_GT(strlen(err), 0, "error message");
		events_close(e);
	}
	ASSERT_EQ(events_facility_parse("authpriv"), 10, "authpriv");
	ASSERT_EQ(events_facility_parse("local7"), 23, "local7");
	ASSERT_EQ(events_facility_parse("7"), 7, "number");
	ASSERT_EQ(events_facility_parse("24"), -EINVAL, "24");
	ASSERT_EQ(events_facility_parse("0"), -EINVAL, "no kern");
	ASSERT_EQ(events_facility_parse("kern"), -EINVAL, "no kern by name");
	ASSERT_EQ(events_facility_parse("bogus"), -EINVAL, "bogus");
}

static void subtest_reopen(void)
{
	struct events_config c = { .file = tpath("rot.json") };
	char rotated[PATH_MAX];
	struct json_object *o[10] = {};
	struct events *e = open_ev(&c);
	int i, n;

	if (!e)
		return;
	snprintf(rotated, sizeof(rotated), "%s.1", c.file);
	for (i = 1; i <= 3; i++)
		ASSERT_OK(emit_seq(e, i, NULL), "emit");
	ASSERT_OK(rename(c.file, rotated), "rename as logrotate");
	ASSERT_OK(emit_seq(e, 4, NULL), "emit after rename");
	ASSERT_OK(emit_seq(e, 5, NULL), "emit after rename");
	/* A reopen that fails keeps writing where it wrote. */
	ASSERT_OK(mkdir(c.file, 0700), "mkdir in the way");
	ASSERT_ERR(events_reopen(e), "reopen onto a directory");
	ASSERT_OK(emit_seq(e, 6, NULL), "emit after failed reopen");
	ASSERT_OK(rmdir(c.file), "rmdir");
	ASSERT_OK(events_reopen(e), "reopen");
	ASSERT_OK(emit_seq(e, 7, NULL), "emit after reopen");
	ASSERT_OK(emit_seq(e, 8, NULL), "emit after reopen");
	ASSERT_EQ(events_dropped(e), 0, "nothing dropped");
	events_close(e);

	n = read_json_lines(rotated, o, 10);
	if (ASSERT_EQ(n, 6, "rotated file keeps 1..6"))
		for (i = 0; i < n; i++)
			ASSERT_EQ(jseq(o[i]), i + 1, "rotated seq");
	put_all(o, n);
	n = read_json_lines(c.file, o, 10);
	if (ASSERT_EQ(n, 2, "new file has 7, 8"))
		for (i = 0; i < n; i++)
			ASSERT_EQ(jseq(o[i]), i + 7, "new seq");
	put_all(o, n);
}

/*
 * A socket on loopback (*port 0: any; the port is returned there) or at
 * path for AF_UNIX, listening when backlog >= 0; -1 on failure.
 */
static int sock_bind(int family, int type, const char *path, int *port,
		     int backlog)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr *sa = (void *)&a4;
	socklen_t len = sizeof(a4);
	int fd = socket(family, type | SOCK_CLOEXEC, 0), one = 1;

	if (family == AF_UNIX) {
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
		unlink(path);
		sa = (void *)&un;
		len = sizeof(un);
	} else if (family == AF_INET6) {
		a6.sin6_port = htons(*port);
		sa = (void *)&a6;
		len = sizeof(a6);
	} else {
		a4.sin_port = htons(*port);
	}
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, sa, len) || (backlog >= 0 && listen(fd, backlog)) ||
	    getsockname(fd, sa, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (family != AF_UNIX)
		*port = ntohs(family == AF_INET ? a4.sin_port : a6.sin6_port);
	return fd;
}

/* Drive the events loop (e may be NULL) until fd has data (5 s); one
 * recv, NUL-terminated: its length or -1. No buf: -2 once fd is ready. */
static int pump_recv(struct events *e, int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int i;

	for (i = 0; i < 250; i++) {
		events_tick(e);
		events_poll_out(e);
		if (poll(&p, 1, 20) != 1)
			continue;
		if (!buf)
			return -2; /* a listener, ready to accept */
		n = recv(fd, buf, len - 1, 0);
		if (n >= 0)
			buf[n] = 0;
		return n;
	}
	return -1;
}

/* The JSON of a syslog message: after the SD and its SP BOM. (An
 * escaped "\] " in an SD value may come first.) */
static struct json_object *msg_json(const char *m)
{
	const char *p = m ? strstr(m, "] " BOM "{") : NULL;

	return p ? json_tokener_parse(p + 5) : NULL;
}

/*
 * Check one RFC 5424 message: PRI, version, timestamp, hostname,
 * app-name, procid, msgid and (if given) the SD element; returns the
 * JSON after the BOM, NULL on a mismatch.
 */
static struct json_object *check_5424(const char *m, int pri, const char *ts,
				      const char *msgid, const char *sd)
{
	char head[1024];

	snprintf(head, sizeof(head), "<%d>1 %s gw-test trustpointd %d %s %s " BOM,
		 pri, ts, (int)getpid(), msgid, sd ? sd : "");
	if (!sd)
		head[strlen(head) - 4] = 0; /* up to MSGID and its SP */
	if (!ASSERT_TRUE(!strncmp(m, head, strlen(head)), "RFC 5424 head")) {
		fprintf(stderr, "  got  '%.500s'\n  want '%s'\n", m, head);
		return NULL;
	}
	return msg_json(m);
}

static void subtest_syslog_udp(void)
{
	static const char sd[] =
		"[tp@32473 device=\"dev-1\" name=\"a\\\"b\\\\c\\]d?e\" user=\"alice\""
		" ip=\"192.0.2.11\" mac=\"02-00-00-00-00-11\" ifname=\"lan0\""
		" vlan=\"7\" cert=\"01FF\" outcome=\"success\""
		" reason=\"ok \\] done\" actor=\"admin\"]";
	struct ev_identity id = {
		.device_id = "dev-1", .device_name = "a\"b\\c]d\ne",
		.owner = "alice", .ip = "192.0.2.11",
		.mac = "02:00:00:00:00:11", .ifname = "lan0", .vlan = 7,
		.cert_serial = "01ff",
	};
	struct ev_record ev = {
		.action = "device-revoked", .category = "iam",
		.outcome = "success", .reason = "ok ] done", .actor = "admin",
		.id = &id, .time_ms = T_MS,
	};
	struct events_config c = { .facility = 10 };
	struct json_object *o;
	struct events *e = NULL;
	char url[64], buf[65536];
	int fd, port = 0, fd6, port6 = 0;

	fd = sock_bind(AF_INET, SOCK_DGRAM, NULL, &port, -1);
	if (!ASSERT_GE(fd, 0, "udp listener"))
		return;
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", port);
	c.syslog = url;
	e = open_ev(&c);
	if (!e)
		goto out;
	ASSERT_OK(events_emit(e, &ev), "emit");
	if (ASSERT_GT(pump_recv(NULL, fd, buf, sizeof(buf)), 0, "received")) {
		/* authpriv (10) * 8 + info (6) */
		o = check_5424(buf, 86, T_STR, "device-revoked", sd);
		ASSERT_STREQ(jstr(o, "host.name"), "a\"b\\c]d\ne", "JSON MSG");
		json_object_put(o);
	}
	ev.outcome = "failure"; /* notice */
	ASSERT_OK(events_emit(e, &ev), "emit failure");
	if (ASSERT_GT(pump_recv(NULL, fd, buf, sizeof(buf)), 0, "received"))
		json_object_put(
			check_5424(buf, 85, T_STR, "device-revoked", NULL));
	ev.kind = "alert"; /* warning */
	ev.action = "posture-drift";
	ASSERT_OK(events_emit(e, &ev), "emit alert");
	if (ASSERT_GT(pump_recv(NULL, fd, buf, sizeof(buf)), 0, "received"))
		json_object_put(
			check_5424(buf, 84, T_STR, "posture-drift", NULL));
	ASSERT_EQ(events_dropped(e), 0, "nothing dropped");
	events_close(e);

	/* Without the BOM, over IPv6 when the host has ::1. */
	fd6 = sock_bind(AF_INET6, SOCK_DGRAM, NULL, &port6, -1);
	if (fd6 < 0) {
		fprintf(stderr, "  no ::1 here: IPv6 syslog not tried\n");
		goto out;
	}
	snprintf(url, sizeof(url), "udp://[::1]:%d", port6);
	c.syslog_no_bom = true;
	c.facility = 16; /* local0 */
	e = open_ev(&c);
	if (e) {
		ASSERT_OK(events_emit(e, &ev), "emit v6");
		if (ASSERT_GT(pump_recv(NULL, fd6, buf, sizeof(buf)), 0, "v6")) {
			ASSERT_TRUE(!strncmp(buf, "<132>1 ", 7), "local0 PRI");
			ASSERT_HAS_SUBSTR(buf, "\"] {\"@timestamp\"", "no BOM");
		}
		events_close(e);
	}
	close(fd6);
out:
	close(fd);
}

/* Pump the events loop while collecting up to want octet-counted
 * messages (RFC 6587 3.4.1: "LEN SP MSG") from the listener lfd into
 * seqs; returns how many came. */
static int tcp_collect(struct events *e, int lfd, int *cfd, long long *seqs,
		       int want)
{
	static char buf[1 << 16], msg[1 << 16];
	struct json_object *o;
	size_t have = 0, len;
	char *sp, *end;
	int got = 0, n, i;

	for (i = 0; i < 250 && got < want; i++) {
		if (*cfd < 0) {
			/* Not connected yet: pump until the listener has it. */
			if (pump_recv(e, lfd, NULL, 0) == -2)
				*cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			continue;
		}
		n = pump_recv(e, *cfd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			break;
		have += n;
		while (got < want && (sp = memchr(buf, ' ', have))) {
			len = strtoul(buf, &end, 10);
			if (end != sp || !len || len >= sizeof(msg) ||
			    have < (size_t)(sp + 1 + len - buf))
				break;
			memcpy(msg, sp + 1, len);
			msg[len] = 0;
			o = !strncmp(msg, "<86>1 ", 6) ? msg_json(msg) : NULL;
			seqs[got++] = jseq(o);
			json_object_put(o);
			have -= sp + 1 + len - buf;
			memmove(buf, sp + 1 + len, have);
		}
	}
	return got;
}

static void subtest_syslog_tcp(void)
{
	struct events_config c = {};
	long long seqs[8];
	struct events *e = NULL;
	int lfd, cfd = -1, port = 0, i;
	char url[64];

	lfd = sock_bind(AF_INET, SOCK_STREAM, NULL, &port, 8);
	if (!ASSERT_GE(lfd, 0, "tcp listener"))
		return;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	c.syslog = url;
	e = open_ev(&c);
	if (!e)
		goto out;
	for (i = 1; i <= 3; i++)
		ASSERT_OK(emit_seq(e, i, NULL), "emit");
	if (ASSERT_EQ(tcp_collect(e, lfd, &cfd, seqs, 3), 3, "three frames"))
		for (i = 0; i < 3; i++)
			ASSERT_EQ(seqs[i], i + 1, "seq in order");

	/* The listener restarts: what was queued meanwhile arrives on the
	 * next connection, nothing lost, nothing out of order. */
	close(cfd);
	close(lfd);
	cfd = -1;
	ASSERT_OK(emit_seq(e, 4, NULL), "emit while down");
	lfd = sock_bind(AF_INET, SOCK_STREAM, NULL, &port, 8);
	if (!ASSERT_GE(lfd, 0, "listener again on the same port"))
		goto out;
	ASSERT_OK(emit_seq(e, 5, NULL), "emit");
	ASSERT_OK(emit_seq(e, 6, NULL), "emit");
	if (ASSERT_EQ(tcp_collect(e, lfd, &cfd, seqs, 3), 3, "after restart"))
		for (i = 0; i < 3; i++)
			ASSERT_EQ(seqs[i], i + 4, "seq after restart");
	ASSERT_EQ(events_dropped(e), 0, "nothing dropped");
out:
	events_close(e);
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
}

static void subtest_syslog_unix(void)
{
	const char *dpath = tpath("dgram.sock"), *spath = tpath("stream.sock");
	struct events_config c = {};
	struct events *e = NULL;
	char url[PATH_MAX], buf[65536], *lf;
	struct json_object *o;
	int fd, lfd = -1, cfd = -1, n = 0, r;

	fd = sock_bind(AF_UNIX, SOCK_DGRAM, dpath, NULL, -1);
	if (!ASSERT_GE(fd, 0, "unix dgram receiver"))
		return;
	snprintf(url, sizeof(url), "unix://%s", dpath);
	c.syslog = url;
	e = open_ev(&c);
	if (!e)
		goto out;
	ASSERT_OK(emit_seq(e, 1, NULL), "emit");
	n = pump_recv(e, fd, buf, sizeof(buf));
	if (ASSERT_GT(n, 0, "datagram")) {
		ASSERT_TRUE(!strncmp(buf, "<86>1 ", 6), "PRI, version");
		ASSERT_EQ(buf[n - 1], '}', "no framing in a datagram");
		o = msg_json(buf);
		ASSERT_EQ(jseq(o), 1, "seq");
		json_object_put(o);
	}
	/* The receiver goes away and comes back (journald restarts). */
	close(fd);
	ASSERT_OK(emit_seq(e, 2, NULL), "emit while gone");
	fd = sock_bind(AF_UNIX, SOCK_DGRAM, dpath, NULL, -1);
	if (!ASSERT_GE(fd, 0, "receiver again"))
		goto out;
	if (ASSERT_GT(pump_recv(e, fd, buf, sizeof(buf)), 0, "after restart")) {
		o = msg_json(buf);
		ASSERT_EQ(jseq(o), 2, "queued seq delivered");
		json_object_put(o);
	}
	ASSERT_EQ(events_dropped(e), 0, "nothing dropped");
	events_close(e);

	/* unix:// on a stream socket: one message per line. */
	lfd = sock_bind(AF_UNIX, SOCK_STREAM, spath, NULL, 4);
	snprintf(url, sizeof(url), "unix://%s", spath);
	e = lfd >= 0 ? open_ev(&c) : NULL;
	if (!ASSERT_OK_PTR(e, "stream target"))
		goto out;
	ASSERT_OK(emit_seq(e, 3, NULL), "emit");
	ASSERT_OK(emit_seq(e, 4, NULL), "emit");
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (!ASSERT_GE(cfd, 0, "accept"))
		goto out;
	buf[0] = 0;
	for (n = 0; !(lf = strchr(buf, '\n')) || !strchr(lf + 1, '\n'); n += r)
		if ((r = pump_recv(e, cfd, buf + n, sizeof(buf) - n)) <= 0)
			break;
	lf = strchr(buf, '\n');
	if (ASSERT_OK_PTR(lf, "LF framing")) {
		*lf = 0;
		ASSERT_TRUE(!strncmp(buf, "<86>1 ", 6), "stream PRI");
		o = msg_json(buf);
		ASSERT_EQ(jseq(o), 3, "first line");
		json_object_put(o);
		ASSERT_TRUE(!strncmp(lf + 1, "<86>1 ", 6), "second line");
	}
out:
	events_close(e);
	close(fd);
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0)
		close(cfd);
}

#define DEAD_N 2000
#define SLOW_N 6000

static void subtest_dead_tcp(void)
{
	struct events_config c = { .file = tpath("dead.json"),
				   .queue_max = 16 };
	struct pollfd p = { .events = POLLIN };
	struct events_stats st;
	struct events *e;
	char url[64], pad[1025];
	int fd, lfd, port = 0, port2 = 0, i, ok = 0, rcv = 1;

	/* Bound, never listening: every connect is refused. */
	fd = sock_bind(AF_INET, SOCK_STREAM, NULL, &port, -1);
	if (!ASSERT_GE(fd, 0, "bind"))
		return;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	c.syslog = url;
	e = open_ev(&c);
	if (!e)
		goto out;
	for (i = 1; i <= DEAD_N; i++) {
		ok += !emit_seq(e, i, NULL);
		events_tick(e);
	}
	ASSERT_EQ(ok, DEAD_N, "every emit returned");
	events_get_stats(e, &st);
	ASSERT_FALSE(st.syslog_connected, "not connected");
	ASSERT_EQ(st.emitted, DEAD_N, "emitted");
	ASSERT_EQ(st.queued, 16, "syslog queue full, file queue empty");
	ASSERT_EQ(events_dropped(e), DEAD_N - 16, "dropped = all but queued");
	ASSERT_GT(events_tick(e), -1, "tick asks to be called for a retry");
	p.fd = events_fd(e);
	ASSERT_EQ(poll(&p, 1, 0), 0, "events_fd quiet while down");
	events_close(e);
	ASSERT_EQ(count_lines(c.file), DEAD_N, "file has every event");

	/* A peer that never reads: the socket buffers fill, then the queue,
	 * then events drop; emit never waits. */
	lfd = sock_bind(AF_INET, SOCK_STREAM, NULL, &port2, 8);
	if (!ASSERT_GE(lfd, 0, "listener"))
		goto out;
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port2);
	c.file = tpath("slow.json");
	e = open_ev(&c);
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = 0;
	for (ok = 0, i = 1; e && i <= SLOW_N; i++) {
		ok += !emit_seq(e, i, pad);
		events_poll_out(e);
	}
	ASSERT_EQ(ok, SLOW_N, "every emit returned");
	events_get_stats(e, &st);
	ASSERT_TRUE(st.syslog_connected, "connected to the slow peer");
	ASSERT_GT(events_dropped(e), 0, "a stalled peer costs drops");
	ASSERT_LT(events_dropped(e), SLOW_N, "some went out");
	p.fd = events_fd(e);
	ASSERT_EQ(poll(&p, 1, 0), 0, "events_fd quiet while the peer stalls");
	events_close(e);
	ASSERT_EQ(count_lines(c.file), SLOW_N, "file has every event");
	close(lfd);
out:
	close(fd);
}

static void subtest_stderr(void)
{
	struct events_config c = { .to_stderr = true };
	struct json_object *o = NULL;
	int saved, p[2], i, ok = 0, rc;
	uint64_t dropped = 0;
	char buf[8192] = "";
	struct events *e;
	ssize_t n = -1;
	char err[256];

	if (!ASSERT_OK(pipe(p), "pipe"))
		return;
	fflush(stderr);
	saved = dup(2);
	dup2(p[1], 2);
	/* Nothing may print to stderr until it is back: a full pipe would
	 * block the test itself. */
	c.hostname = "gw-test";
	rc = events_open(&c, &e, err, sizeof(err));
	if (!rc) {
		ok = !emit_seq(e, 1, NULL);
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		n = read(p[0], buf, sizeof(buf) - 1);
		/* Nobody reads now: 64 KiB of pipe, then drops. */
		for (i = 2; i <= 2000; i++)
			ok += !emit_seq(e, i, "x");
		dropped = events_dropped(e);
		events_close(e);
	}
	dup2(saved, 2);
	close(saved);
	if (!ASSERT_OK(rc, "events_open"))
		goto out;
	ASSERT_EQ(ok, 2000, "every emit returned");
	ASSERT_GT(n, 0, "line on stderr");
	if (n > 0)
		buf[n] = 0;
	ASSERT_TRUE(n > 0 && buf[n - 1] == '\n', "one line");
	o = json_tokener_parse(buf);
	ASSERT_EQ(jseq(o), 1, "JSON on stderr");
	ASSERT_GT(dropped, 0, "full pipe drops");
	json_object_put(o);
out:
	close(p[0]);
	close(p[1]);
}

void test_events(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/tp-events-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(tdir), "mkdtemp"))
		return;
	if (test__start_subtest("ecs_fields"))
		subtest_ecs_fields();
	if (test__start_subtest("bad_input"))
		subtest_bad_input();
	if (test__start_subtest("bad_config"))
		subtest_bad_config();
	if (test__start_subtest("reopen"))
		subtest_reopen();
	if (test__start_subtest("syslog_udp"))
		subtest_syslog_udp();
	if (test__start_subtest("syslog_tcp"))
		subtest_syslog_tcp();
	if (test__start_subtest("syslog_unix"))
		subtest_syslog_unix();
	if (test__start_subtest("dead_tcp"))
		subtest_dead_tcp();
	if (test__start_subtest("stderr"))
		subtest_stderr();
	SYS_NOFAIL("rm -rf '%s'", tdir);
}
