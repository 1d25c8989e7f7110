/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * netns.h - traffic helpers for end-to-end tests: run a function inside a
 * named network namespace (/run/netns/NAME) in a forked child, echo
 * servers and clients for TCP and UDP, ICMP/ICMPv6 echo, and raw Ethernet
 * frames through AF_PACKET for what sockets cannot send (VLAN tags,
 * spoofed sources). Every helper has a hard time limit: a child that
 * outlives it is killed.
 */
#ifndef TP_NETNS_H
#define TP_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "test_progs.h"

/*
 * What a probe found. A gate drop looks like NETNS_NO_REPLY (silence);
 * tests assert that exact value so that a refused connection or a broken
 * helper never passes for a drop.
 */
enum netns_result {
	NETNS_OK = 0,	     /* answered, and the answer was the one expected */
	NETNS_NO_REPLY = 1,  /* nothing came back in time */
	NETNS_REFUSED = 2,   /* RST, or an ICMP error reported by the socket */
	NETNS_BAD_REPLY = 3, /* an answer, but not the echo of what was sent */
	NETNS_ERROR = 4,  /* local failure (netns, socket, bind); see stderr */
	NETNS_KILLED = 5, /* overran its hard time limit and was killed */
};

const char *netns_result_str(int res);

/*
 * Run fn(arg) in network namespace NS (a name under /run/netns) in a
 * forked child. The child is killed after timeout_ms, and also when the
 * caller dies. Returns fn's return value (0..255), NETNS_ERROR when the
 * child could not enter NS, NETNS_KILLED on timeout.
 */
int netns_run(const char *ns, int timeout_ms, int (*fn)(void *arg), void *arg);

/* An echo server running in a namespace, in a child process. */
struct netns_server {
	pid_t pid; /* 0 when not running */
};

/*
 * Start an echo server for proto (IPPROTO_TCP or IPPROTO_UDP) in NS, on
 * addr:port; addr NULL means every address, IPv4 and IPv6. Returns 0 once
 * it is bound (and listening), -errno otherwise. The server exits on its
 * own after lifetime_s seconds, so a forgotten one cannot linger.
 */
int netns_echo_server_start(struct netns_server *s, const char *ns, int proto,
			    const char *addr, int port, int lifetime_s);
/* Stop (kill) the server; harmless on one that never started. */
void netns_server_stop(struct netns_server *s);

/*
 * Probes from NS to dst (an IPv4 or IPv6 literal). src, when not NULL, is
 * the source address to bind. Each returns an enum netns_result, within
 * timeout_ms (the child is killed a little after that).
 */
/* Connect, send payload, expect it echoed back byte for byte. */
int netns_tcp_echo(const char *ns, const char *src, const char *dst, int port,
		   const char *payload, int timeout_ms);
/* Send payload as a datagram (repeated while waiting), expect the echo. */
int netns_udp_echo(const char *ns, const char *src, const char *dst, int port,
		   const char *payload, int timeout_ms);
/* ICMP or ICMPv6 echo request (repeated while waiting), expect the reply. */
int netns_ping(const char *ns, const char *src, const char *dst,
	       int timeout_ms);

/* An IPv4/UDP frame to build, optionally with one or two VLAN tags. */
struct netns_frame {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint16_t svlan;	   /* outer 802.1ad (0x88a8) tag when non-zero */
	uint16_t vlan;	   /* 802.1Q (0x8100) tag when non-zero */
	const char *saddr; /* IPv4 literals */
	const char *daddr;
	uint16_t sport;
	uint16_t dport;
	const void *payload;
	size_t payload_len;
};

/* Build the frame into buf; returns its length or -errno. */
int netns_frame_udp4(void *buf, size_t cap, const struct netns_frame *f);

/*
 * Send the raw frame count times out of interface ifname in NS through an
 * AF_PACKET socket. Returns an enum netns_result (NETNS_OK when every copy
 * was handed to the interface).
 */
int netns_send_frame(const char *ns, const char *ifname, const void *frame,
		     size_t len, int count);

/* Parse an IPv4 or IPv6 literal into ss; port in host order. */
int sockaddr_of(struct sockaddr_storage *ss, socklen_t *len, const char *addr,
		int port);

/*
 * An unused TCP port on 127.0.0.1, or -1. With lfd, the socket that found
 * it stays open, listening, in *lfd (no window for another to take it).
 */
int loopback_port(int *lfd);

/* A probe's result must be exactly want; says both by name otherwise. */
#define ASSERT_PROBE(res, want, name)                                \
	({                                                           \
		int ___r = (res), ___w = (want);                     \
		bool ___ok = ___r == ___w;                           \
		if (!___ok)                                          \
			CHECK_FAIL_(name, "got '%s', expected '%s'", \
				    netns_result_str(___r),          \
				    netns_result_str(___w));         \
		___ok;                                               \
	})

#endif /* TP_NETNS_H */
