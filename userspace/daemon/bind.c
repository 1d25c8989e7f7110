// SPDX-License-Identifier: GPL-2.0-only
/*
 * bind.c - from an authenticated connection to gate entries: the peer's
 * interface (route), its VLAN mapping, its MAC (neighbour table), leased
 * entries written through the gate library, addresses the agent announces
 * accepted only with the same MAC on the same link, renewal on heartbeat
 * and eviction that never removes what another session or device holds.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "lib/addr.h"
#include "lib/gate.h"
#include "lib/netlink.h"

#define NEIGH_WAIT_MS 300	/* the peer's own address */
#define ANNOUNCED_BUDGET_MS 300 /* all announced addresses together */

bool lan_allowed(int ifindex)
{
	const struct tp_daemon_config *d = &tpd->cfg.daemon;

	if (!d->nlan)
		return true;
	for (int i = 0; i < d->nlan; i++)
		if ((int)if_nametoindex(d->lan[i]) == ifindex)
			return true;
	return false;
}

static void no_gate_once(void)
{
	static bool said;

	if (!said)
		log_msg("no gate loaded under %s: sessions are accepted but no entries can be written",
			tpd->bpffs);
	said = true;
}

static struct tp_identity lease_value(const struct session *s)
{
	struct tp_identity v = {.device_id = s->device_id};

	v.expires_ns = gate_now_ns() + tpd->cfg.daemon.lease_s * 1000000000ULL;
	memcpy(v.mac, s->mac, 6);
	return v;
}

static int add_key(struct session *s, const struct tp_identity_key *k)
{
	struct tp_identity v = lease_value(s);
	int err;

	if (!s->keys) {
		s->keys = calloc(SESSION_KEYS_MAX, sizeof(*s->keys));
		if (!s->keys)
			return -ENOMEM;
	}
	for (int i = 0; i < s->nkeys; i++)
		if (!memcmp(&s->keys[i], k, sizeof(*k)))
			return 0;
	if (s->nkeys == SESSION_KEYS_MAX)
		return -E2BIG;
	err = gate_identity_add(tpd->gate, k, &v);
	if (err)
		return err;
	s->keys[s->nkeys++] = *k;
	return 0;
}

int bind_peer(struct session *s)
{
	struct tp_identity_key k = {.family = s->family};
	char peer[64], ifname[IF_NAMESIZE] = "?", mac[MAC_STRLEN];
	int oif, parent, err;
	uint16_t vlan, svlan;

	if (!tpd->gate) {
		no_gate_once();
		return 0;
	}
	peer_str(s, peer, sizeof(peer));
	err = tp_nl_route_oif(tpd->nl, s->family, s->addr, &oif);
	if (err) {
		log_msg("%s: no route to the peer: not bound (%s)", peer,
			strerror(-err));
		return err;
	}
	if_indextoname(oif, ifname);
	err = tp_nl_link_vlan(tpd->nl, oif, &parent, &vlan, &svlan);
	if (err) {
		log_msg("%s: cannot map %s to its VLAN: not bound (%s)", peer,
			ifname, strerror(-err));
		return err;
	}
	if (!lan_allowed(oif) && !lan_allowed(parent)) {
		log_msg("%s: arrived on %s, not a LAN interface: not bound",
			peer, ifname);
		return -EPERM;
	}
	err = tp_nl_neigh_mac(tpd->nl, oif, s->family, s->addr, s->mac,
			      NEIGH_WAIT_MS);
	if (err) {
		log_msg("%s: no neighbour entry on %s: not bound (%s)", peer,
			ifname, strerror(-err));
		return err;
	}
	s->oif = oif;
	k.ifindex = parent;
	k.vlan = vlan;
	k.svlan = svlan;
	memcpy(k.addr, s->addr, 16);
	err = add_key(s, &k);
	mac_format(s->mac, mac);
	if (err)
		log_msg("%s: writing the entry failed: %s", peer,
			strerror(-err));
	else
		log_msg("%s: bound device %lld on %s vlan %u svlan %u mac %s",
			peer, (long long)s->device_id, ifname, vlan, svlan,
			mac);
	return err;
}

/* Addresses a device may not claim: unspecified, loopback, multicast. */
static bool claimable(uint8_t family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == AF_INET)
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	return memcmp(a, zero, 16) && a[0] != 0xff &&
	       !(memcmp(a, zero, 15) == 0 && a[15] == 1);
}

/* Is k an address of this device: on its link, with its MAC? */
static const char *announced_refusal(struct session *s,
				     const struct tp_identity_key *k,
				     uint64_t deadline)
{
	struct tp_identity cur;
	uint8_t mac[6];
	int left = deadline - now_ms();

	if (tp_nl_neigh_mac(tpd->nl, s->oif, k->family, k->addr, mac,
			    left > 0 ? left : 0))
		return "no neighbour entry on the link";
	if (memcmp(mac, s->mac, 6))
		return "neighbour entry has another MAC";
	/* never take over a live binding of another device */
	if (!gate_identity_get(tpd->gate, k, &cur) &&
	    cur.device_id != (__u64)s->device_id &&
	    cur.expires_ns > gate_now_ns())
		return "bound to another device";
	return NULL;
}

void bind_announced(struct session *s, const struct proto_hello *h)
{
	struct tp_identity_key k[PROTO_MAX_ADDRS];
	const char *why[PROTO_MAX_ADDRS];
	char peer[64], ip[IP_STRLEN];
	uint64_t deadline;
	int i, err;

	if (!tpd->gate || !s->nkeys || !s->oif)
		return;
	peer_str(s, peer, sizeof(peer));
	/*
	 * First pass without waiting: known entries are taken and missing
	 * ones get their resolution started, all at once; the second pass
	 * shares one bounded wait among those.
	 */
	for (i = 0; i < h->naddrs; i++) {
		k[i] = s->keys[0]; /* same interface and VLAN as the peer */
		k[i].family = h->addr_family[i];
		memset(k[i].addr, 0, sizeof(k[i].addr));
		memcpy(k[i].addr, h->addrs[i], k[i].family == AF_INET ? 4 : 16);
		why[i] = claimable(k[i].family, k[i].addr)
				 ? announced_refusal(s, &k[i], 0)
				 : "not a unicast address";
	}
	deadline = now_ms() + ANNOUNCED_BUDGET_MS;

	for (i = 0; i < h->naddrs; i++) {
		ip_format(k[i].family, k[i].addr, ip);
		if (why[i] && !strcmp(why[i], "no neighbour entry on the link"))
			why[i] = announced_refusal(s, &k[i], deadline);
		if (why[i]) {
			log_msg("%s: announced %s refused: %s", peer, ip,
				why[i]);
			continue;
		}
		err = add_key(s, &k[i]);
		if (err)
			log_msg("%s: announced %s: writing failed: %s", peer,
				ip, strerror(-err));
		else
			log_debug("%s: announced %s bound", peer, ip);
	}
}

/* Key i of s names another device now: drop it from the session. */
static void key_moved(struct session *s, int i)
{
	char peer[64], ip[IP_STRLEN];

	peer_str(s, peer, sizeof(peer));
	ip_format(s->keys[i].family, s->keys[i].addr, ip);
	log_msg("%s: %s is bound to another device now: not renewed", peer, ip);
	s->keys[i] = s->keys[--s->nkeys];
}

int bind_renew(struct session *s)
{
	int err = 0;

	if (!tpd->gate)
		return 0;
	for (int i = 0; i < s->nkeys; i++) {
		struct tp_identity v = lease_value(s), cur;
		int e;

		/*
		 * An address that another device has taken since (its own
		 * handshake from there, or an operator's binding) is that
		 * device's now: this session lets go of it.
		 */
		if (!gate_identity_get(tpd->gate, &s->keys[i], &cur) &&
		    cur.device_id != (__u64)s->device_id) {
			key_moved(s, i--);
			continue;
		}
		e = gate_identity_add(tpd->gate, &s->keys[i], &v);
		err = err ?: e;
	}
	/*
	 * Written first, checked second: a revocation that another process
	 * committed before this check is seen here; one committed after it
	 * evicts what we just wrote. Either way no revoked device stays.
	 */
	if (!device_still_good(s->device_id, s->issuer, s->serial)) {
		device_cut(s->device_id, "device-cut", "status changed",
			   "trustpointd", NULL, NULL);
		return -EPERM;
	}
	return err;
}

/* Is key k also bound by another live session of the same device? */
static bool held_elsewhere(const struct session *s,
			   const struct tp_identity_key *k)
{
	for (struct session *o = session_first_of(s->device_id); o;
	     o = session_next_of(o)) {
		if (o == s || o->state == S_GRACE || o->ev.dead)
			continue;
		for (int i = 0; i < o->nkeys; i++)
			if (!memcmp(&o->keys[i], k, sizeof(*k)))
				return true;
	}
	return false;
}

void bind_evict(struct session *s)
{
	struct tp_identity cur;

	if (!tpd->gate)
		return;
	for (int i = 0; i < s->nkeys; i++) {
		if (held_elsewhere(s, &s->keys[i]))
			continue;
		/* the address may belong to another device by now */
		if (gate_identity_get(tpd->gate, &s->keys[i], &cur) ||
		    cur.device_id != (__u64)s->device_id)
			continue;
		gate_identity_del(tpd->gate, &s->keys[i]);
	}
	s->nkeys = 0;
}
