// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_cost.c - what the gate costs per packet, next to its peers, with
 * BPF_PROG_TEST_RUN (repeat: the kernel times the program alone, in a loop
 * over one frame, and reports ns per run).
 *
 * At one identity count N it loads, in one process:
 *   gate                trustpoint's gate (gate_load(), identity_max = N),
 *                       N identities, one of them the authorized source;
 *   xdp-filter          xdp-filter's program as its CLI loaded it (deny
 *                       policy, `ip ADDR --mode src` rules; its maps hold
 *                       10000 entries, so only while N fits);
 *   xdp-filter-resized  the same object file, loaded here with its source
 *                       map sized for N (the CLI has no knob for that);
 *   empty               an XDP_PASS program, the floor;
 * and times each on an authorized, an unknown-source and a bootstrap frame,
 * runs interleaved so all peers see the same machine. Every frame's verdict
 * is checked first: a peer that passes what it should drop is no peer.
 *
 * Output: one JSON object per line and figure, and the map memory at N.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/gate.h"
#include "frame.h"
#include "fill.h"

#include "stats.h"

/* The bench frames; the same addresses as the netns lab. */
#define GW_MAC "02:00:00:00:00:01"
#define GW_IP "192.0.2.1"
#define AUTH_MAC "02:00:00:00:00:11"
#define AUTH_IP "192.0.2.11"
#define ROGUE_MAC "02:00:00:00:00:66"
#define ROGUE_IP "192.0.2.66"
#define UPSTREAM_IP "198.51.100.10"
#define HANDSHAKE_PORT 4433

/* xdp-filter's map value flags (xdp-filter/common_kern_user.h). */
#define XDPF_FLAG_SRC 1ULL
#define XDPF_FLAG_DST 2ULL
#define XDPF_FLAG_TCP 4ULL
#define XDPF_MAX_DEFAULT 10000

enum { PKT_AUTH, PKT_UNKNOWN, PKT_BOOTSTRAP, PKT_MAX };
static const char *const pkt_name[PKT_MAX] = {"authorized", "unknown",
					      "bootstrap"};
/* What every program must answer; the gate also names the reason. */
static const int pkt_verdict[PKT_MAX] = {XDP_PASS, XDP_DROP, XDP_PASS};
static const int pkt_reason[PKT_MAX] = {TP_PASS_IDENTITY, TP_DROP_UNKNOWN,
					TP_PASS_BOOTSTRAP};

enum { P_GATE, P_XDPF, P_XDPF_RESIZED, P_EMPTY, P_MAX };
static const char *const prog_name[P_MAX] = {"gate", "xdp-filter",
					     "xdp-filter-resized", "empty"};

#define RUNS_MAX 101

static struct {
	const char *dev, *pin_dir, *bench_obj, *xdpf_obj, *xdpf_pins, *gate_obj;
	__u32 n, repeat;
	int runs, ifindex;
	char cmd[4096];
	__u8 pkt[PKT_MAX][FRAME_MAX];
	int pkt_len[PKT_MAX];
	int prog_fd[P_MAX];
	double ns[P_MAX][PKT_MAX][RUNS_MAX];
} G = {.repeat = 1000000, .runs = 7, .prog_fd = {-1, -1, -1, -1}};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gate_cost --dev IF --pin-dir DIR --identities N --bench-obj FILE\n"
		"                 [--xdpf-obj FILE] [--xdpf-pins DIR] [--repeat R] [--runs K]\n"
		"                 [--gate-obj FILE]\n"
		"  IF         an interface in this netns (the gate keys on ingress_ifindex)\n"
		"  DIR        a fresh bpffs directory, removed again at exit\n"
		"  --xdpf-pins  xdp-filter's pin directory (as its CLI made it, with the\n"
		"               rules `ip " AUTH_IP
		" --mode src` and `port %d --mode dst --proto tcp`)\n"
		"  --gate-obj   time this build of bpf/gate.bpf.c instead of the library's\n"
		"               (A/B of a proposed change; same maps, same pins)\n",
		HANDSHAKE_PORT);
}

static int build_frames(void)
{
	struct frame_spec s[PKT_MAX] = {};
	int fam;

	for (int i = 0; i < PKT_MAX; i++) {
		s[i].len = 60;
		s[i].proto = IPPROTO_UDP;
		s[i].sport = s[i].dport = 9;
		parse_mac(GW_MAC, s[i].dmac);
		parse_addr(UPSTREAM_IP, &fam, s[i].daddr);
		s[i].family = fam;
	}
	parse_mac(AUTH_MAC, s[PKT_AUTH].smac);
	parse_addr(AUTH_IP, &fam, s[PKT_AUTH].saddr);
	parse_mac(ROGUE_MAC, s[PKT_UNKNOWN].smac);
	parse_addr(ROGUE_IP, &fam, s[PKT_UNKNOWN].saddr);
	/* a handshake's first segment: SYN to the gateway's port */
	parse_mac(ROGUE_MAC, s[PKT_BOOTSTRAP].smac);
	parse_addr(ROGUE_IP, &fam, s[PKT_BOOTSTRAP].saddr);
	parse_addr(GW_IP, &fam, s[PKT_BOOTSTRAP].daddr);
	s[PKT_BOOTSTRAP].proto = IPPROTO_TCP;
	s[PKT_BOOTSTRAP].sport = 40000;
	s[PKT_BOOTSTRAP].dport = HANDSHAKE_PORT;
	for (int i = 0; i < PKT_MAX; i++) {
		G.pkt_len[i] = frame_build(&s[i], G.pkt[i]);
		if (G.pkt_len[i] < 0)
			return G.pkt_len[i];
	}
	return 0;
}

/* One BPF_PROG_TEST_RUN; *ns is the kernel's ns per run (whole ns). */
static int run(int prog_fd, int pkt, __u32 repeat, __u32 *retval, double *ns)
{
	struct xdp_md ctx = {.data_end = G.pkt_len[pkt],
			     .ingress_ifindex = G.ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = G.pkt[pkt],
		    .data_size_in = G.pkt_len[pkt], .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*retval = o.retval;
	if (ns)
		*ns = o.duration;
	return 0;
}

static int pin_get(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* --- the gate ---------------------------------------------------------- */

static char gate_dir[PATH_MAX];
static struct gate_bpf *gate_skel;
static struct bpf_object *gate_ab; /* --gate-obj: another build, for A/B */
static struct tp_gate *gate;

/*
 * Load another build of gate.bpf.c the way gate_load() loads the real one
 * (maps pinned by name in dir, tp_identity sized to N): what a proposed
 * change to the gate would cost is measured before anyone makes it.
 */
static int gate_ab_load(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = gate_dir);
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	err = gate_bpffs_prepare(gate_dir);
	if (err)
		return err;
	gate_ab = bpf_object__open_file(G.gate_obj, &oo);
	err = libbpf_get_error(gate_ab);
	if (err) {
		gate_ab = NULL;
		return err;
	}
	map = bpf_object__find_map_by_name(gate_ab, TP_MAP_IDENTITY);
	prog = bpf_object__find_program_by_name(gate_ab, "tp_gate");
	if (!map || !prog)
		return -ENOENT;
	err = bpf_map__set_max_entries(map, G.n);
	err = err ?: bpf_object__load(gate_ab);
	if (err)
		return err;
	G.prog_fd[P_GATE] = bpf_program__fd(prog);
	return 0;
}

static int gate_setup(void)
{
	struct gate_opts o = {.identity_max = G.n};
	struct tp_identity_key k = {.ifindex = G.ifindex, .family = TP_AF_INET};
	struct tp_identity v = {.device_id = 1};
	struct tp_bootstrap_key bk = {.family = TP_AF_INET,
				      .proto = IPPROTO_TCP,
				      .port = HANDSHAKE_PORT};
	int err, fd;

	snprintf(gate_dir, sizeof(gate_dir), "%s/gate", G.pin_dir);
	if (G.gate_obj) {
		err = gate_ab_load();
	} else {
		err = gate_load(gate_dir, &o, &gate_skel);
		if (!err)
			G.prog_fd[P_GATE] = gate_prog_fd(gate_skel);
	}
	if (err)
		return err;
	err = gate_open(gate_dir, &gate);
	if (err)
		return err;
	inet_pton(AF_INET, AUTH_IP, k.addr);
	parse_mac(AUTH_MAC, v.mac);
	v.expires_ns = gate_now_ns() + 3600ULL * 1000000000ULL;
	err = gate_identity_add(gate, &k, &v);
	if (err)
		return err;
	inet_pton(AF_INET, GW_IP, bk.addr);
	err = gate_bootstrap_add(gate, &bk);
	if (err || G.n <= 1)
		return err;
	/*
	 * The authorized one is in; N - 1 more in batches, straight into
	 * the pinned map: one library call each would take minutes at 1M.
	 */
	fd = pin_get(gate_dir, TP_MAP_IDENTITY);
	if (fd < 0)
		return fd;
	err = fill_gate(fd, G.ifindex, G.n - 1);
	close(fd);
	return err;
}

static void gate_teardown(void)
{
	gate_close(gate);
	bpf_object__close(gate_ab);
	if (gate_skel) {
		/* the maps were pinned by name: take the pins with them */
		gate_unload(gate_skel);
		gate_skel = NULL;
	}
	if (gate_dir[0]) {
		static const char *const maps[] = {
			TP_MAP_IDENTITY, TP_MAP_DEV_STATS, TP_MAP_BOOTSTRAP,
			TP_MAP_VERDICTS, TP_MAP_EVSTATS,   TP_MAP_EVENTS,
			TP_MAP_EVLIMIT};
		char path[PATH_MAX + 32];

		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", gate_dir,
				 maps[i]);
			unlink(path);
		}
		rmdir(gate_dir);
	}
}

/* --- xdp-filter, as its CLI loaded it ---------------------------------- */

static int xdpf_ipv4_fd = -1;
/* fillers added here, removed again at exit; the CLI's own rules stay */
static __u32 *xdpf_added, xdpf_nadded;
static __u64 xdpf_src_val = XDPF_FLAG_SRC,
	     xdpf_port_val = XDPF_FLAG_DST | XDPF_FLAG_TCP;

/* The flag word the CLI wrote for a key (CPU 0's copy). */
static int xdpf_read_val(int fd, const void *key, __u64 *val)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v));
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, v))
		err = -errno;
	else
		*val = v[0] & 0xff; /* the hit counter lives above the flags */
	free(v);
	return err;
}

static int xdpf_cli_fill(void);

static int xdpf_cli_setup(void)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), auth, port = htons(HANDSHAKE_PORT);
	char path[PATH_MAX];
	int err, ports_fd;

	if (!G.xdpf_pins)
		return 0;
	xdpf_ipv4_fd = pin_get(G.xdpf_pins, "filter_ipv4");
	ports_fd = pin_get(G.xdpf_pins, "filter_ports");
	if (xdpf_ipv4_fd < 0 || ports_fd < 0) {
		fprintf(stderr,
			"Error: xdp-filter's maps are not pinned in %s\n",
			G.xdpf_pins);
		return -ENOENT;
	}
	/* the rules' encoding is whatever the CLI wrote */
	inet_pton(AF_INET, AUTH_IP, &auth);
	err = xdpf_read_val(xdpf_ipv4_fd, &auth, &xdpf_src_val);
	err = err ?: xdpf_read_val(ports_fd, &port, &xdpf_port_val);
	close(ports_fd);
	if (err) {
		fprintf(stderr,
			"Error: xdp-filter lacks the rules `ip %s --mode src` and `port %d --mode dst --proto tcp`\n",
			AUTH_IP, HANDSHAKE_PORT);
		return err;
	}
	if (bpf_obj_get_info_by_fd(xdpf_ipv4_fd, &info, &len))
		return -errno;
	if (G.n > info.max_entries)
		return 0; /* does not fit: only the resized copy runs at N */
	snprintf(path, sizeof(path), "%s/programs/%s/xdpfilt_dny_all",
		 G.xdpf_pins, G.dev);
	G.prog_fd[P_XDPF] = bpf_obj_get(path);
	if (G.prog_fd[P_XDPF] < 0) {
		fprintf(stderr,
			"Error: no xdp-filter program pinned at %s (policy deny, no dispatcher?)\n",
			path);
		return -errno;
	}
	return xdpf_cli_fill();
}

/*
 * Sources 0..N-2 that the CLI has not added yet (run.sh adds the first
 * 1000 with it); one by one, as the map holds at most 10000.
 */
static int xdpf_cli_fill(void)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v));
	int err = 0;

	xdpf_added = calloc(G.n, sizeof(*xdpf_added));
	if (!v || !xdpf_added) {
		free(v);
		return -ENOMEM;
	}
	for (__u32 i = 0; i + 1 < G.n && !err; i++) {
		__u32 k = filler_addr(i);

		if (!bpf_map_lookup_elem(xdpf_ipv4_fd, &k, v))
			continue; /* the CLI's */
		for (int c = 0; c < ncpu; c++)
			v[c] = xdpf_src_val;
		if (bpf_map_update_elem(xdpf_ipv4_fd, &k, v, BPF_NOEXIST))
			err = -errno;
		else
			xdpf_added[xdpf_nadded++] = k;
	}
	free(v);
	return err;
}

static void xdpf_cli_teardown(void)
{
	if (xdpf_ipv4_fd < 0)
		return;
	for (__u32 i = 0; i < xdpf_nadded; i++)
		bpf_map_delete_elem(xdpf_ipv4_fd, &xdpf_added[i]);
	free(xdpf_added);
	close(xdpf_ipv4_fd);
	if (G.prog_fd[P_XDPF] >= 0)
		close(G.prog_fd[P_XDPF]);
}

/* --- xdp-filter's object, loaded here with its maps resized ------------ */

static char xdpf_dir[PATH_MAX];
static struct bpf_object *xdpf_obj;

static int xdpf_obj_setup(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = xdpf_dir);
	__u32 auth, port = htons(HANDSHAKE_PORT), max;
	struct bpf_program *prog;
	struct bpf_map *ipv4;
	int ncpu = libbpf_num_possible_cpus(), err, fd;
	__u64 *v;

	if (!G.xdpf_obj)
		return 0;
	snprintf(xdpf_dir, sizeof(xdpf_dir), "%s/xdpf-obj", G.pin_dir);
	if (mkdir(xdpf_dir, 0700) && errno != EEXIST)
		return -errno;
	xdpf_obj = bpf_object__open_file(G.xdpf_obj, &oo);
	err = libbpf_get_error(xdpf_obj);
	if (err) {
		xdpf_obj = NULL;
		return err;
	}
	ipv4 = bpf_object__find_map_by_name(xdpf_obj, "filter_ipv4");
	prog = bpf_object__find_program_by_name(xdpf_obj, "xdpfilt_dny_all");
	if (!ipv4 || !prog)
		return -ENOENT;
	/* as shipped below 10000 (then it is the CLI's twin), else N */
	max = G.n > XDPF_MAX_DEFAULT ? G.n : XDPF_MAX_DEFAULT;
	err = bpf_map__set_max_entries(ipv4, max);
	err = err ?: bpf_object__load(xdpf_obj);
	if (err)
		return err;
	G.prog_fd[P_XDPF_RESIZED] = bpf_program__fd(prog);

	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < ncpu; i++)
		v[i] = xdpf_src_val;
	inet_pton(AF_INET, AUTH_IP, &auth);
	fd = bpf_map__fd(ipv4);
	err = bpf_map_update_elem(fd, &auth, v, BPF_ANY) ? -errno : 0;
	for (int i = 0; i < ncpu; i++)
		v[i] = xdpf_port_val;
	if (!err && bpf_map_update_elem(bpf_object__find_map_fd_by_name(
						xdpf_obj, "filter_ports"),
					&port, v, BPF_ANY))
		err = -errno;
	free(v);
	if (err || G.n <= 1)
		return err;
	return fill_xdpf(fd, G.n - 1, xdpf_src_val);
}

static void xdpf_obj_teardown(void)
{
	if (xdpf_obj) {
		bpf_object__unpin_maps(xdpf_obj, NULL);
		bpf_object__close(xdpf_obj);
	}
	if (xdpf_dir[0])
		rmdir(xdpf_dir);
}

/* --- the floor --------------------------------------------------------- */

static struct bpf_object *bench_obj;

static int empty_setup(void)
{
	struct bpf_program *prog;
	int err;

	bench_obj = bpf_object__open_file(G.bench_obj, NULL);
	err = libbpf_get_error(bench_obj);
	if (err) {
		bench_obj = NULL;
		return err;
	}
	/* only the XDP_PASS program is needed here */
	for (prog = bpf_object__next_program(bench_obj, NULL); prog;
	     prog = bpf_object__next_program(bench_obj, prog)) {
		bool pass = !strcmp(bpf_program__name(prog), "bench_pass");

		bpf_program__set_autoload(prog, pass);
	}
	err = bpf_object__load(bench_obj);
	if (err)
		return err;
	prog = bpf_object__find_program_by_name(bench_obj, "bench_pass");
	G.prog_fd[P_EMPTY] = prog ? bpf_program__fd(prog) : -ENOENT;
	return prog ? 0 : -ENOENT;
}

/* --- measuring --------------------------------------------------------- */

static int verify(void)
{
	for (int p = 0; p < P_MAX; p++) {
		for (int k = 0; G.prog_fd[p] >= 0 && k < PKT_MAX; k++) {
			struct tp_counter before[TP_REASON_MAX],
				after[TP_REASON_MAX];
			int want = p == P_EMPTY ? XDP_PASS : pkt_verdict[k];
			__u32 ret;
			int err;

			if (p == P_GATE && gate_verdicts(gate, before))
				return -EIO;
			err = run(G.prog_fd[p], k, 1, &ret, NULL);
			if (err)
				return err;
			if ((int)ret != want) {
				fprintf(stderr,
					"Error: %s answers %u to the %s frame, not %d\n",
					prog_name[p], ret, pkt_name[k], want);
				return -EPROTO;
			}
			if (p != P_GATE)
				continue;
			if (gate_verdicts(gate, after))
				return -EIO;
			if (after[pkt_reason[k]].packets !=
			    before[pkt_reason[k]].packets + 1) {
				fprintf(stderr,
					"Error: the gate did not count the %s frame as %s\n",
					pkt_name[k],
					gate_reason_name(pkt_reason[k]));
				return -EPROTO;
			}
		}
	}
	return 0;
}

/* Runs interleaved: a burst of noise hits every peer alike. */
static int measure(void)
{
	for (int r = 0; r < G.runs; r++) {
		for (int p = 0; p < P_MAX; p++) {
			for (int k = 0; G.prog_fd[p] >= 0 && k < PKT_MAX; k++) {
				__u32 ret;
				int err = run(G.prog_fd[p], k, G.repeat, &ret,
					      &G.ns[p][k][r]);

				if (err)
					return err;
			}
		}
	}
	return 0;
}

struct stat3 {
	double median, min, max;
};

static struct stat3 stats(const double *v, int n)
{
	double s[RUNS_MAX];
	struct stat3 r;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static void print_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void report_cost(void)
{
	for (int p = 0; p < P_MAX; p++) {
		for (int k = 0; G.prog_fd[p] >= 0 && k < PKT_MAX; k++) {
			struct stat3 s = stats(G.ns[p][k], G.runs);
			int peer = -1;

			/* the CLI's xdp-filter where it fits N, else the
			 * resized */
			if (p == P_GATE && G.prog_fd[P_XDPF] >= 0)
				peer = P_XDPF;
			else if (p == P_GATE && G.prog_fd[P_XDPF_RESIZED] >= 0)
				peer = P_XDPF_RESIZED;
			else if (p == P_GATE)
				peer = P_EMPTY;
			printf("{\"name\":\"gate_cost/%s/%s/%u\",\"unit\":\"ns/pkt\","
			       "\"median\":%.1f,\"min\":%.1f,\"max\":%.1f,\"runs\":%d,"
			       "\"repeat\":%u,\"identities\":%u,\"program\":\"%s\","
			       "\"packet\":\"%s\",",
			       prog_name[p], pkt_name[k], G.n, s.median, s.min,
			       s.max, G.runs, G.repeat, G.n, prog_name[p],
			       pkt_name[k]);
			if (peer >= 0) {
				double peer_ns =
					stats(G.ns[peer][k], G.runs).median;
				bool first = true;

				printf("\"peer\":\"%s\",\"ratio\":%.3f,\"ratios\":{",
				       prog_name[peer], s.median / peer_ns);
				for (int q = P_XDPF; q < P_MAX; q++) {
					double q_ns;

					if (G.prog_fd[q] < 0)
						continue;
					q_ns = stats(G.ns[q][k], G.runs).median;
					printf("%s\"%s\":%.3f",
					       first ? "" : ",", prog_name[q],
					       s.median / q_ns);
					first = false;
				}
				printf("},");
			} else {
				printf("\"peer\":null,\"ratio\":null,");
			}
			printf("\"command\":");
			print_json_str(G.cmd);
			printf("}\n");
		}
	}
}

/* Memory of pinned maps: one by name, or every map pinned in dir. */
static int dir_memlock(const char *dir, const char *only, __u64 *sum)
{
	static const char *const gate_maps[] = {
		TP_MAP_IDENTITY, TP_MAP_DEV_STATS, TP_MAP_BOOTSTRAP,
		TP_MAP_VERDICTS, TP_MAP_EVSTATS,   TP_MAP_EVENTS,
		TP_MAP_EVLIMIT};
	static const char *const xdpf_maps[] = {
		"filter_ipv4", "filter_ipv6", "filter_ethernet", "filter_ports",
		"xdp_stats_map"};
	bool is_gate = !strcmp(dir, gate_dir);
	const char *const *names = is_gate ? gate_maps : xdpf_maps;
	size_t n = is_gate ? 7 : 5;

	*sum = 0;
	for (size_t i = 0; i < n; i++) {
		__u64 b = 0;
		int fd, err;

		if (only && strcmp(only, names[i]))
			continue;
		fd = pin_get(dir, names[i]);
		if (fd < 0)
			return fd;
		err = map_memlock(fd, &b);
		close(fd);
		if (err)
			return err;
		*sum += b;
	}
	return 0;
}

static void report_memory(void)
{
	static const struct {
		const char *what, *gate_map, *xdpf_map;
	} rows[] = {
		{"identity_map", TP_MAP_IDENTITY, "filter_ipv4"},
		{"all_maps", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		__u64 g, x = 0;
		bool have_x = xdpf_obj &&
			      !dir_memlock(xdpf_dir, rows[i].xdpf_map, &x);

		if (dir_memlock(gate_dir, rows[i].gate_map, &g))
			continue;
		printf("{\"name\":\"map_memory/gate/%s/%u\",\"unit\":\"bytes\","
		       "\"median\":%llu,\"min\":%llu,\"max\":%llu,\"runs\":1,"
		       "\"identities\":%u,\"bytes_per_identity\":%.1f,",
		       rows[i].what, G.n, (unsigned long long)g,
		       (unsigned long long)g, (unsigned long long)g, G.n,
		       (double)g / G.n);
		if (have_x)
			printf("\"peer\":\"xdp-filter-resized\",\"peer_bytes\":%llu,"
			       "\"ratio\":%.3f,",
			       (unsigned long long)x, (double)g / x);
		else
			printf("\"peer\":null,\"ratio\":null,");
		printf("\"command\":\"fdinfo memlock of the pinned maps (");
		printf("%s",
		       rows[i].gate_map ? rows[i].gate_map : "all tp_* maps");
		printf(" vs %s)\"}\n", rows[i].xdpf_map
					       ? rows[i].xdpf_map
					       : "all xdp-filter maps");
	}
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {{"dev", 1, 0, 'i'},
					     {"pin-dir", 1, 0, 'd'},
					     {"identities", 1, 0, 'n'},
					     {"bench-obj", 1, 0, 'b'},
					     {"xdpf-obj", 1, 0, 'x'},
					     {"xdpf-pins", 1, 0, 'X'},
					     {"repeat", 1, 0, 'r'},
					     {"runs", 1, 0, 'k'},
					     {"gate-obj", 1, 0, 'g'},
					     {"help", 0, 0, 'h'},
					     {0}};
	size_t off = 0;
	int c;

	for (int i = 0; i < argc && off < sizeof(G.cmd) - 1; i++)
		off += snprintf(G.cmd + off, sizeof(G.cmd) - off, "%s%s",
				i ? " " : "", argv[i]);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			G.dev = optarg;
			break;
		case 'd':
			G.pin_dir = optarg;
			break;
		case 'n':
			G.n = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			G.bench_obj = optarg;
			break;
		case 'x':
			G.xdpf_obj = optarg;
			break;
		case 'X':
			G.xdpf_pins = optarg;
			break;
		case 'r':
			G.repeat = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			G.runs = atoi(optarg);
			break;
		case 'g':
			G.gate_obj = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!G.dev || !G.pin_dir || !G.bench_obj || G.n < 1 || G.repeat < 1 ||
	    G.runs < 1 || G.runs > RUNS_MAX) {
		usage(stderr);
		return -EINVAL;
	}
	G.ifindex = if_nametoindex(G.dev);
	if (!G.ifindex) {
		fprintf(stderr, "Error: no device %s in this netns\n", G.dev);
		return -ENODEV;
	}
	return 0;
}

/* xdp-filter's object has sections only libxdp reads: not worth a word */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG || strstr(fmt, "skipping unrecognized"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	int err;

	if (parse_args(argc, argv))
		return 2;
	libbpf_set_print(libbpf_print);
	err = build_frames();
	err = err ?: gate_bpffs_prepare(G.pin_dir);
	err = err ?: empty_setup();
	err = err ?: gate_setup();
	err = err ?: xdpf_cli_setup();
	err = err ?: xdpf_obj_setup();
	err = err ?: verify();
	err = err ?: measure();
	if (!err) {
		report_cost();
		report_memory();
	}
	xdpf_obj_teardown();
	xdpf_cli_teardown();
	gate_teardown();
	bpf_object__close(bench_obj);
	rmdir(G.pin_dir); /* when empty: the caller may own more in it */
	if (err) {
		fprintf(stderr, "Error: gate_cost at %u identities: %s\n", G.n,
			strerror(-err));
		return 1;
	}
	return 0;
}
