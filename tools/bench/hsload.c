// SPDX-License-Identifier: GPL-2.0-only
/*
 * hsload.c - the bench's TLS 1.3 mutual-TLS load client (wolfSSL), the
 * same client for trustpointd, nginx and openssl s_server.
 *
 *   hsload --connect IP:PORT --ca F --cert F --key F [--count N]
 *          [--warmup N] [--resume]
 *     N sequential full handshakes (or, with --resume, one full handshake
 *     whose ticket every following connection resumes), each on a fresh
 *     TCP connection closed with close_notify. One JSON line: handshakes/s
 *     and p50/p99 latency (connect() to wolfSSL_connect() done).
 *
 *   hsload ... --hold K [--src-base 127.0.0.2] [--cert-list FILE]
 *     K sessions that stay open: handshake, HELLO, wait for WELCOME, so
 *     trustpointd counts each as an agent. The client then frees its
 *     WOLFSSL object and keeps only the socket (the daemon cannot tell),
 *     prints one JSON line and waits for stdin to close or a signal.
 *     FILE has one "CERT KEY" line per device: session i is device
 *     i mod lines, so sessions spread over devices as real agents do.
 *
 * Sequential on purpose: on 2 cores the client gets one and the server
 * the other. The key share is fixed to X25519 so every server does the
 * same key exchange the crypto bound (crypto_bound.c) counts.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto.h"

#include "stats.h"

/*
 * Connections per source address: well inside the ephemeral port range
 * (28232 ports by default), where the kernel still finds a free port fast.
 */
#define SRC_PER_ADDR 10000
#define DEVICES_MAX 10000

struct opts {
	struct sockaddr_in dst;
	const char *ca, *cert, *key, *cert_list;
	long count, warmup, hold;
	bool resume;
	struct in_addr src_base; /* 0: let the kernel choose */
};

static int tcp_connect(const struct opts *o, long i)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->src_base.s_addr) {
		/* many held sessions: spread them over source addresses */
		struct sockaddr_in s = {.sin_family = AF_INET};

		s.sin_addr.s_addr =
			htonl(ntohl(o->src_base.s_addr) + i / SRC_PER_ADDR);
		/* the port is picked by connect(), by the whole 4-tuple */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		if (bind(fd, (struct sockaddr *)&s, sizeof(s)))
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&o->dst, sizeof(o->dst)))
		goto fail;
	return fd;
fail:
	i = -errno;
	close(fd);
	return (int)i;
}

/* One TLS connection: fd and ssl on success, both closed on failure. */
static WOLFSSL *handshake(WOLFSSL_CTX *ctx, const struct opts *o, long i,
			  WOLFSSL_SESSION *sess, int *fdp)
{
	WOLFSSL *ssl;
	int fd = tcp_connect(o, i), err;

	if (fd < 0) {
		fprintf(stderr, "hsload: connect: %s\n", strerror(-fd));
		return NULL;
	}
	ssl = wolfSSL_new(ctx);
	if (!ssl || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS ||
	    wolfSSL_UseKeyShare(ssl, WOLFSSL_ECC_X25519) != WOLFSSL_SUCCESS ||
	    (sess && wolfSSL_set_session(ssl, sess) != WOLFSSL_SUCCESS))
		goto fail;
	if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
		err = wolfSSL_get_error(ssl, 0);
		fprintf(stderr, "hsload: handshake %ld: %s\n", i,
			wolfSSL_ERR_reason_error_string(err));
		goto fail;
	}
	*fdp = fd;
	return ssl;
fail:
	wolfSSL_free(ssl);
	close(fd);
	return NULL;
}

/* A TLS 1.3 ticket arrives after the handshake: read until it is there. */
static WOLFSSL_SESSION *get_ticket(WOLFSSL *ssl, int fd)
{
	struct timeval tv = {.tv_usec = 200000};
	char b[64];

	/* processes the NewSessionTicket, then times out: no data comes */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	wolfSSL_read(ssl, b, sizeof(b));
	return wolfSSL_get1_session(ssl);
}

static int run_handshakes(WOLFSSL_CTX *ctx, const struct opts *o)
{
	WOLFSSL_SESSION *sess = NULL;
	long n = o->count, fails = 0, wfails = 0, resumed = 0, i;
	double *lat = calloc(n ? n : 1, sizeof(*lat)), t0, t1, start = 0;
	WOLFSSL *ssl;
	int fd;

	if (!lat)
		return 1;
	if (o->resume) {
		ssl = handshake(ctx, o, 0, NULL, &fd);
		if (!ssl)
			return 1;
		sess = get_ticket(ssl, fd);
		wolfSSL_shutdown(ssl);
		wolfSSL_free(ssl);
		close(fd);
	}
	for (i = -o->warmup; i < n; i++) {
		if (i == 0)
			start = now_s();
		t0 = now_s();
		ssl = handshake(ctx, o, i, sess, &fd);
		t1 = now_s();
		if (!ssl) {
			/* lat[] is indexed by measured handshakes only */
			if (i >= 0)
				fails++;
			else
				wfails++;
			continue;
		}
		if (i >= 0) {
			lat[i - fails] = (t1 - t0) * 1e6;
			resumed += wolfSSL_session_reused(ssl) == 1;
		}
		wolfSSL_shutdown(ssl);
		wolfSSL_free(ssl);
		close(fd);
	}
	t1 = now_s();
	n -= fails;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("{\"handshakes\":%ld,\"failures\":%ld,\"resumed\":%ld,"
	       "\"seconds\":%.6f,\"hs_per_s\":%.1f,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f}\n",
	       n, fails, resumed, t1 - start, n / (t1 - start),
	       pct(lat, n, 0.5), pct(lat, n, 0.99));
	wolfSSL_SESSION_free(sess);
	free(lat);
	return fails || wfails ? 1 : 0;
}

/* HELLO, then the WELCOME: the daemon now holds an agent's session. */
static bool hello(WOLFSSL *ssl, long i)
{
	struct proto_hello h = {.naddrs = 0};
	struct proto_reader r = {};
	uint8_t buf[PROTO_HDR_LEN + PROTO_MAX_PAYLOAD];
	size_t used, off;
	int len, got, ret = 0;

	snprintf(h.agent, sizeof(h.agent), "hsload");
	snprintf(h.hostname, sizeof(h.hostname), "hold-%ld", i);
	len = proto_hello(&h, buf, sizeof(buf));
	if (len < 0 || wolfSSL_write(ssl, buf, len) != len)
		return false;
	while (ret == 0) {
		got = wolfSSL_read(ssl, buf, sizeof(buf));
		if (got <= 0)
			break;
		for (off = 0; off < (size_t)got && ret == 0; off += used)
			ret = proto_feed(&r, buf + off, got - off, &used);
	}
	ret = ret == 1 && r.type == PROTO_WELCOME;
	proto_reader_free(&r);
	return ret;
}

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	stop = 1;
}

static int run_hold(WOLFSSL_CTX **ctxs, int nctx, const struct opts *o)
{
	int *fds = calloc(o->hold, sizeof(*fds)), fd;
	long held = 0, objs = 0;
	size_t before, obj_bytes = 0;
	double t0 = now_s();
	WOLFSSL *ssl;
	char c;

	if (!fds)
		return 1;
	for (long i = 0; i < o->hold && !stop; i++) {
		before = mallinfo2().uordblks;
		ssl = handshake(ctxs[i % nctx], o, i, NULL, &fd);
		if (!ssl)
			break;
		if (!hello(ssl, i)) {
			fprintf(stderr, "hsload: session %ld: no WELCOME\n", i);
			wolfSSL_free(ssl);
			close(fd);
			break;
		}
		/* what one established WOLFSSL object holds, client side */
		if (objs < 100) {
			obj_bytes += mallinfo2().uordblks - before;
			objs++;
		}
		/* no close_notify: the session stays open on the wire */
		wolfSSL_free(ssl);
		fds[held++] = fd;
	}
	printf("{\"held\":%ld,\"wanted\":%ld,\"seconds\":%.3f,"
	       "\"client_wolfssl_bytes\":%zu}\n",
	       held, o->hold, now_s() - t0, objs ? obj_bytes / objs : 0);
	fflush(stdout);
	while (!stop && read(0, &c, 1) > 0)
		;
	for (long i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	return held == o->hold ? 0 : 1;
}

static WOLFSSL_CTX *client_ctx(const char *ca, const char *cert,
			       const char *key)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());

	if (!ctx ||
	    wolfSSL_CTX_load_verify_locations(ctx, ca, NULL) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_certificate_chain_file(ctx, cert) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_file(ctx, key, WOLFSSL_FILETYPE_PEM) !=
		    WOLFSSL_SUCCESS) {
		fprintf(stderr, "hsload: cannot load %s / %s / %s\n", ca, cert,
			key);
		wolfSSL_CTX_free(ctx);
		return NULL;
	}
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	return ctx;
}

/* One context per "CERT KEY" line of path; their number, or -1. */
static int load_cert_list(const char *path, const char *ca, WOLFSSL_CTX **ctxs)
{
	char line[8300], cert[4096], key[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f) {
		fprintf(stderr, "hsload: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s %4095s", cert, key) != 2)
			continue;
		if (n == DEVICES_MAX ||
		    !(ctxs[n] = client_ctx(ca, cert, key))) {
			fprintf(stderr, "hsload: %s: line %d refused\n", path,
				n + 1);
			n = -1;
			break;
		}
		n++;
	}
	fclose(f);
	return n;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hsload --connect IP:PORT --ca FILE --cert FILE --key FILE\n"
		"              [--count N] [--warmup N] [--resume]\n"
		"       hsload ... --hold K [--src-base IPV4] [--cert-list FILE]\n");
}

static bool parse_dst(const char *s, struct sockaddr_in *a)
{
	char ip[INET_ADDRSTRLEN];
	unsigned int port;

	a->sin_family = AF_INET;
	if (sscanf(s, "%15[0-9.]:%u", ip, &port) != 2 || port > 65535 ||
	    inet_pton(AF_INET, ip, &a->sin_addr) != 1)
		return false;
	a->sin_port = htons(port);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"connect", 1, 0, 'c'},	 {"ca", 1, 0, 'a'},
		{"cert", 1, 0, 'e'},	 {"key", 1, 0, 'k'},
		{"count", 1, 0, 'n'},	 {"warmup", 1, 0, 'w'},
		{"resume", 0, 0, 'r'},	 {"hold", 1, 0, 'H'},
		{"src-base", 1, 0, 's'}, {"cert-list", 1, 0, 'l'},
		{"help", 0, 0, 'h'},	 {0}};
	struct opts o = {.count = 1000, .warmup = 10};
	bool have_dst = false;
	static WOLFSSL_CTX *ctxs[DEVICES_MAX];
	struct rlimit rl;
	int c, ret, nctx;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			have_dst = parse_dst(optarg, &o.dst);
			break;
		case 'a':
			o.ca = optarg;
			break;
		case 'e':
			o.cert = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 'n':
			o.count = strtol(optarg, NULL, 0);
			break;
		case 'w':
			o.warmup = strtol(optarg, NULL, 0);
			break;
		case 'r':
			o.resume = true;
			break;
		case 'H':
			o.hold = strtol(optarg, NULL, 0);
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o.src_base) != 1)
				have_dst = false;
			break;
		case 'l':
			o.cert_list = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!have_dst || !o.ca || !o.cert || !o.key || o.count < 1 ||
	    o.warmup < 0 || o.hold < 0) {
		usage(stderr);
		return 2;
	}
	/* held sessions are file descriptors: take what the hard limit allows
	 */
	if (o.hold && !getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* no SA_RESTART: a signal must end the idle read() of --hold */
	struct sigaction sa = {.sa_handler = on_sig};

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	wolfSSL_Init();
	ctxs[0] = client_ctx(o.ca, o.cert, o.key);
	if (!ctxs[0])
		return 1;
	nctx = 1;
	if (o.hold && o.cert_list) {
		wolfSSL_CTX_free(ctxs[0]);
		nctx = load_cert_list(o.cert_list, o.ca, ctxs);
		if (nctx < 1) {
			fprintf(stderr, "hsload: no device in %s\n",
				o.cert_list);
			return 1;
		}
	}
	ret = o.hold ? run_hold(ctxs, nctx, &o) : run_handshakes(ctxs[0], &o);
	for (int i = 0; i < nctx; i++)
		wolfSSL_CTX_free(ctxs[i]);
	wolfSSL_Cleanup();
	return ret;
}
