// SPDX-License-Identifier: GPL-2.0-only
/*
 * revlat_stream.c - revoke -> first dropped packet of a running stream
 * (revlat stream; the setup is in revlat.c).
 *
 * A sender thread writes Ethernet/IPv4/UDP frames into the sender end of
 * the veth pair (AF_PACKET), one every --gap-us on an absolute timer (a
 * late wake-up is made up by the next few, a stall is not), from
 * the current target device's address and the MAC it is bound to, to the
 * gate end's address; each carries {seq, send time} and the send time is
 * kept per seq. The gate (XDP on the other end) passes them while the
 * device's entry is there; a UDP socket on the gate end's address gets
 * what passed. Per device:
 *   1. the sender switches to the device; wait until 20 packets of it
 *      arrived (the binding passes);
 *   2. t0, revoke it (device.revoke on the control socket, or POST
 *      /v1/devices/ID/trust {"score":0} to the API over a connection made
 *      before t0), read the answer (rtt), check the entry is gone from the
 *      pinned map (a violation when not);
 *   3. wait until --quiet-ms worth of packets went out after the newest
 *      one that arrived; first_drop = send time of (newest seq + 1) - t0.
 * The figure's resolution is the achieved gap between packets (reported).
 * A first drop before t0 is a loss that was not the gate's: an anomaly,
 * counted and left out of the percentiles; so is an iteration in which the
 * receiving socket overflowed (SO_RXQ_OVFL), since a lost tail would look
 * like an early cut.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "frame.h"
#include "revlat.h"
#include "stats.h"

#define UDP_PORT 7777
#define FRAME_LEN 60	/* headers, payload, padding */
#define RING (1U << 20) /* send times kept: 52 s at 50 us */
#define RCVBUF (64 << 20)
#define BATCH 64
#define GAP_BIN_NS 100	/* gap histogram: 0.1 us bins ... */
#define GAP_BINS 100000 /* ... up to 10 ms */
#define WARM_TIMEOUT_NS 2000000000ULL
#define CUT_TIMEOUT_NS 5000000000ULL
#define CATCH_UP 4	  /* gaps a late sender makes up at most */
#define SETTLE_NS 1000000 /* a packet sent this long ago arrived or died */
#define HTTP_ANSWER_MAX 65536
#define TOKEN_MAX 512
#define ANOMALIES_LISTED 20

struct payload {
	__u64 seq;
	__u64 send_ns;
};

struct stream {
	const struct revlat_opts *o;
	int tx, rx, mfd;
	struct sockaddr_in api;
	char token[TOKEN_MAX + 1];
	pthread_t thread;
	atomic_long target; /* the device the sender sends as */
	atomic_bool stop;
	atomic_ulong sent; /* packets sent so far: the next seq */
	__u64 *send_ns;	   /* RING: seq -> send time */
	long *send_id;	   /* RING: seq -> device */
	__u32 *gap_hist;   /* the sender's; read after it stopped */
	unsigned long send_errors;
	__u32 ovfl; /* the rx socket's drop counter, last seen */
};

/* What arrived of one device. */
struct tally {
	long id;
	long count, others;
	__u64 lo, hi;
	bool any;
};

static void *sender(void *arg)
{
	struct stream *s = arg;
	struct frame_spec fs = {.family = AF_INET,
				.proto = IPPROTO_UDP,
				.sport = UDP_PORT,
				.dport = UDP_PORT,
				.len = FRAME_LEN};
	const size_t l4 = ETH_HLEN + sizeof(struct iphdr);
	__u8 frame[FRAME_MAX];
	struct payload p;
	__u64 next = now_ns(), prev = 0, seq = 0;
	long cur = -1;
	int len = 0;

	/* wake-ups at the timer, not up to 50 us later */
	prctl(PR_SET_TIMERSLACK, 1UL);
	memcpy(fs.smac, s->o->sender_mac, 6);
	memcpy(fs.dmac, s->o->gate_mac, 6);
	memcpy(fs.daddr, &s->o->gate_addr, 4);
	while (!atomic_load(&s->stop)) {
		long id = atomic_load(&s->target);
		struct timespec ts = {.tv_sec = next / 1000000000ULL,
				      .tv_nsec = next % 1000000000ULL};
		__u64 t;

		if (id != cur) {
			__u32 a = htonl(TARGET_NET + id);

			memcpy(fs.saddr, &a, 4);
			len = frame_build(&fs, frame);
			cur = id;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		t = now_ns();
		p = (struct payload){seq, t};
		memcpy(frame + l4 + sizeof(struct udphdr), &p, sizeof(p));
		/* no checksum (IPv4 allows it): the payload changed */
		memset(frame + l4 + offsetof(struct udphdr, check), 0, 2);
		s->send_ns[seq % RING] = t;
		s->send_id[seq % RING] = id;
		if (send(s->tx, frame, len, 0) != len) {
			s->send_errors++;
		} else {
			atomic_store(&s->sent, ++seq);
			if (prev) {
				__u64 b = (t - prev) / GAP_BIN_NS;

				s->gap_hist[b < GAP_BINS ? b : GAP_BINS - 1]++;
			}
			prev = t;
		}
		/*
		 * a late wake-up (tens of us in a VM) is made up by the next
		 * packets; a longer stall is not, so no burst follows it
		 */
		next += s->o->gap_ns;
		if (next + CATCH_UP * s->o->gap_ns < t)
			next = t;
	}
	return NULL;
}

/* Everything queued on the receiving socket, into t. */
static void drain(struct stream *s, struct tally *t)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	struct payload pl[BATCH];
	char ctl[BATCH][CMSG_SPACE(sizeof(__u32))];
	int n;

	do {
		memset(m, 0, sizeof(m));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){&pl[i], sizeof(pl[i])};
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &from[i];
			m[i].msg_hdr.msg_namelen = sizeof(from[i]);
			m[i].msg_hdr.msg_control = ctl[i];
			m[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(s->rx, m, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &m[i].msg_hdr;
			long id = (long)ntohl(from[i].sin_addr.s_addr) -
				  (long)TARGET_NET;

			for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c;
			     c = CMSG_NXTHDR(h, c))
				if (c->cmsg_level == SOL_SOCKET &&
				    c->cmsg_type == SO_RXQ_OVFL)
					memcpy(&s->ovfl, CMSG_DATA(c),
					       sizeof(s->ovfl));
			if (m[i].msg_len < sizeof(struct payload) ||
			    id != t->id) {
				t->others++;
				continue;
			}
			t->count++;
			if (!t->any || pl[i].seq > t->hi)
				t->hi = pl[i].seq;
			if (!t->any || pl[i].seq < t->lo)
				t->lo = pl[i].seq;
			t->any = true;
		}
	} while (n == BATCH);
}

static int read_token(struct stream *s)
{
	int fd = open(s->o->token_file, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, s->token, TOKEN_MAX);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	while (n > 0 && isspace((unsigned char)s->token[n - 1]))
		n--;
	s->token[n] = 0;
	/* it goes into a header line: one word of printable characters */
	for (ssize_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s->token[i]))
			return -EINVAL;
	return n ? 0 : -EINVAL;
}

static int parse_api(struct stream *s)
{
	const char *colon = strrchr(s->o->http, ':');
	char host[INET_ADDRSTRLEN];
	long port;

	if (!colon || colon - s->o->http >= (long)sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s->o->http),
		 s->o->http);
	port = strtol(colon + 1, NULL, 10);
	s->api.sin_family = AF_INET;
	s->api.sin_port = htons(port);
	if (port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &s->api.sin_addr) != 1)
		return -EINVAL;
	return 0;
}

/* The API's answer on fd: 200 and the device now revoked. */
static bool http_answer(int fd, long id)
{
	char *buf = malloc(HTTP_ANSWER_MAX + 1), *body;
	size_t got = 0;
	ssize_t n;
	json_object *o = NULL, *st;
	bool good = false;

	if (!buf)
		return false;
	/* Connection: close, so the answer ends where the stream does */
	while (got < HTTP_ANSWER_MAX &&
	       (n = read(fd, buf + got, HTTP_ANSWER_MAX - got)) > 0)
		got += n;
	buf[got] = 0;
	body = strstr(buf, "\r\n\r\n");
	if (body && (!strncmp(buf, "HTTP/1.1 200 ", 13) ||
		     !strncmp(buf, "HTTP/1.0 200 ", 13)))
		o = json_tokener_parse(body + 4);
	good = o && json_object_object_get_ex(o, "status", &st) &&
	       !strcmp(json_object_get_string(st), "revoked");
	if (!good)
		fprintf(stderr, "revlat: device %ld: API answered: %.200s\n",
			id, buf);
	json_object_put(o);
	free(buf);
	return good;
}

/*
 * Revoke device id by the chosen trigger; t0 is taken just before the
 * request is written (the connection is made before), t1 once the answer
 * is read. false: no good answer.
 */
static bool trigger(struct stream *s, long id, __u64 *t0, __u64 *t1)
{
	static const char body[] = "{\"score\":0,\"reason\":\"bench\"}";
	char req[TOKEN_MAX + 512];
	__u8 *msg = NULL;
	size_t len;
	bool ok = false;
	int fd;

	if (s->o->trigger == TRIG_CONTROL) {
		if (ctl_revoke_msg(id, &msg, &len))
			return false;
		fd = ctl_connect(s->o->sock);
	} else {
		len = snprintf(req, sizeof(req),
			       "POST /v1/devices/%ld/trust HTTP/1.1\r\n"
			       "Host: %s\r\n"
			       "Authorization: Bearer %s\r\n"
			       "Content-Type: application/json\r\n"
			       "Content-Length: %zu\r\n"
			       "Connection: close\r\n\r\n%s",
			       id, s->o->http, s->token, sizeof(body) - 1,
			       body);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 &&
		    connect(fd, (struct sockaddr *)&s->api, sizeof(s->api))) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "revlat: connecting: %s\n", strerror(errno));
		free(msg);
		return false;
	}
	*t0 = now_ns();
	if (write(fd, msg ? (void *)msg : req, len) == (ssize_t)len)
		ok = msg ? ctl_answer(fd) : http_answer(fd, id);
	*t1 = now_ns();
	explicit_bzero(req, sizeof(req));
	free(msg);
	close(fd);
	return ok;
}

static int sockets(struct stream *s)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_IP),
				 .sll_ifindex = s->o->sender_ifindex};
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(UDP_PORT),
				 .sin_addr.s_addr = s->o->gate_addr};
	int one = 1, buf = RCVBUF;

	s->tx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->tx < 0 || bind(s->tx, (struct sockaddr *)&ll, sizeof(ll)))
		return -errno;
	/* veth has no queue worth going through */
	setsockopt(s->tx, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	s->rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->rx < 0 ||
	    setsockopt(s->rx, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) ||
	    setsockopt(s->rx, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) ||
	    bind(s->rx, (struct sockaddr *)&in, sizeof(in)))
		return -errno;
	return 0;
}

struct results {
	double *drop, *rtt;
	long ndrop, nrtt, failures, anomalies, violations, overflows;
	long losses, others;
	double anomaly_us[ANOMALIES_LISTED];
};

static void nap(__u64 ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000ULL,
			      .tv_nsec = ns % 1000000000ULL};

	nanosleep(&ts, NULL);
}

/* Step 1: the device's packets pass. */
static bool warm_up(struct stream *s, struct tally *t)
{
	__u64 deadline = now_ns() + WARM_TIMEOUT_NS;
	struct pollfd pfd = {.fd = s->rx, .events = POLLIN};

	while (t->count < s->o->warm) {
		if (now_ns() > deadline) {
			fprintf(stderr,
				"revlat: device %ld: %ld of its packets passed in %llu s\n",
				t->id, t->count,
				WARM_TIMEOUT_NS / 1000000000ULL);
			return false;
		}
		poll(&pfd, 1, 10);
		drain(s, t);
	}
	return true;
}

/* Step 3: the newest seq that got through, once the stream is cut. */
static bool wait_cut(struct stream *s, struct tally *t, __u64 t1)
{
	unsigned long quiet = s->o->quiet_ms * 1000000UL / s->o->gap_ns;

	for (;;) {
		unsigned long sent = atomic_load(&s->sent);

		nap(SETTLE_NS);
		drain(s, t);
		if (sent - 1 >= t->hi + quiet)
			return true;
		if (now_ns() - t1 > CUT_TIMEOUT_NS) {
			fprintf(stderr,
				"revlat: device %ld: its packets still pass %llu s after the answer\n",
				t->id, CUT_TIMEOUT_NS / 1000000000ULL);
			return false;
		}
	}
}

static void one(struct stream *s, long id, struct results *r)
{
	struct tally t = {.id = id};
	struct tp_identity_key k;
	struct tp_identity v;
	__u32 ovfl0 = s->ovfl;
	__u64 t0, t1, first;
	double us;

	atomic_store(&s->target, id);
	if (!warm_up(s, &t))
		goto fail;
	if (!trigger(s, id, &t0, &t1))
		goto fail;
	r->rtt[r->nrtt++] = (t1 - t0) / 1e3;
	target_key(s->o, id, &k);
	if (!bpf_map_lookup_elem(s->mfd, &k, &v)) {
		fprintf(stderr,
			"revlat: device %ld: entry still in the map after the answer\n",
			id);
		r->violations++;
	}
	if (!wait_cut(s, &t, t1))
		goto fail;
	r->losses += (long)(t.hi - t.lo + 1) - t.count;
	r->others += t.others;
	first = t.hi + 1;
	if (s->send_id[first % RING] != id) {
		fprintf(stderr, "revlat: device %ld: seq %llu was not its\n",
			id, (unsigned long long)first);
		goto fail;
	}
	us = ((double)s->send_ns[first % RING] - (double)t0) / 1e3;
	if (s->ovfl != ovfl0) {
		fprintf(stderr,
			"revlat: device %ld: receive queue overflowed\n", id);
		r->overflows++;
	} else if (us < 0) {
		if (r->anomalies < ANOMALIES_LISTED)
			r->anomaly_us[r->anomalies] = us;
		r->anomalies++;
	} else {
		r->drop[r->ndrop++] = us;
	}
	return;
fail:
	r->failures++;
}

/* The p-th percentile of the sender's gaps, in us. */
static double gap_pct(const __u32 *hist, double p)
{
	unsigned long long total = 0, acc = 0;

	for (int b = 0; b < GAP_BINS; b++)
		total += hist[b];
	for (int b = 0; b < GAP_BINS; b++) {
		acc += hist[b];
		if (total && acc >= p * total)
			return (b + 0.5) * GAP_BIN_NS / 1e3;
	}
	return 0;
}

static void report(const struct stream *s, struct results *r, long entries)
{
	const struct revlat_opts *o = s->o;

	qsort(r->drop, r->ndrop, sizeof(double), cmp_double);
	qsort(r->rtt, r->nrtt, sizeof(double), cmp_double);
	printf("{\"measure\":\"first_drop\",\"trigger\":\"%s\",\"identities\":%ld,"
	       "\"map_entries\":%ld,\"revocations\":%ld,\"failures\":%ld,"
	       "\"samples\":%ld,\"anomalies\":%ld,\"anomaly_us\":[",
	       o->trigger == TRIG_HTTP ? "http" : "control", o->identities,
	       entries, o->devices, r->failures, r->ndrop, r->anomalies);
	for (long i = 0; i < r->anomalies && i < ANOMALIES_LISTED; i++)
		printf("%s%.1f", i ? "," : "", r->anomaly_us[i]);
	printf("],\"overflows\":%ld,\"violations\":%ld,\"stream_losses\":%ld,"
	       "\"stray_packets\":%ld,"
	       "\"first_drop_p50_us\":%.1f,\"first_drop_p99_us\":%.1f,"
	       "\"first_drop_max_us\":%.1f,\"first_drop_min_us\":%.1f,"
	       "\"under_1ms\":%.4f,"
	       "\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f,\"rtt_max_us\":%.1f,"
	       "\"gap_target_us\":%.1f,\"gap_p50_us\":%.1f,\"gap_p99_us\":%.1f,"
	       "\"packets\":%lu,\"send_errors\":%lu}\n",
	       r->overflows, r->violations, r->losses, r->others,
	       pct(r->drop, r->ndrop, 0.5), pct(r->drop, r->ndrop, 0.99),
	       r->ndrop ? r->drop[r->ndrop - 1] : 0, r->ndrop ? r->drop[0] : 0,
	       share_below(r->drop, r->ndrop, 1000), pct(r->rtt, r->nrtt, 0.5),
	       pct(r->rtt, r->nrtt, 0.99), r->nrtt ? r->rtt[r->nrtt - 1] : 0,
	       o->gap_ns / 1e3, gap_pct(s->gap_hist, 0.5),
	       gap_pct(s->gap_hist, 0.99), atomic_load(&s->sent),
	       s->send_errors);
}

int stream_run(const struct revlat_opts *o)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct results r = {};
	char path[4200];
	long entries = 0;
	int err = -ENOMEM;
	bool started = false;

	if (!s)
		return 1;
	s->o = o;
	s->tx = s->rx = s->mfd = -1;
	s->send_ns = calloc(RING, sizeof(*s->send_ns));
	s->send_id = calloc(RING, sizeof(*s->send_id));
	s->gap_hist = calloc(GAP_BINS, sizeof(*s->gap_hist));
	r.drop = calloc(o->devices, sizeof(double));
	r.rtt = calloc(o->devices, sizeof(double));
	if (!s->send_ns || !s->send_id || !s->gap_hist || !r.drop || !r.rtt)
		goto out;
	snprintf(path, sizeof(path), "%s/tp_identity", o->pin);
	s->mfd = bpf_obj_get(path);
	err = s->mfd < 0 ? -errno : 0;
	if (!err && o->trigger == TRIG_HTTP) {
		err = parse_api(s) ?: read_token(s);
		if (err)
			fprintf(stderr,
				"revlat: --http %s or --token-file %s: %s\n",
				o->http, o->token_file, strerror(-err));
	}
	err = err ?: sockets(s);
	err = err ?: targets_add(o);
	if (err)
		goto out;
	entries = map_entries(s->mfd);
	atomic_store(&s->target, o->first);
	err = -pthread_create(&s->thread, NULL, sender, s);
	started = !err;
	for (long i = 0; started && i < o->devices; i++)
		one(s, o->first + i, &r);
out:
	if (started) {
		atomic_store(&s->stop, true);
		pthread_join(s->thread, NULL);
		report(s, &r, entries);
	} else {
		fprintf(stderr, "revlat: stream: %s\n", strerror(-err));
	}
	explicit_bzero(s->token, sizeof(s->token));
	if (s->tx >= 0)
		close(s->tx);
	if (s->rx >= 0)
		close(s->rx);
	if (s->mfd >= 0)
		close(s->mfd);
	free(s->send_ns);
	free(s->send_id);
	free(s->gap_hist);
	free(r.drop);
	free(r.rtt);
	free(s);
	return started && !r.failures ? 0 : 1;
}
