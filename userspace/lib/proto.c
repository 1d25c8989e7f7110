// SPDX-License-Identifier: GPL-2.0-only
/*
 * proto.c - frames and payloads of the agent/daemon channel (proto.h):
 * the one parser and the one printer of that format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "lib/addr.h"
#include "lib/frame.h"
#include "lib/json_strict.h"
#include "lib/proto.h"

#define JSON_DEPTH 4

const char *proto_type_name(uint8_t type)
{
	switch (type) {
	case PROTO_HELLO:
		return "HELLO";
	case PROTO_HEARTBEAT:
		return "HEARTBEAT";
	case PROTO_POSTURE:
		return "POSTURE";
	case PROTO_WELCOME:
		return "WELCOME";
	case PROTO_REVOKED:
		return "REVOKED";
	case PROTO_BYE:
		return "BYE";
	}
	return NULL;
}

int proto_encode(uint8_t type, const char *payload, size_t len, uint8_t *buf,
		 size_t cap)
{
	if (len > PROTO_MAX_PAYLOAD || cap < PROTO_HDR_LEN + len)
		return -EMSGSIZE;
	buf[0] = 'T';
	buf[1] = 'P';
	buf[2] = PROTO_VERSION;
	buf[3] = type;
	buf[4] = len >> 24;
	buf[5] = len >> 16;
	buf[6] = len >> 8;
	buf[7] = len;
	memcpy(buf + PROTO_HDR_LEN, payload, len);
	return PROTO_HDR_LEN + len;
}

int proto_feed(struct proto_reader *r, const uint8_t *data, size_t len,
	       size_t *used)
{
	*used = 0;
	if (r->hdr_got < PROTO_HDR_LEN) {
		if (!frame_fill(r->hdr, &r->hdr_got, PROTO_HDR_LEN, &data, &len,
				used))
			return 0;
		if (r->hdr[0] != 'T' || r->hdr[1] != 'P' ||
		    r->hdr[2] != PROTO_VERSION || !proto_type_name(r->hdr[3]))
			return -EPROTO;
		r->type = r->hdr[3];
		r->len = frame_be32(r->hdr + 4);
		/* refused before anything is allocated for it */
		if (r->len > PROTO_MAX_PAYLOAD)
			return -EMSGSIZE;
		r->payload = malloc(r->len + 1);
		if (!r->payload)
			return -ENOMEM;
		r->got = 0;
	}
	if (!frame_fill(r->payload, &r->got, r->len, &data, &len, used))
		return 0;
	r->payload[r->len] = 0;
	return 1;
}

void proto_reader_reset(struct proto_reader *r)
{
	free(r->payload);
	memset(r, 0, sizeof(*r));
}

void proto_reader_free(struct proto_reader *r)
{
	proto_reader_reset(r);
}

/* A payload is one JSON object, bounded in size and depth. */
static struct json_object *parse_object(const char *json, size_t len)
{
	return json_strict_object(json, len, PROTO_MAX_PAYLOAD, JSON_DEPTH);
}

/* Copy an optional string member; -EPROTO when it is not a fitting string. */
static int get_str(struct json_object *o, const char *key, char *dst,
		   size_t cap, bool required)
{
	struct json_object *v;
	const char *s;
	size_t len;

	dst[0] = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return required ? -EPROTO : 0;
	if (!json_object_is_type(v, json_type_string))
		return -EPROTO;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len >= cap || memchr(s, 0, len))
		return -EPROTO;
	memcpy(dst, s, len + 1);
	return 0;
}

static int get_uint(struct json_object *o, const char *key, uint64_t max,
		    uint64_t *out)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EPROTO;
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max)
		return -EPROTO;
	*out = x;
	return 0;
}

static int posture_from(struct json_object *o, struct proto_posture *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	if (!json_object_is_type(o, json_type_object))
		return -EPROTO;
	err = get_str(o, "os", p->os, sizeof(p->os), false);
	err = err
		      ?: get_str(o, "os_version", p->os_version,
				 sizeof(p->os_version), false);
	err = err ?: get_str(o, "model", p->model, sizeof(p->model), false);
	err = err
		      ?: get_str(o, "manufacturer", p->manufacturer,
				 sizeof(p->manufacturer), false);
	err = err
		      ?: get_str(o, "serial_number", p->serial_number,
				 sizeof(p->serial_number), false);
	return err;
}

int proto_parse_hello(const char *json, size_t len, struct proto_hello *h)
{
	struct json_object *o = parse_object(json, len), *v;
	int err;

	memset(h, 0, sizeof(*h));
	if (!o)
		return -EPROTO;
	err = get_str(o, "agent", h->agent, sizeof(h->agent), true);
	err = err
		      ?: get_str(o, "hostname", h->hostname,
				 sizeof(h->hostname), false);
	if (!err && json_object_object_get_ex(o, "posture", &v))
		err = posture_from(v, &h->posture);
	if (!err && json_object_object_get_ex(o, "addresses", &v)) {
		size_t n;

		if (!json_object_is_type(v, json_type_array) ||
		    (n = json_object_array_length(v)) > PROTO_MAX_ADDRS) {
			err = -EPROTO;
		} else {
			for (size_t i = 0; i < n && !err; i++) {
				struct json_object *a =
					json_object_array_get_idx(v, i);

				if (!json_object_is_type(a, json_type_string) ||
				    ip_parse(json_object_get_string(a),
					     &h->addr_family[i], h->addrs[i]))
					err = -EPROTO;
			}
			if (!err)
				h->naddrs = n;
		}
	}
	json_object_put(o);
	return err;
}

int proto_parse_posture(const char *json, size_t len, struct proto_posture *p)
{
	struct json_object *o = parse_object(json, len), *v;
	int err = -EPROTO;

	if (o && json_object_object_get_ex(o, "posture", &v))
		err = posture_from(v, p);
	json_object_put(o);
	return err;
}

int proto_parse_welcome(const char *json, size_t len, struct proto_welcome *w)
{
	struct json_object *o = parse_object(json, len);
	uint64_t lease = 0, hb = 0;
	int err;

	memset(w, 0, sizeof(*w));
	if (!o)
		return -EPROTO;
	err = get_str(o, "device", w->device, sizeof(w->device), true);
	err = err ?: get_str(o, "name", w->name, sizeof(w->name), false);
	err = err ?: get_uint(o, "lease", 86400 * 30, &lease);
	err = err ?: get_uint(o, "heartbeat", 86400, &hb);
	if (!err && (hb == 0 || lease == 0))
		err = -EPROTO;
	w->lease_s = lease;
	w->heartbeat_s = hb;
	json_object_put(o);
	return err;
}

int proto_parse_reason(const char *json, size_t len, char *reason, size_t cap)
{
	struct json_object *o = parse_object(json, len);
	int err = -EPROTO;

	if (o)
		err = get_str(o, "reason", reason, cap, false);
	json_object_put(o);
	return err;
}

int proto_parse_heartbeat(const char *json, size_t len, uint64_t *seq)
{
	struct json_object *o = parse_object(json, len);
	int err = -EPROTO;

	*seq = 0;
	if (o)
		err = json_object_object_get_ex(o, "seq", NULL)
			      ? get_uint(o, "seq", UINT64_MAX >> 1, seq)
			      : 0;
	json_object_put(o);
	return err;
}

/* Serialize o as the payload of a frame of type; consumes o. */
static int encode_obj(uint8_t type, struct json_object *o, uint8_t *buf,
		      size_t cap)
{
	size_t len;
	const char *s;
	int ret;

	if (!o)
		return -ENOMEM;
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	ret = s ? proto_encode(type, s, len, buf, cap) : -ENOMEM;
	json_object_put(o);
	return ret;
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	if (val && val[0])
		json_object_object_add(o, key, json_object_new_string(val));
}

static struct json_object *posture_obj(const struct proto_posture *p)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "os", p->os);
	add_str(o, "os_version", p->os_version);
	add_str(o, "model", p->model);
	add_str(o, "manufacturer", p->manufacturer);
	add_str(o, "serial_number", p->serial_number);
	return o;
}

int proto_hello(const struct proto_hello *h, uint8_t *buf, size_t cap)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < h->naddrs && i < PROTO_MAX_ADDRS; i++) {
		char ip[IP_STRLEN];

		ip_format(h->addr_family[i], h->addrs[i], ip);
		json_object_array_add(a, json_object_new_string(ip));
	}
	json_object_object_add(o, "agent", json_object_new_string(h->agent));
	add_str(o, "hostname", h->hostname);
	json_object_object_add(o, "addresses", a);
	json_object_object_add(o, "posture", posture_obj(&h->posture));
	return encode_obj(PROTO_HELLO, o, buf, cap);
}

int proto_posture(const struct proto_posture *p, uint8_t *buf, size_t cap)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "posture", posture_obj(p));
	return encode_obj(PROTO_POSTURE, o, buf, cap);
}

int proto_heartbeat(uint64_t seq, uint8_t *buf, size_t cap)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "seq", json_object_new_int64(seq));
	return encode_obj(PROTO_HEARTBEAT, o, buf, cap);
}

int proto_welcome(const struct proto_welcome *w, uint8_t *buf, size_t cap)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "device", json_object_new_string(w->device));
	add_str(o, "name", w->name);
	json_object_object_add(o, "lease", json_object_new_int64(w->lease_s));
	json_object_object_add(o, "heartbeat",
			       json_object_new_int64(w->heartbeat_s));
	return encode_obj(PROTO_WELCOME, o, buf, cap);
}

int proto_reason(uint8_t type, const char *reason, uint8_t *buf, size_t cap)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "reason",
			       json_object_new_string(reason ? reason : ""));
	return encode_obj(type, o, buf, cap);
}
