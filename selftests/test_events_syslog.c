// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_events_syslog.c - the syslog outputs against real receivers: UDP,
 * TCP (octet counting, a listener restart) and unix socket listeners in
 * this process on loopback, and a dead or stalled TCP peer that must cost
 * dropped events, never a blocked caller or a lost file line.
 */
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "events_util.h"
#include "test_progs.h"

#define BOM "\xef\xbb\xbf"

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

/*
 * A socket on loopback (*port 0: any; the port is returned there) or at
 * path for AF_UNIX, listening when backlog >= 0; -1 on failure.
 */
static int sock_bind(int family, int type, const char *path, int *port,
		     int backlog)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
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
	if (fd < 0 || bind(fd, sa, len) ||
	    (backlog >= 0 && listen(fd, backlog)) ||
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
	struct pollfd p = {.fd = fd, .events = POLLIN};
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

	snprintf(head, sizeof(head),
		 "<%d>1 %s gw-test trustpointd %d %s %s " BOM, pri, ts,
		 (int)getpid(), msgid, sd ? sd : "");
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
		.device_id = "dev-1",
		.device_name = "a\"b\\c]d\ne",
		.owner = "alice",
		.ip = "192.0.2.11",
		.mac = "02:00:00:00:00:11",
		.ifname = "lan0",
		.vlan = 7,
		.cert_serial = "01ff",
	};
	struct ev_record ev = {
		.action = "device-revoked",
		.category = "iam",
		.outcome = "success",
		.reason = "ok ] done",
		.actor = "admin",
		.id = &id,
		.time_ms = T_MS,
	};
	struct events_config c = {.facility = 10};
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
		if (ASSERT_GT(pump_recv(NULL, fd6, buf, sizeof(buf)), 0,
			      "v6")) {
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
	struct events_config c = {.file = tpath("dead.json"), .queue_max = 16};
	struct pollfd p = {.events = POLLIN};
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

void test_events_syslog(void)
{
	if (!evt_dir_make())
		return;
	if (test__start_subtest("syslog_udp"))
		subtest_syslog_udp();
	if (test__start_subtest("syslog_tcp"))
		subtest_syslog_tcp();
	if (test__start_subtest("syslog_unix"))
		subtest_syslog_unix();
	if (test__start_subtest("dead_tcp"))
		subtest_dead_tcp();
	evt_dir_remove();
}
