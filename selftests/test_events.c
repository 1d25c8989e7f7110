// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_events.c - the event outputs that write JSON lines: a file parsed
 * back with json-c field by field (escaping of hostile device names
 * included), bad events and configurations refused, the file moved away
 * as logrotate does and reopened, and stderr that nobody reads. The
 * syslog transports are in test_events_syslog.c.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events_util.h"
#include "test_progs.h"

static void put_all(struct json_object **objs, int n)
{
	while (n-- > 0)
		json_object_put(objs[n]);
}

/* The file's lines, parsed; returns the count (-1: a line is not JSON). */
static int read_json_lines(const char *path, struct json_object **objs, int max)
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

static void subtest_ecs_fields(void)
{
	static const char name[] =
		"lab \"printer\" \\ 2\n\t\x01 \xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 \xff!";
	static const char name_clean[] =
		"lab \"printer\" \\ 2\n\t\x01 \xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 \xef\xbf\xbd!";
	struct ev_identity id = {
		.device_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		.device_name = name,
		.owner = "alice",
		.group = "printers",
		.model = "M404dn",
		.manufacturer = "HP",
		.serial_number = "CNB3K12345",
		.os = "Linux",
		.os_version = "6.1",
		.cert_serial = "0a:1b:2c",
		.ip = "2001:db8:1:0:0::11",
		.mac = "02:00:00:00:00:1a",
		.ifname = "lan0",
		.vlan = 10,
	};
	struct ev_field f[2] = {{"seq", NULL, 1}, {"tls", "TLSv1.3"}};
	struct ev_record ev = {
		.action = "handshake",
		.category = "authentication,network",
		.outcome = "success",
		.reason = "certificate \"ok\"",
		.actor = "agent",
		.id = &id,
		.extra = f,
		.nextra = 2,
		.time_ms = T_MS,
	};
	struct ev_record bare = {.action = "api-call", .kind = "alert"};
	/* ECS name → value; the identity as the daemon would pass it. */
	const char *want[][2] = {
		{"@timestamp", T_STR},
		{"ecs.version", "8.11.0"},
		{"event.kind", "event"},
		/* an array (json-c prints one so) */
		{"event.category", "[ \"authentication\", \"network\" ]"},
		{"event.action", "handshake"},
		{"event.outcome", "success"},
		{"event.reason", "certificate \"ok\""},
		{"source.ip", "2001:db8:1::11"},     /* canonical */
		{"source.mac", "02-00-00-00-00-1A"}, /* ECS form */
		{"user.name", "alice"},
		{"device.id", id.device_id},
		{"device.model.identifier", "M404dn"},
		{"device.manufacturer", "HP"},
		{"host.name", name_clean}, /* bad byte: U+FFFD */
		{"host.os.name", "Linux"},
		{"host.os.version", "6.1"},
		{"tls.client.x509.serial_number", "0A1B2C"},
		{"observer.hostname", "gw-test"},
		{"observer.type", "gateway"},
		{"observer.product", "trustpoint"},
		{"observer.ingress.interface.name", "lan0"},
		{"observer.ingress.vlan.id", "10"},
		{"trustpoint.actor", "agent"},
		{"trustpoint.device.group", "printers"},
		{"trustpoint.device.serial_number", "CNB3K12345"},
		{"trustpoint.seq", "1"},
		{"trustpoint.tls", "TLSv1.3"},
	};
	static const char *const absent[] = {
		"event.outcome",
		"event.category",
		"event.reason",
		"source",
		"user",
		"device",
		"host",
		"tls",
		"observer.ingress",
		"trustpoint",
	};
	struct events_config c = {.file = tpath("ecs.json")};
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
	struct ev_identity bad_ip = {.ip = "192.0.2.300"},
			   bad_mac = {.mac = "02:00:00:00:00"},
			   bad_vlan = {.vlan = 4095}, neg_vlan = {.vlan = -1},
			   bad_cert = {.cert_serial = "zz"};
	struct ev_field bad_key[] = {{"Bad", "x"}},
			reserved[] = {{"actor", "x"}},
			dup[] = {{"a", "x"}, {"a", "y"}}, many[17];
	struct ev_record bad[] = {
		{.action = NULL},
		{.action = "Hand Shake"},
		{.action = "an-action-name-of-thirty-three-ch"},
		{.action = "x", .kind = "bogus"},
		{.action = "x", .outcome = "ok"},
		{.action = "x", .category = "auth"},
		{.action = "x", .category = "iam,iam,iam,iam,iam"},
		{.action = "x", .category = "iam,"},
		{.action = "x", .id = &bad_ip},
		{.action = "x", .id = &bad_mac},
		{.action = "x", .id = &bad_vlan},
		{.action = "x", .id = &neg_vlan},
		{.action = "x", .id = &bad_cert},
		{.action = "x", .extra = bad_key, .nextra = 1},
		{.action = "x", .extra = reserved, .nextra = 1},
		{.action = "x", .extra = dup, .nextra = 2},
		{.action = "x", .extra = many, .nextra = 17},
		{.action = "x", .extra = NULL, .nextra = 1},
		{.action = "x", .time_ms = -5},
	};
	static char big[13][300], longname[6001];
	struct ev_identity huge = {
		big[0], big[1], big[2], big[3], big[4], big[5], big[6],
		big[7], big[8], NULL,	NULL,	NULL,	big[9],
	};
	struct ev_identity cut = {.device_name = longname};
	struct ev_record ok_huge = {.action = "x",
				    .id = &huge,
				    .reason = big[10],
				    .actor = big[11]};
	struct ev_record ok_cut = {.action = "x", .id = &cut};
	struct events_config c = {.file = tpath("bad.json")};
	struct json_object *o[3] = {};
	struct events *e = open_ev(&c);
	const char *s;
	struct stat st;
	size_t i;
	int n;

	if (!e)
		return;
	for (i = 0; i < 17; i++)
		many[i] = (struct ev_field){"k", "v"};
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
		{.hostname = "gw"},
		{.syslog = "ftp://127.0.0.1:514"},
		{.syslog = "udp://127.0.0.1"},
		{.syslog = "udp://127.0.0.1:0"},
		{.syslog = "udp://127.0.0.1:70000"},
		{.syslog = "tcp://[::1]6514"},
		{.syslog = "tcp://::1:6514"},
		{.syslog = "unix://dev/log"},
		{.to_stderr = true, .hostname = "gw test"},
		{.to_stderr = true, .app_name = longapp},
		{.to_stderr = true, .facility = 24},
		{.to_stderr = true, .facility = -1},
		{.to_stderr = true, .sd_id = "tp"},
		{.to_stderr = true, .sd_id = "tp@x"},
		{.to_stderr = true, .sd_id = "t]p@1"},
		{.to_stderr = true,
		 .reconnect_min_ms = 10,
		 .reconnect_max_ms = 5},
		{.file = "/nonexistent-dir-tp/ev.json"},
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
	struct events_config c = {.file = tpath("rot.json")};
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

static void subtest_stderr(void)
{
	struct events_config c = {.to_stderr = true};
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
	if (!evt_dir_make())
		return;
	if (test__start_subtest("ecs_fields"))
		subtest_ecs_fields();
	if (test__start_subtest("bad_input"))
		subtest_bad_input();
	if (test__start_subtest("bad_config"))
		subtest_bad_config();
	if (test__start_subtest("reopen"))
		subtest_reopen();
	if (test__start_subtest("stderr"))
		subtest_stderr();
	evt_dir_remove();
}
