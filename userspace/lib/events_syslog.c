// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_syslog.c - the syslog side of events: the target URL, and the
 * RFC 5424 message around the ECS JSON line:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [tp@32473 k="v" ...]
 *   BOM{json}   (one line; SP between "]" and the BOM)
 *
 * MSGID is the event action. The structured data repeats who the event is
 * about, so that a SIEM that does not parse the JSON can still key on the
 * device; values escape '"', '\' and ']' as RFC 5424 6.3.3 asks, and turn
 * control characters into '?' so that no framing can be broken by them.
 * Framing (octet counting on TCP) is added when the message is written.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/events_int.h"

#define SEV_WARNING 4
#define SEV_NOTICE 5
#define SEV_INFO 6

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{"user", 1},	  {"mail", 2},	    {"daemon", 3},  {"auth", 4},
	{"syslog", 5},	  {"lpr", 6},	    {"news", 7},    {"uucp", 8},
	{"cron", 9},	  {"authpriv", 10}, {"ftp", 11},    {"ntp", 12},
	{"security", 13}, {"console", 14},  {"local0", 16}, {"local1", 17},
	{"local2", 18},	  {"local3", 19},   {"local4", 20}, {"local5", 21},
	{"local6", 22},	  {"local7", 23},
};

int events_facility_parse(const char *s)
{
	uint64_t v;
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(s, facilities[i].name))
			return facilities[i].code;
	if (u64_parse(s, 1, 23, &v))
		return -EINVAL;
	return (int)v;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']' and '"'. */
bool ev_sd_name_ok(const char *s)
{
	return ev_printusascii(s, EV_SDID_MAX) && !strpbrk(s, "=]\"");
}

static int target_inet(struct ev_target *t, const char *hostport, bool tcp,
		       char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICSERV}, *res;
	char host[256];
	const char *port;
	uint64_t p;
	int rc;

	if (hostport[0] == '[') {
		port = strchr(hostport, ']');
		if (!port || port[1] != ':')
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(port - hostport - 1),
			 hostport + 1);
		port += 2;
	} else {
		port = strrchr(hostport, ':');
		if (!port || memchr(hostport, ':', port - hostport))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(port - hostport),
			 hostport);
		port++;
	}
	if (!host[0] || strlen(host) > 253 || u64_parse(port, 1, 65535, &p))
		goto bad;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "syslog host '%s': %s", host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen,
		 "syslog target: expected HOST:PORT or [IPV6]:PORT, got '%s'",
		 hostport);
	return -EINVAL;
}

/* "udp://H:P", "tcp://H:P", "unix://PATH", "unix-dgram://", "unix-stream://" */
int ev_target_parse(struct ev_target *t, const char *url, char *err,
		    size_t errlen)
{
	static const struct {
		const char *scheme;
		enum ev_transport tr;
	} schemes[] = {
		{"udp://", EV_UDP},
		{"tcp://", EV_TCP},
		{"unix://", EV_UNIX_AUTO},
		{"unix-dgram://", EV_UNIX_DGRAM},
		{"unix-stream://", EV_UNIX_STREAM},
	};
	struct sockaddr_un *sun = (struct sockaddr_un *)&t->addr;
	const char *rest = NULL;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i].scheme);
		if (!strncmp(url, schemes[i].scheme, n)) {
			rest = url + n;
			t->transport = schemes[i].tr;
			break;
		}
	}
	if (!rest) {
		snprintf(
			err, errlen,
			"syslog target '%s': expected udp://, tcp://, unix://, unix-dgram:// or unix-stream://",
			url);
		return -EINVAL;
	}
	if (t->transport == EV_UDP || t->transport == EV_TCP)
		return target_inet(t, rest, t->transport == EV_TCP, err,
				   errlen);
	n = strlen(rest);
	if (rest[0] != '/' || n >= sizeof(sun->sun_path)) {
		snprintf(
			err, errlen,
			"syslog target '%s': expected an absolute socket path under %zu bytes",
			url, sizeof(sun->sun_path));
		return -EINVAL;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, rest, n + 1);
	t->addrlen = offsetof(struct sockaddr_un, sun_path) + n + 1;
	return 0;
}

/* ' name="value"', escaped; nothing for an empty value. */
static char *sd_param(char *p, const char *name, const char *value)
{
	char cut[EV_SD_VALUE_MAX + 1];
	const char *s;

	if (!value || !*value)
		return p;
	ev_utf8_cut(cut, value, EV_SD_VALUE_MAX);
	p += sprintf(p, " %s=\"", name);
	for (s = cut; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\' || c == ']')
			*p++ = '\\';
		*p++ = c < 0x20 || c == 0x7f ? '?' : c;
	}
	*p++ = '"';
	return p;
}

#define SD_PARAMS 13

/* The whole RFC 5424 message for the JSON line json, without framing. */
struct ev_msg *ev_syslog_msg(const struct events *e, const struct ev_clean *c,
			     const char *json, size_t jlen)
{
	/* Each parameter: ' ' name(7) '="' twice the value (all escaped) '"' */
	size_t room = 64 + EV_HOST_MAX + EV_APP_MAX + 20 + 33 + EV_SDID_MAX +
		      2 + SD_PARAMS * (12 + 2 * EV_SD_VALUE_MAX) + 4 + jlen;
	struct ev_msg *m = ev_msg_new(room);
	char vlan[8] = "";
	int sev = SEV_INFO;
	char *p;

	if (!m)
		return NULL;
	if (!strcmp(c->kind, "alert"))
		sev = SEV_WARNING;
	else if (!strcmp(c->outcome, "failure"))
		sev = SEV_NOTICE;
	if (c->vlan)
		snprintf(vlan, sizeof(vlan), "%d", c->vlan);

	p = m->data;
	p += sprintf(p, "<%d>1 %s %s %s %d %s [%s", e->facility * 8 + sev,
		     c->timestamp, e->hostname, e->app, (int)getpid(),
		     c->action, e->sd_id);
	p = sd_param(p, "device", c->device_id);
	p = sd_param(p, "name", c->device_name);
	p = sd_param(p, "user", c->owner);
	p = sd_param(p, "group", c->group);
	p = sd_param(p, "ip", c->ip);
	p = sd_param(p, "mac", c->mac);
	p = sd_param(p, "ifname", c->ifname);
	p = sd_param(p, "vlan", vlan);
	p = sd_param(p, "cert", c->cert_serial);
	p = sd_param(p, "outcome", c->outcome);
	p = sd_param(p, "reason", c->reason);
	p = sd_param(p, "actor", c->actor);
	*p++ = ']';
	*p++ = ' ';
	if (e->bom) {
		memcpy(p, "\xef\xbb\xbf", 3);
		p += 3;
	}
	memcpy(p, json, jlen);
	p += jlen;
	m->len = p - m->data;
	return m;
}
