// SPDX-License-Identifier: GPL-2.0-only
/*
 * reconcile.c - what trustpointd does to the pinned maps when it starts:
 * index the bindings by device (it is the maps' one writer, so a revocation
 * then touches only the device's entries), entries of devices that are not
 * active (or unknown) go at once, entries of good devices keep their lease
 * so a reconnecting agent resumes with no gap; and the handshake endpoints are
 * listed as bootstrap traffic so an unbound device can reach them.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "lib/addr.h"
#include "lib/gate.h"
#include "lib/registry.h"

struct verdict {
	__u64 id;
	int status; /* enum reg_dev_status, or -1 when unknown */
};

struct rec_ctx {
	struct verdict *v;
	size_t nv, capv;
	struct tp_identity_key *del;
	size_t ndel, capdel;
	unsigned int kept, kept_static;
	int err;
};

static int status_of(struct rec_ctx *c, __u64 id)
{
	struct reg_device d;
	int st;

	for (size_t i = 0; i < c->nv; i++)
		if (c->v[i].id == id)
			return c->v[i].status;
	st = reg_device_get_id(tpd->reg, id, &d) ? -1 : (int)d.status;
	if (st >= 0)
		reg_device_free(&d);
	if (c->nv == c->capv) {
		size_t cap = c->capv ? c->capv * 2 : 64;
		struct verdict *n = realloc(c->v, cap * sizeof(*n));

		if (!n)
			return st;
		c->v = n;
		c->capv = cap;
	}
	c->v[c->nv].id = id;
	c->v[c->nv++].status = st;
	return st;
}

static int rec_cb(const struct tp_identity_key *k, const struct tp_identity *v,
		  void *ctx)
{
	struct rec_ctx *c = ctx;
	int st = status_of(c, v->device_id);

	if (st == REG_DEV_ACTIVE) {
		c->kept++;
		return 0;
	}
	/* an operator's static binding of a device the registry never knew */
	if (st < 0 && (v->flags & TP_IDF_STATIC)) {
		c->kept_static++;
		return 0;
	}
	if (c->ndel == c->capdel) {
		size_t cap = c->capdel ? c->capdel * 2 : 64;
		struct tp_identity_key *n = realloc(c->del, cap * sizeof(*n));

		if (!n) {
			c->err = -ENOMEM;
			return -ENOMEM;
		}
		c->del = n;
		c->capdel = cap;
	}
	c->del[c->ndel++] = *k;
	return 0;
}

int reconcile_gate(void)
{
	struct rec_ctx c = {};
	unsigned int deleted = 0;
	uint64_t t0 = now_ms();
	int err;

	if (!tpd->gate)
		return 0;
	err = gate_identity_index(tpd->gate);
	if (err)
		log_msg("cannot index the gate's bindings by device (%s): revocations walk the map",
			strerror(-err));
	err = gate_identity_foreach(tpd->gate, rec_cb, &c);
	if (!err && c.err)
		err = c.err;
	for (size_t i = 0; i < c.ndel; i++)
		if (!gate_identity_del(tpd->gate, &c.del[i]))
			deleted++;
	log_msg("reconcile: kept %u entries of active devices (%u static of unknown devices), deleted %u, in %llu ms",
		c.kept, c.kept_static, deleted,
		(unsigned long long)(now_ms() - t0));
	free(c.v);
	free(c.del);
	return err;
}

static int add_endpoint(uint8_t family, const uint8_t *addr, uint16_t port)
{
	struct tp_bootstrap_key k = {
		.family = family, .proto = IPPROTO_TCP, .port = port};
	char ip[IP_STRLEN];
	int err;

	memcpy(k.addr, addr, family == AF_INET ? 4 : 16);
	err = gate_bootstrap_add(tpd->gate, &k);
	ip_format(family, k.addr, ip);
	if (err)
		log_msg("bootstrap %s tcp %u: %s", ip, port, strerror(-err));
	else
		log_debug("bootstrap %s tcp %u", ip, port);
	return err;
}

/* A wildcard listener: every address of the LAN interfaces. */
static int add_wildcard(uint8_t family, uint16_t port)
{
	struct ifaddrs *ifa, *i;
	int err = 0, n = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		const uint8_t *a;
		int idx;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		idx = if_nametoindex(i->ifa_name);
		if (!idx || !lan_allowed(idx))
			continue;
		a = family == AF_INET
			    ? (const uint8_t *)&(
				      (struct sockaddr_in *)i->ifa_addr)
				      ->sin_addr
			    : (const uint8_t *)&(
				      (struct sockaddr_in6 *)i->ifa_addr)
				      ->sin6_addr;
		err = err ?: add_endpoint(family, a, port);
		n++;
	}
	freeifaddrs(ifa);
	if (!n)
		log_msg("no %s address on the LAN interfaces for bootstrap",
			family == AF_INET ? "IPv4" : "IPv6");
	return err;
}

int bootstrap_add_listeners(void)
{
	static const uint8_t zero[16];
	int err = 0;

	if (!tpd->gate)
		return 0;
	for (int i = 0; i < tpd->cfg.daemon.nlisten; i++) {
		const struct tp_listen *l = &tpd->cfg.daemon.listen[i];

		if (!memcmp(l->addr, zero, 16))
			err = err ?: add_wildcard(l->family, l->port);
		else
			err = err ?: add_endpoint(l->family, l->addr, l->port);
	}
	return err;
}
