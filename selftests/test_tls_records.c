// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_tls_records.c - trustpointd's own TLS 1.3 record layer (tls.c: the
 * records after the wolfSSL handshake, RFC 8446 5.2-5.4) against a real
 * wolfSSL client holding an enrolled device's certificate, on 127.0.0.1
 * with a temporary state dir: a record fed one byte per write() and two
 * records in one write() are opened (the daemon answers WELCOME), under
 * each of the three AEAD suites; a flipped ciphertext bit, an oversized
 * record, a non-application-data outer type and a KeyUpdate each get a
 * fatal alert with the RFC's code and a close, and the daemon serves a
 * fresh handshake after each. Bad records are made by sealing with the
 * client's wolfSSL into a buffer (a capturing IO send callback) and
 * sending them, altered, on the raw socket.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_lab.h"
#include "lib/proto.h"
#include "netns.h"
#include "test_progs.h"

#define READY_MS 10000
#define IO_TIMEOUT_S 3

static struct {
	char dir[96], conf[128], sock[128], log[128], cdir[128];
	int port;
	pid_t daemon;
} tr;

struct client {
	int fd;
	WOLFSSL *ssl;
	bool capturing; /* sends go to cap[] instead of the socket */
	uint8_t cap[4096];
	int caplen;
};

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct client *c = arg;
	ssize_t n;

	(void)ssl;
	if (c->capturing) {
		if (sz > (int)sizeof(c->cap) - c->caplen)
			return WOLFSSL_CBIO_ERR_GENERAL;
		memcpy(c->cap + c->caplen, buf, sz);
		c->caplen += sz;
		return sz;
	}
	n = send(c->fd, buf, sz, MSG_NOSIGNAL);
	return n < 0 ? WOLFSSL_CBIO_ERR_GENERAL : (int)n;
}

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct client *c = arg;
	ssize_t n = recv(c->fd, buf, sz, 0);

	(void)ssl;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	return n < 0 ? WOLFSSL_CBIO_ERR_GENERAL : (int)n;
}

static bool tp(const char *args)
{
	struct cmd_result r;
	bool ok;

	ok = !tpctl(&r, NULL, "-c %s -s %s %s", tr.conf, tr.sock, args);
	if (!ASSERT_TRUE(ok, args))
		fprintf(stderr, "tpctl %s: %s\n", args, r.err);
	cmd_free(&r);
	return ok;
}

static bool daemon_up(void)
{
	char script[1024], buf[256];
	struct stat st;
	long end;
	FILE *f;

	snprintf(tr.dir, sizeof(tr.dir), "/tmp/tp-tlsrec-%s-XXXXXX",
		 env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(tr.dir), "mkdtemp"))
		return tr.dir[0] = 0, false;
	snprintf(tr.conf, sizeof(tr.conf), "%s/tp.conf", tr.dir);
	snprintf(tr.sock, sizeof(tr.sock), "%s/control.sock", tr.dir);
	snprintf(tr.log, sizeof(tr.log), "%s/trustpointd.log", tr.dir);
	snprintf(tr.cdir, sizeof(tr.cdir), "%s/client", tr.dir);
	tr.port = loopback_port(NULL);
	if (!ASSERT_OK(mkdir(tr.cdir, 0700), "client dir") ||
	    !ASSERT_GT(tr.port, 0, "port"))
		return false;
	f = fopen(tr.conf, "w");
	if (!ASSERT_OK_PTR(f, "tp.conf"))
		return false;
	/* no gate pins: the record layer needs none */
	fprintf(f,
		"[paths]\nstate_dir = %s/state\nbpffs = %s/nopin\n"
		"[daemon]\nlisten = 127.0.0.1:%d\ncontrol_socket = %s\n"
		"[http]\nlisten = none\n",
		tr.dir, tr.dir, tr.port, tr.sock);
	fclose(f);
	snprintf(buf, sizeof(buf),
		 "device enroll rec genkey algo ed25519 out %s", tr.cdir);
	if (!tp("ca init algo ed25519 subject 'CN=tls records CA'") ||
	    !tp("cert issue-server gw san 127.0.0.1 algo ed25519") ||
	    !tp("user add alice") || !tp("device add rec owner alice") ||
	    !tp(buf))
		return false;
	snprintf(script, sizeof(script),
		 "exec %s/trustpointd -c %s --foreground", env.build_dir,
		 tr.conf);
	tr.daemon = dlab_spawn_sh(NULL, tr.log, script);
	if (!ASSERT_GT(tr.daemon, 0, "spawn trustpointd"))
		return false;
	end = dlab_now_ms() + READY_MS;
	while (dlab_now_ms() < end) {
		if (!stat(tr.sock, &st) && dlab_file_has(tr.log, "ready:"))
			return true;
		if (dlab_pid_wait(tr.daemon, 50) >= 0) {
			tr.daemon = 0;
			break;
		}
	}
	CHECK_FAIL_("trustpointd ready", "not within %d ms", READY_MS);
	return false;
}

static bool daemon_alive(void)
{
	return ASSERT_TRUE(tr.daemon > 0 && dlab_pid_wait(tr.daemon, 0) < 0,
			   "trustpointd still runs");
}

static void client_close(struct client *c)
{
	wolfSSL_free(c->ssl); /* NULL is fine */
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

/* Connect and handshake as the enrolled device; suite NULL: any. */
static bool client_open(struct client *c, WOLFSSL_CTX *ctx, const char *suite)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(tr.port)};
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	int one = 1;

	memset(c, 0, sizeof(*c));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!ASSERT_GE(c->fd, 0, "socket"))
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->ssl = wolfSSL_new(ctx);
	if (!ASSERT_OK(connect(c->fd, (struct sockaddr *)&a, sizeof(a)),
		       "connect") ||
	    !ASSERT_OK_PTR(c->ssl, "wolfSSL_new"))
		goto fail;
	wolfSSL_SSLSetIOSend(c->ssl, io_send);
	wolfSSL_SSLSetIORecv(c->ssl, io_recv);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	wolfSSL_SetIOReadCtx(c->ssl, c);
	if (suite &&
	    !ASSERT_EQ(wolfSSL_set_cipher_list(c->ssl, suite), 1, suite))
		goto fail;
	if (ASSERT_EQ(wolfSSL_connect(c->ssl), 1, "handshake"))
		return true;
fail:
	client_close(c);
	return false;
}

/* Seal data as one application data record into c->cap. */
static int sealed(struct client *c, const void *data, int len)
{
	c->capturing = true;
	c->caplen = 0;
	if (wolfSSL_write(c->ssl, data, len) != len)
		c->caplen = -1;
	c->capturing = false;
	return c->caplen;
}

static int hello(uint8_t *buf, size_t cap)
{
	struct proto_hello h = {};

	strcpy(h.agent, "tls-records");
	strcpy(h.hostname, "rec");
	return proto_hello(&h, buf, cap);
}

/* The type of the next frame the daemon sends, or < 0. */
static int read_frame(struct client *c)
{
	struct proto_reader r = {};
	uint8_t buf[PROTO_MAX_PAYLOAD + PROTO_HDR_LEN];
	size_t used;
	int n, ret, type;

	for (;;) {
		n = wolfSSL_read(c->ssl, buf, sizeof(buf));
		if (n <= 0)
			return -1 - abs(wolfSSL_get_error(c->ssl, n));
		for (int off = 0; off < n; off += used) {
			ret = proto_feed(&r, buf + off, n - off, &used);
			if (ret < 0)
				return proto_reader_free(&r), -1000;
			if (ret == 1) {
				type = r.type;
				proto_reader_free(&r);
				return type;
			}
		}
	}
}

/* The daemon's next record is a fatal alert desc, then the TCP stream ends. */
static void fatal_alert(struct client *c, int desc)
{
	WOLFSSL_ALERT_HISTORY h = {};
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	char b;

	ASSERT_LT(read_frame(c), 0, "no frame, an error");
	wolfSSL_get_alert_history(c->ssl, &h);
	ASSERT_EQ(h.last_rx.level, 2, "alert level fatal");
	ASSERT_EQ(h.last_rx.code, desc, "alert description");
	ASSERT_EQ(poll(&p, 1, IO_TIMEOUT_S * 1000), 1, "readable after alert");
	ASSERT_EQ(recv(c->fd, &b, 1, MSG_DONTWAIT), 0, "EOF after the alert");
	client_close(c);
}

/* A fresh device session: handshake, HELLO, WELCOME. */
static void served(WOLFSSL_CTX *ctx)
{
	struct client c;
	uint8_t buf[2048];
	int len = hello(buf, sizeof(buf));

	if (!daemon_alive() || !client_open(&c, ctx, NULL))
		return;
	ASSERT_EQ(wolfSSL_write(c.ssl, buf, len), len, "HELLO written");
	ASSERT_EQ(read_frame(&c), PROTO_WELCOME, "fresh session welcomed");
	wolfSSL_shutdown(c.ssl);
	client_close(&c);
}

static void one_byte_writes(WOLFSSL_CTX *ctx, const char *suite)
{
	struct pollfd p;
	struct client c;
	uint8_t buf[2048], hb[64];
	int len = hello(buf, sizeof(buf)), n, hl;

	if (!client_open(&c, ctx, suite))
		return;
	ASSERT_STREQ(wolfSSL_get_cipher_name(c.ssl), suite, "suite");
	n = sealed(&c, buf, len);
	if (!ASSERT_GT(n, len, "HELLO sealed"))
		goto out;
	for (int i = 0; i < n; i++) {
		if (!ASSERT_EQ(send(c.fd, c.cap + i, 1, MSG_NOSIGNAL), 1,
			       "one byte sent"))
			goto out;
		if (i % 8 == 0)
			usleep(100); /* let the daemon see a partial record */
	}
	ASSERT_EQ(read_frame(&c), PROTO_WELCOME, "HELLO in 1-byte writes");
	/* the session stays: a heartbeat is taken in silence */
	hl = proto_heartbeat(1, hb, sizeof(hb));
	ASSERT_EQ(wolfSSL_write(c.ssl, hb, hl), hl, "heartbeat");
	p = (struct pollfd){.fd = c.fd, .events = POLLIN};
	ASSERT_EQ(poll(&p, 1, 300), 0, "session still open");
	wolfSSL_shutdown(c.ssl);
out:
	client_close(&c);
}

/* HELLO split over two records sent in one write(): WELCOME needs both. */
static void two_records(WOLFSSL_CTX *ctx)
{
	struct client c;
	uint8_t buf[2048], two[4096];
	int len = hello(buf, sizeof(buf)), n1, n2;

	if (!client_open(&c, ctx, NULL))
		return;
	n1 = sealed(&c, buf, len / 2);
	if (n1 > 0)
		memcpy(two, c.cap, n1);
	n2 = sealed(&c, buf + len / 2, len - len / 2);
	if (!ASSERT_GT(n1, 0, "first sealed") ||
	    !ASSERT_GT(n2, 0, "second sealed") ||
	    !ASSERT_LE(n1 + n2, (int)sizeof(two), "fits"))
		goto out;
	memcpy(two + n1, c.cap, n2);
	ASSERT_EQ(send(c.fd, two, n1 + n2, MSG_NOSIGNAL), n1 + n2, "sent");
	ASSERT_EQ(read_frame(&c), PROTO_WELCOME, "both records opened");
	wolfSSL_shutdown(c.ssl);
out:
	client_close(&c);
}

static void bad_mac(WOLFSSL_CTX *ctx)
{
	struct client c;
	uint8_t buf[2048];
	int len = hello(buf, sizeof(buf)), n;

	if (!client_open(&c, ctx, NULL))
		return;
	n = sealed(&c, buf, len);
	if (ASSERT_GT(n, 40, "HELLO sealed")) {
		c.cap[20] ^= 0x04; /* a ciphertext bit, not the header */
		ASSERT_EQ(send(c.fd, c.cap, n, MSG_NOSIGNAL), n, "sent");
		fatal_alert(&c, 20); /* bad_record_mac */
	}
	client_close(&c);
	served(ctx);
}

/* A bare record header: the daemon must refuse it before any body. */
static void bad_header(WOLFSSL_CTX *ctx, const uint8_t hdr[5], int desc)
{
	struct client c;

	if (!client_open(&c, ctx, NULL))
		return;
	ASSERT_EQ(send(c.fd, hdr, 5, MSG_NOSIGNAL), 5, "header sent");
	fatal_alert(&c, desc);
	served(ctx);
}

static void key_update(WOLFSSL_CTX *ctx)
{
	struct client c;
	uint8_t buf[2048];
	int len = hello(buf, sizeof(buf));

	if (!client_open(&c, ctx, NULL))
		return;
	ASSERT_EQ(wolfSSL_write(c.ssl, buf, len), len, "HELLO written");
	ASSERT_EQ(read_frame(&c), PROTO_WELCOME, "welcomed");
	ASSERT_EQ(wolfSSL_update_keys(c.ssl), WOLFSSL_SUCCESS, "KeyUpdate");
	fatal_alert(&c, 10); /* unexpected_message */
	served(ctx);
}

void test_tls_records(void)
{
	static const char *const suites[] = {
		"TLS13-AES128-GCM-SHA256",
		"TLS13-AES256-GCM-SHA384",
		"TLS13-CHACHA20-POLY1305-SHA256",
	};
	/* 18433 bytes > 2^14 + 256 (RFC 8446 5.2); handshake type 22 */
	static const uint8_t big[5] = {23, 3, 3, 0x48, 0x01},
			     hs[5] = {22, 3, 3, 0, 32};
	WOLFSSL_CTX *ctx = NULL;
	char p[256], k[256], ca[256];
	struct cmd_result r;

	if (!daemon_up())
		goto out;
	snprintf(ca, sizeof(ca), "%s/ca.pem", tr.cdir);
	snprintf(p, sizeof(p), "%s/rec.pem", tr.cdir);
	snprintf(k, sizeof(k), "%s/rec.key", tr.cdir);
	wolfSSL_Init();
	ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
	if (!ASSERT_OK_PTR(ctx, "ctx") ||
	    !ASSERT_EQ(wolfSSL_CTX_load_verify_locations(ctx, ca, NULL), 1,
		       ca) ||
	    !ASSERT_EQ(wolfSSL_CTX_use_certificate_chain_file(ctx, p), 1, p) ||
	    !ASSERT_EQ(wolfSSL_CTX_use_PrivateKey_file(ctx, k,
						       WOLFSSL_FILETYPE_PEM),
		       1, k))
		goto out;

	if (test__start_subtest("one_byte_writes"))
		for (int i = 0; i < 3; i++)
			one_byte_writes(ctx, suites[i]);
	if (test__start_subtest("two_records_one_write"))
		two_records(ctx);
	if (test__start_subtest("bad_record_mac"))
		bad_mac(ctx);
	if (test__start_subtest("record_overflow"))
		bad_header(ctx, big, 22); /* record_overflow */
	if (test__start_subtest("outer_type_not_appdata"))
		bad_header(ctx, hs, 10); /* unexpected_message */
	if (test__start_subtest("key_update"))
		key_update(ctx);
	daemon_alive();
out:
	wolfSSL_CTX_free(ctx); /* NULL is fine */
	if (tr.daemon > 0)
		dlab_pid_stop(&tr.daemon, 2000);
	if (tr.dir[0]) {
		if (env.verbose)
			cmd_run(&r, 5, "cat %s >&2", tr.log), cmd_free(&r);
		cmd_run(&r, 10, "rm -rf %s", tr.dir);
		cmd_free(&r);
	}
	memset(&tr, 0, sizeof(tr));
}
