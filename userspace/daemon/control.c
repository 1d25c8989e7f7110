// SPDX-License-Identifier: GPL-2.0-only
/*
 * control.c - trustpointd's control socket: a unix stream socket (0660,
 * group control_group) whose peers are checked by SO_PEERCRED, speaking
 * lib/control.h's length-prefixed JSON. Requests are handled inside the
 * loop, each to completion, so a revocation is one step of it.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <malloc.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/addr.h"
#include "lib/control.h"
#include "lib/gate.h"
#include "lib/registry.h"

#define CTL_IDLE_MS 10000
#define CTL_CONNS_MAX 64

struct ctl_conn {
	struct ev ev;
	struct timer timer;
	struct control_reader rd;
	uint8_t *out;
	size_t out_len, out_off;
	bool close_after;
	uid_t uid;
};

static unsigned int nctl;
static gid_t ctl_gid = (gid_t)-1;

int control_init(void)
{
	const char *path = tpd->cfg.daemon.control_socket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	struct group *gr;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_msg("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0750) && errno != EEXIST) {
		err = -errno;
		log_msg("cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	if (tpd->cfg.daemon.control_group) {
		gr = getgrnam(tpd->cfg.daemon.control_group);
		if (!gr) {
			log_msg("control_group '%s' does not exist",
				tpd->cfg.daemon.control_group);
			return -ENOENT;
		}
		ctl_gid = gr->gr_gid;
		if (chown(dir, 0, ctl_gid))
			log_msg("chown %s: %s", dir, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a socket file left by a daemon that died is ours to replace */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    (ctl_gid != (gid_t)-1 && chown(path, 0, ctl_gid)) ||
	    listen(fd, 64)) {
		err = -errno;
		log_msg("control socket %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	tpd->ctl_ev.kind = EV_CTL_LISTEN;
	tpd->ctl_ev.fd = fd;
	return ev_add(&tpd->ctl_ev, EPOLLIN);
}

void control_exit(void)
{
	if (tpd->ctl_ev.fd > 0) {
		close(tpd->ctl_ev.fd);
		unlink(tpd->cfg.daemon.control_socket);
	}
}

/* Is the process at the other end in control_group (primary or not)? */
static bool in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p, *save = NULL;

		if (strncmp(line, "Groups:", 7))
			continue;
		for (p = strtok_r(line + 7, " \t\n", &save); p;
		     p = strtok_r(NULL, " \t\n", &save))
			if ((gid_t)strtoul(p, NULL, 10) == gid)
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static void conn_free(struct ctl_conn *c)
{
	if (c->ev.dead)
		return;
	ev_del(&c->ev);
	close(c->ev.fd);
	c->ev.fd = -1;
	timer_cancel(&c->timer);
	control_reader_reset(&c->rd);
	nctl--;
	ev_defer_free(&c->ev);
}

void control_conn_destroy(struct ev *ev)
{
	struct ctl_conn *c = container_of(ev, struct ctl_conn, ev);

	free(c->out);
	free(c);
}

static void on_idle(struct timer *t)
{
	conn_free(container_of(t, struct ctl_conn, timer));
}

static void flush(struct ctl_conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->ev.fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			ev_mod(&c->ev, EPOLLIN | EPOLLOUT);
			return;
		}
		if (n <= 0) {
			conn_free(c);
			return;
		}
		c->out_off += n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->close_after) {
		conn_free(c);
		return;
	}
	ev_mod(&c->ev, EPOLLIN);
}

static void reply(struct ctl_conn *c, struct json_object *o)
{
	uint8_t *buf;
	size_t len;

	if (control_encode(o, &buf, &len)) {
		json_object_put(o);
		o = json_object_new_object();
		json_object_object_add(
			o, "error",
			json_object_new_string("response too large"));
		if (control_encode(o, &buf, &len)) {
			json_object_put(o);
			conn_free(c);
			return;
		}
	}
	json_object_put(o);
	if (c->out) { /* a pipelined request: queue behind what is pending */
		uint8_t *n = realloc(c->out, c->out_len + len);

		if (!n) {
			free(buf);
			conn_free(c);
			return;
		}
		memcpy(n + c->out_len, buf, len);
		free(buf);
		c->out = n;
		c->out_len += len;
	} else {
		c->out = buf;
		c->out_len = len;
		c->out_off = 0;
	}
	flush(c);
}

static struct json_object *error_obj(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* A string member of at most max bytes; NULL when absent or unfit. */
static const char *str_arg(struct json_object *req, const char *key, size_t max)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0 ||
	    (size_t)json_object_get_string_len(v) > max)
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *do_status(struct ctl_conn *c,
				     struct json_object *req, int status)
{
	const char *dev = str_arg(req, "device", REG_STR_MAX);
	const char *reason = str_arg(req, "reason", 256);
	const char *actor = str_arg(req, "actor", 64);
	struct json_object *out;
	char err[256], fallback[32];

	if (!dev)
		return error_obj("'device' is required");
	if (!actor) {
		snprintf(fallback, sizeof(fallback), "control:uid%u", c->uid);
		actor = fallback;
	}
	out = json_object_new_object();
	json_object_object_add(out, "ok", json_object_new_boolean(true));
	if (device_set_status(dev, status, reason, actor, out, err,
			      sizeof(err))) {
		json_object_put(out);
		return error_obj(err);
	}
	return out;
}

/*
 * Lists are paged: a page stops short of the message limit and says
 * where the next one starts ("next"), which the client asks for in turn.
 */
#define PAGE_BYTES (CONTROL_MAX_MSG - 4096)

struct page {
	struct json_object *a;
	int64_t skip, index; /* items before the page; items seen */
	size_t bytes;
	bool full;
};

/* Add o to the page unless it belongs to an earlier one or does not fit. */
static void page_add(struct page *p, struct json_object *o)
{
	size_t len;

	if (p->full || p->index++ < p->skip) {
		json_object_put(o);
		return;
	}
	json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (p->bytes + len + 1 > PAGE_BYTES) {
		p->full = true;
		p->index--;
		json_object_put(o);
		return;
	}
	p->bytes += len + 1;
	json_object_array_add(p->a, o);
}

static struct json_object *page_done(struct page *p, const char *key)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, key, p->a);
	if (p->full)
		json_object_object_add(o, "next",
				       json_object_new_int64(p->index));
	return o;
}

static int64_t offset_arg(struct json_object *req)
{
	struct json_object *v;
	int64_t off;

	if (!json_object_object_get_ex(req, "offset", &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	off = json_object_get_int64(v);
	return off < 0 ? 0 : off;
}

static struct json_object *session_obj(struct session *s, __u64 now)
{
	struct json_object *o = json_object_new_object(), *a;
	struct tp_identity v = {};
	struct tp_counter st = {};
	struct reg_device d;
	char ip[IP_STRLEN], mac[MAC_STRLEN], ifname[IF_NAMESIZE] = "";
	const char *states[] = {"handshake", "authenticated", "active",
				"grace"};

	if (!reg_device_get_id(tpd->reg, s->device_id, &d)) {
		json_object_object_add(o, "device",
				       json_object_new_string(d.uuid));
		json_object_object_add(o, "name",
				       json_object_new_string(d.name));
		json_object_object_add(
			o, "owner",
			json_object_new_string(d.owner ? d.owner : ""));
		reg_device_free(&d);
	}
	json_object_object_add(o, "id", json_object_new_int64(s->device_id));
	json_object_object_add(o, "state",
			       json_object_new_string(states[s->state]));
	ip_format(s->family, s->addr, ip);
	json_object_object_add(o, "peer", json_object_new_string(ip));
	json_object_object_add(o, "port", json_object_new_int(s->port));
	a = json_object_new_array();
	for (int i = 0; i < s->nkeys; i++) {
		ip_format(s->keys[i].family, s->keys[i].addr, ip);
		json_object_array_add(a, json_object_new_string(ip));
	}
	json_object_object_add(o, "addresses", a);
	mac_format(s->mac, mac);
	json_object_object_add(o, "mac",
			       json_object_new_string(s->nkeys ? mac : ""));
	if (s->nkeys)
		if_indextoname(s->keys[0].ifindex, ifname);
	json_object_object_add(o, "ifname", json_object_new_string(ifname));
	json_object_object_add(
		o, "ifindex",
		json_object_new_int(s->nkeys ? s->keys[0].ifindex : 0));
	json_object_object_add(
		o, "vlan", json_object_new_int(s->nkeys ? s->keys[0].vlan : 0));
	json_object_object_add(
		o, "svlan",
		json_object_new_int(s->nkeys ? s->keys[0].svlan : 0));
	json_object_object_add(o, "since", json_object_new_int64(s->since));
	if (tpd->gate && s->nkeys &&
	    !gate_identity_get(tpd->gate, &s->keys[0], &v) &&
	    v.expires_ns > now)
		json_object_object_add(
			o, "lease_left",
			json_object_new_int64((v.expires_ns - now) /
					      1000000000ULL));
	else
		json_object_object_add(o, "lease_left",
				       json_object_new_int64(0));
	if (tpd->gate)
		gate_device_stats(tpd->gate, s->device_id, &st);
	json_object_object_add(o, "packets", json_object_new_int64(st.packets));
	json_object_object_add(o, "bytes", json_object_new_int64(st.bytes));
	return o;
}

static struct json_object *do_session_list(struct json_object *req)
{
	struct page p = {json_object_new_array(), offset_arg(req)};
	struct json_object *o;
	__u64 now = gate_now_ns();
	int64_t n = 0;

	for (struct session *s = tpd->sessions; s && !p.full; s = s->next) {
		if (!s->device_id || s->ev.dead)
			continue;
		if (n++ < p.skip) { /* cheap skip without building the object */
			p.index++;
			continue;
		}
		page_add(&p, session_obj(s, now));
	}
	o = page_done(&p, "sessions");
	/* for the benchmarks: live heap, what sessions really hold */
	json_object_object_add(o, "sessions_total",
			       json_object_new_int64(tpd->nsessions));
	json_object_object_add(o, "heap_bytes",
			       json_object_new_int64(mallinfo2().uordblks));
	return o;
}

static struct json_object *do_session_kill(struct json_object *req)
{
	const char *ref = str_arg(req, "device", REG_STR_MAX);
	struct json_object *o;
	struct session *s, *n;
	struct reg_device d;
	int killed = 0;

	if (!ref)
		return error_obj("'device' is required");
	if (reg_device_get(tpd->reg, ref, &d))
		return error_obj("no such device");
	for (s = session_first_of(d.id); s; s = n) {
		n = session_next_of(s);
		bind_evict(s);
		session_end(s, PROTO_BYE, "session killed by operator", true);
		killed++;
	}
	log_msg("device %s: %d sessions killed by operator", d.name, killed);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "name", json_object_new_string(d.name));
	json_object_object_add(o, "killed", json_object_new_int(killed));
	reg_device_free(&d);
	return o;
}

struct ident_ctx {
	struct page p;
	__u64 now;
};

static int ident_cb(const struct tp_identity_key *k,
		    const struct tp_identity *v, void *ctx)
{
	struct ident_ctx *c = ctx;
	struct json_object *o = json_object_new_object();
	char ip[IP_STRLEN], mac[MAC_STRLEN], ifname[IF_NAMESIZE] = "";
	struct tp_counter st = {};
	bool expired = v->expires_ns <= c->now;

	if (c->p.index < c->p.skip) {
		c->p.index++;
		json_object_put(o);
		return 0;
	}
	if_indextoname(k->ifindex, ifname);
	ip_format(k->family, k->addr, ip);
	mac_format(v->mac, mac);
	gate_device_stats(tpd->gate, v->device_id, &st);
	json_object_object_add(o, "ifname", json_object_new_string(ifname));
	json_object_object_add(o, "ifindex", json_object_new_int64(k->ifindex));
	json_object_object_add(o, "vlan", json_object_new_int(k->vlan));
	json_object_object_add(o, "svlan", json_object_new_int(k->svlan));
	json_object_object_add(o, "ip", json_object_new_string(ip));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "device",
			       json_object_new_int64(v->device_id));
	json_object_object_add(o, "group", json_object_new_int(v->group));
	json_object_object_add(
		o, "lease_left",
		json_object_new_int64(expired ? 0
					      : (v->expires_ns - c->now) /
							1000000000ULL));
	json_object_object_add(o, "expired", json_object_new_boolean(expired));
	json_object_object_add(
		o, "static", json_object_new_boolean(v->flags & TP_IDF_STATIC));
	json_object_object_add(o, "packets", json_object_new_int64(st.packets));
	json_object_object_add(o, "bytes", json_object_new_int64(st.bytes));
	page_add(&c->p, o);
	return c->p.full;
}

static struct json_object *do_identity_list(struct json_object *req)
{
	struct ident_ctx c = {{json_object_new_array(), offset_arg(req)},
			      gate_now_ns()};

	if (!tpd->gate) {
		json_object_put(c.p.a);
		return error_obj("no gate loaded");
	}
	gate_identity_foreach(tpd->gate, ident_cb, &c);
	return page_done(&c.p, "identities");
}

static struct json_object *handle(struct ctl_conn *c, struct json_object *req)
{
	const char *cmd = str_arg(req, "cmd", 64);
	struct json_object *resp;

	if (!cmd)
		return error_obj("'cmd' is required");
	if (!strcmp(cmd, "device.revoke"))
		return do_status(c, req, REG_DEV_REVOKED);
	if (!strcmp(cmd, "device.quarantine"))
		return do_status(c, req, REG_DEV_QUARANTINED);
	if (!strcmp(cmd, "device.activate"))
		return do_status(c, req, REG_DEV_ACTIVE);
	if (!strcmp(cmd, "session.list"))
		return do_session_list(req);
	if (!strcmp(cmd, "session.kill"))
		return do_session_kill(req);
	if (!strcmp(cmd, "identity.list"))
		return do_identity_list(req);
	resp = control_gate_cmd(cmd, req);
	return resp ? resp : error_obj("unknown command");
}

void control_io(struct ev *ev, uint32_t events)
{
	struct ctl_conn *c = container_of(ev, struct ctl_conn, ev);
	uint8_t buf[4096];
	size_t used;
	ssize_t n;
	int r;

	if (events & EPOLLOUT) {
		flush(c);
		if (c->ev.dead)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/* one request at a time: read on only when the answer is out */
	while (!c->out && !c->ev.dead) {
		n = recv(c->ev.fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_free(c);
			return;
		}
		timer_arm(&c->timer, now_ms() + CTL_IDLE_MS);
		for (size_t at = 0; at < (size_t)n && !c->ev.dead; at += used) {
			struct json_object *req;

			r = control_feed(&c->rd, buf + at, n - at, &used);
			if (r < 0) {
				c->close_after = true;
				reply(c,
				      error_obj(r == -EMSGSIZE
							? "request too large"
							: "malformed request"));
				return;
			}
			if (!r)
				continue;
			req = control_parse(c->rd.body, c->rd.len);
			control_reader_reset(&c->rd);
			if (!req) {
				c->close_after = true;
				reply(c,
				      error_obj(
					      "request is not a JSON object"));
				return;
			}
			reply(c, handle(c, req));
			json_object_put(req);
		}
	}
}

void control_accept(struct ev *l)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct ctl_conn *c;
	int fd;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ||
		    nctl >= CTL_CONNS_MAX || !(c = calloc(1, sizeof(*c)))) {
			log_msg("control: connection refused (%s)",
				nctl >= CTL_CONNS_MAX ? "too many"
						      : "no credentials");
			close(fd);
			continue;
		}
		c->ev.kind = EV_CTL_CONN;
		c->ev.fd = fd;
		c->uid = cr.uid;
		c->timer.idx = -1;
		c->timer.fn = on_idle;
		nctl++;
		if (ev_add(&c->ev, EPOLLIN)) {
			close(fd);
			free(c);
			nctl--;
			continue;
		}
		timer_arm(&c->timer, now_ms() + CTL_IDLE_MS);
		if (cr.uid != 0 &&
		    (ctl_gid == (gid_t)-1 ||
		     (cr.gid != ctl_gid && !in_group(cr.pid, ctl_gid)))) {
			log_msg("control: uid %u pid %d refused: not root or in control_group",
				cr.uid, cr.pid);
			c->close_after = true;
			reply(c, error_obj("permission denied"));
		}
	}
}
