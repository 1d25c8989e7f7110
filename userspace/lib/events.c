// SPDX-License-Identifier: GPL-2.0-only
/*
 * events.c - the outputs of events.h and the queues in front of them.
 *
 * An event is formatted once; the JSON message is shared by the file and
 * stderr queues, the RFC 5424 message goes to the syslog queue. Each
 * queue is a bounded ring: when it is full the new copy is dropped and
 * counted, so a SIEM that is down or slow costs events, never the
 * daemon's loop. Writes are non-blocking and resume where they stopped
 * (the offset into the head message, framing included). A stream peer
 * that went away is noticed before writing (a peeked EOF) so that a
 * restarted listener does not swallow the first message after it; the
 * head is then sent again, whole, on the next connection. Reconnects
 * back off from reconnect_min_ms to reconnect_max_ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/events_int.h"

#define CONNECT_TIMEOUT_MS 10000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ev_msg *ev_msg_new(size_t len)
{
	struct ev_msg *m = malloc(sizeof(*m) + len + 1);

	if (m) {
		m->refs = 1;
		m->len = len;
	}
	return m;
}

void ev_msg_put(struct ev_msg *m)
{
	if (m && !--m->refs)
		free(m);
}

static int queue_init(struct ev_queue *q, unsigned int cap)
{
	q->ring = calloc(cap, sizeof(*q->ring));
	q->cap = cap;
	q->head = q->n = 0;
	return q->ring ? 0 : -ENOMEM;
}

static bool queue_push(struct ev_queue *q, struct ev_msg *m)
{
	if (q->n == q->cap)
		return false;
	q->ring[(q->head + q->n++) % q->cap] = m;
	m->refs++;
	return true;
}

static void queue_pop(struct ev_queue *q)
{
	ev_msg_put(q->ring[q->head]);
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

static void queue_free(struct ev_queue *q)
{
	while (q->ring && q->n)
		queue_pop(q);
	free(q->ring);
	q->ring = NULL;
}

/* Watch what the output needs now: its end (streams), and writability
 * while something waits or a connect is under way. */
static void out_watch(struct events *e, struct ev_out *o, bool want_out)
{
	struct epoll_event ev = {.data.ptr = o};
	uint32_t mask;

	if (o->fd < 0 || !o->pollable)
		return;
	mask = (o->stream ? EPOLLIN | EPOLLRDHUP : 0) |
	       (want_out ? EPOLLOUT : 0);
	if (mask == o->mask)
		return;
	ev.events = mask;
	if (!epoll_ctl(e->epfd, EPOLL_CTL_MOD, o->fd, &ev))
		o->mask = mask;
}

static void out_close(struct events *e, struct ev_out *o)
{
	if (o->fd < 0)
		return;
	if (o->pollable)
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, o->fd, NULL);
	close(o->fd);
	o->fd = -1;
	o->mask = 0;
	o->off = 0;
}

/* Take fd as o's; an fd epoll refuses (a regular file) is simply not
 * watched: writes to it do not wait. */
static void out_set_fd(struct events *e, struct ev_out *o, int fd)
{
	struct epoll_event ev = {.events = 0, .data.ptr = o};

	o->fd = fd;
	o->mask = 0;
	o->off = 0;
	o->pollable = !epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void out_drop_head(struct ev_out *o)
{
	queue_pop(&o->q);
	o->off = 0;
	o->dropped++;
}

/* 1: the head is out; 0: the fd would block; -errno: it failed. */
static int out_write_head(struct ev_out *o)
{
	struct ev_msg *m = o->q.ring[o->q.head];
	struct iovec all[3], iov[3];
	struct msghdr mh = {.msg_iov = iov};
	char hdr[24];
	size_t hlen = 0, tlen = 0, skip, total;
	ssize_t n;
	int i, cnt;

	if (o->frame == EV_FRAME_OCTET)
		hlen = snprintf(hdr, sizeof(hdr), "%zu ", m->len);
	else if (o->frame == EV_FRAME_LF)
		tlen = 1;
	all[0] = (struct iovec){hdr, hlen};
	all[1] = (struct iovec){m->data, m->len};
	all[2] = (struct iovec){(char *)"\n", tlen};
	total = hlen + m->len + tlen;
again:
	skip = o->off;
	for (i = cnt = 0; i < 3; i++) {
		if (skip >= all[i].iov_len) {
			skip -= all[i].iov_len;
			continue;
		}
		iov[cnt].iov_base = (char *)all[i].iov_base + skip;
		iov[cnt++].iov_len = all[i].iov_len - skip;
		skip = 0;
	}
	mh.msg_iovlen = cnt;
	n = o->sock ? sendmsg(o->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL)
		    : writev(o->fd, iov, cnt);
	if (n < 0 && errno == EINTR)
		goto again;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	o->off += n;
	if (o->off < total) {
		/* A regular file (not pollable) takes the rest at once or
		 * says why not; others say when with EPOLLOUT. */
		if (!o->pollable)
			goto again;
		return 0;
	}
	queue_pop(&o->q);
	o->off = 0;
	return 1;
}

static void slog_schedule(struct events *e, uint64_t now)
{
	e->retry_at_ms = now + e->backoff_ms;
	e->backoff_ms = e->backoff_ms * 2 > e->backoff_max ? e->backoff_max
							   : e->backoff_ms * 2;
}

/* The peer is gone: close, keep the queue, send the head again whole. */
static void slog_lost(struct events *e)
{
	out_close(e, &e->slog);
	e->connecting = false;
	slog_schedule(e, now_ms());
}

/* A syslog receiver never talks: EOF or an error means it is gone. */
static bool slog_alive(struct events *e)
{
	struct ev_out *o = &e->slog;
	char buf[256];
	ssize_t n;
	int err = 0;
	socklen_t len = sizeof(err);

	if (o->fd < 0)
		return false;
	if (!o->stream) {
		getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		/* A unix datagram receiver that went away; UDP's ICMP
		 * errors are only worth clearing. */
		if (err && e->target.transport != EV_UDP) {
			slog_lost(e);
			return false;
		}
		return true;
	}
	for (;;) {
		n = recv(o->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		slog_lost(e);
		return false;
	}
}

static void slog_connected(struct events *e)
{
	e->connecting = false;
	e->backoff_ms = e->backoff_min;
}

static int slog_socket(struct events *e, int type)
{
	int fd, rc;

	fd = socket(e->target.addr.ss_family,
		    type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&e->target.addr, e->target.addrlen);
	if (rc && errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
		return rc;
	}
	e->connecting = rc != 0;
	return fd;
}

static void slog_connect(struct events *e, uint64_t now)
{
	struct ev_out *o = &e->slog;
	enum ev_transport tr = e->target.transport;
	int fd, type;

	type = tr == EV_TCP || tr == EV_UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM;
	fd = slog_socket(e, type);
	/* /dev/log may be either kind: rsyslog and journald bind datagram
	 * sockets, syslog-ng often a stream one. */
	if (fd == -EPROTOTYPE && tr == EV_UNIX_AUTO) {
		type = SOCK_STREAM;
		fd = slog_socket(e, type);
	}
	if (fd < 0) {
		slog_schedule(e, now);
		return;
	}
	o->sock = true;
	o->stream = type == SOCK_STREAM;
	o->frame = tr == EV_TCP ? EV_FRAME_OCTET
		   : o->stream	? EV_FRAME_LF
				: EV_FRAME_NONE;
	out_set_fd(e, o, fd);
	if (e->connecting)
		e->connect_deadline_ms = now + CONNECT_TIMEOUT_MS;
	else
		slog_connected(e);
	out_watch(e, o, e->connecting);
}

/* Write what o takes now; a failure drops one message (files, stderr,
 * datagrams) or the connection (streams, unix datagram peers). */
static void out_flush(struct events *e, struct ev_out *o)
{
	bool retried = false;
	int rc;

	if (o == &e->slog && (e->connecting || !slog_alive(e)))
		return;
	while (o->fd >= 0 && o->q.n) {
		rc = out_write_head(o);
		if (rc > 0) {
			retried = false;
			continue;
		}
		if (!rc)
			break;
		if (o != &e->slog) {
			out_drop_head(o);
			/* Nobody reads our stderr any more. */
			if (o == &e->err && rc == -EPIPE)
				out_close(e, o);
			continue;
		}
		/* A connected UDP socket reports an earlier ICMP error on
		 * this send: the message itself was not tried. */
		if (rc == -ECONNREFUSED && e->target.transport == EV_UDP &&
		    !retried) {
			retried = true;
			continue;
		}
		if (o->stream || (e->target.transport != EV_UDP &&
				  rc != -EMSGSIZE && rc != -ENOBUFS)) {
			o->off = 0;
			slog_lost(e);
			return;
		}
		out_drop_head(o);
	}
	out_watch(e, o, o->q.n > 0);
}

static void slog_connect_done(struct events *e)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(e->slog.fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		slog_lost(e);
		return;
	}
	slog_connected(e);
}

void events_poll_out(struct events *e)
{
	struct epoll_event evs[4];
	struct ev_out *o;
	int i, n;

	if (!e)
		return;
	n = epoll_wait(e->epfd, evs, 4, 0);
	for (i = 0; i < n; i++) {
		o = evs[i].data.ptr;
		if (o == &e->slog && e->connecting &&
		    (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			slog_connect_done(e);
		/* A closed pipe stays in error: stop watching it. */
		if (o == &e->err && (evs[i].events & (EPOLLERR | EPOLLHUP)))
			out_close(e, o);
	}
	events_tick(e);
}

int events_tick(struct events *e)
{
	struct pollfd pfd = {.events = POLLOUT};
	uint64_t now = now_ms();

	if (!e)
		return -1;
	if (e->slog_on && e->slog.fd < 0 && now >= e->retry_at_ms)
		slog_connect(e, now);
	/* A caller that does not watch events_fd() still gets connected. */
	pfd.fd = e->slog.fd;
	if (e->connecting && poll(&pfd, 1, 0) == 1)
		slog_connect_done(e);
	if (e->connecting && now >= e->connect_deadline_ms)
		slog_lost(e);
	out_flush(e, &e->file);
	out_flush(e, &e->err);
	if (e->slog_on)
		out_flush(e, &e->slog);
	if (e->slog_on && e->slog.fd < 0)
		return e->retry_at_ms > now ? (int)(e->retry_at_ms - now) : 0;
	if (e->connecting)
		return e->connect_deadline_ms > now
			       ? (int)(e->connect_deadline_ms - now)
			       : 0;
	return -1;
}

static void out_push(struct ev_out *o, struct ev_msg *m)
{
	if (!queue_push(&o->q, m))
		o->dropped++;
}

int events_emit(struct events *e, const struct ev_record *ev)
{
	struct ev_clean *c;
	struct ev_msg *json, *msg;
	int err;

	if (!e)
		return -EINVAL;
	c = &e->clean;
	err = ev_clean_record(c, ev, EV_FIELD_MAX);
	if (err)
		return err;
	json = ev_ecs_json(e, c);
	/* Many long fields full of escapes: shorter ones keep the line
	 * (and the syslog datagram) bounded. */
	if (json && json->len > EV_JSON_MAX) {
		ev_msg_put(json);
		ev_clean_record(c, ev, EV_FIELD_SHORT);
		json = ev_ecs_json(e, c);
	}
	if (!json)
		return -ENOMEM;
	e->emitted++;
	if (e->file.q.ring)
		out_push(&e->file, json);
	if (e->err.q.ring)
		out_push(&e->err, json);
	if (e->slog_on) {
		msg = ev_syslog_msg(e, c, json->data, json->len);
		if (msg) {
			out_push(&e->slog, msg);
			ev_msg_put(msg);
		} else {
			e->slog.dropped++;
		}
	}
	ev_msg_put(json);
	events_tick(e);
	return 0;
}

static int file_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path,
		      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
			      O_NONBLOCK,
		      0640);

	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "events file '%s': %s", path,
			 strerror(-fd));
	}
	return fd;
}

int events_reopen(struct events *e)
{
	char msg[256];
	int fd;

	if (!e)
		return -EINVAL;
	if (e->path) {
		fd = file_open(e->path, msg, sizeof(msg));
		if (fd < 0)
			return fd;
		/* The rest of a half-written line would start the new file
		 * with garbage: it is lost instead. */
		if (e->file.off)
			out_drop_head(&e->file);
		out_close(e, &e->file);
		out_set_fd(e, &e->file, fd);
	}
	if (e->slog_on && e->slog.fd < 0) {
		e->backoff_ms = e->backoff_min;
		e->retry_at_ms = 0;
	}
	events_tick(e);
	return 0;
}

/* Our own fd 2: a pipe is reopened non-blocking (setting O_NONBLOCK on
 * fd 2 itself would change it for everyone sharing it), a socket is sent
 * to with MSG_DONTWAIT. A terminal or a file is written as it is. */
static int stderr_open(struct events *e)
{
	struct ev_out *o = &e->err;
	struct stat st;
	int fd = -1, type = 0;
	socklen_t len = sizeof(type);

	if (fstat(2, &st))
		return -errno;
	if (S_ISFIFO(st.st_mode))
		fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	o->sock = S_ISSOCK(st.st_mode);
	if (o->sock)
		getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	o->stream = false; /* a closed reader is a write error, not a peek */
	o->frame = type == SOCK_DGRAM ? EV_FRAME_NONE : EV_FRAME_LF;
	out_set_fd(e, o, fd);
	return 0;
}

static int open_check(struct events *e, const struct events_config *c,
		      char *err, size_t errlen)
{
	const char *s;
	char host[EV_HOST_MAX + 1];

	if (!c->file && !c->syslog && !c->to_stderr) {
		snprintf(err, errlen, "events: no output configured");
		return -EINVAL;
	}
	s = c->app_name ? c->app_name : "trustpointd";
	if (!ev_printusascii(s, EV_APP_MAX)) {
		snprintf(err, errlen,
			 "events app name: 1..%d printable ASCII characters",
			 EV_APP_MAX);
		return -EINVAL;
	}
	strcpy(e->app, s);
	s = c->hostname;
	if (!s) {
		if (gethostname(host, sizeof(host)))
			strcpy(host, "-");
		host[sizeof(host) - 1] = 0;
		s = host;
	}
	if (!ev_printusascii(s, EV_HOST_MAX)) {
		snprintf(err, errlen,
			 "events hostname: 1..%d printable ASCII characters",
			 EV_HOST_MAX);
		return -EINVAL;
	}
	strcpy(e->hostname, s);
	s = c->sd_id ? c->sd_id : "tp@32473";
	/* An SD-ID of our own needs "@" and an enterprise number. */
	if (!ev_sd_name_ok(s) || !strchr(s, '@') || strchr(s, '@') == s ||
	    !strchr(s, '@')[1] ||
	    strspn(strchr(s, '@') + 1, "0123456789.") !=
		    strlen(strchr(s, '@') + 1)) {
		snprintf(err, errlen,
			 "events sd id '%s': expected NAME@ENTERPRISE-NUMBER",
			 s);
		return -EINVAL;
	}
	strcpy(e->sd_id, s);
	if (c->facility < 0 || c->facility > 23) {
		snprintf(err, errlen, "events facility %d: expected 1..23",
			 c->facility);
		return -EINVAL;
	}
	e->facility = c->facility ? c->facility : 10;
	if (c->queue_max > 1u << 20) {
		snprintf(err, errlen, "events queue %u: at most %u",
			 c->queue_max, 1u << 20);
		return -EINVAL;
	}
	e->backoff_min = c->reconnect_min_ms ? c->reconnect_min_ms : 500;
	e->backoff_max = c->reconnect_max_ms ? c->reconnect_max_ms : 30000;
	if (e->backoff_max < e->backoff_min || e->backoff_max > 3600000) {
		snprintf(err, errlen,
			 "events reconnect: need min <= max <= 3600000 ms");
		return -EINVAL;
	}
	e->backoff_ms = e->backoff_min;
	e->bom = !c->syslog_no_bom;
	if (c->syslog)
		return ev_target_parse(&e->target, c->syslog, err, errlen);
	return 0;
}

int events_open(const struct events_config *c, struct events **out, char *err,
		size_t errlen)
{
	unsigned int cap;
	struct events *e;
	int rc = -ENOMEM, fd;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "events: no configuration");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto nomem;
	e->file.fd = e->err.fd = e->slog.fd = e->epfd = -1;
	e->file.name = "file";
	e->err.name = "stderr";
	e->slog.name = "syslog";
	rc = open_check(e, c, err, errlen);
	if (rc)
		goto fail;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "events: epoll: %s", strerror(-rc));
		goto fail;
	}
	cap = c->queue_max ? c->queue_max : 1024;
	if (c->file) {
		e->path = strdup(c->file);
		if (!e->path || queue_init(&e->file.q, cap))
			goto nomem;
		fd = file_open(c->file, err, errlen);
		if (fd < 0) {
			rc = fd;
			goto fail;
		}
		e->file.frame = EV_FRAME_LF;
		out_set_fd(e, &e->file, fd);
	}
	if (c->to_stderr) {
		if (queue_init(&e->err.q, cap))
			goto nomem;
		rc = stderr_open(e);
		if (rc) {
			snprintf(err, errlen, "events: stderr: %s",
				 strerror(-rc));
			goto fail;
		}
	}
	if (c->syslog) {
		if (queue_init(&e->slog.q, cap))
			goto nomem;
		e->slog_on = true;
		slog_connect(e, now_ms());
	}
	*out = e;
	return 0;
nomem:
	rc = -ENOMEM;
	snprintf(err, errlen, "events: out of memory");
fail:
	events_close(e);
	return rc;
}

void events_close(struct events *e)
{
	if (!e)
		return;
	out_flush(e, &e->file);
	out_flush(e, &e->err);
	out_flush(e, &e->slog);
	out_close(e, &e->file);
	out_close(e, &e->err);
	out_close(e, &e->slog);
	queue_free(&e->file.q);
	queue_free(&e->err.q);
	queue_free(&e->slog.q);
	if (e->epfd >= 0)
		close(e->epfd);
	free(e->path);
	free(e);
}

int events_fd(const struct events *e)
{
	return e ? e->epfd : -1;
}

static uint64_t dropped(const struct events *e)
{
	return e->file.dropped + e->err.dropped + e->slog.dropped;
}

uint64_t events_dropped(const struct events *e)
{
	return e ? dropped(e) : 0;
}

void events_get_stats(const struct events *e, struct events_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!e)
		return;
	st->emitted = e->emitted;
	st->dropped = dropped(e);
	st->queued = e->file.q.n + e->err.q.n + e->slog.q.n;
	st->syslog_connected = e->slog.fd >= 0 && !e->connecting;
}
