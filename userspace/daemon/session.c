// SPDX-License-Identifier: GPL-2.0-only
/*
 * session.c - a device's connection from accept to eviction: limits on
 * handshakes, connections per source and sessions; the handshake; the
 * framed channel (HELLO -> WELCOME, HEARTBEAT, POSTURE); heartbeat
 * deadlines; and the grace period after which a lost session's entries
 * are evicted. Sessions are found by device id through a hash.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/addr.h"
#include "lib/events.h"
#include "lib/registry.h"

#define HASH_BITS 16
#define HASH_SIZE (1U << HASH_BITS)
#define OUT_MAX 512 /* frames the daemon sends fit (WELCOME is the largest) */
#define MISSED_BEATS 3

struct src_count {
	struct src_count *next;
	uint8_t family;
	uint8_t addr[16];
	uint32_t n;
};

static uint32_t hash_addr(uint8_t family, const uint8_t *a)
{
	uint32_t h = 2166136261u ^ family;

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h & (HASH_SIZE - 1);
}

static uint32_t hash_id(int64_t id)
{
	return ((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> (64 - HASH_BITS);
}

int sessions_init(void)
{
	tpd->dev_hash = calloc(HASH_SIZE, sizeof(*tpd->dev_hash));
	tpd->src_hash = calloc(HASH_SIZE, sizeof(*tpd->src_hash));
	return tpd->dev_hash && tpd->src_hash ? 0 : -ENOMEM;
}

/* Count a connection of its source; NULL when over the limit. */
static struct src_count *src_get(uint8_t family, const uint8_t *addr)
{
	struct src_count **b = &tpd->src_hash[hash_addr(family, addr)], *c;

	for (c = *b; c; c = c->next)
		if (c->family == family && !memcmp(c->addr, addr, 16))
			break;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->family = family;
		memcpy(c->addr, addr, 16);
		c->next = *b;
		*b = c;
	}
	if (c->n >= tpd->cfg.daemon.max_conn_per_source)
		return NULL;
	c->n++;
	return c;
}

static void src_put(struct src_count *c)
{
	struct src_count **p;

	if (!c || --c->n)
		return;
	for (p = &tpd->src_hash[hash_addr(c->family, c->addr)]; *p;
	     p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			free(c);
			return;
		}
	}
}

static void dev_link(struct session *s)
{
	struct session **b = &tpd->dev_hash[hash_id(s->device_id)];

	s->dev_next = *b;
	*b = s;
}

static void dev_unlink(struct session *s)
{
	struct session **p;

	if (!s->device_id)
		return;
	for (p = &tpd->dev_hash[hash_id(s->device_id)]; *p;
	     p = &(*p)->dev_next) {
		if (*p == s) {
			*p = s->dev_next;
			return;
		}
	}
}

struct session *session_first_of(int64_t id)
{
	struct session *s = tpd->dev_hash[hash_id(id)];

	while (s && s->device_id != id)
		s = s->dev_next;
	return s;
}

struct session *session_next_of(struct session *s)
{
	int64_t id = s->device_id;

	for (s = s->dev_next; s && s->device_id != id; s = s->dev_next)
		;
	return s;
}

void peer_str(const struct session *s, char *buf, size_t len)
{
	char ip[IP_STRLEN];

	ip_format(s->family, s->addr, ip);
	snprintf(buf, len, s->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 s->port);
}

static void count_refusal(const char *reason)
{
	struct tp_stats *st = &tpd->stats;
	int i;

	for (i = 0; i < HS_REASONS_MAX && st->hs_fail[i].reason[0]; i++)
		if (!strcmp(st->hs_fail[i].reason, reason))
			break;
	if (i == HS_REASONS_MAX)
		i--; /* the last slot takes the rest: "other" */
	if (!st->hs_fail[i].reason[0] || i == HS_REASONS_MAX - 1)
		snprintf(st->hs_fail[i].reason, sizeof(st->hs_fail[i].reason),
			 "%s", i == HS_REASONS_MAX - 1 ? "other" : reason);
	st->hs_fail[i].n++;
}

static void refusal(const struct session *s, const char *reason,
		    const char *detail)
{
	struct ev_field f[] = {
		{"peer", NULL, 0},
		{"port", NULL, s->port},
		{"detail", detail, 0},
	};
	struct ev_record r = {
		.action = "handshake",
		.category = "authentication,network",
		.outcome = "failure",
		.reason = reason,
		.actor = "trustpointd",
		.extra = f,
		.nextra = detail && detail[0] ? 3 : 2,
	};
	struct ev_where w;

	count_refusal(reason);
	where_of_session(s, &w);
	f[0].str = w.ip;
	/* a refused peer is no device, even when its certificate names one */
	evlog(&r, NULL, &w);
}

/* A session event of a verified device: handshake, start, end, expiry. */
static void session_event(const struct session *s, const char *action,
			  const char *outcome, const char *reason)
{
	struct ev_field f[] = {{"port", NULL, s->port},
			       {"entries", NULL, s->nkeys}};
	struct ev_record r = {
		.action = action,
		.category = !strcmp(action, "handshake")
				    ? "authentication,network"
				    : "session,network",
		.outcome = outcome,
		.reason = reason,
		.actor = "trustpointd",
		.extra = f,
		.nextra = 2,
	};
	struct ev_where w;

	where_of_session(s, &w);
	evlog_id(&r, s->device_id, &w);
}

/* Drop the connection (fd, TLS, buffers) but keep what grace needs. */
static void conn_close(struct session *s)
{
	if (s->ev.fd >= 0) {
		ev_del(&s->ev);
		close(s->ev.fd);
		s->ev.fd = -1;
		tpd->nconns--;
		src_put(s->src);
		s->src = NULL;
	}
	if (s->state == S_HANDSHAKE)
		tpd->nhandshakes--;
	tls_session_free(s);
	proto_reader_free(&s->rd);
	free(s->out);
	s->out = NULL;
	s->out_len = s->out_off = 0;
}

/* Gone for good: after the batch, session_destroy() frees it. */
static void session_free(struct session *s)
{
	conn_close(s);
	timer_cancel(&s->timer);
	if (s->device_id) {
		dev_unlink(s);
		tpd->nsessions--;
		s->device_id = 0;
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		tpd->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (tpd->sweep_at == s)
		tpd->sweep_at = s->next;
	ev_defer_free(&s->ev);
}

void session_destroy(struct session *s)
{
	free(s->keys);
	free(s->serial);
	free(s);
}

static void on_timer(struct timer *t);

/* Connection lost: entries stay for the grace period, then go. */
static void session_lost(struct session *s, const char *why)
{
	char peer[64];

	peer_str(s, peer, sizeof(peer));
	if (s->state == S_HANDSHAKE || !s->device_id || !s->nkeys) {
		log_debug("%s: closed (%s)", peer, why);
		session_free(s);
		return;
	}
	log_msg("%s: device %lld session lost (%s); evicting in %u s", peer,
		(long long)s->device_id, why, tpd->cfg.daemon.grace_s);
	session_event(s, "session-end", "success", why);
	conn_close(s);
	s->state = S_GRACE;
	timer_arm(&s->timer, now_ms() + tpd->cfg.daemon.grace_s * 1000ULL);
}

/* Write the sealed records pending; 0 when all is out, -EAGAIN, or -EIO. */
static int flush_out(struct session *s)
{
	ssize_t ret;

	while (s->out && s->out_off < s->out_len) {
		ret = send(s->ev.fd, s->out + s->out_off,
			   s->out_len - s->out_off, MSG_NOSIGNAL);
		if (ret > 0) {
			s->out_off += ret;
			continue;
		}
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_mod(&s->ev, EPOLLIN | EPOLLOUT);
			return -EAGAIN;
		}
		return -EIO;
	}
	free(s->out);
	s->out = NULL;
	s->out_len = s->out_off = 0;
	ev_mod(&s->ev, EPOLLIN);
	return 0;
}

/*
 * Seal one frame (frame NULL: a close_notify) into a record and queue it;
 * frames are small, so at most one is ever pending.
 */
static int send_frame(struct session *s, const uint8_t *frame, int len)
{
	uint8_t rec[OUT_MAX + TLS_SEAL_OVERHEAD], *n;

	if (len < 0)
		return len;
	len = tls_seal(s, frame, len, rec, sizeof(rec));
	if (len < 0)
		return len;
	n = realloc(s->out, s->out_len + len);
	if (!n)
		return -ENOMEM;
	memcpy(n + s->out_len, rec, len);
	s->out = n;
	s->out_len += len;
	return flush_out(s) == -EIO ? -EIO : 0;
}

void session_end(struct session *s, uint8_t type, const char *reason,
		 bool evict_now)
{
	uint8_t frame[OUT_MAX];

	if (s->rec && s->ev.fd >= 0) {
		/* best effort: the peer learns why, if its socket has room */
		send_frame(s, frame,
			   proto_reason(type, reason, frame, sizeof(frame)));
		send_frame(s, NULL, 0);
	}
	if (evict_now) {
		if (s->device_id && s->state != S_HANDSHAKE)
			session_event(s, "session-end", "success", reason);
		s->nkeys = 0; /* the caller evicted them already */
		session_free(s);
	} else {
		session_lost(s, reason);
	}
}

static void arm_heartbeat(struct session *s)
{
	timer_arm(&s->timer, s->last_ms + MISSED_BEATS * 1000ULL *
						  tpd->cfg.daemon.heartbeat_s);
}

static void on_timer(struct timer *t)
{
	struct session *s = container_of(t, struct session, timer);
	char peer[64];

	peer_str(s, peer, sizeof(peer));
	switch (s->state) {
	case S_HANDSHAKE:
		refusal(s, "handshake-timeout", NULL);
		session_free(s);
		break;
	case S_AUTHED:
	case S_ACTIVE:
		session_end(s, PROTO_BYE, "missed heartbeats", false);
		break;
	case S_GRACE:
		log_msg("%s: device %lld grace over, evicting %u entries", peer,
			(long long)s->device_id, s->nkeys);
		session_event(s, "lease-expired", "success",
			      "session gone for the grace period");
		bind_evict(s);
		session_free(s);
		break;
	}
}

void session_accept(struct ev *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct session *s;
	uint8_t family, addr[16] = {};
	uint16_t port;
	const char *over;
	char ip[IP_STRLEN];
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_msg("accept: %s", strerror(errno));
			return;
		}
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			static const uint8_t v4mapped[12] = {
				[10] = 0xff, [11] = 0xff};

			port = ntohs(a->sin6_port);
			if (!memcmp(&a->sin6_addr, v4mapped, 12)) {
				family = AF_INET;
				memcpy(addr, (uint8_t *)&a->sin6_addr + 12, 4);
			} else {
				family = AF_INET6;
				memcpy(addr, &a->sin6_addr, 16);
			}
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			family = AF_INET;
			port = ntohs(a->sin_port);
			memcpy(addr, &a->sin_addr, 4);
		}
		over = NULL;
		if (tpd->nhandshakes >= tpd->cfg.daemon.max_handshakes)
			over = "max_handshakes";
		else if (tpd->nsessions >= tpd->cfg.daemon.max_sessions)
			over = "max_sessions";
		s = over ? NULL : calloc(1, sizeof(*s));
		if (s && !(s->src = src_get(family, addr))) {
			free(s);
			s = NULL;
			over = "max_conn_per_source";
		}
		if (!s) {
			ip_format(family, addr, ip);
			log_msg("%s:%u: refused at once: %s reached", ip, port,
				over ? over : "out of memory");
			close(fd);
			continue;
		}
		s->ev.kind = EV_SESSION;
		s->ev.fd = fd;
		s->family = family;
		s->port = port;
		memcpy(s->addr, addr, 16);
		s->state = S_HANDSHAKE;
		s->timer.idx = -1;
		s->timer.fn = on_timer;
		s->next = tpd->sessions;
		if (s->next)
			s->next->prev = s;
		tpd->sessions = s;
		tpd->nconns++;
		tpd->nhandshakes++;
		if (ev_add(&s->ev, EPOLLIN)) {
			session_free(s);
			continue;
		}
		timer_arm(&s->timer,
			  now_ms() + tpd->cfg.daemon.handshake_timeout_ms);
	}
}

/* Verified: bind, then re-check so a revocation racing us always wins. */
static void authenticated(struct session *s)
{
	char peer[64];
	int err;

	peer_str(s, peer, sizeof(peer));
	tpd->nhandshakes--;
	s->state = S_AUTHED;
	s->since = time(NULL);
	s->last_ms = now_ms();
	tpd->nsessions++;
	dev_link(s);
	err = bind_peer(s);
	tpd->stats.handshakes_ok++;
	session_event(s, "handshake", "success", err ? "not bound" : NULL);
	/*
	 * A grace session of the same device is replaced, not evicted later;
	 * after binding, so that the keys both hold never leave the map.
	 */
	for (struct session *o = session_first_of(s->device_id), *nx; o;
	     o = nx) {
		nx = session_next_of(o);
		if (o != s && o->state == S_GRACE) {
			bind_evict(o);
			session_free(o);
		}
	}
	if (!err && !device_still_good(s->device_id, s->issuer, s->serial)) {
		log_msg("%s: device %lld changed status during binding: evicted",
			peer, (long long)s->device_id);
		/* all of the device: its other sessions are just as stale */
		device_cut(s->device_id, "device-cut",
			   "not active in the registry", "trustpointd:bind",
			   NULL, NULL);
		return;
	}
	arm_heartbeat(s);
}

static void welcome(struct session *s, const char *json, size_t len)
{
	struct proto_welcome w = {};
	struct proto_hello h;
	struct reg_device d;
	uint8_t frame[OUT_MAX];
	char peer[64];
	int err;

	peer_str(s, peer, sizeof(peer));
	if (proto_parse_hello(json, len, &h)) {
		log_msg("%s: malformed HELLO: closing", peer);
		session_end(s, PROTO_BYE, "malformed HELLO", false);
		return;
	}
	err = reg_device_get_id(tpd->reg, s->device_id, &d);
	if (err || d.status != REG_DEV_ACTIVE) {
		if (!err)
			reg_device_free(&d);
		if (err && err != -ENOENT) {
			log_msg("%s: registry: %s", peer, strerror(-err));
			session_end(s, PROTO_BYE, "registry unavailable",
				    false);
			return;
		}
		device_cut(s->device_id, "device-cut",
			   "not active in the registry", "trustpointd:hello",
			   NULL, NULL);
		return;
	}
	reg_device_free(&d);
	/* the HELLO's posture first: a cloned certificate gets no welcome */
	policy_posture(s, &h.posture);
	if (s->ev.dead || s->ev.fd < 0)
		return;
	if (reg_device_get_id(tpd->reg, s->device_id, &d)) {
		session_end(s, PROTO_BYE, "registry unavailable", false);
		return;
	}
	bind_announced(s, &h);
	snprintf(w.device, sizeof(w.device), "%s", d.uuid);
	snprintf(w.name, sizeof(w.name), "%s", d.name);
	w.lease_s = tpd->cfg.daemon.lease_s;
	w.heartbeat_s = tpd->cfg.daemon.heartbeat_s;
	log_msg("%s: device %s (%lld) agent %s host %.64s: welcome, %u entries",
		peer, d.name, (long long)d.id, h.agent, h.hostname, s->nkeys);
	reg_device_free(&d);
	s->state = S_ACTIVE;
	session_event(s, "session-start", "success", NULL);
	if (send_frame(s, frame, proto_welcome(&w, frame, sizeof(frame))))
		session_lost(s, "write failed");
}

/* One whole frame from the agent; false when the session ended. */
static bool on_frame(struct session *s)
{
	uint64_t seq;
	struct proto_posture p;
	char peer[64];
	int err = 0;

	s->last_ms = now_ms();
	switch (s->rd.type) {
	case PROTO_HELLO:
		if (s->state != S_AUTHED)
			err = -EPROTO;
		else
			welcome(s, s->rd.payload, s->rd.len);
		break;
	case PROTO_HEARTBEAT:
		err = s->state == S_ACTIVE
			      ? proto_parse_heartbeat(s->rd.payload, s->rd.len,
						      &seq)
			      : -EPROTO;
		if (!err)
			bind_renew(s);
		break;
	case PROTO_POSTURE:
		err = s->state == S_ACTIVE ? proto_parse_posture(s->rd.payload,
								 s->rd.len, &p)
					   : -EPROTO;
		if (!err)
			policy_posture(s, &p);
		break;
	case PROTO_BYE: /* the agent stops: a clean close, entries to grace */
		proto_reader_reset(&s->rd);
		session_lost(s, "agent said bye");
		return false;
	default: /* a daemon->agent type from the agent */
		err = -EPROTO;
	}
	proto_reader_reset(&s->rd);
	if (err) {
		peer_str(s, peer, sizeof(peer));
		log_msg("%s: malformed or unexpected frame: closing", peer);
		session_end(s, PROTO_BYE, "malformed frame", false);
		return false;
	}
	if (s->ev.fd < 0 || s->ev.dead)
		return false;
	if (s->state == S_ACTIVE)
		arm_heartbeat(s);
	return true;
}

static void read_frames(struct session *s)
{
	uint8_t rec[TLS_RECORD_MAX], *buf;
	char peer[64];
	size_t used;
	int n, r;

	for (;;) {
		n = tls_recv(s, rec, &buf);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			session_lost(s, n == -ESHUTDOWN ? "closed by peer"
							: "connection error");
			return;
		}
		for (int at = 0; at < n; at += used) {
			r = proto_feed(&s->rd, buf + at, n - at, &used);
			if (r < 0) {
				peer_str(s, peer, sizeof(peer));
				log_msg("%s: %s frame: closing", peer,
					r == -EMSGSIZE ? "oversized"
					: r == -ENOMEM ? "unallocatable"
						       : "malformed");
				proto_reader_reset(&s->rd);
				session_end(s, PROTO_BYE, "malformed frame",
					    false);
				return;
			}
			if (r == 1 && !on_frame(s))
				return;
		}
	}
}

void session_io(struct session *s, uint32_t events)
{
	char reason[48] = "", detail[300] = "", peer[64];
	uint32_t want = EPOLLIN;
	int err;

	if (s->state == S_HANDSHAKE) {
		err = tls_handshake(s, &want, reason, sizeof(reason), detail,
				    sizeof(detail));
		if (err == -EAGAIN) {
			ev_mod(&s->ev, want);
			return;
		}
		if (err) {
			refusal(s, reason, detail);
			session_free(s);
			return;
		}
		peer_str(s, peer, sizeof(peer));
		log_msg("%s: authenticated: %s", peer, detail);
		authenticated(s);
		if (s->ev.dead || s->ev.fd < 0)
			return;
		ev_mod(&s->ev, EPOLLIN);
		/* the agent's HELLO may have come with the last flight */
		read_frames(s);
		return;
	}
	if ((events & EPOLLOUT) && flush_out(s) == -EIO) {
		session_lost(s, "write failed");
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		read_frames(s);
}

void sessions_shutdown(void)
{
	struct session *s, *n;

	for (s = tpd->sessions; s; s = n) {
		n = s->next;
		if (s->rec && s->ev.fd >= 0) {
			uint8_t frame[OUT_MAX];

			send_frame(s, frame,
				   proto_reason(PROTO_BYE,
						"gateway shutting down", frame,
						sizeof(frame)));
			send_frame(s, NULL, 0);
		}
		/* entries keep their leases: a restart resumes them */
		s->nkeys = 0;
		session_free(s);
	}
}
