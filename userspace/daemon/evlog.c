// SPDX-License-Identifier: GPL-2.0-only
/*
 * evlog.c - trustpointd's security events: every event names the device
 * the way a SIEM wants it (registry identity and properties, owner, the
 * certificate serial, and where the device is: IP, MAC, interface, VLAN),
 * and goes out through lib/events.h (ECS JSON file, RFC 5424 syslog,
 * stderr). Also the reader of the gate's sampled drop events, which are
 * matched to a device when their (interface, VLAN, source) is bound.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "daemon/daemon.h"
#include "lib/events.h"
#include "lib/gate.h"
#include "lib/registry.h"

#define GATE_DROPS_MS 200 /* how often the ring buffer is drained */
/*
 * Events handled per turn of the loop: a revocation or handshake waiting
 * behind a full ring waits for this many, not for all (a few us each).
 */
#define GATE_DROPS_BATCH 32

/*
 * The interface of the last drop event, for one drain: a name costs
 * three syscalls, and a burst of drops comes in on one interface.
 */
static struct {
	unsigned int ifindex;
	char name[IF_NAMESIZE];
} drop_if;

void where_of_session(const struct session *s, struct ev_where *w)
{
	memset(w, 0, sizeof(*w));
	ip_format(s->family, s->addr, w->ip);
	if (s->nkeys) {
		mac_format(s->mac, w->mac);
		if_indextoname(s->keys[0].ifindex, w->ifname);
		w->vlan = s->keys[0].vlan;
	} else if (s->oif) {
		if_indextoname(s->oif, w->ifname);
	}
	if (s->serial)
		snprintf(w->cert_serial, sizeof(w->cert_serial), "%s",
			 s->serial);
}

void where_of_device(int64_t id, struct ev_where *w)
{
	struct session *s;

	memset(w, 0, sizeof(*w));
	for (s = session_first_of(id); s; s = session_next_of(s)) {
		if (s->state == S_AUTHED || s->state == S_ACTIVE) {
			where_of_session(s, w);
			return;
		}
	}
	if ((s = session_first_of(id)))
		where_of_session(s, w);
}

static const char *prop(const struct reg_device *d, const char *key)
{
	for (size_t i = 0; d && i < d->nprops; i++)
		if (!strcmp(d->props[i].key, key))
			return d->props[i].value;
	return NULL;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

void evlog(struct ev_record *r, const struct reg_device *d,
	   const struct ev_where *w)
{
	struct ev_identity id = {};
	int err;

	if (d) {
		id.device_id = d->uuid;
		id.device_name = d->name;
		id.owner = d->owner;
		id.group = d->group;
		id.model = prop(d, REG_PROP_MODEL);
		id.manufacturer = prop(d, REG_PROP_MANUFACTURER);
		id.serial_number = prop(d, REG_PROP_SERIAL);
		id.os = prop(d, REG_PROP_OS);
		id.os_version = prop(d, REG_PROP_OS_VERSION);
	}
	if (w) {
		id.ip = nonempty(w->ip);
		id.mac = nonempty(w->mac);
		id.ifname = nonempty(w->ifname);
		id.vlan = w->vlan;
		id.cert_serial = nonempty(w->cert_serial);
	}
	r->id = d || w ? &id : NULL;
	if (!tpd->events)
		return;
	err = events_emit(tpd->events, r);
	if (err)
		log_msg("event %s not written: %s", r->action, strerror(-err));
	/* the outputs may want a reconnect deadline now */
	timer_arm(&tpd->events_timer, now_ms());
}

void evlog_id(struct ev_record *r, int64_t id, const struct ev_where *w)
{
	struct reg_device d;

	if (id > 0 && !reg_device_get_id(tpd->reg, id, &d)) {
		evlog(r, &d, w);
		reg_device_free(&d);
		return;
	}
	evlog(r, NULL, w);
}

static void events_timer_fn(struct timer *t)
{
	int ms;

	if (!tpd->events)
		return;
	ms = events_tick(tpd->events);
	if (ms >= 0)
		timer_arm(t, now_ms() + ms);
}

void evlog_io(void)
{
	events_poll_out(tpd->events);
	events_timer_fn(&tpd->events_timer);
}

int evlog_open(void)
{
	const struct tp_events_config *c = &tpd->cfg.events;
	struct events_config ec = {
		.file = c->file,
		.syslog = c->syslog,
		.to_stderr = c->to_stderr,
		.facility = c->facility,
	};
	char err[256];
	int ret;

	tpd->events_timer.idx = -1;
	tpd->events_timer.fn = events_timer_fn;
	tpd->gev_timer.idx = -1;
	ret = events_open(&ec, &tpd->events, err, sizeof(err));
	if (ret) {
		log_msg("events: %s", err);
		return ret;
	}
	tpd->events_ev.kind = EV_EVENTS;
	tpd->events_ev.fd = events_fd(tpd->events);
	ret = ev_add(&tpd->events_ev, EPOLLIN);
	if (ret) {
		events_close(tpd->events);
		tpd->events = NULL;
		return ret;
	}
	timer_arm(&tpd->events_timer, now_ms());
	return 0;
}

void evlog_close(void)
{
	timer_cancel(&tpd->gev_timer);
	gate_events_close(tpd->gev);
	tpd->gev = NULL;
	if (!tpd->events)
		return;
	timer_cancel(&tpd->events_timer);
	ev_del(&tpd->events_ev);
	events_close(tpd->events);
	tpd->events = NULL;
}

void evlog_reopen(void)
{
	int err;

	if (!tpd->events)
		return;
	err = events_reopen(tpd->events);
	if (err)
		log_msg("events: reopening the file: %s (the old one is kept)",
			strerror(-err));
	else
		log_msg("events: file reopened");
	timer_arm(&tpd->events_timer, now_ms());
}

/* ---- the gate's drop events ---- */

static int on_drop(const struct tp_event *e, void *ctx)
{
	struct tp_identity_key k = {
		.ifindex = e->ifindex,
		.vlan = e->vlan,
		.svlan = e->svlan,
		.family = e->family,
	};
	char dst[IP_STRLEN] = "";
	struct ev_field f[6];
	struct tp_identity v;
	struct ev_where w = {};
	struct ev_record r = {
		.action = "gate-drop",
		.category = "network",
		.kind = "event",
		.outcome = "failure",
		.reason = gate_reason_name(e->reason),
		.actor = "gate",
		.extra = f,
	};
	int64_t device = 0;
	int n = 0;

	tpd->stats.gate_drop_events++;
	mac_format(e->src_mac, w.mac);
	if (drop_if.ifindex != e->ifindex) {
		if (!if_indextoname(e->ifindex, drop_if.name))
			drop_if.name[0] = 0;
		drop_if.ifindex = e->ifindex;
	}
	memcpy(w.ifname, drop_if.name, sizeof(drop_if.name));
	w.vlan = e->vlan <= 4094 ? e->vlan : 0;
	if (e->family == TP_AF_INET || e->family == TP_AF_INET6) {
		ip_format(e->family, e->saddr, w.ip);
		ip_format(e->family, e->daddr, dst);
		memcpy(k.addr, e->saddr, 16);
		/* a bound source: whose it is (a spoofer shows as
		 * drop-mac-mismatch) */
		if (tpd->gate && !gate_identity_get(tpd->gate, &k, &v))
			device = v.device_id;
		f[n++] = (struct ev_field){"destination_ip", dst, 0};
		f[n++] = (struct ev_field){"proto", NULL, e->l4proto};
		if (e->sport || e->dport) {
			f[n++] = (struct ev_field){"sport", NULL, e->sport};
			f[n++] = (struct ev_field){"dport", NULL, e->dport};
		}
	}
	f[n++] = (struct ev_field){"len", NULL, e->len};
	f[n++] = (struct ev_field){"ethertype", NULL, e->ethertype};
	r.nextra = n;
	if (device) {
		struct session *s = session_first_of(device);

		if (s && s->serial)
			snprintf(w.cert_serial, sizeof(w.cert_serial), "%s",
				 s->serial);
	}
	evlog_id(&r, device, &w);
	return 0;
}

static void gev_timer_fn(struct timer *t)
{
	int n;

	if (!tpd->gev)
		return;
	drop_if.ifindex = 0;
	n = gate_events_consume(tpd->gev, GATE_DROPS_BATCH);
	/*
	 * More waiting: go on in a millisecond (a timer due now would run
	 * again before the loop looks at its sockets), up to 32000/s.
	 */
	timer_arm(t, now_ms() + (n == GATE_DROPS_BATCH ? 1 : GATE_DROPS_MS));
}

/*
 * The gate library gives no fd for its ring buffer, so it is drained on a
 * short timer: drops are sampled by the gate anyway, and 200 ms is well
 * inside what a SIEM notices.
 */
void gate_drops_start(void)
{
	int err;

	if (!tpd->gate || tpd->gev)
		return;
	err = gate_events_open(tpd->gate, on_drop, NULL, &tpd->gev);
	if (err) {
		log_msg("gate drop events: %s", strerror(-err));
		return;
	}
	tpd->gev_timer.fn = gev_timer_fn;
	timer_arm(&tpd->gev_timer, now_ms() + GATE_DROPS_MS);
}
