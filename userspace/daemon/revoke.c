// SPDX-License-Identifier: GPL-2.0-only
/*
 * revoke.c - revocation and quarantine in one step of the loop, in the
 * order the design fixes: registry, gate entries, TLS session, conntrack,
 * event. The registry's commit is visible to every reader at once and
 * flushed to disk right after the gate's entries go, before the rest.
 * Also the sweep that re-reads the registry for connected devices when
 * another process wrote to it (tpctl with no daemon to ask), so that such
 * a status change cuts a session too.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/addr.h"
#include "lib/events.h"
#include "lib/gate.h"
#include "lib/netlink.h"
#include "lib/registry.h"

#define SWEEP_MS 1000	 /* how often to ask whether the registry changed */
#define SWEEP_STEP_MS 10 /* between the steps of a pass */
#define SWEEP_BATCH 256	 /* sessions checked per step (~2.5 ms) */
#define ADDRS_MAX 256

struct addr_set {
	uint8_t family[ADDRS_MAX];
	uint8_t addr[ADDRS_MAX][16];
	int n;
};

static void addr_set_add(struct addr_set *a, uint8_t family,
			 const uint8_t *addr)
{
	for (int i = 0; i < a->n; i++)
		if (a->family[i] == family && !memcmp(a->addr[i], addr, 16))
			return;
	if (a->n == ADDRS_MAX)
		return;
	a->family[a->n] = family;
	memcpy(a->addr[a->n++], addr, 16);
}

static int collect_cb(const struct tp_identity_key *k,
		      const struct tp_identity *v, void *ctx)
{
	(void)v;
	addr_set_add(ctx, k->family, k->addr);
	return 0;
}

/*
 * Flush the registry's deferred commit. The revocation is already visible
 * to every reader (the OCSP responder, a handshake's check), so the gate's
 * entries could go before the disk's write returns; the answer waits.
 */
void registry_flush(void)
{
	if (reg_sync(tpd->reg))
		log_msg("registry: a status change may not survive a crash: %s",
			reg_errmsg(tpd->reg));
}

/*
 * Steps 2-4 for one device; the caller did step 1 and logs step 5. The
 * gate's index makes step 2 touch only the device's entries; step 4 walks
 * the conntrack table, which is why it comes after the others.
 */
static void cut_steps(int64_t id, const char *reason, unsigned int *evicted,
		      unsigned int *flows)
{
	struct addr_set *set = calloc(1, sizeof(*set));
	unsigned int removed = 0, gone, nflows = 0;
	struct session *s, *n;
	__u64 did = id;
	int err;

	/*
	 * What to kill in conntrack, read before the entries go: the
	 * addresses the gate binds to the device, not its sessions' keys
	 * (one may name another device by now; without a gate there are
	 * no keys).
	 */
	if (set && tpd->gate)
		gate_identity_of(tpd->gate, did, collect_cb, set);
	/*
	 * 2: every entry naming the device, the sessions' among them (a key
	 * of a session that now names another device is that one's)
	 */
	if (tpd->gate) {
		err = gate_identity_flush(tpd->gate, &did, &removed);
		if (err)
			log_msg("device %lld: flushing its entries: %s",
				(long long)id, strerror(-err));
	}
	for (s = session_first_of(id); s; s = session_next_of(s))
		s->nkeys = 0;
	/* 1, made durable: a status change deferred its flush to here */
	registry_flush();
	/* 3: tell the agent and close */
	for (s = session_first_of(id); s; s = n) {
		n = session_next_of(s);
		session_end(s, PROTO_REVOKED, reason, true);
	}
	/* 4: established flows die with their conntrack entries */
	for (int i = 0; set && i < set->n; i++) {
		err = tp_ct_delete_src(set->family[i], set->addr[i], &gone);
		if (err) {
			char ip[IP_STRLEN];

			ip_format(set->family[i], set->addr[i], ip);
			log_msg("device %lld: deleting conntrack entries of %s: %s",
				(long long)id, ip, strerror(-err));
		}
		nflows += gone;
	}
	free(set);
	if (evicted)
		*evicted = removed;
	if (flows)
		*flows = nflows;
}

/* Step 5: the event, with where the device was before the cut. */
static void status_event(const char *action, const struct reg_device *d,
			 const struct ev_where *w, const char *reason,
			 const char *actor, unsigned int evicted,
			 unsigned int flows)
{
	struct ev_field f[] = {
		{"evicted", NULL, evicted},
		{"flows", NULL, flows},
	};
	struct ev_record r = {
		.action = action,
		.category = "iam",
		.kind = strcmp(action, "device-cut") ? "event" : "alert",
		.outcome = "success",
		.reason = reason,
		.actor = actor,
		.extra = f,
		.nextra = 2,
	};

	evlog(&r, d, w);
}

void device_cut(int64_t id, const char *event, const char *reason,
		const char *actor, unsigned int *evicted, unsigned int *flows)
{
	struct reg_device d = {};
	unsigned int ev = 0, fl = 0;
	bool known = !reg_device_get_id(tpd->reg, id, &d);
	struct ev_where w;

	where_of_device(id, &w);
	cut_steps(id, reason, &ev, &fl);
	if (!known) {
		d.id = id;
		d.name = (char *)"?";
	}
	status_event(event, known ? &d : NULL, &w, reason, actor, ev, fl);
	if (known)
		reg_device_free(&d);
	if (evicted)
		*evicted = ev;
	if (flows)
		*flows = fl;
}

void device_status_done(const struct reg_device *d, int status,
			const char *reason, const char *actor,
			struct json_object *out)
{
	const char *action = status == REG_DEV_REVOKED ? "device-revoked"
			     : status == REG_DEV_QUARANTINED
				     ? "device-quarantined"
				     : "device-activated";
	unsigned int evicted = 0, flows = 0;
	struct ev_where w;

	where_of_device(d->id, &w);
	/* 2-4 */
	if (status != REG_DEV_ACTIVE)
		cut_steps(d->id, reason ? reason : reg_dev_status_name(status),
			  &evicted, &flows); /* flushes after the eviction */
	else
		registry_flush(); /* nothing to evict: flush now */
	if (status == REG_DEV_REVOKED)
		tpd->stats.revocations++;
	else if (status == REG_DEV_QUARANTINED)
		tpd->stats.quarantines++;
	/* 5 */
	status_event(action, d, &w, reason, actor, evicted, flows);
	if (!out)
		return;
	json_object_object_add(out, "device", json_object_new_string(d->uuid));
	json_object_object_add(out, "name", json_object_new_string(d->name));
	json_object_object_add(
		out, "status",
		json_object_new_string(reg_dev_status_name(status)));
	json_object_object_add(out, "evicted", json_object_new_int(evicted));
	json_object_object_add(out, "flows", json_object_new_int(flows));
}

int device_set_status(const char *ref, int status, const char *reason,
		      const char *actor, struct json_object *out, char *err,
		      size_t errlen)
{
	struct reg_device d;
	int code = REG_REASON_UNSPECIFIED, ret;

	ret = reg_device_get(tpd->reg, ref, &d);
	if (ret) {
		snprintf(err, errlen,
			 ret == -ENOENT ? "no device '%.64s'"
					: "registry error looking up '%.64s'",
			 ref);
		return ret;
	}
	if (status == REG_DEV_REVOKED && reason &&
	    reg_reason_parse(reason, &code)) {
		snprintf(err, errlen, "'%.64s' is not a revocation reason",
			 reason);
		reg_device_free(&d);
		return -EINVAL;
	}
	if (status == REG_DEV_REVOKED)
		reason = reg_reason_name(code);
	/* 1: the registry, certificates with it when revoking */
	reg_defer_sync(tpd->reg);
	ret = reg_device_set_status(tpd->reg, d.id, status, code, actor,
				    reason);
	if (ret) {
		snprintf(err, errlen, "cannot set %s %s: %s", d.name,
			 reg_dev_status_name(status),
			 ret == -EPERM ? "not allowed from its current status"
				       : reg_errmsg(tpd->reg));
		registry_flush();
		reg_device_free(&d);
		return ret;
	}
	device_status_done(&d, status, reason, actor, out);
	reg_device_free(&d);
	return 0;
}

bool device_still_good(int64_t id, const char *issuer, const char *serial)
{
	struct reg_device d;
	struct reg_cert c;
	bool good;
	int err;

	err = reg_device_get_id(tpd->reg, id, &d);
	if (err == -ENOENT)
		return false;
	if (err) {
		/* a locked database says nothing about the device: ask again */
		log_debug("device %lld: registry busy: %s", (long long)id,
			  strerror(-err));
		return true;
	}
	good = d.status == REG_DEV_ACTIVE;
	reg_device_free(&d);
	if (!good || !issuer || !serial)
		return good;
	err = reg_cert_get(tpd->reg, issuer, serial, &c);
	if (err == -ENOENT)
		return false;
	if (err)
		return true;
	good = c.status == REG_CERT_GOOD;
	reg_cert_free(&c);
	return good;
}

/*
 * A pass over the sessions starts only when another process committed to
 * the registry since the last one (tpctl with no daemon to ask, say): the
 * daemon's own status changes cut their sessions as they happen, and a
 * pass costs two registry reads per session.
 */
static bool registry_changed(void)
{
	int64_t v;

	if (reg_data_version(tpd->reg, &v))
		return true; /* cannot tell: look, the safe direction */
	if (v == tpd->sweep_version)
		return false;
	tpd->sweep_version = v;
	return true;
}

static void sweep(struct timer *t)
{
	struct session *s;
	int budget = SWEEP_BATCH;

	if (!tpd->sweep_at) {
		if (!registry_changed() || !tpd->sessions) {
			timer_arm(t, now_ms() + SWEEP_MS);
			return;
		}
		log_msg("registry changed by another process: checking %u sessions",
			tpd->nsessions);
		tpd->sweep_at = tpd->sessions;
	}
	while ((s = tpd->sweep_at) && budget--) {
		tpd->sweep_at = s->next;
		if (s->state != S_AUTHED && s->state != S_ACTIVE)
			continue;
		if (!device_still_good(s->device_id, s->issuer, s->serial))
			/* session_free keeps sweep_at pointing at a live one */
			device_cut(s->device_id, "device-cut",
				   "not active in the registry",
				   "trustpointd:sweep", NULL, NULL);
	}
	/* a pass goes on in short steps, so the loop is never held long */
	timer_arm(t, now_ms() + (tpd->sweep_at ? SWEEP_STEP_MS : SWEEP_MS));
}

void sweep_start(void)
{
	tpd->tick.idx = -1;
	tpd->tick.fn = sweep;
	registry_changed(); /* what is there now is what reconcile saw */
	timer_arm(&tpd->tick, now_ms() + SWEEP_MS);
}
