// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_load.c - load the XDP gate, pin its maps, attach it to LAN
 * interfaces through pinned bpf_links, and detach it again.
 *
 * Maps are pinned by name under one bpffs directory; a reload reuses them
 * so identities survive. Each interface has its own pinned link, so the
 * gate keeps enforcing after the process that attached it has exited.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/gate.h"
#include "gate.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int gate_bpffs_prepare(const char *dir)
{
	int err;

	if (!dir || dir[0] != '/')
		return -EINVAL;
	if (!strncmp(dir, BPFFS_ROOT, strlen(BPFFS_ROOT)) &&
	    !is_bpffs(BPFFS_ROOT)) {
		/* bpffs is not always mounted on a fresh host */
		if (mkdir(BPFFS_ROOT, 0700) && errno != EEXIST)
			return -errno;
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
			return -errno;
	}
	err = mkdir_p(dir, 0700);
	if (err)
		return err;
	if (!is_bpffs(dir))
		return -ENOTDIR; /* not on a bpffs: pins would not work */
	return 0;
}

/* The pinned identity map decides the size, so a reload can reuse it. */
static __u32 pinned_max_entries(const char *dir, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

int gate_load(const char *dir, const struct gate_opts *o,
	      struct gate_bpf **skel_out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dir);
	struct gate_opts def = {};
	struct gate_bpf *skel;
	__u32 max;
	int err;

	if (!o)
		o = &def;
	err = gate_bpffs_prepare(dir);
	if (err)
		return err;
	skel = gate_bpf__open_opts(&oo);
	if (!skel)
		return -errno;

	max = pinned_max_entries(dir, TP_MAP_IDENTITY);
	if (!max)
		max = o->identity_max ? o->identity_max
				      : TP_IDENTITY_MAX_DEFAULT;
	err = bpf_map__set_max_entries(skel->maps.tp_identity, max);
	if (err)
		goto fail;
	skel->rodata->tp_event_rate =
		o->event_rate ? o->event_rate : TP_EVENT_RATE_DEFAULT;
	skel->rodata->tp_event_burst =
		o->event_burst ? o->event_burst : TP_EVENT_BURST_DEFAULT;
	err = gate_bpf__load(skel);
	if (err)
		goto fail;
	err = gate_bootstrap_sync_ports(
		bpf_map__fd(skel->maps.tp_bootstrap),
		bpf_map__fd(skel->maps.tp_bootstrap_ports), -1);
	if (err)
		goto fail;
	*skel_out = skel;
	return 0;
fail:
	gate_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

void gate_unload(struct gate_bpf *skel)
{
	gate_bpf__destroy(skel);
}

int gate_prog_fd(const struct gate_bpf *skel)
{
	return bpf_program__fd(skel->progs.tp_gate);
}

static void link_pin_path(char *buf, size_t len, const char *dir, int ifindex)
{
	snprintf(buf, len, "%s/" TP_LINK_PIN_PREFIX "%d", dir, ifindex);
}

const char *gate_mode_name(enum gate_mode mode)
{
	switch (mode) {
	case GATE_MODE_NATIVE:
		return "native";
	case GATE_MODE_GENERIC:
		return "generic";
	default:
		return "auto";
	}
}

/* What the kernel reports for the XDP program on ifindex. */
static enum gate_mode attached_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return GATE_MODE_AUTO;
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
	case XDP_ATTACHED_HW:
		return GATE_MODE_NATIVE;
	case XDP_ATTACHED_SKB:
		return GATE_MODE_GENERIC;
	}
	return GATE_MODE_AUTO;
}

static int link_ids(int link_fd, __u32 *link_id, __u32 *prog_id, int *ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	*link_id = info.id;
	*prog_id = info.prog_id;
	*ifindex = info.xdp.ifindex;
	return 0;
}

static int create_link(int prog_fd, int ifindex, enum gate_mode mode,
		       enum gate_mode *got)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd;

	if (mode != GATE_MODE_GENERIC) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
		if (fd >= 0 || mode == GATE_MODE_NATIVE) {
			*got = GATE_MODE_NATIVE;
			return fd < 0 ? -errno : fd;
		}
	}
	/* native refused (driver without XDP): the generic hook still gates */
	lo.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	*got = GATE_MODE_GENERIC;
	return fd < 0 ? -errno : fd;
}

static int attach_one(const char *dir, int prog_fd, int ifindex,
		      enum gate_mode mode, struct gate_link *l)
{
	char path[PATH_MAX];
	int fd, err;

	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	/* a tag stripped into metadata would let a tagged frame pass as
	 * untagged */
	err = gate_vlan_offload_off(ifindex, &l->vlan_offload_off);
	if (err && err != -EOPNOTSUPP)
		return err;
	link_pin_path(path, sizeof(path), dir, ifindex);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* already gated: swap the program in place, no gap */
		err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
		l->replaced = true;
		l->mode = attached_mode(ifindex);
	} else {
		fd = create_link(prog_fd, ifindex, mode, &l->mode);
		if (fd < 0)
			return fd;
		err = bpf_obj_pin(fd, path) ? -errno : 0;
		if (err)
			bpf_link_detach(fd);
	}
	if (!err) {
		int ifx;

		err = link_ids(fd, &l->link_id, &l->prog_id, &ifx);
	}
	close(fd);
	return err;
}

int gate_attach(const char *dir, const int *ifindex, int n, enum gate_mode mode,
		const struct gate_opts *o, struct gate_link *links)
{
	struct gate_bpf *skel;
	int i, err;

	for (i = 0; i < n; i++) {
		char name[IF_NAMESIZE];

		if (!if_indextoname(ifindex[i], name))
			return -ENODEV;
	}
	err = gate_load(dir, o, &skel);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		err = attach_one(dir, gate_prog_fd(skel), ifindex[i], mode,
				 &links[i]);
		if (err)
			break;
	}
	if (err) {
		/* all or nothing: undo the links this call created */
		while (i-- > 0)
			if (!links[i].replaced)
				gate_detach(dir, ifindex[i]);
	}
	/* the links hold the program; the loader's references can go */
	gate_unload(skel);
	return err;
}

int gate_detach(const char *dir, int ifindex)
{
	char path[PATH_MAX];
	int fd, err = 0;

	link_pin_path(path, sizeof(path), dir, ifindex);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	/* detach first: another holder of the link must not keep it alive */
	if (bpf_link_detach(fd))
		err = -errno;
	close(fd);
	if (unlink(path) && !err)
		err = -errno;
	return err;
}

int gate_links(const char *dir, struct gate_link **out, int *n)
{
	struct gate_link *links = NULL;
	struct dirent *de;
	int cnt = 0, cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct gate_link l = {};
		int fd;

		if (strncmp(de->d_name, TP_LINK_PIN_PREFIX,
			    strlen(TP_LINK_PIN_PREFIX)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (link_ids(fd, &l.link_id, &l.prog_id, &l.ifindex)) {
			close(fd);
			continue;
		}
		close(fd);
		l.mode = attached_mode(l.ifindex);
		if (cnt == cap) {
			struct gate_link *nl;

			cap = cap ? cap * 2 : 8;
			nl = realloc(links, cap * sizeof(*nl));
			if (!nl) {
				free(links);
				closedir(d);
				return -ENOMEM;
			}
			links = nl;
		}
		links[cnt++] = l;
	}
	closedir(d);
	*out = links;
	*n = cnt;
	return 0;
}

__u64 gate_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
