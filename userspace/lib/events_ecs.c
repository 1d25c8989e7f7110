// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_ecs.c - checking an event and writing it as one Elastic Common
 * Schema JSON object. Every string leaves here as valid UTF-8 cut to a
 * bounded size (a device name is whatever an admin or an inventory typed);
 * the structured fields (action, kind, outcome, categories, IP, MAC,
 * VLAN, certificate serial, extra keys) are refused when malformed. ECS
 * allows dotted or nested names; we write nested objects, built with
 * json-c so that escaping is json-c's, not ours.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/events_int.h"

#define ECS_VERSION "8.11.0"
#define ACTION_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-"
#define KEY_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

static const char *const ecs_kinds[] = {
	"event",	  "alert",  "metric",	  "state",
	"pipeline_error", "signal", "enrichment", NULL,
};

static const char *const ecs_outcomes[] = {
	"success",
	"failure",
	"unknown",
	NULL,
};

static const char *const ecs_categories[] = {
	"api",
	"authentication",
	"configuration",
	"database",
	"driver",
	"email",
	"file",
	"host",
	"iam",
	"intrusion_detection",
	"library",
	"malware",
	"network",
	"package",
	"process",
	"registry",
	"session",
	"threat",
	"vulnerability",
	"web",
	NULL,
};

static bool in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && !strncmp(*list, s, len))
			return true;
	return false;
}

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Copy src into dst (room for max + 1 bytes) as valid UTF-8: an invalid
 * byte becomes U+FFFD, and the copy stops before a character that would
 * not fit, so a cut never splits one. Returns the length.
 */
size_t ev_utf8_cut(char *dst, const char *src, size_t max)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t len = 0, n;

	while (*s) {
		n = utf8_seq(s);
		if (n) {
			if (len + n > max)
				break;
			memcpy(dst + len, s, n);
			s += n;
		} else {
			n = 3;
			if (len + n > max)
				break;
			memcpy(dst + len, "\xef\xbf\xbd", n);
			s++;
		}
		len += n;
	}
	dst[len] = 0;
	return len;
}

bool ev_printusascii(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++, n++)
		if (*s < 33 || *s > 126 || n >= max)
			return false;
	return true;
}

static int clean_action(char *dst, const char *s)
{
	size_t n;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (!n || n > 32 || strspn(s, ACTION_CHARS) != n)
		return -EINVAL;
	memcpy(dst, s, n + 1);
	return 0;
}

static int clean_categories(struct ev_clean *c, const char *s)
{
	const char *p = s, *end;
	size_t len;

	c->ncat = 0;
	if (!s)
		return 0;
	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (c->ncat == EV_CAT_MAX || !in_list(ecs_categories, p, len))
			return -EINVAL;
		memcpy(c->cat[c->ncat], p, len);
		c->cat[c->ncat++][len] = 0;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* ECS wants an alphanumeric serial without colons and in upper case. */
static int clean_serial(char *dst, const char *s)
{
	size_t n = 0;

	dst[0] = 0;
	if (!s)
		return 0;
	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *s) || n >= 128)
			return -EINVAL;
		dst[n++] = *s >= 'a' ? *s - 'a' + 'A' : *s;
	}
	dst[n] = 0;
	return n ? 0 : -EINVAL;
}

static int clean_identity(struct ev_clean *c, const struct ev_identity *id,
			  size_t cap)
{
	uint8_t family, addr[16], mac[6];
	int err;

	c->ip[0] = c->mac[0] = 0;
	c->vlan = 0;
	c->has_id = !!id;
	if (!id) {
		static const struct ev_identity none;

		id = &none;
	}
	ev_utf8_cut(c->device_id, id->device_id, cap);
	ev_utf8_cut(c->device_name, id->device_name, cap);
	ev_utf8_cut(c->owner, id->owner, cap);
	ev_utf8_cut(c->group, id->group, cap);
	ev_utf8_cut(c->model, id->model, cap);
	ev_utf8_cut(c->manufacturer, id->manufacturer, cap);
	ev_utf8_cut(c->serial_number, id->serial_number, cap);
	ev_utf8_cut(c->os, id->os, cap);
	ev_utf8_cut(c->os_version, id->os_version, cap);
	ev_utf8_cut(c->ifname, id->ifname, cap);
	err = clean_serial(c->cert_serial, id->cert_serial);
	if (err)
		return err;
	if (id->ip) {
		if (ip_parse(id->ip, &family, addr))
			return -EINVAL;
		ip_format(family, addr, c->ip);
	}
	if (id->mac) {
		if (mac_parse(id->mac, mac))
			return -EINVAL;
		snprintf(c->mac, sizeof(c->mac),
			 "%02X-%02X-%02X-%02X-%02X-%02X", mac[0], mac[1],
			 mac[2], mac[3], mac[4], mac[5]);
	}
	if (id->vlan < 0 || id->vlan > 4094)
		return -EINVAL;
	c->vlan = id->vlan;
	return 0;
}

static int clean_extra(struct ev_clean *c, const struct ev_record *ev,
		       size_t cap)
{
	const struct ev_field *f;
	size_t n;
	int i, j;

	c->nextra = 0;
	if (ev->nextra < 0 || ev->nextra > EV_EXTRA_MAX ||
	    (ev->nextra && !ev->extra))
		return -EINVAL;
	for (i = 0; i < ev->nextra; i++) {
		f = &ev->extra[i];
		n = f->key ? strlen(f->key) : 0;
		/* Our own names under "trustpoint" stay ours. */
		if (!n || n > 32 || strspn(f->key, KEY_CHARS) != n ||
		    !strcmp(f->key, "actor") || !strcmp(f->key, "device"))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(c->extra[j].key, f->key))
				return -EINVAL;
		memcpy(c->extra[i].key, f->key, n + 1);
		c->extra[i].is_num = !f->str;
		c->extra[i].num = f->num;
		ev_utf8_cut(c->extra[i].str, f->str, cap);
		c->nextra++;
	}
	return 0;
}

static int clean_time(struct ev_clean *c, int64_t ms)
{
	struct timespec ts;
	struct tm tm;
	time_t secs;
	size_t n;

	if (!ms) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	/* RFC 3339 has four-digit years. */
	if (ms < 0 || ms > 253402300799999LL)
		return -EINVAL;
	secs = ms / 1000;
	if (!gmtime_r(&secs, &tm))
		return -EINVAL;
	n = strftime(c->timestamp, sizeof(c->timestamp), "%Y-%m-%dT%H:%M:%S",
		     &tm);
	snprintf(c->timestamp + n, sizeof(c->timestamp) - n, ".%03uZ",
		 (unsigned int)(ms % 1000));
	return 0;
}

/* Check ev and fill c; cap bounds each free-text field. 0 or -EINVAL. */
int ev_clean_record(struct ev_clean *c, const struct ev_record *ev, size_t cap)
{
	int err;

	if (!ev)
		return -EINVAL;
	err = clean_action(c->action, ev->action);
	if (err)
		return err;
	if (!ev->kind)
		strcpy(c->kind, "event");
	else if (in_list(ecs_kinds, ev->kind, strlen(ev->kind)))
		snprintf(c->kind, sizeof(c->kind), "%s", ev->kind);
	else
		return -EINVAL;
	if (!ev->outcome)
		c->outcome[0] = 0;
	else if (in_list(ecs_outcomes, ev->outcome, strlen(ev->outcome)))
		snprintf(c->outcome, sizeof(c->outcome), "%s", ev->outcome);
	else
		return -EINVAL;
	err = clean_categories(c, ev->category);
	if (!err)
		err = clean_identity(c, ev->id, cap);
	if (!err)
		err = clean_extra(c, ev, cap);
	if (!err)
		err = clean_time(c, ev->time_ms);
	if (err)
		return err;
	ev_utf8_cut(c->reason, ev->reason,
		    cap < EV_FIELD_MAX ? cap : EV_REASON_MAX);
	ev_utf8_cut(c->actor, ev->actor, cap);
	return 0;
}

/* The object at a dotted path under root, made when missing. */
static struct json_object *json_path(struct json_object *root, const char *path,
				     const char **leaf)
{
	struct json_object *o = root, *next;
	const char *dot;
	char part[32];

	while ((dot = strchr(path, '.'))) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, part, &next)) {
			next = json_object_new_object();
			json_object_object_add(o, part, next);
		}
		o = next;
		path = dot + 1;
	}
	*leaf = path;
	return o;
}

/* Empty values are left out: ECS has no use for "". */
static void put_str(struct json_object *root, const char *path, const char *v)
{
	struct json_object *o;
	const char *leaf;

	if (!v || !*v)
		return;
	o = json_path(root, path, &leaf);
	json_object_object_add(o, leaf, json_object_new_string(v));
}

static void put_obj(struct json_object *root, const char *path,
		    struct json_object *v)
{
	struct json_object *o;
	const char *leaf;

	o = json_path(root, path, &leaf);
	json_object_object_add(o, leaf, v);
}

/*
 * The ECS document of c, as one line without the newline, in a new
 * message. NULL when out of memory.
 */
struct ev_msg *ev_ecs_json(const struct events *e, const struct ev_clean *c)
{
	struct json_object *root = json_object_new_object(), *cats, *tp;
	struct ev_msg *m = NULL;
	const char *s;
	char vlan[8];
	size_t len;
	int i;

	if (!root)
		return NULL;
	put_str(root, "@timestamp", c->timestamp);
	put_str(root, "ecs.version", ECS_VERSION);
	put_str(root, "event.kind", c->kind);
	if (c->ncat) {
		cats = json_object_new_array();
		for (i = 0; i < c->ncat; i++)
			json_object_array_add(
				cats, json_object_new_string(c->cat[i]));
		put_obj(root, "event.category", cats);
	}
	put_str(root, "event.action", c->action);
	put_str(root, "event.outcome", c->outcome);
	put_str(root, "event.reason", c->reason);
	put_str(root, "source.ip", c->ip);
	put_str(root, "source.mac", c->mac);
	put_str(root, "user.name", c->owner);
	put_str(root, "device.id", c->device_id);
	put_str(root, "device.model.identifier", c->model);
	put_str(root, "device.manufacturer", c->manufacturer);
	put_str(root, "host.name", c->device_name);
	put_str(root, "host.os.name", c->os);
	put_str(root, "host.os.version", c->os_version);
	put_str(root, "tls.client.x509.serial_number", c->cert_serial);
	put_str(root, "observer.hostname", e->hostname);
	put_str(root, "observer.type", "gateway");
	put_str(root, "observer.product", "trustpoint");
	put_str(root, "observer.vendor", "trustpoint");
	put_str(root, "observer.ingress.interface.name", c->ifname);
	if (c->vlan) {
		/* ECS vlan.id is a keyword. */
		snprintf(vlan, sizeof(vlan), "%d", c->vlan);
		put_str(root, "observer.ingress.vlan.id", vlan);
	}
	/* What ECS has no field for lives under our own name. */
	put_str(root, "trustpoint.actor", c->actor);
	put_str(root, "trustpoint.device.group", c->group);
	put_str(root, "trustpoint.device.serial_number", c->serial_number);
	for (i = 0; i < c->nextra; i++) {
		if (!json_object_object_get_ex(root, "trustpoint", &tp)) {
			tp = json_object_new_object();
			json_object_object_add(root, "trustpoint", tp);
		}
		json_object_object_add(
			tp, c->extra[i].key,
			c->extra[i].is_num
				? json_object_new_int64(c->extra[i].num)
				: json_object_new_string(c->extra[i].str));
	}

	s = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s) {
		len = strlen(s);
		m = ev_msg_new(len);
		if (m)
			memcpy(m->data, s, len);
	}
	json_object_put(root);
	return m;
}
