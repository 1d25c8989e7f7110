// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_gate_index.c - the per-device index of the gate's bindings
 * (gate_identity_index), against the real maps: a seeded random sequence
 * of adds, moves, deletes and flushes on an indexed handle, checked after
 * every step against a model and, every few steps, against a walk of the
 * map through a second handle with no index (the kernel's truth: every
 * entry, its device, and which devices still hold a counter slot). Also:
 * an index built over entries written by another handle, and the refusal
 * to index an entry whose slot names another device.
 */
#include <arpa/inet.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/gate.h"
#include "selftests/test_progs.h"

#define NKEYS 300
#define NDEVS 24
#define STEPS 3000
#define CHECK_EVERY 150

struct model {
	__u64 dev[NKEYS]; /* 0: no binding */
};

static struct tp_identity_key key_of(int i)
{
	struct tp_identity_key k = {.ifindex = 7, .family = TP_AF_INET};
	__u32 a = htonl(0x0ac80000U + i); /* 10.200.0.0 + i: map keys only */

	memcpy(k.addr, &a, 4);
	return k;
}

static int key_index(const struct tp_identity_key *k)
{
	__u32 a;

	memcpy(&a, k->addr, 4);
	a = ntohl(a) - 0x0ac80000U;
	return k->ifindex == 7 && a < NKEYS ? (int)a : -1;
}

static int add(struct tp_gate *g, int i, __u64 dev)
{
	struct tp_identity_key k = key_of(i);
	struct tp_identity v = {.device_id = dev, .expires_ns = ~0ULL};

	return gate_identity_add(g, &k, &v);
}

struct seen {
	__u64 dev[NKEYS];
	int n, foreign;
};

static int seen_cb(const struct tp_identity_key *k, const struct tp_identity *v,
		   void *ctx)
{
	struct seen *s = ctx;
	int i = key_index(k);

	if (i < 0 || s->dev[i]) {
		s->foreign++;
		return 0;
	}
	s->dev[i] = v->device_id;
	s->n++;
	return 0;
}

/* The map, walked with the unindexed handle, is the model exactly. */
static bool map_is_model(struct tp_gate *walker, const struct model *m,
			 int step)
{
	struct seen s = {};
	struct tp_counter c;
	int want = 0, bad = 0, slots = 0;

	if (!ASSERT_OK(gate_identity_foreach(walker, seen_cb, &s), "walk"))
		return false;
	for (int i = 0; i < NKEYS; i++) {
		want += !!m->dev[i];
		if (s.dev[i] != m->dev[i] && bad++ < 3)
			fprintf(stderr,
				"step %d: key %d is device %llu, model %llu\n",
				step, i, (unsigned long long)s.dev[i],
				(unsigned long long)m->dev[i]);
	}
	/* a device holds a counter slot exactly while it has a binding */
	for (__u64 d = 1; d <= NDEVS; d++) {
		bool has = false;
		int err = gate_device_stats(walker, d, &c);

		for (int i = 0; i < NKEYS && !has; i++)
			has = m->dev[i] == d;
		if ((err == 0) != has && slots++ < 3)
			fprintf(stderr,
				"step %d: device %llu: stats %d, bound %d\n",
				step, (unsigned long long)d, err, has);
	}
	return ASSERT_EQ(s.foreign, 0, "entries the model does not know") &
	       ASSERT_EQ(s.n, want, "entries in the map") &
	       ASSERT_EQ(bad, 0, "entries naming the model's device") &
	       ASSERT_EQ(slots, 0, "slots held exactly by bound devices");
}

struct of_ctx {
	__u64 dev;
	int n, wrong;
	const struct model *m;
};

static int of_cb(const struct tp_identity_key *k, const struct tp_identity *v,
		 void *ctx)
{
	struct of_ctx *c = ctx;
	int i = key_index(k);

	c->n++;
	if (v->device_id != c->dev || i < 0 || c->m->dev[i] != c->dev)
		c->wrong++;
	return 0;
}

static void random_steps(struct tp_gate *g, struct tp_gate *walker)
{
	struct model m = {};
	unsigned int seed = 20261204;
	int step;

	for (step = 1; step <= STEPS; step++) {
		int op = rand_r(&seed) % 20, i = rand_r(&seed) % NKEYS;
		__u64 d = 1 + rand_r(&seed) % NDEVS;
		struct tp_identity_key k = key_of(i);
		unsigned int removed = ~0U;
		int want = 0, err;

		if (op < 11) { /* add, a renewal or a move when bound */
			err = add(g, i, d);
			if (!ASSERT_OK(err, "gate_identity_add"))
				break;
			m.dev[i] = d;
		} else if (op < 15) {
			err = gate_identity_del(g, &k);
			if (!ASSERT_EQ(err, m.dev[i] ? 0 : -ENOENT,
				       "gate_identity_del"))
				break;
			m.dev[i] = 0;
		} else if (op < 17) {
			for (int j = 0; j < NKEYS; j++)
				want += m.dev[j] == d;
			err = gate_identity_flush(g, &d, &removed);
			if (!ASSERT_OK(err, "gate_identity_flush") ||
			    !ASSERT_EQ(removed, (unsigned int)want,
				       "flush removed the device's entries"))
				break;
			for (int j = 0; j < NKEYS; j++)
				if (m.dev[j] == d)
					m.dev[j] = 0;
		} else {
			struct of_ctx c = {.dev = d, .m = &m};

			for (int j = 0; j < NKEYS; j++)
				want += m.dev[j] == d;
			err = gate_identity_of(g, d, of_cb, &c);
			if (!ASSERT_OK(err, "gate_identity_of") ||
			    !ASSERT_EQ(c.n, want, "gate_identity_of: count") ||
			    !ASSERT_EQ(c.wrong, 0, "gate_identity_of: others"))
				break;
		}
		if (step % CHECK_EVERY == 0 && !map_is_model(walker, &m, step))
			break;
	}
	ASSERT_EQ(step, STEPS + 1, "every step as the model says");
}

/* Entries another handle wrote before the index was built are in it. */
static void built_from_map(struct tp_gate *other, const char *dir)
{
	struct tp_gate *g = NULL;
	unsigned int removed = 0;
	__u64 d = 5;
	struct seen s = {};

	for (int i = 0; i < 10; i++)
		if (!ASSERT_OK(add(other, i, i < 6 ? 5 : 6), "add by other"))
			return;
	if (!ASSERT_OK(gate_open(dir, &g), "gate_open") ||
	    !ASSERT_OK(gate_identity_index(g), "gate_identity_index"))
		goto out;
	ASSERT_OK(gate_identity_flush(g, &d, &removed), "flush device 5");
	ASSERT_EQ(removed, 6, "device 5's entries removed");
	ASSERT_OK(gate_identity_foreach(other, seen_cb, &s), "walk");
	ASSERT_EQ(s.n, 4, "device 6's entries left");
	ASSERT_EQ(s.dev[6], 6, "device 6 kept key 6");
	d = 6;
	ASSERT_OK(gate_identity_flush(g, &d, &removed), "flush device 6");
	ASSERT_EQ(removed, 4, "device 6's entries removed");
out:
	gate_close(g);
}

/*
 * An entry whose slot is another device's would escape an indexed flush:
 * the index refuses to start, and the handle walks instead.
 */
static void bad_slot_refused(struct tp_gate *other, const char *dir)
{
	struct tp_identity_key k = key_of(42), k1 = key_of(1);
	struct tp_identity v, bad;
	struct tp_gate *g = NULL;
	unsigned int removed = 0;
	char path[256];
	__u64 d = 9;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, TP_MAP_IDENTITY);
	fd = bpf_obj_get(path);
	if (!ASSERT_GE(fd, 0, "bpf_obj_get(tp_identity)"))
		return;
	if (!ASSERT_OK(add(other, 1, 8), "device 8 bound") ||
	    !ASSERT_OK(gate_identity_get(other, &k1, &v), "device 8's entry"))
		goto out;
	bad = v;
	bad.device_id = 9; /* device 9 in device 8's slot */
	if (!ASSERT_OK(bpf_map_update_elem(fd, &k, &bad, BPF_ANY),
		       "write the bad entry"))
		goto out;
	ASSERT_OK(gate_open(dir, &g), "gate_open");
	if (!g)
		goto out;
	ASSERT_EQ(gate_identity_index(g), -EUCLEAN, "index refused");
	ASSERT_OK(gate_identity_flush(g, &d, &removed), "flush device 9");
	ASSERT_EQ(removed, 1, "the walk found device 9's entry");
	d = 8;
	ASSERT_OK(gate_identity_flush(g, &d, &removed), "flush device 8");
	ASSERT_EQ(removed, 1, "device 8's entry removed");
out:
	gate_close(g);
	close(fd);
}

void test_gate_index(void)
{
	struct tp_gate *g = NULL, *walker = NULL;
	struct gate_bpf *skel = NULL;
	struct gate_opts o = {.identity_max = 4096};
	char dir[128];

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/tp-gidx-%s", env.suffix);
	if (!ASSERT_OK(gate_bpffs_prepare(dir), "gate_bpffs_prepare") ||
	    !ASSERT_OK(gate_load(dir, &o, &skel), "gate_load") ||
	    !ASSERT_OK(gate_open(dir, &walker), "gate_open walker"))
		goto out;
	if (test__start_subtest("random_steps")) {
		if (ASSERT_OK(gate_open(dir, &g), "gate_open") &&
		    ASSERT_OK(gate_identity_index(g), "gate_identity_index"))
			random_steps(g, walker);
		gate_identity_flush(walker, NULL, NULL);
		gate_close(g);
	}
	if (test__start_subtest("built_from_map")) {
		built_from_map(walker, dir);
		gate_identity_flush(walker, NULL, NULL);
	}
	if (test__start_subtest("bad_slot_refused")) {
		bad_slot_refused(walker, dir);
		gate_identity_flush(walker, NULL, NULL);
	}
out:
	gate_close(walker);
	gate_unload(skel);
	SYS_NOFAIL("rm -rf '%s'", dir);
}
