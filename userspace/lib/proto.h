/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proto.h - the channel between tp-agent and trustpointd, spoken inside
 * the mutual-TLS connection.
 *
 * A frame is an 8-byte header and a payload:
 *
 *   0      2        3      4              8
 *   +------+--------+------+--------------+----------------------------+
 *   | "TP" | version| type | length (BE)  | payload: one JSON object   |
 *   +------+--------+------+--------------+----------------------------+
 *
 * The header is checked (magic, version, known type, length at most
 * PROTO_MAX_PAYLOAD) before anything is allocated for the payload, so an
 * oversized frame costs nothing. Payloads are UTF-8 JSON objects:
 *
 *   agent -> daemon
 *     HELLO      {"agent":"0.1.0","hostname":"h","addresses":["ip",...],
 *                 "posture":{"os":..,"os_version":..,"model":..,
 *                            "manufacturer":..,"serial_number":..}}
 *     HEARTBEAT  {"seq":N}
 *     POSTURE    {"posture":{...}}
 *   daemon -> agent
 *     WELCOME    {"device":"uuid","name":"dev1","lease":SECS,"heartbeat":SECS}
 *     REVOKED    {"reason":"keyCompromise"}
 *   either way
 *     BYE        the sender closes cleanly (the agent says so when stopped)
 */
#ifndef TP_LIB_PROTO_H
#define TP_LIB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_HDR_LEN 8
#define PROTO_MAX_PAYLOAD 8192
#define PROTO_MAX_ADDRS 16
#define PROTO_STR_MAX 256 /* longest string field */

enum proto_type {
	PROTO_HELLO = 0x01,
	PROTO_HEARTBEAT = 0x02,
	PROTO_POSTURE = 0x03,
	PROTO_WELCOME = 0x81,
	PROTO_REVOKED = 0x82,
	PROTO_BYE = 0x83,
};
const char *proto_type_name(uint8_t type);

/*
 * Encode one frame into buf (cap bytes). Returns the frame length or
 * -EMSGSIZE when the payload is too long or buf too small.
 */
int proto_encode(uint8_t type, const char *payload, size_t len, uint8_t *buf,
		 size_t cap);

/*
 * Incremental reader: feed it bytes as they arrive. The payload buffer is
 * allocated only once a valid header announced its length, and freed by
 * proto_reader_reset()/proto_reader_free().
 */
struct proto_reader {
	uint8_t hdr[PROTO_HDR_LEN];
	size_t hdr_got;
	uint8_t type;
	uint32_t len;
	size_t got;
	char *payload; /* NUL-terminated once complete */
};

/*
 * Consume from data; *used says how much. Returns 1 when a whole frame is
 * ready (r->type, r->payload, r->len), 0 when more bytes are needed, or
 * -EPROTO (bad magic, version or type), -EMSGSIZE (too long), -ENOMEM.
 * After a frame, call proto_reader_reset() before feeding more.
 */
int proto_feed(struct proto_reader *r, const uint8_t *data, size_t len,
	       size_t *used);
void proto_reader_reset(struct proto_reader *r);
void proto_reader_free(struct proto_reader *r);

struct proto_posture {
	char os[PROTO_STR_MAX];
	char os_version[PROTO_STR_MAX];
	char model[PROTO_STR_MAX];
	char manufacturer[PROTO_STR_MAX];
	char serial_number[PROTO_STR_MAX];
};

struct proto_hello {
	char agent[64];
	char hostname[PROTO_STR_MAX];
	struct proto_posture posture;
	int naddrs;
	uint8_t addr_family[PROTO_MAX_ADDRS];
	uint8_t addrs[PROTO_MAX_ADDRS][16];
};

struct proto_welcome {
	char device[40]; /* uuid */
	char name[PROTO_STR_MAX];
	uint32_t lease_s;
	uint32_t heartbeat_s;
};

/*
 * Decoders validate as they go: JSON nesting limited, types checked,
 * strings bounded, addresses parsed. -EPROTO on anything else.
 */
int proto_parse_hello(const char *json, size_t len, struct proto_hello *h);
int proto_parse_posture(const char *json, size_t len, struct proto_posture *p);
int proto_parse_welcome(const char *json, size_t len, struct proto_welcome *w);
/* REVOKED and BYE: {"reason": "..."} */
int proto_parse_reason(const char *json, size_t len, char *reason, size_t cap);
int proto_parse_heartbeat(const char *json, size_t len, uint64_t *seq);

/* Encoders write a whole frame into buf; return its length or -errno. */
int proto_hello(const struct proto_hello *h, uint8_t *buf, size_t cap);
int proto_posture(const struct proto_posture *p, uint8_t *buf, size_t cap);
int proto_heartbeat(uint64_t seq, uint8_t *buf, size_t cap);
int proto_welcome(const struct proto_welcome *w, uint8_t *buf, size_t cap);
int proto_reason(uint8_t type, const char *reason, uint8_t *buf, size_t cap);

#endif /* TP_LIB_PROTO_H */
