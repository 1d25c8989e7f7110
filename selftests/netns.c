// SPDX-License-Identifier: GPL-2.0-only
/*
 * netns.c - traffic helpers for end-to-end tests (see netns.h). Each probe
 * runs in a forked child that entered the namespace with setns(), so the
 * test process itself never changes namespace, and a probe that hangs is
 * killed instead of hanging the test.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "test_progs.h"

/* Extra time a child gets past its own timeout before it is killed. */
#define NETNS_GRACE_MS 2000
/* How often UDP and ICMP probes repeat their request while waiting. */
#define NETNS_RESEND_MS 250

const char *netns_result_str(int res)
{
	switch (res) {
	case NETNS_OK:
		return "ok";
	case NETNS_NO_REPLY:
		return "no reply";
	case NETNS_REFUSED:
		return "refused";
	case NETNS_BAD_REPLY:
		return "bad reply";
	case NETNS_ERROR:
		return "error";
	case NETNS_KILLED:
		return "killed";
	}
	return "?";
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* Milliseconds until deadline, never negative. */
static int left_ms(long deadline)
{
	long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

/* Milliseconds until the earlier of two deadlines. */
static int left_min_ms(long a, long b)
{
	return left_ms(a < b ? a : b);
}

/* Wait for child pid at most timeout_ms; kill it when it overruns. */
static int child_wait(pid_t pid, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return NETNS_ERROR;
		if (!left_ms(deadline)) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fprintf(stderr, "netns: child %d killed after %d ms\n",
				(int)pid, timeout_ms);
			return NETNS_KILLED;
		}
		usleep(2000);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return NETNS_KILLED;
}

/*
 * Fork a child that is in NS. Returns the pid in the parent, 0 in the
 * child, -errno on failure. The child dies with its parent.
 */
static pid_t fork_into(const char *ns)
{
	char path[256];
	pid_t parent = getpid(), pid;
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "netns: open %s: %s\n", path, strerror(errno));
		return err;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (pid > 0) {
		close(fd);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(NETNS_KILLED);
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "netns: setns %s: %s\n", ns, strerror(errno));
		_exit(NETNS_ERROR);
	}
	close(fd);
	return 0;
}

int netns_run(const char *ns, int timeout_ms, int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork_into(ns);

	if (pid < 0)
		return NETNS_ERROR;
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return child_wait(pid, timeout_ms);
}

int sockaddr_of(struct sockaddr_storage *ss, socklen_t *len, const char *addr,
		int port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	fprintf(stderr, "netns: bad address '%s'\n", addr);
	return -EINVAL;
}

/* A socket of type for dst's family, bound to src when given. */
static int probe_socket(const char *src, const char *dst, int type, int proto,
			struct sockaddr_storage *to, socklen_t *to_len,
			int port)
{
	struct sockaddr_storage from;
	socklen_t from_len;
	int fd;

	if (sockaddr_of(to, to_len, dst, port))
		return -EINVAL;
	fd = socket(to->ss_family, type | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		fprintf(stderr, "netns: socket: %s\n", strerror(errno));
		return -errno;
	}
	if (!src)
		return fd;
	if (sockaddr_of(&from, &from_len, src, 0) ||
	    from.ss_family != to->ss_family) {
		close(fd);
		return -EINVAL;
	}
	if (bind(fd, (struct sockaddr *)&from, from_len)) {
		fprintf(stderr, "netns: bind %s: %s\n", src, strerror(errno));
		close(fd);
		return -errno;
	}
	return fd;
}

/* Map a socket error to what it says about the path. */
static int result_of_errno(int err)
{
	switch (err) {
	case ETIMEDOUT:
		return NETNS_NO_REPLY;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ECONNRESET:
		return NETNS_REFUSED;
	}
	fprintf(stderr, "netns: %s\n", strerror(err));
	return NETNS_ERROR;
}

struct echo_probe {
	const char *src;
	const char *dst;
	int port;
	const char *payload;
	int timeout_ms;
};

static int tcp_echo_child(void *arg)
{
	const struct echo_probe *p = arg;
	long deadline = now_ms() + p->timeout_ms;
	size_t len = strlen(p->payload), sent = 0, got = 0;
	struct sockaddr_storage to;
	char buf[4096];
	socklen_t to_len, el = sizeof(int);
	int fd, err = 0;
	struct pollfd pfd;

	if (len > sizeof(buf))
		return NETNS_ERROR;
	fd = probe_socket(p->src, p->dst, SOCK_STREAM | SOCK_NONBLOCK, 0, &to,
			  &to_len, p->port);
	if (fd < 0)
		return NETNS_ERROR;
	if (connect(fd, (struct sockaddr *)&to, to_len) && errno != EINPROGRESS)
		return result_of_errno(errno);
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&pfd, 1, left_ms(deadline)) <= 0)
		return NETNS_NO_REPLY;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
		return NETNS_ERROR;
	if (err)
		return result_of_errno(err);
	while (sent < len) {
		ssize_t n =
			send(fd, p->payload + sent, len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN)
			return result_of_errno(errno);
		if (n > 0)
			sent += n;
		pfd.events = POLLOUT;
		if (sent < len && poll(&pfd, 1, left_ms(deadline)) <= 0)
			return NETNS_NO_REPLY;
	}
	while (got < len) {
		ssize_t n;

		pfd.events = POLLIN;
		if (poll(&pfd, 1, left_ms(deadline)) <= 0)
			return NETNS_NO_REPLY;
		n = recv(fd, buf + got, len - got, 0);
		if (n == 0)
			return NETNS_BAD_REPLY; /* closed before the echo */
		if (n < 0 && errno != EAGAIN)
			return result_of_errno(errno);
		if (n > 0)
			got += n;
	}
	close(fd);
	return memcmp(buf, p->payload, len) ? NETNS_BAD_REPLY : NETNS_OK;
}

static int udp_echo_child(void *arg)
{
	const struct echo_probe *p = arg;
	long deadline = now_ms() + p->timeout_ms;
	size_t len = strlen(p->payload);
	struct sockaddr_storage to;
	char buf[4096];
	socklen_t to_len;
	int fd;

	fd = probe_socket(p->src, p->dst, SOCK_DGRAM, 0, &to, &to_len, p->port);
	if (fd < 0)
		return NETNS_ERROR;
	/* connected: only dst's answers count, and ICMP errors show up */
	if (connect(fd, (struct sockaddr *)&to, to_len))
		return result_of_errno(errno);
	while (left_ms(deadline)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long resend = now_ms() + NETNS_RESEND_MS;
		ssize_t n;

		if (send(fd, p->payload, len, 0) < 0)
			return result_of_errno(errno);
		if (poll(&pfd, 1, left_min_ms(resend, deadline)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return result_of_errno(errno);
		if ((size_t)n != len || memcmp(buf, p->payload, len))
			return NETNS_BAD_REPLY;
		return NETNS_OK;
	}
	return NETNS_NO_REPLY;
}

static uint16_t inet_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;

	for (; len > 1; b += 2, len -= 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

struct ping_probe {
	const char *src;
	const char *dst;
	int timeout_ms;
};

/* Is buf (from the socket) the echo reply to our request id? */
static bool is_echo_reply(const uint8_t *buf, ssize_t n, bool v6, uint16_t id)
{
	if (!v6) {
		const struct iphdr *ip = (const void *)buf;
		const struct icmphdr *ic;

		if (n < (ssize_t)sizeof(*ip) ||
		    n < (ssize_t)(ip->ihl * 4 + sizeof(*ic)))
			return false;
		ic = (const void *)(buf + ip->ihl * 4);
		return ic->type == ICMP_ECHOREPLY && ic->un.echo.id == id;
	} else {
		const struct icmp6_hdr *ic = (const void *)buf;

		return n >= (ssize_t)sizeof(*ic) &&
		       ic->icmp6_type == ICMP6_ECHO_REPLY && ic->icmp6_id == id;
	}
}

static int ping_child(void *arg)
{
	const struct ping_probe *p = arg;
	long deadline = now_ms() + p->timeout_ms;
	uint16_t id = htons(getpid() & 0xffff);
	struct sockaddr_storage to, peer;
	uint8_t req[64] = {0}, buf[2048];
	socklen_t to_len, peer_len;
	uint16_t seq = 0;
	bool v6;
	int fd;

	if (sockaddr_of(&to, &to_len, p->dst, 0))
		return NETNS_ERROR;
	v6 = to.ss_family == AF_INET6;
	fd = probe_socket(p->src, p->dst, SOCK_RAW,
			  v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, &to, &to_len, 0);
	if (fd < 0)
		return NETNS_ERROR;
	memcpy(req + 8, "trustpoint ping", 15);
	while (left_ms(deadline)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long resend = now_ms() + NETNS_RESEND_MS;

		if (v6) {
			struct icmp6_hdr *ic = (void *)req;

			/* the kernel fills in the ICMPv6 checksum */
			ic->icmp6_type = ICMP6_ECHO_REQUEST;
			ic->icmp6_id = id;
			ic->icmp6_seq = htons(++seq);
		} else {
			struct icmphdr *ic = (void *)req;

			ic->type = ICMP_ECHO;
			ic->checksum = 0;
			ic->un.echo.id = id;
			ic->un.echo.sequence = htons(++seq);
			ic->checksum = inet_csum(req, sizeof(req), 0);
		}
		if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&to,
			   to_len) < 0)
			return result_of_errno(errno);
		/* a raw socket sees every ICMP message: wait for ours */
		while (left_min_ms(resend, deadline)) {
			ssize_t n;

			if (poll(&pfd, 1, left_min_ms(resend, deadline)) <= 0)
				break;
			peer_len = sizeof(peer);
			n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &peer_len);
			if (n < 0)
				continue;
			if (is_echo_reply(buf, n, v6, id))
				return NETNS_OK;
		}
	}
	return NETNS_NO_REPLY;
}

int netns_tcp_echo(const char *ns, const char *src, const char *dst, int port,
		   const char *payload, int timeout_ms)
{
	struct echo_probe p = {src, dst, port, payload, timeout_ms};

	return netns_run(ns, timeout_ms + NETNS_GRACE_MS, tcp_echo_child, &p);
}

int netns_udp_echo(const char *ns, const char *src, const char *dst, int port,
		   const char *payload, int timeout_ms)
{
	struct echo_probe p = {src, dst, port, payload, timeout_ms};

	return netns_run(ns, timeout_ms + NETNS_GRACE_MS, udp_echo_child, &p);
}

int netns_ping(const char *ns, const char *src, const char *dst, int timeout_ms)
{
	struct ping_probe p = {src, dst, timeout_ms};

	return netns_run(ns, timeout_ms + NETNS_GRACE_MS, ping_child, &p);
}

/* Serve TCP echo one connection at a time; each gets a few seconds. */
static void serve_tcp(int lfd)
{
	struct timeval tv = {.tv_sec = 3};
	char buf[4096];

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (send(fd, buf, n, MSG_NOSIGNAL) != n)
				break;
		close(fd);
	}
}

static void serve_udp(int fd)
{
	struct sockaddr_storage peer;
	char buf[4096];

	for (;;) {
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &plen);

		if (n >= 0)
			sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
	}
}

/* In the server child: the bound socket, or -errno. */
static int server_socket(int proto, const char *addr, int port)
{
	int type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(*s6);
	int fd, one = 1, zero = 0;

	if (addr) {
		if (sockaddr_of(&ss, &len, addr, port))
			return -EINVAL;
	} else {
		memset(&ss, 0, sizeof(ss));
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
	}
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a wildcard server answers IPv4 and IPv6 alike */
	if (!addr)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (proto == IPPROTO_TCP && listen(fd, 16)))
		return -errno;
	return fd;
}

int netns_echo_server_start(struct netns_server *s, const char *ns, int proto,
			    const char *addr, int port, int lifetime_s)
{
	struct pollfd pfd;
	int ready[2], fd, err = -EIO;
	pid_t pid;

	s->pid = 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EINVAL;
	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	pid = fork_into(ns);
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return pid;
	}
	if (pid == 0) {
		close(ready[0]);
		alarm(lifetime_s);
		fd = server_socket(proto, addr, port);
		err = fd < 0 ? fd : 0;
		if (write(ready[1], &err, sizeof(err)) != sizeof(err) || fd < 0)
			_exit(NETNS_ERROR);
		close(ready[1]);
		if (proto == IPPROTO_TCP)
			serve_tcp(fd);
		else
			serve_udp(fd);
		_exit(0);
	}
	close(ready[1]);
	pfd = (struct pollfd){.fd = ready[0], .events = POLLIN};
	if (poll(&pfd, 1, 5000) != 1 ||
	    read(ready[0], &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	close(ready[0]);
	s->pid = pid;
	if (err) {
		fprintf(stderr, "netns: echo server %s:%d in %s: %s\n",
			addr ? addr : "*", port, ns, strerror(-err));
		netns_server_stop(s);
	}
	return err;
}

void netns_server_stop(struct netns_server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

int netns_frame_udp4(void *buf, size_t cap, const struct netns_frame *f)
{
	size_t hdr = ETH_HLEN + (f->svlan ? 4 : 0) + (f->vlan ? 4 : 0);
	size_t len = hdr + sizeof(struct iphdr) + 8 + f->payload_len;
	uint8_t *b = buf, *l4;
	struct iphdr *ip;
	uint32_t sum;
	size_t off;

	if (len > cap || len > ETH_FRAME_LEN)
		return -EMSGSIZE;
	memset(b, 0, len);
	memcpy(b, f->dst_mac, 6);
	memcpy(b + 6, f->src_mac, 6);
	off = 12;
	if (f->svlan) {
		*(uint16_t *)(b + off) = htons(ETH_P_8021AD);
		*(uint16_t *)(b + off + 2) = htons(f->svlan & 0xfff);
		off += 4;
	}
	if (f->vlan) {
		*(uint16_t *)(b + off) = htons(ETH_P_8021Q);
		*(uint16_t *)(b + off + 2) = htons(f->vlan & 0xfff);
		off += 4;
	}
	*(uint16_t *)(b + off) = htons(ETH_P_IP);
	off += 2;

	ip = (struct iphdr *)(b + off);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + 8 + f->payload_len);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	if (inet_pton(AF_INET, f->saddr, &ip->saddr) != 1 ||
	    inet_pton(AF_INET, f->daddr, &ip->daddr) != 1)
		return -EINVAL;
	ip->check = inet_csum(ip, sizeof(*ip), 0);

	l4 = (uint8_t *)(ip + 1);
	*(uint16_t *)l4 = htons(f->sport);
	*(uint16_t *)(l4 + 2) = htons(f->dport);
	*(uint16_t *)(l4 + 4) = htons(8 + f->payload_len);
	if (f->payload_len)
		memcpy(l4 + 8, f->payload, f->payload_len);
	/* pseudo header: addresses, protocol, UDP length */
	sum = IPPROTO_UDP + 8 + f->payload_len;
	for (int i = 0; i < 4; i += 2)
		sum += ((uint8_t *)&ip->saddr)[i] << 8 |
		       ((uint8_t *)&ip->saddr)[i + 1];
	for (int i = 0; i < 4; i += 2)
		sum += ((uint8_t *)&ip->daddr)[i] << 8 |
		       ((uint8_t *)&ip->daddr)[i + 1];
	*(uint16_t *)(l4 + 6) = inet_csum(l4, 8 + f->payload_len, sum);
	if (!*(uint16_t *)(l4 + 6))
		*(uint16_t *)(l4 + 6) = 0xffff;
	return (int)len;
}

struct frame_send {
	const char *ifname;
	const void *frame;
	size_t len;
	int count;
};

static int send_frame_child(void *arg)
{
	const struct frame_send *p = arg;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	int fd;

	/* protocol 0: this socket sends only and receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "netns: AF_PACKET socket: %s\n",
			strerror(errno));
		return NETNS_ERROR;
	}
	sll.sll_ifindex = if_nametoindex(p->ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "netns: no interface %s\n", p->ifname);
		return NETNS_ERROR;
	}
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, p->frame, ETH_ALEN);
	for (int i = 0; i < p->count; i++) {
		if (sendto(fd, p->frame, p->len, 0, (struct sockaddr *)&sll,
			   sizeof(sll)) != (ssize_t)p->len) {
			fprintf(stderr, "netns: send on %s: %s\n", p->ifname,
				strerror(errno));
			return NETNS_ERROR;
		}
	}
	close(fd);
	return NETNS_OK;
}

int netns_send_frame(const char *ns, const char *ifname, const void *frame,
		     size_t len, int count)
{
	struct frame_send p = {ifname, frame, len, count};

	return netns_run(ns, 5000, send_frame_child, &p);
}

int loopback_port(int *lfd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    (lfd && listen(fd, 4))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (lfd)
		*lfd = fd;
	else
		close(fd);
	return ntohs(sa.sin_port);
}
