/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agent.h - what the parts of tp-agent share: its settings, the posture
 * collector and one session with the gateway.
 */
#ifndef TP_AGENT_AGENT_H
#define TP_AGENT_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/proto.h"

#define AGENT_PORT_DEFAULT "4433"
#define AGENT_TIMEOUT_DEFAULT 10 /* s: connect, handshake, WELCOME */
#define AGENT_POSTURE_EVERY 5	 /* heartbeats between posture re-reads */

/* Exit statuses, as --help documents them. */
enum {
	EXIT_STOPPED = 0,
	EXIT_USAGE = 1,
	EXIT_NOCONNECT = 2,
	EXIT_REVOKED = 3,
};

struct agent_opts {
	char *gateway; /* HOST[:PORT], [V6]:PORT or a bare IPv6 literal */
	char *cert, *key, *ca;
	char *server_name; /* expected name in the gateway's certificate */
	char *posture_file;
	unsigned int timeout_s;
	bool once, verbose;
	/* split from gateway by agent_resolve_names() */
	char host[256], port[8], name[256];
	bool name_is_ip;
};

/* Prefix every line with "tp-agent: "; agent_dbg() only with -v. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void agent_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool agent_verbose;

/*
 * Posture, collected under root ("" for the real system; the selftest
 * points it at fixtures): root/etc/os-release (ID, VERSION_ID),
 * root/sys/class/dmi/id/{product_name,sys_vendor,product_serial}, then
 * file (KEY=VALUE with the proto.h key names) overriding any of them.
 * Missing sources are fine. A bad os-release value is left out with a
 * warning; a bad override file is an error (-EINVAL, err says where).
 */
int posture_collect(const char *root, const char *file, struct proto_posture *p,
		    char *err, size_t errlen);

/*
 * One KEY=VALUE file in os-release syntax (quotes, backslash escapes in
 * double quotes, comments, no shell). For each line whose key is in
 * keys[], the value goes to dst[i] (PROTO_STR_MAX). strict: lines that are
 * not assignments and unknown keys are errors; otherwise they are skipped.
 * Values that are too long or hold non-printable bytes are errors.
 * Returns 0, -ENOENT when the file is missing, -EINVAL (err set).
 */
int posture_parse_file(const char *path, const char *const keys[],
		       char *const dst[], bool strict, char *err,
		       size_t errlen);

enum session_end {
	SESSION_STOPPED, /* SIGTERM/SIGINT: BYE sent */
	SESSION_REVOKED, /* the gateway sent REVOKED */
	SESSION_BYE,	 /* the gateway said BYE */
	SESSION_LOST,	 /* connection closed or broken after WELCOME */
	SESSION_FAILED,	 /* no connection, refused, or no WELCOME */
	SESSION_SETUP,	 /* local setup error (certificate files, memory) */
};

struct agent;
/* Load the certificates and key into a TLS 1.3 client context. */
int agent_new(const struct agent_opts *o, int sigfd, struct agent **out);
void agent_free(struct agent *a);
/* Connect, handshake, HELLO, WELCOME, then heartbeats until it ends. */
enum session_end agent_session(struct agent *a, bool *welcomed);

#endif /* TP_AGENT_AGENT_H */
