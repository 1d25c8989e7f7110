// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_probe.c - the kmod-free feature probe: the library finds every
 * required feature on this machine and leaves nothing behind, the
 * interface probe tells native XDP (veth) from none (lo), and `tpctl
 * probe` prints and exits accordingly.
 */
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "cmd.h"
#include "kmod-free/probe.h"
#include "test_progs.h"

/* What tp_probe_run() must report, all required. */
static const char *const required_features[] = {
	"bpf_syscall",
	"btf",
	"bpffs",
	"prog_xdp",
	"helper_ktime_get_boot_ns",
	"ringbuf",
	"lpm_trie",
	"percpu_hash",
	"percpu_array",
	"lru_hash",
	"xdp_link",
};
#define N_REQUIRED \
	(int)(sizeof(required_features) / sizeof(required_features[0]))

static void subtest_features(void)
{
	const struct tp_feature *f;
	struct tp_probe p;
	int i;

	ASSERT_EQ(tp_probe_run(&p), 0, "missing required features");
	ASSERT_GT(strlen(p.kernel), 0, "kernel release");
	for (i = 0; i < N_REQUIRED; i++) {
		f = tp_probe_find(&p, required_features[i]);
		if (!ASSERT_OK_PTR(f, required_features[i]))
			continue;
		if (!ASSERT_TRUE(f->ok && f->required, f->name))
			fprintf(stderr, "    %s: %s\n", f->name, f->detail);
	}
	f = tp_probe_find(&p, "kmod_free");
	if (ASSERT_OK_PTR(f, "kmod_free"))
		ASSERT_TRUE(f->ok && !f->required, "kmod_free informational");
	ASSERT_EQ(tp_probe_find(&p, "no_such_feature") == NULL, 1,
		  "find unknown feature");
}

/* Wait up to ~2 s for an object id to disappear; true when it did. */
static bool id_gone(int (*get_fd)(__u32), __u32 id)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int i, fd;

	for (i = 0; i < 100; i++) {
		fd = get_fd(id);
		if (fd < 0 && errno == ENOENT)
			return true;
		if (fd >= 0)
			close(fd);
		nanosleep(&ts, NULL);
	}
	return false;
}

static int link_fd_by_id(__u32 id)
{
	return bpf_link_get_fd_by_id(id);
}

static int prog_fd_by_id(__u32 id)
{
	return bpf_prog_get_fd_by_id(id);
}

static void subtest_xdp_link_cleanup(void)
{
	struct cmd_result before = {0}, after = {0};
	struct tp_probe p;

	cmd_run(&before, 10, "ip netns list");
	tp_probe_run(&p);
	cmd_run(&after, 10, "ip netns list");

	if (ASSERT_GT(p.xdp_link_id, 0, "xdp_link id reported") &&
	    ASSERT_GT(p.xdp_prog_id, 0, "xdp prog id reported")) {
		ASSERT_TRUE(id_gone(link_fd_by_id, p.xdp_link_id),
			    "xdp_link probe link gone");
		ASSERT_TRUE(id_gone(prog_fd_by_id, p.xdp_prog_id),
			    "xdp_link probe prog gone");
	}
	/* The probe's child is reaped: no zombie holds its netns. */
	errno = 0;
	ASSERT_EQ(waitpid(-1, NULL, WNOHANG), -1, "no child left");
	ASSERT_EQ(errno, ECHILD, "no child left errno");
	ASSERT_STREQ(after.out, before.out, "named netns unchanged");
	cmd_free(&before);
	cmd_free(&after);
}

/* Probe IF in the named netns, then come back to ours. */
static int probe_in_netns(const char *ns, const char *ifname,
			  struct tp_iface_probe *out)
{
	char path[128];
	int self, nsfd, ifindex, err;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	ifindex = if_nametoindex(ifname);
	err = ifindex ? tp_probe_iface(ifindex, out) : -ENODEV;
	if (setns(self, CLONE_NEWNET)) {
		/* Stuck in the test netns: nothing after this is sound. */
		fprintf(stderr, "setns back: %s\n", strerror(errno));
		exit(1);
	}
out:
	if (self >= 0)
		close(self);
	if (nsfd >= 0)
		close(nsfd);
	return err;
}

static void subtest_iface(void)
{
	struct tp_iface_probe ip;
	struct cmd_result r = {0};
	json_object *root = NULL, *ifs, *o, *v;
	char ns[64];

	test__name(ns, sizeof(ns), "tpprobe");
	SYS(out, "ip netns add %s", ns);
	SYS(out, "ip -n %s link add name tpp0 type veth peer name tpp1", ns);

	if (ASSERT_OK(probe_in_netns(ns, "tpp0", &ip), "probe veth")) {
		ASSERT_STREQ(ip.ifname, "tpp0", "veth ifname");
		ASSERT_EQ(ip.native, TP_NATIVE_YES, "veth native");
		ASSERT_TRUE(ip.generic, "veth generic");
	}
	if (ASSERT_OK(probe_in_netns(ns, "lo", &ip), "probe lo")) {
		ASSERT_NEQ(ip.native, TP_NATIVE_YES, "lo native");
		ASSERT_TRUE(ip.generic, "lo generic");
	}
	ASSERT_EQ(tp_probe_iface(0x7ffffff0, &ip), -ENODEV, "unknown ifindex");

	/* The same through tpctl, inside the netns. */
	ASSERT_EQ(tpctl(&r, ns, "-j probe dev tpp0 dev lo"), 0, "tpctl dev");
	root = json_tokener_parse(r.out);
	if (!ASSERT_OK_PTR(root, "tpctl dev json") ||
	    !ASSERT_TRUE(json_object_object_get_ex(root, "interfaces", &ifs) &&
				 json_object_is_type(ifs, json_type_array) &&
				 json_object_array_length(ifs) == 2,
			 "two interfaces"))
		goto out;
	o = json_object_array_get_idx(ifs, 0);
	ASSERT_TRUE(json_object_object_get_ex(o, "ifname", &v) &&
			    !strcmp(json_object_get_string(v), "tpp0"),
		    "json ifname");
	ASSERT_TRUE(json_object_object_get_ex(o, "native", &v) &&
			    !strcmp(json_object_get_string(v), "yes"),
		    "json veth native yes");
	ASSERT_TRUE(json_object_object_get_ex(o, "generic", &v) &&
			    json_object_get_boolean(v),
		    "json veth generic");
	o = json_object_array_get_idx(ifs, 1);
	ASSERT_TRUE(json_object_object_get_ex(o, "native", &v) &&
			    strcmp(json_object_get_string(v), "yes"),
		    "json lo native not yes");
out:
	json_object_put(root);
	cmd_free(&r);
	SYS_NOFAIL("ip netns del %s 2>/dev/null", ns);
}

static void subtest_cli(void)
{
	json_object *root = NULL, *feats, *missing, *v, *f;
	struct cmd_result r = {0};
	size_t i, n;

	ASSERT_EQ(tpctl(&r, NULL, "probe"), 0, "tpctl probe");
	ASSERT_HAS_SUBSTR(r.out, "xdp_link: ok", "text xdp_link");
	ASSERT_HAS_SUBSTR(r.out, "missing: none", "text missing line");
	cmd_free(&r);

	ASSERT_EQ(tpctl(&r, NULL, "-j probe"), 0, "tpctl -j probe");
	root = json_tokener_parse(r.out);
	if (!ASSERT_OK_PTR(root, "json parses"))
		goto out;
	ASSERT_TRUE(json_object_object_get_ex(root, "kernel", &v) &&
			    json_object_get_string_len(v) > 0,
		    "json kernel");
	ASSERT_TRUE(json_object_object_get_ex(root, "missing", &missing) &&
			    json_object_is_type(missing, json_type_array) &&
			    json_object_array_length(missing) == 0,
		    "json missing empty");
	if (!ASSERT_TRUE(json_object_object_get_ex(root, "features", &feats) &&
				 json_object_is_type(feats, json_type_array),
			 "json features"))
		goto out;
	n = json_object_array_length(feats);
	ASSERT_GE(n, N_REQUIRED, "json feature count");
	for (i = 0; i < n; i++) {
		const char *name = "?";

		f = json_object_array_get_idx(feats, i);
		if (json_object_object_get_ex(f, "name", &v))
			name = json_object_get_string(v);
		ASSERT_TRUE(json_object_object_get_ex(f, "ok", &v) &&
				    json_object_is_type(v, json_type_boolean) &&
				    json_object_get_boolean(v),
			    name);
		ASSERT_TRUE(json_object_object_get_ex(f, "required", &v) &&
				    json_object_is_type(v, json_type_boolean),
			    "json required");
		ASSERT_TRUE(json_object_object_get_ex(f, "detail", &v) &&
				    json_object_get_string_len(v) > 0,
			    "json detail");
	}
out:
	json_object_put(root);
	cmd_free(&r);
}

static void subtest_cli_errors(void)
{
	struct cmd_result r = {0};

	ASSERT_NEQ(tpctl(&r, NULL, "probe dev nosuchif-%s", env.suffix), 0,
		   "unknown dev status");
	ASSERT_HAS_SUBSTR(r.err, "Error:", "unknown dev error");
	ASSERT_HAS_SUBSTR(r.err, "nosuchif", "error names the interface");
	cmd_free(&r);

	ASSERT_NEQ(tpctl(&r, NULL, "probe bogus"), 0, "bad argument status");
	ASSERT_HAS_SUBSTR(r.err, "Error:", "bad argument error");
	cmd_free(&r);

	ASSERT_NEQ(tpctl(&r, NULL, "probe dev"), 0, "dev without IF status");
	ASSERT_HAS_SUBSTR(r.err, "Error:", "dev without IF error");
	cmd_free(&r);

	ASSERT_EQ(tpctl(&r, NULL, "probe help"), 0, "help status");
	ASSERT_HAS_SUBSTR(r.err, "Usage: tpctl probe", "help text");
	cmd_free(&r);
}

void test_probe(void)
{
	if (test__start_subtest("features"))
		subtest_features();
	if (test__start_subtest("xdp_link_cleanup"))
		subtest_xdp_link_cleanup();
	if (test__start_subtest("iface"))
		subtest_iface();
	if (test__start_subtest("cli"))
		subtest_cli();
	if (test__start_subtest("cli_errors"))
		subtest_cli_errors();
}
