// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_maps.c - every operation on the gate's pinned maps: identities,
 * device counters, bootstrap endpoints, verdict and event counters, the
 * drop-event ring buffer, and the listing of pinned maps.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/gate.h"

struct tp_gate {
	int identity_fd;
	int dev_stats_fd;
	int dev_slots_fd;
	int bootstrap_fd;
	int bootstrap_ports_fd;
	__u64 *owner; /* cached copy of tp_dev_slots, NULL until first use */
	int verdicts_fd;
	int evstats_fd;
	int events_fd;
	int ncpus;
};

static int open_pin(const char *dir, const char *name, int *fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = bpf_obj_get(path);
	return *fd < 0 ? -errno : 0;
}

int gate_open(const char *dir, struct tp_gate **out)
{
	struct tp_gate *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	g->identity_fd = g->dev_stats_fd = g->dev_slots_fd = -1;
	g->bootstrap_fd = g->bootstrap_ports_fd = -1;
	g->verdicts_fd = g->evstats_fd = g->events_fd = -1;
	g->ncpus = libbpf_num_possible_cpus();
	if (g->ncpus <= 0) {
		err = g->ncpus ? g->ncpus : -EINVAL;
		goto fail;
	}
	err = open_pin(dir, TP_MAP_IDENTITY, &g->identity_fd);
	err = err ?: open_pin(dir, TP_MAP_DEV_STATS, &g->dev_stats_fd);
	err = err ?: open_pin(dir, TP_MAP_DEV_SLOTS, &g->dev_slots_fd);
	err = err ?: open_pin(dir, TP_MAP_BOOTSTRAP, &g->bootstrap_fd);
	err = err
		      ?: open_pin(dir, TP_MAP_BOOTSTRAP_PORTS,
				  &g->bootstrap_ports_fd);
	err = err ?: open_pin(dir, TP_MAP_VERDICTS, &g->verdicts_fd);
	err = err ?: open_pin(dir, TP_MAP_EVSTATS, &g->evstats_fd);
	err = err ?: open_pin(dir, TP_MAP_EVENTS, &g->events_fd);
	if (err)
		goto fail;
	*out = g;
	return 0;
fail:
	gate_close(g);
	return err;
}

void gate_close(struct tp_gate *g)
{
	if (!g)
		return;
	int fds[] = {g->identity_fd,  g->dev_stats_fd,	     g->dev_slots_fd,
		     g->bootstrap_fd, g->bootstrap_ports_fd, g->verdicts_fd,
		     g->evstats_fd,   g->events_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(g->owner);
	free(g);
}

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
 * table is cached per handle; a hit is confirmed with one lookup, and a
 * claim (fresh) always reads the table anew, since tpctl may have written
 * it since this handle read it.
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
	if (!fresh &&
	    (slot < 0 || bpf_map_lookup_elem(g->dev_slots_fd, &slot, &holder) ||
	     holder != device_id))
		return find_slot(g, device_id, free_slot, true);
	return slot;
}

/* Give device_id a slot of its own, counters zeroed, unless it has one. */
static int claim_slot(struct tp_gate *g, __u64 device_id, __u32 *slot)
{
	struct tp_counter *zero;
	__u32 free_slot;
	int ret = find_slot(g, device_id, &free_slot, true);

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

static void release_slot(struct tp_gate *g, __u64 device_id)
{
	__u64 none = 0;
	int slot = find_slot(g, device_id, NULL, true);

	if (slot >= 0 &&
	    !bpf_map_update_elem(g->dev_slots_fd, &slot, &none, BPF_ANY))
		g->owner[slot] = 0;
}

int gate_identity_add(struct tp_gate *g, const struct tp_identity_key *k,
		      const struct tp_identity *v)
{
	struct tp_identity nv = *v, old;
	int err;

	if (!identity_key_valid(k) || v->device_id == 0)
		return -EINVAL;
	/* a renewal keeps the slot it has: no walk of the slot table */
	if (!bpf_map_lookup_elem(g->identity_fd, k, &old) &&
	    old.device_id == v->device_id) {
		nv.slot = old.slot;
	} else {
		err = claim_slot(g, v->device_id, &nv.slot);
		if (err)
			return err;
	}
	if (bpf_map_update_elem(g->identity_fd, k, &nv, BPF_ANY))
		return -errno;
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
 * Every binding, WALK_BATCH at a time: a revocation walks the map to find
 * a device's entries, and at 100k identities the key-by-key walk took half
 * a second. Falls back to that walk where the kernel has no batch ops.
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

static int has_device(const struct tp_identity_key *k,
		      const struct tp_identity *v, void *ctx)
{
	return v->device_id == *(const __u64 *)ctx;
}

/* Is any binding of device_id left (other than the one being removed)? */
static int device_has_entries(struct tp_gate *g, __u64 device_id)
{
	return gate_identity_foreach(g, has_device, &device_id) == 1;
}

int gate_identity_del(struct tp_gate *g, const struct tp_identity_key *k)
{
	struct tp_identity v;

	if (bpf_map_lookup_elem(g->identity_fd, k, &v))
		return -errno;
	if (bpf_map_delete_elem(g->identity_fd, k))
		return -errno;
	if (!device_has_entries(g, v.device_id))
		release_slot(g, v.device_id);
	return 0;
}

struct flush_ctx {
	const __u64 *device_id;
	struct tp_identity_key *keys;
	size_t n, cap;
};

static int collect_key(const struct tp_identity_key *k,
		       const struct tp_identity *v, void *ctx)
{
	struct flush_ctx *c = ctx;

	if (c->device_id && v->device_id != *c->device_id)
		return 0;
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
	struct flush_ctx c = {.device_id = device_id};
	struct tp_identity_key *keys;
	size_t n;
	int err;

	/* collect first: deleting while walking would restart the walk */
	err = gate_identity_foreach(g, collect_key, &c);
	if (err) {
		free(c.keys);
		return err;
	}
	keys = c.keys;
	n = c.n;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(g->identity_fd, &keys[i]) &&
		    errno != ENOENT && !err)
			err = -errno;
	free(keys);
	if (removed)
		*removed = n;
	if (device_id) {
		release_slot(g, *device_id);
	} else {
		__u64 none = 0;

		for (__u32 i = 0; i < TP_DEVICES_MAX; i++)
			bpf_map_update_elem(g->dev_slots_fd, &i, &none,
					    BPF_ANY);
		free(g->owner);
		g->owner = NULL;
	}
	return err;
}

static int percpu_sum(int fd, const void *key, int ncpus,
		      struct tp_counter *sum)
{
	struct tp_counter *vals = calloc(ncpus, sizeof(*vals));
	int err = 0;

	if (!vals)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fd, key, vals)) {
		err = -errno;
	} else {
		for (int c = 0; c < ncpus; c++) {
			sum->packets += vals[c].packets;
			sum->bytes += vals[c].bytes;
		}
	}
	free(vals);
	return err;
}

int gate_device_stats(struct tp_gate *g, __u64 device_id,
		      struct tp_counter *sum)
{
	int slot = find_slot(g, device_id, NULL, false);

	if (slot < 0)
		return slot;
	return percpu_sum(g->dev_stats_fd, &slot, g->ncpus, sum);
}

int gate_verdicts(struct tp_gate *g, struct tp_counter out[TP_REASON_MAX])
{
	for (__u32 r = 0; r < TP_REASON_MAX; r++) {
		int err = percpu_sum(g->verdicts_fd, &r, g->ncpus, &out[r]);

		if (err)
			return err;
	}
	return 0;
}

int gate_evstats(struct tp_gate *g, __u64 out[TP_EV_MAX])
{
	__u64 *vals = calloc(g->ncpus, sizeof(*vals));

	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < TP_EV_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(g->evstats_fd, &i, vals)) {
			int err = -errno;

			free(vals);
			return err;
		}
		for (int c = 0; c < g->ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

static bool bootstrap_key_valid(const struct tp_bootstrap_key *k)
{
	static const __u8 zero[12];

	if (k->proto != 6 && k->proto != 17)
		return false;
	if (k->port == 0)
		return false;
	if (k->family == TP_AF_INET)
		return !memcmp(k->addr + 4, zero, sizeof(zero));
	return k->family == TP_AF_INET6;
}

int gate_bootstrap_sync_ports(int bootstrap_fd, int ports_fd, int port)
{
	__u64 words[TP_BOOTSTRAP_PORT_WORDS] = {};
	struct tp_bootstrap_key key, next;
	void *prev = NULL;

	/* the bitmap is derived from the endpoints: recompute, never patch */
	while (!bpf_map_get_next_key(bootstrap_fd, prev, &next)) {
		key = next;
		prev = &key;
		words[key.port / 64] |= 1ULL << (key.port % 64);
	}
	for (__u32 w = 0; w < TP_BOOTSTRAP_PORT_WORDS; w++) {
		if (port >= 0 && w != (__u32)port / 64)
			continue;
		if (bpf_map_update_elem(ports_fd, &w, &words[w], BPF_ANY))
			return -errno;
	}
	return 0;
}

int gate_bootstrap_add(struct tp_gate *g, const struct tp_bootstrap_key *k)
{
	struct tp_bootstrap v = {};

	if (!bootstrap_key_valid(k))
		return -EINVAL;
	if (bpf_map_update_elem(g->bootstrap_fd, k, &v, BPF_ANY))
		return -errno;
	return gate_bootstrap_sync_ports(g->bootstrap_fd, g->bootstrap_ports_fd,
					 k->port);
}

int gate_bootstrap_del(struct tp_gate *g, const struct tp_bootstrap_key *k)
{
	if (bpf_map_delete_elem(g->bootstrap_fd, k))
		return -errno;
	return gate_bootstrap_sync_ports(g->bootstrap_fd, g->bootstrap_ports_fd,
					 k->port);
}

int gate_bootstrap_foreach(struct tp_gate *g, gate_bootstrap_cb cb, void *ctx)
{
	struct tp_bootstrap_key key, next;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(g->bootstrap_fd, prev, &next)) {
		key = next;
		prev = &key;
		err = cb(&key, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

struct gate_events {
	struct ring_buffer *rb;
	gate_event_cb cb;
	void *ctx;
};

static int on_sample(void *ctx, void *data, size_t len)
{
	struct gate_events *ev = ctx;
	struct tp_event e;

	/* a record shorter than the ABI says is not ours to read */
	if (len < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	return ev->cb(&e, ev->ctx);
}

int gate_events_open(struct tp_gate *g, gate_event_cb cb, void *ctx,
		     struct gate_events **out)
{
	struct gate_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -ENOMEM;
	ev->cb = cb;
	ev->ctx = ctx;
	ev->rb = ring_buffer__new(g->events_fd, on_sample, ev, NULL);
	if (!ev->rb) {
		int err = -errno;

		free(ev);
		return err;
	}
	*out = ev;
	return 0;
}

int gate_events_poll(struct gate_events *ev, int timeout_ms)
{
	if (timeout_ms == 0)
		return ring_buffer__consume(ev->rb);
	return ring_buffer__poll(ev->rb, timeout_ms);
}

void gate_events_close(struct gate_events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	free(ev);
}

static const char *map_type_name(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
		return "hash";
	case BPF_MAP_TYPE_PERCPU_HASH:
		return "percpu_hash";
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return "percpu_array";
	case BPF_MAP_TYPE_ARRAY:
		return "array";
	case BPF_MAP_TYPE_RINGBUF:
		return "ringbuf";
	case BPF_MAP_TYPE_LRU_HASH:
		return "lru_hash";
	case BPF_MAP_TYPE_LPM_TRIE:
		return "lpm_trie";
	}
	return "unknown";
}

static __u32 count_entries(int fd, __u32 key_size)
{
	char key[256], next[256];
	void *prev = NULL;
	__u32 n = 0;

	if (key_size > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

int gate_maps(const char *dir, struct gate_map_info **out, int *n)
{
	static const char *const names[] = {
		TP_MAP_IDENTITY,  TP_MAP_DEV_STATS,	  TP_MAP_DEV_SLOTS,
		TP_MAP_BOOTSTRAP, TP_MAP_BOOTSTRAP_PORTS, TP_MAP_VERDICTS,
		TP_MAP_EVSTATS,	  TP_MAP_EVENTS,	  TP_MAP_EVLIMIT,
	};
	const size_t nnames = sizeof(names) / sizeof(names[0]);
	struct gate_map_info *maps = calloc(nnames, sizeof(*maps));
	int cnt = 0;

	if (!maps)
		return -ENOMEM;
	for (size_t i = 0; i < nnames; i++) {
		struct gate_map_info *m = &maps[cnt];
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (open_pin(dir, names[i], &fd))
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		snprintf(m->name, sizeof(m->name), "%s", names[i]);
		snprintf(m->type, sizeof(m->type), "%s",
			 map_type_name(info.type));
		m->id = info.id;
		m->key_size = info.key_size;
		m->value_size = info.value_size;
		m->max_entries = info.max_entries;
		if (info.type == BPF_MAP_TYPE_HASH ||
		    info.type == BPF_MAP_TYPE_PERCPU_HASH ||
		    info.type == BPF_MAP_TYPE_LRU_HASH)
			m->entries = count_entries(fd, info.key_size);
		else if (info.type != BPF_MAP_TYPE_RINGBUF)
			m->entries = info.max_entries;
		close(fd);
		cnt++;
	}
	if (!cnt) {
		free(maps);
		return -ENOENT;
	}
	*out = maps;
	*n = cnt;
	return 0;
}

static const char *const reason_names[TP_REASON_MAX] = {
	[TP_PASS_IDENTITY] = "pass-identity",
	[TP_PASS_ARP] = "pass-arp",
	[TP_PASS_ND] = "pass-nd",
	[TP_PASS_DHCP] = "pass-dhcp",
	[TP_PASS_BOOTSTRAP] = "pass-bootstrap",
	[TP_DROP_UNKNOWN] = "drop-unknown",
	[TP_DROP_MAC_MISMATCH] = "drop-mac-mismatch",
	[TP_DROP_EXPIRED] = "drop-expired",
	[TP_DROP_MALFORMED] = "drop-malformed",
	[TP_DROP_FRAGMENT] = "drop-fragment",
	[TP_DROP_EXT_CHAIN] = "drop-ext-chain",
	[TP_DROP_VLAN_DEPTH] = "drop-vlan-depth",
	[TP_DROP_ETHERTYPE] = "drop-ethertype",
};

const char *gate_reason_name(unsigned int reason)
{
	return reason < TP_REASON_MAX ? reason_names[reason] : NULL;
}
