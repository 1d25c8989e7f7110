// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_maps.c - the handle on the gate's pinned maps and what is not about
 * identities (gate_identity.c): bootstrap endpoints, verdict and event
 * counters, the drop-event ring buffer, and the listing of pinned maps.
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
#include "lib/gate_priv.h"

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
	gate_index_free(g);
	free(g);
}

int gate_percpu_sum(int fd, const void *key, int ncpus, struct tp_counter *sum)
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

int gate_verdicts(struct tp_gate *g, struct tp_counter out[TP_REASON_MAX])
{
	for (__u32 r = 0; r < TP_REASON_MAX; r++) {
		int err =
			gate_percpu_sum(g->verdicts_fd, &r, g->ncpus, &out[r]);

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

/* Returned by on_sample when the budget is spent; not an errno. */
#define EVENTS_BUDGET_SPENT (-4096)

struct gate_events {
	struct ring_buffer *rb;
	gate_event_cb cb;
	void *ctx;
	int budget; /* records left in this call; 0: no limit */
};

static int on_sample(void *ctx, void *data, size_t len)
{
	struct gate_events *ev = ctx;
	struct tp_event e;
	int ret = 0;

	/* a record shorter than the ABI says is not ours to read */
	if (len >= sizeof(e)) {
		memcpy(&e, data, sizeof(e));
		ret = ev->cb(&e, ev->ctx);
	}
	/*
	 * libbpf has moved past this record before calling us, so stopping
	 * here loses nothing: the next call starts with the one after it.
	 */
	if (!ret && ev->budget && !--ev->budget)
		return EVENTS_BUDGET_SPENT;
	return ret;
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
		return gate_events_consume(ev, 0);
	ev->budget = 0;
	return ring_buffer__poll(ev->rb, timeout_ms);
}

int gate_events_consume(struct gate_events *ev, int max)
{
	int n;

	ev->budget = max > 0 ? max : 0;
	n = ring_buffer__consume(ev->rb);
	return n == EVENTS_BUDGET_SPENT ? max : n;
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
