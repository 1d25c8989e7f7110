// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_identity.c - the identity bindings in tp_identity, the device
 * counter slots that go with them (tp_dev_slots, tp_dev_stats), and the
 * per-device index that the maps' one writer keeps so that removing a
 * device's bindings touches only those, whatever the map holds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lib/gate.h"
#include "lib/gate_priv.h"

/* A device's bindings, by the slot its entries name. */
struct keylist {
	struct tp_identity_key *k;
	__u32 n, cap;
};

struct gate_index {
	struct keylist slot[TP_DEVICES_MAX];
};

static bool identity_key_valid(const struct tp_identity_key *k)
{
	static const __u8 zero[12];

	if (k->ifindex == 0 || k->vlan > 4094 || k->svlan > 4094)
		return false;
	if (k->pad[0] || k->pad[1] || k->pad[2])
		return false;
	if (k->family == TP_AF_INET)
		return !memcmp(k->addr + 4, zero, sizeof(zero));
	return k->family == TP_AF_INET6;
}

/* --- the index ----------------------------------------------------------- */

static int ix_find(const struct keylist *l, const struct tp_identity_key *k)
{
	for (__u32 i = 0; i < l->n; i++)
		if (!memcmp(&l->k[i], k, sizeof(*k)))
			return i;
	return -1;
}

static int ix_add(struct tp_gate *g, __u32 slot,
		  const struct tp_identity_key *k)
{
	struct keylist *l;

	if (!g->ix || slot >= TP_DEVICES_MAX)
		return 0;
	l = &g->ix->slot[slot];
	if (ix_find(l, k) >= 0)
		return 0;
	if (l->n == l->cap) {
		__u32 cap = l->cap ? l->cap * 2 : 4;
		struct tp_identity_key *nk = realloc(l->k, cap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		l->k = nk;
		l->cap = cap;
	}
	l->k[l->n++] = *k;
	return 0;
}

/* Forget k under slot; the number of keys the slot still has. */
static __u32 ix_del(struct tp_gate *g, __u32 slot,
		    const struct tp_identity_key *k)
{
	struct keylist *l;
	int i;

	if (slot >= TP_DEVICES_MAX)
		return 0;
	l = &g->ix->slot[slot];
	i = ix_find(l, k);
	if (i >= 0)
		l->k[i] = l->k[--l->n];
	return l->n;
}

static void ix_drop(struct tp_gate *g, __u32 slot)
{
	struct keylist *l = &g->ix->slot[slot];

	free(l->k);
	memset(l, 0, sizeof(*l));
}

void gate_index_free(struct tp_gate *g)
{
	if (!g->ix)
		return;
	for (__u32 s = 0; s < TP_DEVICES_MAX; s++)
		free(g->ix->slot[s].k);
	free(g->ix);
	g->ix = NULL;
}

/* --- device counter slots ------------------------------------------------ */

/*
 * The slot table is small (TP_DEVICES_MAX ids): read it whole, in one
 * batch where the kernel allows, else entry by entry.
 */
static int read_slots(struct tp_gate *g, __u64 *owner)
{
	__u32 *keys = calloc(TP_DEVICES_MAX, sizeof(*keys));
	__u32 n = TP_DEVICES_MAX, out;
	int err = 0;

	if (!keys)
		return -ENOMEM;
	if (bpf_map_lookup_batch(g->dev_slots_fd, NULL, &out, keys, owner, &n,
				 NULL) &&
	    errno != ENOENT) {
		for (__u32 i = 0; i < TP_DEVICES_MAX && !err; i++)
			if (bpf_map_lookup_elem(g->dev_slots_fd, &i, &owner[i]))
				err = -errno;
	}
	free(keys);
	return err;
}

/*
 * The slot device_id holds, or -ENOENT; *free_slot gets a free one. The
 * table is cached per handle; a hit is confirmed with one lookup. Without
 * an index a claim (fresh) reads the table anew, since tpctl may have
 * written it since this handle read it; the index's owner is the one
 * writer, so its cache is the table.
 */
static int find_slot(struct tp_gate *g, __u64 device_id, __u32 *free_slot,
		     bool fresh)
{
	__u64 holder;
	int err, slot = -ENOENT;

	if (!g->owner) {
		g->owner = calloc(TP_DEVICES_MAX, sizeof(*g->owner));
		if (!g->owner)
			return -ENOMEM;
		fresh = true;
	}
	if (fresh) {
		err = read_slots(g, g->owner);
		if (err)
			return err;
	}
	if (free_slot)
		*free_slot = TP_DEVICES_MAX;
	for (__u32 i = 0; i < TP_DEVICES_MAX; i++) {
		if (g->owner[i] == device_id) {
			slot = i;
			break;
		}
		if (!g->owner[i] && free_slot && *free_slot == TP_DEVICES_MAX)
			*free_slot = i;
	}
	/* with an index a miss is the truth; a hit is checked either way */
	if (!fresh && ((slot < 0 && !g->ix) ||
		       (slot >= 0 &&
			(bpf_map_lookup_elem(g->dev_slots_fd, &slot, &holder) ||
			 holder != device_id))))
		return find_slot(g, device_id, free_slot, true);
	return slot;
}

/* Give device_id a slot of its own, counters zeroed, unless it has one. */
static int claim_slot(struct tp_gate *g, __u64 device_id, __u32 *slot)
{
	struct tp_counter *zero;
	__u32 free_slot;
	int ret = find_slot(g, device_id, &free_slot, !g->ix);

	if (ret >= 0) {
		*slot = ret;
		return 0;
	}
	if (ret != -ENOENT)
		return ret;
	if (free_slot == TP_DEVICES_MAX)
		return -ENOSPC;
	/* counters first, so the first authorized packet is counted */
	zero = calloc(g->ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	ret = bpf_map_update_elem(g->dev_stats_fd, &free_slot, zero, BPF_ANY);
	free(zero);
	if (ret || bpf_map_update_elem(g->dev_slots_fd, &free_slot, &device_id,
				       BPF_ANY))
		return -errno;
	g->owner[free_slot] = device_id;
	*slot = free_slot;
	return 0;
}

/* Free the slot of device_id; slot < 0: look it up. */
static void release_slot(struct tp_gate *g, __u64 device_id, int slot)
{
	__u64 none = 0;

	if (slot < 0 || !g->owner || g->owner[slot] != device_id)
		slot = find_slot(g, device_id, NULL, !g->ix);
	if (slot < 0)
		return;
	if (!bpf_map_update_elem(g->dev_slots_fd, &slot, &none, BPF_ANY))
		g->owner[slot] = 0;
	if (g->ix)
		ix_drop(g, slot);
}

int gate_device_stats(struct tp_gate *g, __u64 device_id,
		      struct tp_counter *sum)
{
	int slot = find_slot(g, device_id, NULL, false);

	if (slot < 0)
		return slot;
	return gate_percpu_sum(g->dev_stats_fd, &slot, g->ncpus, sum);
}

/* --- bindings ------------------------------------------------------------ */

static int has_device(const struct tp_identity_key *k,
		      const struct tp_identity *v, void *ctx)
{
	(void)k;
	return v->device_id == *(const __u64 *)ctx;
}

/* Is any binding of device_id left? Without an index: a walk. */
static bool device_has_entries(struct tp_gate *g, __u64 device_id, __u32 slot)
{
	if (g->ix)
		return slot < TP_DEVICES_MAX && g->ix->slot[slot].n;
	return gate_identity_foreach(g, has_device, &device_id) == 1;
}

int gate_identity_add(struct tp_gate *g, const struct tp_identity_key *k,
		      const struct tp_identity *v)
{
	struct tp_identity nv = *v, old;
	bool had;
	int err;

	if (!identity_key_valid(k) || v->device_id == 0)
		return -EINVAL;
	had = !bpf_map_lookup_elem(g->identity_fd, k, &old);
	/* a renewal keeps the slot it has: no walk of the slot table */
	if (had && old.device_id == v->device_id) {
		nv.slot = old.slot;
	} else {
		err = claim_slot(g, v->device_id, &nv.slot);
		if (err)
			return err;
	}
	/* the index first: an entry it does not know could never be flushed */
	err = ix_add(g, nv.slot, k);
	if (err)
		return err;
	if (bpf_map_update_elem(g->identity_fd, k, &nv, BPF_ANY)) {
		err = -errno;
		if (g->ix && !(had && old.device_id == v->device_id))
			ix_del(g, nv.slot, k);
		return err;
	}
	/* the address moved to another device: the old one loses it */
	if (g->ix && had && old.device_id != v->device_id &&
	    old.slot != nv.slot && !ix_del(g, old.slot, k))
		release_slot(g, old.device_id, old.slot);
	return 0;
}

int gate_identity_get(struct tp_gate *g, const struct tp_identity_key *k,
		      struct tp_identity *v)
{
	return bpf_map_lookup_elem(g->identity_fd, k, v) ? -errno : 0;
}

#define WALK_BATCH 4096

/* The walk one key at a time: two syscalls per entry. */
static int walk_by_key(struct tp_gate *g, gate_identity_cb cb, void *ctx)
{
	struct tp_identity_key key, next;
	struct tp_identity val;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(g->identity_fd, prev, &next)) {
		key = next;
		prev = &key;
		/* an entry deleted since get_next_key is simply skipped */
		if (bpf_map_lookup_elem(g->identity_fd, &key, &val))
			continue;
		err = cb(&key, &val, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Every binding, WALK_BATCH at a time (at 100k identities the key-by-key
 * walk took half a second). Falls back to that walk where the kernel has
 * no batch ops.
 */
int gate_identity_foreach(struct tp_gate *g, gate_identity_cb cb, void *ctx)
{
	struct tp_identity_key *keys = malloc(WALK_BATCH * sizeof(*keys));
	struct tp_identity *vals = malloc(WALK_BATCH * sizeof(*vals));
	__u32 batch, n;
	bool first = true, done = false;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done && !err) {
		n = WALK_BATCH;
		if (bpf_map_lookup_batch(g->identity_fd, first ? NULL : &batch,
					 &batch, keys, vals, &n, NULL)) {
			if (errno != ENOENT) {
				/* no batch support: walk key by key */
				if (first &&
				    (errno == EINVAL || errno == EOPNOTSUPP ||
				     errno == 524 /* ENOTSUPP */))
					err = walk_by_key(g, cb, ctx);
				else
					err = -errno;
				break;
			}
			done = true; /* the last, possibly partial, batch */
		}
		first = false;
		for (__u32 i = 0; i < n && !err; i++)
			err = cb(&keys[i], &vals[i], ctx);
	}
out:
	free(keys);
	free(vals);
	return err;
}

struct of_ctx {
	__u64 device_id;
	gate_identity_cb cb;
	void *ctx;
};

static int of_cb(const struct tp_identity_key *k, const struct tp_identity *v,
		 void *ctx)
{
	struct of_ctx *c = ctx;

	return v->device_id == c->device_id ? c->cb(k, v, c->ctx) : 0;
}

int gate_identity_of(struct tp_gate *g, __u64 device_id, gate_identity_cb cb,
		     void *ctx)
{
	struct tp_identity_key *keys;
	struct tp_identity v;
	struct keylist *l;
	int slot, err = 0;
	__u32 n;

	if (!g->ix) {
		struct of_ctx oc = {device_id, cb, ctx};

		return gate_identity_foreach(g, of_cb, &oc);
	}
	slot = find_slot(g, device_id, NULL, false);
	if (slot == -ENOENT)
		return 0;
	if (slot < 0)
		return slot;
	l = &g->ix->slot[slot];
	/* a copy: the callback may change the bindings */
	n = l->n;
	keys = n ? malloc(n * sizeof(*keys)) : NULL;
	if (n && !keys)
		return -ENOMEM;
	memcpy(keys, l->k, n * sizeof(*keys));
	for (__u32 i = 0; i < n && !err; i++)
		if (!bpf_map_lookup_elem(g->identity_fd, &keys[i], &v) &&
		    v.device_id == device_id)
			err = cb(&keys[i], &v, ctx);
	free(keys);
	return err;
}

int gate_identity_del(struct tp_gate *g, const struct tp_identity_key *k)
{
	struct tp_identity v;

	if (bpf_map_lookup_elem(g->identity_fd, k, &v))
		return -errno;
	if (bpf_map_delete_elem(g->identity_fd, k))
		return -errno;
	if (g->ix)
		ix_del(g, v.slot, k);
	if (!device_has_entries(g, v.device_id, v.slot))
		release_slot(g, v.device_id, v.slot);
	return 0;
}

struct flush_ctx {
	struct tp_identity_key *keys;
	size_t n, cap;
};

static int collect_key(const struct tp_identity_key *k,
		       const struct tp_identity *v, void *ctx)
{
	struct flush_ctx *c = ctx;

	(void)v;
	if (c->n == c->cap) {
		struct tp_identity_key *nk;

		c->cap = c->cap ? c->cap * 2 : 64;
		nk = realloc(c->keys, c->cap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		c->keys = nk;
	}
	c->keys[c->n++] = *k;
	return 0;
}

int gate_identity_flush(struct tp_gate *g, const __u64 *device_id,
			unsigned int *removed)
{
	struct flush_ctx c = {};
	unsigned int gone = 0;
	int err;

	/* collect first: deleting while walking would restart the walk */
	err = device_id ? gate_identity_of(g, *device_id, collect_key, &c)
			: gate_identity_foreach(g, collect_key, &c);
	if (err) {
		free(c.keys);
		return err;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (!bpf_map_delete_elem(g->identity_fd, &c.keys[i]))
			gone++;
		else if (errno != ENOENT && !err)
			err = -errno;
	}
	free(c.keys);
	if (removed)
		*removed = gone;
	if (device_id) {
		release_slot(g, *device_id, -1);
	} else {
		__u64 none = 0;

		for (__u32 i = 0; i < TP_DEVICES_MAX; i++)
			bpf_map_update_elem(g->dev_slots_fd, &i, &none,
					    BPF_ANY);
		free(g->owner);
		g->owner = NULL;
		if (g->ix)
			for (__u32 s = 0; s < TP_DEVICES_MAX; s++)
				ix_drop(g, s);
	}
	return err;
}

/* --- building the index ----------------------------------------------------
 */

static int index_cb(const struct tp_identity_key *k,
		    const struct tp_identity *v, void *ctx)
{
	struct tp_gate *g = ctx;

	/* an entry whose slot is not its device's would escape a flush */
	if (v->slot >= TP_DEVICES_MAX || g->owner[v->slot] != v->device_id)
		return -EUCLEAN;
	return ix_add(g, v->slot, k);
}

int gate_identity_index(struct tp_gate *g)
{
	int err;

	if (g->ix)
		return 0;
	g->ix = calloc(1, sizeof(*g->ix));
	if (!g->ix)
		return -ENOMEM;
	free(g->owner);
	g->owner = calloc(TP_DEVICES_MAX, sizeof(*g->owner));
	err = g->owner ? read_slots(g, g->owner) : -ENOMEM;
	err = err ?: gate_identity_foreach(g, index_cb, g);
	if (err) {
		gate_index_free(g);
		free(g->owner);
		g->owner = NULL;
	}
	return err;
}
