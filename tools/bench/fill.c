// SPDX-License-Identifier: GPL-2.0-only
/*
 * fill.c - batched map fills for the bench (see fill.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/gate.h"
#include "fill.h"

#define BATCH 8192

__u32 filler_addr(__u32 i)
{
	return htonl(0x0a000001U + i); /* 10.0.0.1 + i */
}

/* bpf_map_update_batch may stop part-way; go on from where it stopped. */
static int update_batch(int fd, void *keys, void *vals, __u32 n, size_t ksz,
			size_t vsz)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 done = 0;

	while (done < n) {
		__u32 cnt = n - done;

		if (bpf_map_update_batch(fd, (char *)keys + done * ksz,
					 (char *)vals + done * vsz, &cnt, &o)) {
			if (errno != EINTR && errno != EAGAIN)
				return -errno;
		}
		done += cnt;
	}
	return 0;
}

int fill_gate(int fd, int ifindex, __u32 n)
{
	struct tp_identity_key *k = calloc(BATCH, sizeof(*k));
	struct tp_identity *v = calloc(BATCH, sizeof(*v));
	__u64 expires = gate_now_ns() + 3600ULL * 1000000000ULL;
	int err = 0;

	if (!k || !v) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 base = 0; base < n && !err; base += BATCH) {
		__u32 cnt = n - base < BATCH ? n - base : BATCH;

		for (__u32 j = 0; j < cnt; j++) {
			__u32 i = base + j, a = filler_addr(i);

			k[j].ifindex = ifindex;
			k[j].family = TP_AF_INET;
			memcpy(k[j].addr, &a, 4);
			v[j].device_id = 100000 + i;
			v[j].expires_ns = expires;
			v[j].mac[0] = 0x02;
			v[j].mac[3] = i >> 16;
			v[j].mac[4] = i >> 8;
			v[j].mac[5] = i;
		}
		err = update_batch(fd, k, v, cnt, sizeof(*k), sizeof(*v));
	}
out:
	free(k);
	free(v);
	return err;
}

int fill_xdpf(int fd, __u32 n, __u64 val)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 *k = calloc(BATCH, sizeof(*k));
	__u64 *v;
	int err = 0;

	if (ncpu <= 0 || !k) {
		free(k);
		return ncpu <= 0 ? -EINVAL : -ENOMEM;
	}
	v = calloc((size_t)BATCH * ncpu, sizeof(*v));
	if (!v) {
		free(k);
		return -ENOMEM;
	}
	for (size_t j = 0; j < (size_t)BATCH * ncpu; j++)
		v[j] = val;
	for (__u32 base = 0; base < n && !err; base += BATCH) {
		__u32 cnt = n - base < BATCH ? n - base : BATCH;

		for (__u32 j = 0; j < cnt; j++)
			k[j] = filler_addr(base + j);
		err = update_batch(fd, k, v, cnt, sizeof(*k),
				   sizeof(*v) * ncpu);
	}
	free(k);
	free(v);
	return err;
}

int map_memlock(int fd, __u64 *bytes)
{
	char path[64], line[256];
	unsigned long long v;
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memlock: %llu", &v) == 1) {
			*bytes = v;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}
