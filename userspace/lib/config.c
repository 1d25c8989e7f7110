// SPDX-License-Identifier: GPL-2.0-only
/* config.c - read trustpoint.conf with inih into struct tp_config. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <ini.h>

#include "lib/addr.h"
#include "lib/config.h"
#include "lib/events.h"

struct parse_ctx {
	struct tp_config *c;
	bool listen_seen; /* the file's listen lines replace the default */
	char *err;
	int errlen;
};

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int listen_parse(const char *s, struct tp_listen *l)
{
	char host[IP_STRLEN + 2];
	const char *colon, *port = NULL;
	uint64_t p = TP_LISTEN_PORT_DEFAULT;
	size_t n;

	memset(l, 0, sizeof(*l));
	if (!s || !*s || strlen(s) >= sizeof(host) + 6)
		return -EINVAL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		n = end - s - 1;
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, n);
		host[n] = 0;
		if (end[1] == ':')
			port = end + 2;
		if (ip_parse(host, &l->family, l->addr) ||
		    l->family != AF_INET6)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		/* more than one ':' without brackets: a bare IPv6 address */
		if (colon && strchr(s, ':') == colon) {
			n = colon - s;
			if (n >= sizeof(host))
				return -EINVAL;
			memcpy(host, s, n);
			host[n] = 0;
			port = colon + 1;
		} else {
			if (strlen(s) >= sizeof(host))
				return -EINVAL;
			strcpy(host, s);
		}
		if (ip_parse(host, &l->family, l->addr))
			return -EINVAL;
	}
	if (port && u64_parse(port, 1, 65535, &p))
		return -EINVAL;
	l->port = p;
	return 0;
}

void listen_format(const struct tp_listen *l, char *buf, int len)
{
	char ip[IP_STRLEN];

	ip_format(l->family, l->addr, ip);
	snprintf(buf, len, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 l->port);
}

/* Split a "a, b c" list and call add() on each word. */
static int for_each_word(const char *v,
			 int (*add)(struct parse_ctx *, const char *),
			 struct parse_ctx *p)
{
	char *copy = strdup(v), *save = NULL, *w;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (w = strtok_r(copy, ", \t", &save); w && !ret;
	     w = strtok_r(NULL, ", \t", &save))
		ret = add(p, w);
	free(copy);
	return ret;
}

static int add_listen(struct parse_ctx *p, const char *w)
{
	struct tp_daemon_config *d = &p->c->daemon;

	if (!p->listen_seen) {
		d->nlisten = 0;
		p->listen_seen = true;
	}
	if (d->nlisten == TP_LISTEN_MAX)
		return -E2BIG;
	return listen_parse(w, &d->listen[d->nlisten++]);
}

static int add_lan(struct parse_ctx *p, const char *w)
{
	struct tp_daemon_config *d = &p->c->daemon;

	if (strlen(w) >= IF_NAMESIZE || strchr(w, '/'))
		return -EINVAL;
	for (int i = 0; i < d->nlan; i++)
		if (!strcmp(d->lan[i], w))
			return -EINVAL;
	if (d->nlan == TP_LAN_MAX)
		return -E2BIG;
	d->lan[d->nlan] = strdup(w);
	return d->lan[d->nlan++] ? 0 : -ENOMEM;
}

/* A whole number setting of [daemon]: where it goes and its range. */
struct num_key {
	const char *name;
	size_t off;
	uint64_t min, max;
};

#define D(f) offsetof(struct tp_daemon_config, f)
static const struct num_key daemon_nums[] = {
	{"lease", D(lease_s), 5, 86400},
	{"heartbeat", D(heartbeat_s), 1, 3600},
	{"grace", D(grace_s), 0, 3600},
	{"handshake_timeout", D(handshake_timeout_ms), 100, 600000},
	{"max_handshakes", D(max_handshakes), 1, 1000000},
	{"max_conn_per_source", D(max_conn_per_source), 1, 1000000},
	{"max_sessions", D(max_sessions), 1, 10000000},
};

static const struct {
	const char *name;
	size_t off;
} daemon_paths[] = {
	{"server_cert", D(server_cert)},
	{"server_key", D(server_key)},
	{"ca", D(ca)},
	{"control_socket", D(control_socket)},
};
#undef D

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 1: handled, 0: known key with a bad value, -1: unknown key. */
static int on_daemon(struct parse_ctx *p, const char *name, const char *value)
{
	struct tp_daemon_config *d = &p->c->daemon;
	uint64_t v;
	size_t i;

	for (i = 0; i < N(daemon_nums); i++) {
		if (strcmp(name, daemon_nums[i].name))
			continue;
		if (u64_parse(value, daemon_nums[i].min, daemon_nums[i].max,
			      &v))
			return 0;
		*(unsigned int *)((char *)d + daemon_nums[i].off) = v;
		return 1;
	}
	for (i = 0; i < N(daemon_paths); i++) {
		if (strcmp(name, daemon_paths[i].name))
			continue;
		if (value[0] != '/' || strlen(value) >= 4096)
			return 0;
		return !set_str((char **)((char *)d + daemon_paths[i].off),
				value);
	}
	if (!strcmp(name, "listen"))
		return !for_each_word(value, add_listen, p);
	if (!strcmp(name, "lan_interfaces"))
		return !for_each_word(value, add_lan, p);
	if (!strcmp(name, "control_group")) {
		if (!value[0] || strlen(value) > 64 || strpbrk(value, " :/,"))
			return 0;
		return !set_str(&d->control_group, value);
	}
	return -1;
}

static int bool_parse(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static const char *const drift_names[] = {
	[TP_DRIFT_QUARANTINE] = "quarantine",
	[TP_DRIFT_REVOKE] = "revoke",
	[TP_DRIFT_LOWER_TRUST] = "lower-trust",
};

const char *drift_action_name(enum tp_drift_action a)
{
	return a < N(drift_names) ? drift_names[a] : "?";
}

static int on_http(struct tp_http_config *h, const char *name,
		   const char *value)
{
	uint64_t v;

	if (!strcmp(name, "listen")) {
		if (!strcmp(value, "none")) {
			memset(&h->listen, 0, sizeof(h->listen));
			return 1;
		}
		/* a bare address keeps the HTTP port, not the handshake's */
		bool has_port = value[0] == '['
					? strstr(value, "]:") != NULL
					: strchr(value, ':') &&
						  strchr(value, ':') ==
							  strrchr(value, ':');

		if (listen_parse(value, &h->listen))
			return 0;
		if (!has_port)
			h->listen.port = TP_HTTP_PORT_DEFAULT;
		return 1;
	}
	if (!strcmp(name, "token_file")) {
		if (value[0] != '/' || strlen(value) >= 4096)
			return 0;
		return !set_str(&h->token_file, value);
	}
	if (!strcmp(name, "max_body")) {
		if (u64_parse(value, 64, 1 << 20, &v))
			return 0;
		h->max_body = v;
		return 1;
	}
	return -1;
}

static int on_events(struct tp_events_config *e, const char *name,
		     const char *value)
{
	int f;

	if (!strcmp(name, "file")) {
		if (value[0] != '/' || strlen(value) >= 4096)
			return 0;
		return !set_str(&e->file, value);
	}
	if (!strcmp(name, "syslog")) {
		/* the events library checks the form when it opens it */
		if (strncmp(value, "udp://", 6) &&
		    strncmp(value, "tcp://", 6) && strncmp(value, "unix", 4))
			return 0;
		return !set_str(&e->syslog, value);
	}
	if (!strcmp(name, "facility")) {
		f = events_facility_parse(value);
		if (f < 0)
			return 0;
		e->facility = f;
		return 1;
	}
	if (!strcmp(name, "to_stderr"))
		return !bool_parse(value, &e->to_stderr);
	return -1;
}

#define P(f) offsetof(struct tp_policy_config, f)
static const struct num_key policy_nums[] = {
	{"quarantine_below", P(quarantine_below), 0, 101},
	{"revoke_below", P(revoke_below), 0, 101},
	{"serial_mismatch", P(w_serial_mismatch), 0, 100},
	{"model_mismatch", P(w_model_mismatch), 0, 100},
	{"os_downgrade", P(w_os_downgrade), 0, 100},
	{"os_change", P(w_os_change), 0, 100},
};
#undef P

static int on_policy(struct tp_policy_config *p, const char *name,
		     const char *value)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < N(policy_nums); i++) {
		if (strcmp(name, policy_nums[i].name))
			continue;
		if (u64_parse(value, policy_nums[i].min, policy_nums[i].max,
			      &v))
			return 0;
		*(unsigned int *)((char *)p + policy_nums[i].off) = v;
		return 1;
	}
	if (!strcmp(name, "drift_action")) {
		for (i = 0; i < N(drift_names); i++) {
			if (!strcmp(value, drift_names[i])) {
				p->drift_action = i;
				return 1;
			}
		}
		return 0;
	}
	return -1;
}

static int on_ocsp(struct tp_ocsp_config *o, const char *name,
		   const char *value)
{
	uint64_t v;

	if (!strcmp(name, "signer_cert") || !strcmp(name, "signer_key")) {
		if (value[0] != '/' || strlen(value) >= 4096)
			return 0;
		return !set_str(name[7] == 'c' ? &o->signer_cert
					       : &o->signer_key,
				value);
	}
	if (!strcmp(name, "next_update")) {
		if (u64_parse(value, 0, 7 * 86400, &v))
			return 0;
		o->next_update_s = v;
		return 1;
	}
	return -1;
}

static int on_entry(void *user, const char *section, const char *name,
		    const char *value)
{
	struct parse_ctx *p = user;
	struct tp_config *c = p->c;
	int known = 1;
	uint64_t v;

	if (!strcmp(section, "paths") && !strcmp(name, "state_dir")) {
		if (value[0] == '/')
			return !set_str(&c->state_dir, value);
	} else if (!strcmp(section, "paths") && !strcmp(name, "bpffs")) {
		if (value[0] == '/')
			return !set_str(&c->bpffs, value);
	} else if (!strcmp(section, "ca") && !strcmp(name, "ocsp_url")) {
		if (!strncmp(value, "http://", 7) ||
		    !strncmp(value, "https://", 8))
			return !set_str(&c->ocsp_url, value);
	} else if (!strcmp(section, "ca") && !strcmp(name, "device_days")) {
		if (!u64_parse(value, 1, 36500, &v)) {
			c->device_days = v;
			return 1;
		}
	} else if (!strcmp(section, "daemon") || !strcmp(section, "http") ||
		   !strcmp(section, "events") || !strcmp(section, "policy") ||
		   !strcmp(section, "ocsp")) {
		known = section[0] == 'd'   ? on_daemon(p, name, value)
			: section[0] == 'h' ? on_http(&c->http, name, value)
			: section[0] == 'e' ? on_events(&c->events, name, value)
			: section[0] == 'p' ? on_policy(&c->policy, name, value)
					    : on_ocsp(&c->ocsp, name, value);
		if (known == 1)
			return 1;
		known = known == 0;
	} else {
		known = 0;
	}
	/* inih's return value supplies the line number */
	snprintf(p->err, p->errlen, "[%s] %s = '%.64s' is %s", section, name,
		 value, known ? "not a valid value" : "not a known setting");
	return 0;
}

static void daemon_defaults(struct tp_daemon_config *d)
{
	listen_parse("0.0.0.0", &d->listen[0]);
	d->nlisten = 1;
	d->lease_s = 120;
	d->heartbeat_s = 20;
	d->grace_s = 10;
	d->handshake_timeout_ms = 5000;
	d->max_handshakes = 4096;
	d->max_conn_per_source = 32;
	d->max_sessions = 100000;
}

int config_load(const char *path, bool required, struct tp_config *c, char *err,
		int errlen)
{
	struct parse_ctx p = {.c = c, .err = err, .errlen = errlen};
	FILE *f;
	int ret;

	memset(c, 0, sizeof(*c));
	err[0] = 0;
	if (set_str(&c->state_dir, TP_STATE_DIR_DEFAULT) ||
	    set_str(&c->daemon.control_socket, TP_CONTROL_SOCKET_DEFAULT)) {
		config_free(c);
		return -ENOMEM;
	}
	c->device_days = 365;
	daemon_defaults(&c->daemon);
	listen_parse("127.0.0.1", &c->http.listen);
	c->http.listen.port = TP_HTTP_PORT_DEFAULT;
	c->http.max_body = TP_HTTP_MAX_BODY_DEFAULT;
	c->events.to_stderr = true;
	c->policy = (struct tp_policy_config){
		.quarantine_below = 50,
		.revoke_below = 20,
		.drift_action = TP_DRIFT_QUARANTINE,
		.w_serial_mismatch = 100,
		.w_model_mismatch = 60,
		.w_os_downgrade = 30,
		.w_os_change = 10,
	};
	c->ocsp.next_update_s = 3600;
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		config_free(c);
		return ret;
	}
	ret = ini_parse_file(f, on_entry, &p);
	fclose(f);
	if (!ret && c->policy.revoke_below > c->policy.quarantine_below) {
		snprintf(
			err, errlen,
			"%s: [policy] revoke_below (%u) above quarantine_below (%u)",
			path, c->policy.revoke_below,
			c->policy.quarantine_below);
		config_free(c);
		return -EINVAL;
	}
	if (!ret && !c->ocsp.signer_cert != !c->ocsp.signer_key) {
		snprintf(err, errlen,
			 "%s: [ocsp] signer_cert and signer_key go together",
			 path);
		config_free(c);
		return -EINVAL;
	}
	if (!ret && c->daemon.heartbeat_s * 3 > c->daemon.lease_s) {
		snprintf(
			err, errlen,
			"%s: [daemon] lease (%u s) must be at least 3 heartbeats (%u s)",
			path, c->daemon.lease_s, c->daemon.heartbeat_s * 3);
		config_free(c);
		return -EINVAL;
	}
	if (ret) {
		char what[200];

		snprintf(what, sizeof(what), "%s",
			 err[0] ? err : "syntax error");
		snprintf(err, errlen, "%s line %d: %s", path, ret, what);
		config_free(c);
		return -EINVAL;
	}
	return 0;
}

void config_free(struct tp_config *c)
{
	struct tp_daemon_config *d = &c->daemon;

	free(c->state_dir);
	free(c->bpffs);
	free(c->ocsp_url);
	free(c->http.token_file);
	free(c->events.file);
	free(c->events.syslog);
	free(c->ocsp.signer_cert);
	free(c->ocsp.signer_key);
	free(d->server_cert);
	free(d->server_key);
	free(d->ca);
	free(d->control_socket);
	free(d->control_group);
	for (int i = 0; i < d->nlan; i++)
		free(d->lan[i]);
	memset(c, 0, sizeof(*c));
}
