// SPDX-License-Identifier: GPL-2.0-only
/*
 * trafficgen.c - trustpoint's traffic generator for the veth benchmarks.
 *
 * BPF_PROG_RUN in live-frame mode (BPF_F_TEST_XDP_LIVE_FRAMES) runs an
 * XDP_TX program over copies of one frame "received" on the sending veth;
 * each XDP_TX goes out to the peer end, millions of frames a second with
 * no NIC and no packet socket. (Debian's xdp-trafficgen does not load on
 * this kernel, hence our own.)
 *
 * The rate that counts is the receiver's: a sampler thread moves into the
 * receiving namespace and reads the receiver's counters twice, a fixed
 * interval apart, while the generator keeps pushing. Frames the receiver
 * cannot keep up with are dropped at the veth ring and never counted.
 *
 * Output: one JSON object on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frame.h"

struct sample {
	__u64 t_ns;
	__u64 val;
	int err;
};

static struct {
	const char *dev, *obj;
	struct frame_spec fs;
	double seconds, warmup;
	int cpu;
	__u32 batch;
	const char *rx_netns, *rx_dev, *rx_map, *rx_cmd;
	int rx_thread;		/* the receiver's threaded-NAPI kthread, or 0 */
	__u64 cpu0_ns, cpu1_ns; /* its run time at the two samples */
	__u32 rx_map_key;
	atomic_int stop;
	struct sample s0[3], s1[3]; /* rx_packets, map, cmd */
	int sampler_err;
	pthread_t generator;
} G = {
	.seconds = 2,
	.warmup = 0.5,
	.cpu = -1,
	.batch = 64,
	.fs = {.family = AF_INET,
	       .proto = IPPROTO_UDP,
	       .sport = 9,
	       .dport = 9,
	       .len = 60},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: trafficgen --obj FILE --dev IF --smac MAC --dmac MAC --src ADDR --dst ADDR\n"
		"                  [--proto udp|tcp] [--sport N] [--dport N] [--len BYTES]\n"
		"                  [--seconds S] [--warmup S] [--cpu N] [--batch N]\n"
		"                  [--rx-netns PATH] [--rx-dev IF]\n"
		"                  [--rx-map PINNED_PERCPU_ARRAY:KEY] [--rx-cmd CMD]\n"
		"                  [--rx-thread PID]\n"
		"Sends from IF (current netns) and samples the receiver's counters: rx\n"
		"packets of --rx-dev, the first u64 of --rx-map[KEY] summed over CPUs,\n"
		"and the number --rx-cmd prints, all in --rx-netns, S seconds apart.\n"
		"With --rx-thread (the receiver's threaded-NAPI kthread), each rate is\n"
		"also given per second of that thread's CPU time.\n");
}

/* rx_packets of one interface in the calling thread's netns (32-bit wraps). */
static int rx_packets(const char *dev, __u64 *val)
{
	struct ifaddrs *ifa, *p;
	int err = -ENODEV;

	if (getifaddrs(&ifa))
		return -errno;
	for (p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_PACKET ||
		    strcmp(p->ifa_name, dev) || !p->ifa_data)
			continue;
		*val = ((struct rtnl_link_stats *)p->ifa_data)->rx_packets;
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

/* Sum over CPUs of the first u64 of a per-CPU array's value. */
static int map_counter(int fd, __u32 key, __u64 *val)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ncpu = libbpf_num_possible_cpus();
	size_t vsz;
	__u8 *buf;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	vsz = (info.value_size + 7) & ~7U;
	buf = calloc(ncpu, vsz);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf)) {
		err = -errno;
	} else {
		*val = 0;
		for (int i = 0; i < ncpu; i++)
			*val += *(__u64 *)(buf + i * vsz);
	}
	free(buf);
	return err;
}

static int cmd_counter(const char *cmd, __u64 *val)
{
	FILE *f = popen(cmd, "r");
	unsigned long long v;
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%llu", &v);
	if (pclose(f) != 0 || n != 1)
		return -EIO;
	*val = v;
	return 0;
}

/* Run time of a task in ns: the first field of /proc/PID/schedstat. */
static __u64 task_cpu_ns(int pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

/* Every counter with the time it was read at (the middle of the read). */
static void take(struct sample s[3], int map_fd, __u64 *cpu_ns)
{
	__u64 t = now_ns();

	if (G.rx_thread)
		*cpu_ns = task_cpu_ns(G.rx_thread);
	s[0].err = G.rx_dev ? rx_packets(G.rx_dev, &s[0].val) : -ENOENT;
	s[0].t_ns = (t + now_ns()) / 2;
	t = now_ns();
	s[1].err = map_fd >= 0 ? map_counter(map_fd, G.rx_map_key, &s[1].val)
			       : -ENOENT;
	s[1].t_ns = (t + now_ns()) / 2;
	t = now_ns();
	s[2].err = G.rx_cmd ? cmd_counter(G.rx_cmd, &s[2].val) : -ENOENT;
	s[2].t_ns = (t + now_ns()) / 2;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void on_signal(int sig)
{
	(void)sig; /* only there to interrupt the running BPF_PROG_RUN */
}

/* BPF_PROG_RUN's loop ends with EINTR when a signal is pending. */
static void stop_generator(void)
{
	atomic_store(&G.stop, 1);
	pthread_kill(G.generator, SIGUSR1);
}

static void *sampler(void *arg)
{
	int map_fd = -1;

	(void)arg;
	if (G.rx_netns) {
		int fd = open(G.rx_netns, O_RDONLY | O_CLOEXEC);

		/* setns moves only this thread: the generator stays put */
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			G.sampler_err = -errno;
			if (fd >= 0)
				close(fd);
			stop_generator();
			return NULL;
		}
		close(fd);
	}
	if (G.rx_map) {
		map_fd = bpf_obj_get(G.rx_map);
		if (map_fd < 0) {
			G.sampler_err = -errno;
			stop_generator();
			return NULL;
		}
	}
	sleep_s(G.warmup);
	take(G.s0, map_fd, &G.cpu0_ns);
	sleep_s(G.seconds);
	take(G.s1, map_fd, &G.cpu1_ns);
	stop_generator();
	if (map_fd >= 0)
		close(map_fd);
	return NULL;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void print_rate(const char *name, int i, bool *first)
{
	double dt = (G.s1[i].t_ns - G.s0[i].t_ns) / 1e9;
	__u64 d = G.s1[i].val - G.s0[i].val;

	if (G.s0[i].err || G.s1[i].err)
		return;
	if (i == 0) /* rtnl_link_stats is 32 bits wide */
		d = (__u32)(G.s1[i].val - G.s0[i].val);
	printf("%s\"%s\":{\"delta\":%llu,\"seconds\":%.6f,\"pps\":%.0f",
	       *first ? "" : ",", name, (unsigned long long)d, dt, d / dt);
	/* frames per second of receiver CPU: what contention cannot blur */
	if (G.rx_thread && G.cpu1_ns > G.cpu0_ns)
		printf(",\"cpu_seconds\":%.6f,\"pps_per_cpu\":%.0f",
		       (G.cpu1_ns - G.cpu0_ns) / 1e9,
		       d / ((G.cpu1_ns - G.cpu0_ns) / 1e9));
	printf("}");
	*first = false;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {{"obj", 1, 0, 'o'},
					     {"dev", 1, 0, 'i'},
					     {"smac", 1, 0, 'S'},
					     {"dmac", 1, 0, 'D'},
					     {"src", 1, 0, 's'},
					     {"dst", 1, 0, 'd'},
					     {"proto", 1, 0, 'p'},
					     {"sport", 1, 0, 'P'},
					     {"dport", 1, 0, 'Q'},
					     {"len", 1, 0, 'l'},
					     {"seconds", 1, 0, 't'},
					     {"warmup", 1, 0, 'w'},
					     {"cpu", 1, 0, 'c'},
					     {"batch", 1, 0, 'b'},
					     {"rx-netns", 1, 0, 'N'},
					     {"rx-dev", 1, 0, 'R'},
					     {"rx-map", 1, 0, 'M'},
					     {"rx-thread", 1, 0, 'T'},
					     {"rx-cmd", 1, 0, 'X'},
					     {"help", 0, 0, 'h'},
					     {0}};
	int c, fam_s = 0, fam_d = 0;
	char *colon;

	while ((c = getopt_long(argc, argv, "o:i:t:w:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			G.obj = optarg;
			break;
		case 'i':
			G.dev = optarg;
			break;
		case 'S':
			if (parse_mac(optarg, G.fs.smac))
				goto bad;
			break;
		case 'D':
			if (parse_mac(optarg, G.fs.dmac))
				goto bad;
			break;
		case 's':
			if (parse_addr(optarg, &fam_s, G.fs.saddr))
				goto bad;
			break;
		case 'd':
			if (parse_addr(optarg, &fam_d, G.fs.daddr))
				goto bad;
			break;
		case 'p':
			if (!strcmp(optarg, "udp"))
				G.fs.proto = IPPROTO_UDP;
			else if (!strcmp(optarg, "tcp"))
				G.fs.proto = IPPROTO_TCP;
			else
				goto bad;
			break;
		case 'P':
			G.fs.sport = atoi(optarg);
			break;
		case 'Q':
			G.fs.dport = atoi(optarg);
			break;
		case 'l':
			G.fs.len = atoi(optarg);
			break;
		case 't':
			G.seconds = atof(optarg);
			break;
		case 'w':
			G.warmup = atof(optarg);
			break;
		case 'c':
			G.cpu = atoi(optarg);
			break;
		case 'b':
			G.batch = atoi(optarg);
			break;
		case 'N':
			G.rx_netns = optarg;
			break;
		case 'R':
			G.rx_dev = optarg;
			break;
		case 'M':
			colon = strrchr(optarg, ':');
			if (!colon)
				goto bad;
			*colon = 0;
			G.rx_map = optarg;
			G.rx_map_key = atoi(colon + 1);
			break;
		case 'X':
			G.rx_cmd = optarg;
			break;
		case 'T':
			G.rx_thread = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!G.obj || !G.dev || !fam_s || fam_s != fam_d || G.seconds <= 0 ||
	    G.warmup < 0) {
		usage(stderr);
		return -EINVAL;
	}
	G.fs.family = fam_s;
	return 0;
bad:
	fprintf(stderr, "Error: bad value: %s\n", optarg);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	__u8 frame[FRAME_MAX];
	struct xdp_md ctx = {};
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	unsigned int calls = 0;
	__u64 t0, t1;
	pthread_t th;
	bool first = false;
	int len, err, ifindex, prog_fd;

	if (parse_args(argc, argv))
		return 2;
	len = frame_build(&G.fs, frame);
	ifindex = if_nametoindex(G.dev);
	if (len < 0 || !ifindex) {
		fprintf(stderr, "Error: %s\n",
			len < 0 ? "cannot build the frame" : "no such device");
		return 1;
	}
	if (G.cpu >= 0 && pin_cpu(G.cpu)) {
		fprintf(stderr, "Error: cannot pin to CPU %d\n", G.cpu);
		return 1;
	}
	obj = bpf_object__open_file(G.obj, NULL);
	err = libbpf_get_error(obj);
	if (err) {
		obj = NULL;
		goto out;
	}
	err = bpf_object__load(obj);
	if (err)
		goto out;
	prog = bpf_object__find_program_by_name(obj, "bench_tx");
	if (!prog) {
		err = -ENOENT;
		goto out;
	}
	prog_fd = bpf_program__fd(prog);
	/* the frame "arrives" on dev, so XDP_TX sends it out of dev */
	ctx.ingress_ifindex = ifindex;
	ctx.data_end = len;

	{
		struct sigaction sa = {.sa_handler =
					       on_signal}; /* no SA_RESTART */

		sigaction(SIGUSR1, &sa, NULL);
	}
	G.generator = pthread_self();
	err = pthread_create(&th, NULL, sampler, NULL);
	if (err) {
		err = -err;
		goto out;
	}
	t0 = now_ns();
	while (!atomic_load(&G.stop)) {
		/*
		 * One call runs until the sampler's signal: every call
		 * swaps the program in and out of the XDP dispatcher, each
		 * time waiting for an RCU grace period, and those gaps
		 * would show up as idle time in the measured interval.
		 */
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1U << 31,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = G.batch);

		calls++;
		if (bpf_prog_test_run_opts(prog_fd, &o) && errno != EINTR) {
			err = -errno;
			atomic_store(&G.stop, 1);
			break;
		}
	}
	t1 = now_ns();
	pthread_join(th, NULL);
	if (!err)
		err = G.sampler_err;
	if (err)
		goto out;

	printf("{\"frame_len\":%d,\"gen_calls\":%u,\"gen_seconds\":%.6f", len,
	       calls, (t1 - t0) / 1e9);
	print_rate("rx_dev", 0, &first);
	print_rate("rx_map", 1, &first);
	print_rate("rx_cmd", 2, &first);
	printf("}\n");
out:
	bpf_object__close(obj);
	if (err) {
		fprintf(stderr, "Error: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
