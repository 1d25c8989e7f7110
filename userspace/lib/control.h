/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * control.h - the control socket between tpctl and trustpointd: a unix
 * stream socket carrying messages of a 4-byte big-endian length and one
 * JSON object of at most CONTROL_MAX_MSG bytes. Requests name a command,
 *   {"cmd":"device.revoke","device":"dev1","reason":"keyCompromise",
 *    "actor":"tpctl:root"}
 * and each gets one response, {"ok":true,...} or {"error":"..."}.
 * Server (trustpointd) and client (tpctl) share this one reader and writer.
 */
#ifndef TP_LIB_CONTROL_H
#define TP_LIB_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_MSG (64 * 1024)
#define CONTROL_HDR_LEN 4
#define CONTROL_JSON_DEPTH 8

struct json_object;

/* One message, header included, in a malloc'd buffer; -EMSGSIZE when too long.
 */
int control_encode(struct json_object *o, uint8_t **buf, size_t *len);

/*
 * Incremental reader, like proto_reader: the body is allocated only once a
 * header announced a length within bounds.
 */
struct control_reader {
	uint8_t hdr[CONTROL_HDR_LEN];
	size_t hdr_got;
	uint32_t len;
	size_t got;
	char *body; /* NUL-terminated once complete */
};

/* 1: a message is ready; 0: more bytes needed; -EMSGSIZE, -EPROTO, -ENOMEM. */
int control_feed(struct control_reader *r, const uint8_t *data, size_t len,
		 size_t *used);
void control_reader_reset(struct control_reader *r);

/* The body as a JSON object (bounded depth, no trailing bytes), or NULL. */
struct json_object *control_parse(const char *body, size_t len);

/*
 * Send req to the daemon at sock_path and wait up to timeout_ms for its
 * answer. -ENOENT or -ECONNREFUSED when no daemon listens (the caller
 * falls back to the direct library path), -EACCES when not allowed,
 * -ETIMEDOUT, -EPROTO on a malformed answer. *resp is the caller's.
 */
int control_call(const char *sock_path, struct json_object *req,
		 struct json_object **resp, int timeout_ms);
/*
 * control_call's halves, for a caller that times the request itself:
 * a non-blocking connection (*fd, or -1 and the error), and the wait of
 * up to timeout_ms for one whole answer on it.
 */
int control_connect(const char *sock_path, int *fd);
int control_recv(int fd, struct json_object **resp, int timeout_ms);

#endif /* TP_LIB_CONTROL_H */
