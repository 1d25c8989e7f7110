// SPDX-License-Identifier: GPL-2.0-only
/*
 * conn.c - one session of tp-agent with the gateway: TCP connect, a TLS
 * 1.3 handshake that verifies the gateway's certificate and name, then
 * the framed channel (proto.h): HELLO, WELCOME, heartbeats and posture
 * until the gateway revokes us, says BYE, or the connection breaks.
 *
 * Everything is non-blocking and waits in poll() with a deadline, next to
 * the signalfd, so no step can hang and SIGTERM is served at once.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"

#define GO_ON (-1) /* step succeeded; the session goes on */
#define FRAME_MAX (PROTO_HDR_LEN + PROTO_MAX_PAYLOAD)

struct agent {
	const struct agent_opts *o;
	WOLFSSL_CTX *ctx;
	int sigfd;
	/* per session */
	int fd;
	WOLFSSL *ssl;
	bool name_mismatch; /* set by verify_gateway() */
	bool tls_up;	    /* handshake done: frames may be sent */
	struct sockaddr_storage local;
	struct proto_reader rd;
	struct proto_posture posture; /* as last sent */
	uint64_t seq;
};

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_SIGNAL, WAIT_ERROR };

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline (ms, monotonic), or a signal. */
static enum wait_result wait_fd(struct agent *a, short events,
				long long deadline)
{
	for (;;) {
		struct pollfd p[2] = {{a->sigfd, POLLIN, 0},
				      {a->fd, events, 0}};
		long long left = deadline - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(p, 2, left > 60000 ? 60000 : left);
		if (n < 0 && errno != EINTR)
			return WAIT_ERROR;
		if (n > 0 && (p[0].revents & POLLIN))
			return WAIT_SIGNAL;
		if (n > 0 && p[1].revents)
			return WAIT_READY;
		if (now_ms() >= deadline)
			return WAIT_TIMEOUT;
	}
}

/*
 * wolfSSL checked the chain; an IP address as the expected name is
 * checked here against the leaf's IP SANs, because this wolfSSL build
 * (no WOLFSSL_IP_ALT_NAME) matches only DNS names in check_domain_name.
 */
static int verify_gateway(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct agent *a = store->userCtx;
	WOLFSSL_X509 *leaf;

	if (!preverify || !a || !a->o->name_is_ip ||
	    wolfSSL_X509_STORE_CTX_get_error_depth(store) != 0)
		return preverify;
	leaf = wolfSSL_X509_STORE_CTX_get_current_cert(store);
	if (leaf &&
	    wolfSSL_X509_check_ip_asc(leaf, a->o->name, 0) == WOLFSSL_SUCCESS)
		return 1;
	a->name_mismatch = true;
	return 0;
}

int agent_new(const struct agent_opts *o, int sigfd, struct agent **out)
{
	struct agent *a = calloc(1, sizeof(*a));
	const char *what = NULL, *file = NULL;

	if (!a)
		return -ENOMEM;
	a->o = o;
	a->sigfd = sigfd;
	a->fd = -1;
	a->ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
	if (!a->ctx) {
		free(a);
		return -ENOMEM;
	}
	if (wolfSSL_CTX_load_verify_locations(a->ctx, o->ca, NULL) !=
	    WOLFSSL_SUCCESS)
		what = "CA certificate", file = o->ca;
	else if (wolfSSL_CTX_use_certificate_chain_file(a->ctx, o->cert) !=
		 WOLFSSL_SUCCESS)
		what = "certificate", file = o->cert;
	/* wolfSSL reads the key itself; the agent never holds a copy */
	else if (wolfSSL_CTX_use_PrivateKey_file(a->ctx, o->key,
						 WOLFSSL_FILETYPE_PEM) !=
		 WOLFSSL_SUCCESS)
		what = "private key", file = o->key;
	else if (wolfSSL_CTX_check_private_key(a->ctx) != WOLFSSL_SUCCESS)
		what = "private key (it does not match the certificate)",
		file = o->key;
	if (what) {
		agent_log("cannot load the %s from %s", what, file);
		agent_free(a);
		return -EINVAL;
	}
	wolfSSL_CTX_set_verify(a->ctx, WOLFSSL_VERIFY_PEER, verify_gateway);
	*out = a;
	return 0;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	wolfSSL_CTX_free(a->ctx);
	free(a);
}

static void session_close(struct agent *a)
{
	wolfSSL_free(a->ssl);
	a->ssl = NULL;
	a->tls_up = false;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	proto_reader_free(&a->rd);
}

/* Non-blocking connect to each address of the gateway in turn. */
static int tcp_connect(struct agent *a)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	const struct agent_opts *o = a->o;
	socklen_t len;
	int err;

	err = getaddrinfo(o->host, o->port, &hints, &res);
	if (err) {
		agent_log("cannot resolve %s: %s", o->host, gai_strerror(err));
		return SESSION_FAILED;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		enum wait_result w;

		a->fd = socket(ai->ai_family,
			       ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       0);
		if (a->fd < 0) {
			err = errno;
			continue;
		}
		if (!connect(a->fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		if (err != EINPROGRESS)
			goto next;
		w = wait_fd(a, POLLOUT, now_ms() + o->timeout_s * 1000LL);
		if (w == WAIT_SIGNAL) {
			freeaddrinfo(res);
			return SESSION_STOPPED;
		}
		len = sizeof(err);
		err = w == WAIT_TIMEOUT ? ETIMEDOUT : 0;
		if (!err && getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (!err)
			break;
	next:
		close(a->fd);
		a->fd = -1;
	}
	freeaddrinfo(res);
	if (a->fd < 0) {
		agent_log("cannot connect to %s port %s: %s", o->host, o->port,
			  strerror(err));
		return SESSION_FAILED;
	}
	len = sizeof(a->local);
	getsockname(a->fd, (struct sockaddr *)&a->local, &len);
	setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	return GO_ON;
}

/* Why the handshake failed, in the words an operator needs. */
static void log_tls_error(struct agent *a, int err)
{
	const struct agent_opts *o = a->o;
	WOLFSSL_ALERT_HISTORY h = {};

	if (a->name_mismatch || err == DOMAIN_NAME_MISMATCH) {
		agent_log("refusing the gateway %s: its certificate does not "
			  "match the name '%s'",
			  o->host, o->name);
		return;
	}
	if (err == ASN_NO_SIGNER_E || err == ASN_SIG_CONFIRM_E ||
	    err == ASN_AFTER_DATE_E || err == ASN_BEFORE_DATE_E) {
		agent_log("refusing the gateway %s: its certificate does not "
			  "verify against %s: %s",
			  o->host, o->ca, wolfSSL_ERR_reason_error_string(err));
		return;
	}
	if (a->ssl &&
	    wolfSSL_get_alert_history(a->ssl, &h) == WOLFSSL_SUCCESS &&
	    h.last_rx.code > 0) {
		agent_log("the gateway %s refused the connection (TLS alert: "
			  "%s)",
			  o->host,
			  wolfSSL_alert_desc_string_long(h.last_rx.code));
		return;
	}
	agent_log("TLS with the gateway %s failed: %s", o->host,
		  wolfSSL_ERR_reason_error_string(err));
}

/* Drive one wolfSSL call until it is done, waiting as it asks. */
#define TLS_IO(a, deadline, call)                                          \
	({                                                                 \
		int ___ret, ___e;                                          \
		for (;;) {                                                 \
			enum wait_result ___w;                             \
			___ret = (call);                                   \
			if (___ret > 0)                                    \
				break;                                     \
			___e = wolfSSL_get_error((a)->ssl, ___ret);        \
			if (___e != WOLFSSL_ERROR_WANT_READ &&             \
			    ___e != WOLFSSL_ERROR_WANT_WRITE) {            \
				___ret = ___e < 0 ? ___e : -1;             \
				break;                                     \
			}                                                  \
			___w = wait_fd(a,                                  \
				       ___e == WOLFSSL_ERROR_WANT_READ     \
					       ? POLLIN                    \
					       : POLLOUT,                  \
				       deadline);                          \
			if (___w != WAIT_READY) {                          \
				___ret = ___w == WAIT_SIGNAL ? -EINTR      \
							     : -ETIMEDOUT; \
				break;                                     \
			}                                                  \
		}                                                          \
		___ret;                                                    \
	})

static int tls_handshake(struct agent *a)
{
	const struct agent_opts *o = a->o;
	int ret;

	a->ssl = wolfSSL_new(a->ctx);
	if (!a->ssl || wolfSSL_set_fd(a->ssl, a->fd) != WOLFSSL_SUCCESS) {
		agent_log("cannot set up TLS: out of memory");
		return SESSION_FAILED;
	}
	a->name_mismatch = false;
	wolfSSL_SetCertCbCtx(a->ssl, a);
	if (!o->name_is_ip &&
	    (wolfSSL_check_domain_name(a->ssl, o->name) != WOLFSSL_SUCCESS ||
	     wolfSSL_UseSNI(a->ssl, WOLFSSL_SNI_HOST_NAME, o->name,
			    strlen(o->name)) != WOLFSSL_SUCCESS)) {
		agent_log("cannot set up TLS for the name '%s'", o->name);
		return SESSION_FAILED;
	}
	ret = TLS_IO(a, now_ms() + o->timeout_s * 1000LL,
		     wolfSSL_connect(a->ssl));
	if (ret == -EINTR)
		return SESSION_STOPPED;
	if (ret == -ETIMEDOUT) {
		agent_log("TLS handshake with %s timed out after %u s", o->host,
			  o->timeout_s);
		return SESSION_FAILED;
	}
	if (ret < 0) {
		log_tls_error(a, ret);
		return SESSION_FAILED;
	}
	a->tls_up = true;
	agent_dbg("TLS %s with %s, cipher %s", wolfSSL_get_version(a->ssl),
		  o->host, wolfSSL_get_cipher(a->ssl));
	return GO_ON;
}

static int send_frame(struct agent *a, const uint8_t *buf, int len)
{
	int ret;

	if (len < 0) {
		agent_log("cannot encode a frame: %s", strerror(-len));
		return SESSION_FAILED;
	}
	ret = TLS_IO(a, now_ms() + a->o->timeout_s * 1000LL,
		     wolfSSL_write(a->ssl, buf, len));
	if (ret == -EINTR)
		return SESSION_STOPPED;
	if (ret < 0) {
		agent_log("lost the connection to %s while sending: %s",
			  a->o->host,
			  ret == -ETIMEDOUT
				  ? "timed out"
				  : wolfSSL_ERR_reason_error_string(ret));
		return SESSION_LOST;
	}
	agent_dbg("sent %s", proto_type_name(buf[3]));
	return GO_ON;
}

static bool sa_addr(const struct sockaddr *sa, uint8_t *family,
		    uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = sa ? sa->sa_family : 0;
	if (*family == AF_INET)
		memcpy(addr, &((struct sockaddr_in *)sa)->sin_addr, 4);
	else if (*family == AF_INET6)
		memcpy(addr, &((struct sockaddr_in6 *)sa)->sin6_addr, 16);
	return *family == AF_INET || *family == AF_INET6;
}

/* "eth0:1" (an IPv4 label) is eth0 */
static bool same_link(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");

	return la == lb && !strncmp(a, b, la);
}

/*
 * The other addresses of the link the connection leaves from, which the
 * gateway may bind too (it checks each against the neighbour table). Not
 * the connection's own source, which the gateway sees anyway, and not
 * link-local IPv6, which never crosses the gateway.
 */
static void other_addresses(struct agent *a, struct proto_hello *h)
{
	struct ifaddrs *all, *i;
	const char *link = NULL;
	uint8_t fam, own[16], f, x[16];

	if (!sa_addr((struct sockaddr *)&a->local, &fam, own) ||
	    getifaddrs(&all))
		return;
	for (i = all; i && !link; i = i->ifa_next)
		if (sa_addr(i->ifa_addr, &f, x) && f == fam &&
		    !memcmp(x, own, 16))
			link = i->ifa_name;
	for (i = all; link && i && h->naddrs < PROTO_MAX_ADDRS;
	     i = i->ifa_next) {
		if (!sa_addr(i->ifa_addr, &f, x) ||
		    !same_link(i->ifa_name, link) ||
		    (f == fam && !memcmp(x, own, 16)) ||
		    (f == AF_INET6 && x[0] == 0xfe && (x[1] & 0xc0) == 0x80))
			continue;
		h->addr_family[h->naddrs] = f;
		memcpy(h->addrs[h->naddrs++], x, 16);
	}
	freeifaddrs(all);
}

static int send_hello(struct agent *a)
{
	static uint8_t buf[FRAME_MAX];
	struct proto_hello h = {};
	char host[PROTO_STR_MAX + 1] = "";

	snprintf(h.agent, sizeof(h.agent), "%s", TP_VERSION);
	if (!gethostname(host, sizeof(host) - 1) &&
	    strlen(host) < PROTO_STR_MAX &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-._") == strlen(host))
		memcpy(h.hostname, host, strlen(host) + 1);
	h.posture = a->posture;
	other_addresses(a, &h);
	agent_dbg("HELLO with %d other address(es)", h.naddrs);
	return send_frame(a, buf, proto_hello(&h, buf, sizeof(buf)));
}

/*
 * Read what has arrived and act on each whole frame. Returns GO_ON, or
 * how the session ended. *welcome is filled when a WELCOME came.
 */
static int receive(struct agent *a, struct proto_welcome *welcome,
		   bool *got_welcome)
{
	uint8_t buf[4096];
	char reason[PROTO_STR_MAX];
	int n, ret;

	for (;;) {
		n = wolfSSL_read(a->ssl, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (size_t off = 0, used; off < (size_t)n; off += used) {
			ret = proto_feed(&a->rd, buf + off, n - off, &used);
			if (ret < 0) {
				agent_log("the gateway sent a malformed "
					  "frame: %s",
					  strerror(-ret));
				return SESSION_LOST;
			}
			if (!ret)
				continue;
			agent_dbg("received %s", proto_type_name(a->rd.type));
			switch (a->rd.type) {
			case PROTO_WELCOME:
				ret = proto_parse_welcome(a->rd.payload,
							  a->rd.len, welcome);
				*got_welcome = !ret;
				break;
			case PROTO_REVOKED:
			case PROTO_BYE:
				ret = proto_parse_reason(a->rd.payload,
							 a->rd.len, reason,
							 sizeof(reason));
				break;
			default:
				ret = -EPROTO;
			}
			if (ret) {
				agent_log("the gateway sent a malformed %s "
					  "frame",
					  proto_type_name(a->rd.type));
				return SESSION_LOST;
			}
			if (a->rd.type == PROTO_REVOKED) {
				fprintf(stderr,
					"tp-agent: the gateway revoked this "
					"device: %s\n",
					reason[0] ? reason
						  : "(no reason given)");
				return SESSION_REVOKED;
			}
			if (a->rd.type == PROTO_BYE) {
				agent_log("the gateway said goodbye: %s",
					  reason[0] ? reason : "(no reason)");
				return SESSION_BYE;
			}
			proto_reader_reset(&a->rd);
		}
	}
	n = wolfSSL_get_error(a->ssl, n);
	if (n == WOLFSSL_ERROR_WANT_READ || n == WOLFSSL_ERROR_WANT_WRITE)
		return GO_ON;
	if (n == WOLFSSL_ERROR_ZERO_RETURN || n == SOCKET_PEER_CLOSED_E)
		agent_log("the gateway %s closed the connection", a->o->host);
	else
		log_tls_error(a, n);
	return SESSION_LOST;
}

/* Until WELCOME: the gateway may still refuse us (revoked, unknown). */
static int await_welcome(struct agent *a, struct proto_welcome *w)
{
	long long deadline = now_ms() + a->o->timeout_s * 1000LL;
	bool got = false;
	int ret;

	while (!got) {
		switch (wait_fd(a, POLLIN, deadline)) {
		case WAIT_SIGNAL:
			return SESSION_STOPPED;
		case WAIT_TIMEOUT:
			agent_log("no WELCOME from %s within %u s", a->o->host,
				  a->o->timeout_s);
			return SESSION_FAILED;
		case WAIT_ERROR:
			return SESSION_FAILED;
		case WAIT_READY:
			break;
		}
		ret = receive(a, w, &got);
		if (ret == SESSION_LOST)
			return SESSION_FAILED; /* never welcomed */
		if (ret != GO_ON)
			return ret;
	}
	return GO_ON;
}

static void say_bye(struct agent *a)
{
	uint8_t buf[512];
	int len = proto_reason(PROTO_BYE, "agent stopping", buf, sizeof(buf));

	/* best effort, briefly: we are leaving either way */
	if (len > 0 && wolfSSL_write(a->ssl, buf, len) == len)
		agent_dbg("sent BYE");
	wolfSSL_shutdown(a->ssl);
}

/* Heartbeats on time, posture when it changed, until the session ends. */
static int keepalive(struct agent *a, const struct proto_welcome *w)
{
	static uint8_t buf[FRAME_MAX];
	long long period = w->heartbeat_s * 1000LL, next = now_ms() + period;
	struct proto_welcome again;
	struct proto_posture p;
	char err[512];
	bool got;
	int ret;
	/* a gateway that vanished is noticed when heartbeats go unacked */
	unsigned int user_timeout = w->heartbeat_s * 3000u + 10000u;

	setsockopt(a->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
		   sizeof(user_timeout));
	for (;;) {
		switch (wait_fd(a, POLLIN, next)) {
		case WAIT_SIGNAL:
			say_bye(a);
			return SESSION_STOPPED;
		case WAIT_ERROR:
			return SESSION_LOST;
		case WAIT_READY:
			ret = receive(a, &again, &got);
			if (ret != GO_ON)
				return ret;
			continue;
		case WAIT_TIMEOUT:
			break;
		}
		next += period;
		if (next < now_ms()) /* we were stopped: no burst to catch up */
			next = now_ms() + period;
		ret = send_frame(a, buf,
				 proto_heartbeat(++a->seq, buf, sizeof(buf)));
		if (ret != GO_ON)
			return ret;
		if (a->seq % AGENT_POSTURE_EVERY)
			continue;
		if (posture_collect("", a->o->posture_file, &p, err,
				    sizeof(err))) {
			agent_log("warning: posture not re-read: %s", err);
			continue;
		}
		if (!memcmp(&p, &a->posture, sizeof(p)))
			continue;
		a->posture = p;
		ret = send_frame(a, buf, proto_posture(&p, buf, sizeof(buf)));
		if (ret != GO_ON)
			return ret;
	}
}

enum session_end agent_session(struct agent *a, bool *welcomed)
{
	struct proto_welcome w;
	char err[512];
	int ret;

	*welcomed = false;
	a->seq = 0;
	if (posture_collect("", a->o->posture_file, &a->posture, err,
			    sizeof(err))) {
		agent_log("%s", err);
		return SESSION_SETUP;
	}
	agent_dbg("connecting to %s port %s", a->o->host, a->o->port);
	ret = tcp_connect(a);
	if (ret == GO_ON)
		ret = tls_handshake(a);
	if (ret == GO_ON)
		ret = send_hello(a);
	if (ret == SESSION_LOST)
		ret = SESSION_FAILED; /* never welcomed */
	if (ret == GO_ON)
		ret = await_welcome(a, &w);
	if (ret == GO_ON) {
		*welcomed = true;
		printf("tp-agent: connected to %s as %s (lease %us, heartbeat "
		       "%us)\n",
		       a->o->gateway, w.name[0] ? w.name : w.device, w.lease_s,
		       w.heartbeat_s);
		fflush(stdout);
		ret = keepalive(a, &w);
	} else if (ret == SESSION_STOPPED && a->tls_up) {
		say_bye(a);
	}
	session_close(a);
	return ret;
}
