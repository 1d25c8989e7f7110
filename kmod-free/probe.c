// SPDX-License-Identifier: GPL-2.0-only
/*
 * probe.c - the kmod-free feature probe. Each probe asks the kernel the
 * way the gate will use it (load a map, load a program, create a link), so
 * "ok" means it works here, not that a config option is set. Nothing is
 * left behind: the xdp_link probe runs in a child in a private network
 * namespace that disappears with it, and no module is ever requested.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/genetlink.h>
#include <linux/magic.h>
#include <linux/netlink.h>

#include "kmod-free/probe.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/*
 * The netdev generic-netlink family (linux/netdev.h, kernel 6.3), which
 * Debian 12's linux-libc-dev does not ship yet.
 */
#define TP_NETDEV_FAMILY "netdev"
#define TP_NETDEV_CMD_DEV_GET 1
#define TP_NETDEV_A_DEV_IFINDEX 1
#define TP_NETDEV_A_DEV_XDP_FEATURES 3
#define TP_NETDEV_XDP_ACT_BASIC (1ULL << 0)

#define TP_BPFFS_ROOT "/sys/fs/bpf"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct probe_def;
typedef void (*probe_fn)(struct tp_probe *p, struct tp_feature *f,
			 const struct probe_def *d);

/* One line of the probe table; tp_probe_run() goes through it in order. */
struct probe_def {
	const char *name;
	bool required;
	/*
	 * A feature probed earlier that this one cannot be told without:
	 * libbpf's probes read a refused bpf() as "not supported" (or, for
	 * helpers, as supported), so an answer without it would mislead.
	 */
	const char *needs;
	probe_fn run;
	int id; /* probe_map(): the map type; probe_helper(): the helper */
	const char *what, *min_kernel; /* probe_map(), probe_helper() */
};

/* Why a BPF call was refused, in words an operator can act on. */
static const char *bpf_errstr(int err)
{
	switch (err) {
	case ENOSYS:
		return "bpf() not in this kernel (CONFIG_BPF_SYSCALL off)";
	case EPERM:
		return "permission denied: needs root (CAP_BPF, CAP_NET_ADMIN)";
	case EINVAL:
		return "not supported by this kernel (EINVAL)";
	default:
		return strerror(err);
	}
}

static void probe_bpf_syscall(struct tp_probe *p, struct tp_feature *f,
			      const struct probe_def *d)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd < 0) {
		snprintf(f->detail, sizeof(f->detail), "%s", bpf_errstr(-fd));
		return;
	}
	close(fd);
	f->ok = true;
	snprintf(f->detail, sizeof(f->detail), "BPF_MAP_CREATE works");
}

static void probe_btf(struct tp_probe *p, struct tp_feature *f,
		      const struct probe_def *d)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err = errno;

	if (!btf) {
		snprintf(f->detail, sizeof(f->detail),
			 "/sys/kernel/btf/vmlinux: %s (CONFIG_DEBUG_INFO_BTF)",
			 strerror(err));
		return;
	}
	f->ok = true;
	snprintf(f->detail, sizeof(f->detail),
		 "/sys/kernel/btf/vmlinux, %u types", btf__type_cnt(btf));
	btf__free(btf);
}

/* Whether the kernel can mount a filesystem type, from /proc/filesystems. */
static bool fs_type_known(const char *type)
{
	char line[128], name[64];
	bool found = false;
	FILE *fp = fopen("/proc/filesystems", "re");

	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		/* "nodev\tbpf" or "\text4": the name is the last word. */
		if (sscanf(line, "%*s %63s", name) == 1 ||
		    sscanf(line, "%63s", name) == 1)
			found = !strcmp(name, type);
	}
	fclose(fp);
	return found;
}

/*
 * bpffs counts as present when it is mounted, or when the kernel knows
 * the type: trustpoint mounts it itself before pinning
 * (gate_bpffs_prepare). The probe only looks; mounting is a change of
 * the host, and a probe changes nothing.
 */
static void probe_bpffs(struct tp_probe *p, struct tp_feature *f,
			const struct probe_def *d)
{
	struct statfs sfs;

	if (!statfs(TP_BPFFS_ROOT, &sfs) &&
	    sfs.f_type == (typeof(sfs.f_type))BPF_FS_MAGIC) {
		f->ok = true;
		snprintf(f->detail, sizeof(f->detail), "mounted on %s",
			 TP_BPFFS_ROOT);
		return;
	}
	if (fs_type_known("bpf")) {
		f->ok = true;
		snprintf(f->detail, sizeof(f->detail),
			 "not mounted on %s; trustpoint mounts it on attach",
			 TP_BPFFS_ROOT);
		return;
	}
	snprintf(f->detail, sizeof(f->detail),
		 "not mounted on %s and \"bpf\" not in /proc/filesystems",
		 TP_BPFFS_ROOT);
}

/* libbpf_probe_*() return 1 (supported), 0 (not) or a negative errno. */
static void set_probed(struct tp_feature *f, int ret, const char *what,
		       const char *min_kernel)
{
	f->ok = ret == 1;
	if (ret == 1)
		snprintf(f->detail, sizeof(f->detail), "%s", what);
	else if (ret == 0)
		snprintf(f->detail, sizeof(f->detail),
			 "%s not supported (needs kernel %s)", what,
			 min_kernel);
	else
		snprintf(f->detail, sizeof(f->detail), "%s: %s", what,
			 bpf_errstr(-ret));
}

static void probe_prog_xdp(struct tp_probe *p, struct tp_feature *f,
			   const struct probe_def *d)
{
	set_probed(f, libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL),
		   "BPF_PROG_TYPE_XDP", "4.8");
}

static void probe_helper(struct tp_probe *p, struct tp_feature *f,
			 const struct probe_def *d)
{
	set_probed(f, libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, d->id, NULL),
		   d->what, d->min_kernel);
}

static void probe_map(struct tp_probe *p, struct tp_feature *f,
		      const struct probe_def *d)
{
	set_probed(f, libbpf_probe_bpf_map_type(d->id, NULL), d->what,
		   d->min_kernel);
}

/*
 * r0 = XDP_PASS; exit. The smallest XDP program: enough for the kernel to
 * build a link, and harmless should it ever see a frame.
 */
static const struct bpf_insn xdp_pass_insns[] = {
	{.code = BPF_ALU64 | BPF_MOV | BPF_K,
	 .dst_reg = BPF_REG_0,
	 .imm = XDP_PASS},
	{.code = BPF_JMP | BPF_EXIT},
};

/* What the xdp_link child sends back through its pipe. */
struct xdp_link_report {
	int err;       /* 0 or a positive errno */
	char step[32]; /* the call that failed */
	__u32 link_id;
	__u32 prog_id;
};

/*
 * The child: a network namespace of its own, whose `lo` is the only
 * interface it can see, so no host interface is touched. When it exits
 * the link, the program and the namespace go with it.
 */
static void xdp_link_child(int wfd)
{
	struct xdp_link_report rep = {0};
	struct bpf_link_info linfo = {0};
	__u32 len = sizeof(linfo);
	int prog_fd, link_fd, ifindex;

	if (unshare(CLONE_NEWNET)) {
		rep.err = errno;
		snprintf(rep.step, sizeof(rep.step), "unshare(CLONE_NEWNET)");
		goto out;
	}
	prog_fd =
		bpf_prog_load(BPF_PROG_TYPE_XDP, "tp_probe", "GPL",
			      xdp_pass_insns, ARRAY_SIZE(xdp_pass_insns), NULL);
	if (prog_fd < 0) {
		rep.err = -prog_fd;
		snprintf(rep.step, sizeof(rep.step), "bpf_prog_load");
		goto out;
	}
	ifindex = if_nametoindex("lo");
	if (!ifindex) {
		rep.err = errno;
		snprintf(rep.step, sizeof(rep.step), "if_nametoindex(lo)");
		goto out;
	}
	link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, NULL);
	if (link_fd < 0) {
		rep.err = -link_fd;
		snprintf(rep.step, sizeof(rep.step), "bpf_link_create");
		goto out;
	}
	if (!bpf_obj_get_info_by_fd(link_fd, &linfo, &len)) {
		rep.link_id = linfo.id;
		rep.prog_id = linfo.prog_id;
	}
out:
	if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);
	_exit(rep.err ? 1 : 0);
}

static void probe_xdp_link(struct tp_probe *p, struct tp_feature *f,
			   const struct probe_def *d)
{
	struct xdp_link_report rep = {0};
	int pfd[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(f->detail, sizeof(f->detail), "pipe: %s",
			 strerror(errno));
		return;
	}
	fflush(NULL); /* no buffered output may be written twice */
	pid = fork();
	if (pid < 0) {
		snprintf(f->detail, sizeof(f->detail), "fork: %s",
			 strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		xdp_link_child(pfd[1]);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(rep)) {
		snprintf(f->detail, sizeof(f->detail),
			 "probe child died (status 0x%x)", status);
		return;
	}
	if (rep.err && !strcmp(rep.step, "bpf_link_create") &&
	    rep.err == EINVAL) {
		snprintf(f->detail, sizeof(f->detail),
			 "bpf_link_create(BPF_XDP): not supported "
			 "(needs kernel 5.9)");
		return;
	}
	if (rep.err) {
		/* Not proven either way: say what stopped the probe. */
		snprintf(f->detail, sizeof(f->detail), "not probed: %s: %s",
			 rep.step,
			 rep.err == EPERM && !strncmp(rep.step, "unshare", 7)
				 ? "permission denied (needs CAP_SYS_ADMIN)"
				 : bpf_errstr(rep.err));
		return;
	}
	f->ok = true;
	p->xdp_link_id = rep.link_id;
	p->xdp_prog_id = rep.prog_id;
	snprintf(f->detail, sizeof(f->detail),
		 "bpf_link_create(BPF_XDP) on lo of a private netns");
}

/*
 * Informational: trustpoint needs no module, so this is never missing;
 * it says whether the kernel could load one at all.
 */
static void probe_kmod_free(struct tp_probe *p, struct tp_feature *f,
			    const struct probe_def *d)
{
	f->ok = true;
	snprintf(f->detail, sizeof(f->detail), "no module needed or loaded; %s",
		 access("/proc/modules", F_OK)
			 ? "this kernel has no module support"
			 : "module support present, trustpoint uses none");
}

static const struct probe_def probes[] = {
	{"bpf_syscall", true, NULL, probe_bpf_syscall},
	{"btf", true, NULL, probe_btf},
	{"bpffs", true, NULL, probe_bpffs},
	{"prog_xdp", true, "bpf_syscall", probe_prog_xdp},
	{"helper_ktime_get_boot_ns", true, "prog_xdp", probe_helper,
	 BPF_FUNC_ktime_get_boot_ns, "bpf_ktime_get_boot_ns() in XDP", "5.8"},
	{"xdp_frags", true, "prog_xdp", probe_helper, BPF_FUNC_xdp_get_buff_len,
	 "multi-buffer XDP (bpf_xdp_get_buff_len)", "5.18"},
	{"ringbuf", true, "bpf_syscall", probe_map, BPF_MAP_TYPE_RINGBUF,
	 "BPF_MAP_TYPE_RINGBUF", "5.8"},
	{"lpm_trie", true, "bpf_syscall", probe_map, BPF_MAP_TYPE_LPM_TRIE,
	 "BPF_MAP_TYPE_LPM_TRIE", "4.11"},
	{"percpu_hash", true, "bpf_syscall", probe_map,
	 BPF_MAP_TYPE_PERCPU_HASH, "BPF_MAP_TYPE_PERCPU_HASH", "4.6"},
	{"percpu_array", true, "bpf_syscall", probe_map,
	 BPF_MAP_TYPE_PERCPU_ARRAY, "BPF_MAP_TYPE_PERCPU_ARRAY", "4.6"},
	{"lru_hash", true, "bpf_syscall", probe_map, BPF_MAP_TYPE_LRU_HASH,
	 "BPF_MAP_TYPE_LRU_HASH", "4.10"},
	{"xdp_link", true, "prog_xdp", probe_xdp_link},
	{"kmod_free", false, NULL, probe_kmod_free},
};

_Static_assert(ARRAY_SIZE(probes) <= TP_PROBE_FEAT_MAX,
	       "TP_PROBE_FEAT_MAX too small");

int tp_probe_run(struct tp_probe *p)
{
	const struct tp_feature *need;
	struct tp_feature *f;
	struct utsname u;
	size_t i;
	int missing = 0;

	memset(p, 0, sizeof(*p));
	if (!uname(&u))
		snprintf(p->kernel, sizeof(p->kernel), "%s", u.release);
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		f = &p->feat[p->n++];
		f->name = probes[i].name;
		f->required = probes[i].required;
		need = probes[i].needs ? tp_probe_find(p, probes[i].needs)
				       : NULL;
		if (need && !need->ok)
			snprintf(f->detail, sizeof(f->detail),
				 "not probed: %s is missing", need->name);
		else
			probes[i].run(p, f, &probes[i]);
		missing += f->required && !f->ok;
	}
	return missing;
}

const struct tp_feature *tp_probe_find(const struct tp_probe *p,
				       const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->feat[i].name, name))
			return &p->feat[i];
	return NULL;
}

const char *tp_native_str(enum tp_native n)
{
	switch (n) {
	case TP_NATIVE_YES:
		return "yes";
	case TP_NATIVE_NO:
		return "no";
	default:
		return "unknown";
	}
}

/* One generic-netlink request; cb sees each reply message. */
static int genl_request(struct mnl_socket *nl, struct nlmsghdr *nlh,
			mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static struct nlmsghdr *genl_put(char *buf, __u16 type, __u8 cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

struct genl_attr_want {
	int type;
	enum mnl_attr_data_type dtype;
	const struct nlattr *found;
};

static int genl_attr_cb(const struct nlattr *a, void *data)
{
	struct genl_attr_want *w = data;

	if (mnl_attr_get_type(a) == w->type &&
	    mnl_attr_validate(a, w->dtype) >= 0)
		w->found = a;
	return MNL_CB_OK;
}

struct family_id_ctx {
	__u16 id;
};

static int family_id_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl_attr_want w = {CTRL_ATTR_FAMILY_ID, MNL_TYPE_U16, NULL};
	struct family_id_ctx *ctx = data;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), genl_attr_cb, &w);
	if (w.found)
		ctx->id = mnl_attr_get_u16(w.found);
	return MNL_CB_OK;
}

/* -ENOENT when the kernel has no such family. */
static int genl_family_id(struct mnl_socket *nl, const char *name, __u16 *id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = genl_put(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	struct family_id_ctx ctx = {0};
	int err;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = genl_request(nl, nlh, family_id_cb, &ctx);
	if (err)
		return err;
	if (!ctx.id)
		return -ENOENT;
	*id = ctx.id;
	return 0;
}

struct xdp_features_ctx {
	bool found;
	__u64 features;
};

static int xdp_features_cb(const struct nlmsghdr *nlh, void *data)
{
	struct genl_attr_want w = {TP_NETDEV_A_DEV_XDP_FEATURES, MNL_TYPE_U64,
				   NULL};
	struct xdp_features_ctx *ctx = data;

	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), genl_attr_cb, &w);
	if (w.found) {
		ctx->found = true;
		ctx->features = mnl_attr_get_u64(w.found);
	}
	return MNL_CB_OK;
}

/*
 * NETDEV_XDP_ACT_* of an interface; -ENOENT without the netdev family
 * (kernel < 6.3), -ENODEV for an unknown ifindex.
 */
static int netdev_xdp_features(int ifindex, __u64 *features)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct xdp_features_ctx ctx = {0};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	__u16 family;
	int err;

	nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	err = genl_family_id(nl, TP_NETDEV_FAMILY, &family);
	if (err)
		goto out;
	nlh = genl_put(buf, family, TP_NETDEV_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, TP_NETDEV_A_DEV_IFINDEX, ifindex);
	err = genl_request(nl, nlh, xdp_features_cb, &ctx);
	if (err)
		goto out;
	if (!ctx.found) {
		err = -ENODATA;
		goto out;
	}
	*features = ctx.features;
out:
	mnl_socket_close(nl);
	return err;
}

int tp_probe_iface(int ifindex, struct tp_iface_probe *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	if (ifindex <= 0 || !if_indextoname(ifindex, out->ifname))
		return -ENODEV;
	out->generic = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) == 1;

	err = netdev_xdp_features(ifindex, &out->xdp_features);
	if (err == -ENODEV)
		return err; /* gone between the two look-ups */
	if (err == -ENOENT) {
		out->native = TP_NATIVE_UNKNOWN;
		snprintf(out->detail, sizeof(out->detail),
			 "no netdev netlink family (kernel < 6.3); "
			 "attach mode auto tries native first");
	} else if (err) {
		out->native = TP_NATIVE_UNKNOWN;
		snprintf(out->detail, sizeof(out->detail), "netdev dev-get: %s",
			 strerror(-err));
	} else if (out->xdp_features & TP_NETDEV_XDP_ACT_BASIC) {
		out->native = TP_NATIVE_YES;
		snprintf(out->detail, sizeof(out->detail),
			 "driver XDP (xdp-features 0x%llx)",
			 (unsigned long long)out->xdp_features);
	} else {
		out->native = TP_NATIVE_NO;
		snprintf(out->detail, sizeof(out->detail),
			 "no driver XDP; attach falls back to generic XDP");
	}
	return 0;
}
