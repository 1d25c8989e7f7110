// SPDX-License-Identifier: GPL-2.0-only
/*
 * api.c - the management API under /v1, for a SIEM and for automation:
 *
 *   GET  /v1/devices                     every device, with properties
 *   GET  /v1/devices/{id}                one (name, uuid or number), with
 *                                        certificates and sessions
 *   POST /v1/devices/{id}/trust          {"score": 0..100, "reason": ".."}
 *   POST /v1/devices/{id}/revoke         {"reason": "keyCompromise"}
 *   POST /v1/devices/{id}/quarantine     {"reason": ".."}
 *
 * Every call carries "Authorization: Bearer TOKEN", the token being the
 * one line of [http] token_file (0600, refused otherwise), compared in
 * constant time. Errors are {"error": ".."} with 400 (bad JSON or value),
 * 401, 404, 405, 409 (status change not allowed), 413, 503 (registry
 * busy). Every call, refused or not, is written to the audit trail with
 * the actor "api:<peer address>".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/events.h"
#include "lib/registry.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 512
#define REASON_MAX 256

static char token[TOKEN_MAX + 1];
static size_t token_len; /* 0: no token configured, /v1 refuses all */

int api_init(void)
{
	const char *path = tpd->cfg.http.token_file;
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	token_len = 0;
	if (!path) {
		log_msg("http: no [http] token_file: every /v1 call gets 401");
		return 0;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_msg("http: token file %s: %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		log_msg("http: token file %s is not a regular file", path);
		err = -EINVAL;
	} else if (st.st_mode & 077) {
		/* like ssh with a private key: a readable secret is no secret
		 */
		log_msg("http: token file %s is mode %04o: group and other must have no access (0600)",
			path, st.st_mode & 07777);
		err = -EPERM;
	}
	n = err ? 0 : read(fd, token, TOKEN_MAX + 1);
	close(fd);
	if (!err && (n < 0 || n > TOKEN_MAX)) {
		log_msg("http: token file %s: %s", path,
			n < 0 ? strerror(errno) : "longer than 512 bytes");
		err = -EINVAL;
	}
	if (err) {
		explicit_bzero(token, sizeof(token));
		return err;
	}
	while (n > 0 && isspace((unsigned char)token[n - 1]))
		n--;
	token[n] = 0;
	token_len = n;
	if (token_len < TOKEN_MIN || strpbrk(token, " \t\r\n")) {
		log_msg("http: token file %s: the token must be one word of at least %d characters",
			path, TOKEN_MIN);
		explicit_bzero(token, sizeof(token));
		token_len = 0;
		return -EINVAL;
	}
	return 0;
}

void api_exit(void)
{
	explicit_bzero(token, sizeof(token));
	token_len = 0;
}

bool api_token_ok(const char *auth)
{
	const unsigned char *given;
	size_t len;
	unsigned char diff;

	if (!auth || !token_len || strncasecmp(auth, "Bearer ", 7))
		return false;
	given = (const unsigned char *)auth + 7;
	len = strnlen((const char *)given, TOKEN_MAX + 1);
	/*
	 * Constant time in the token: every byte of ours is compared, a
	 * shorter guess against zeros, and the length folds into diff.
	 */
	diff = len != token_len;
	for (size_t i = 0; i < token_len; i++)
		diff |= (unsigned char)token[i] ^ (i < len ? given[i] : 0);
	return !diff;
}

void api_audit(const char *actor, const char *method, const char *url,
	       unsigned int status, const char *detail)
{
	char action[32], text[400];
	int err;

	snprintf(action, sizeof(action), "api.%s", method);
	for (char *p = action; *p; p++)
		*p = tolower((unsigned char)*p);
	snprintf(text, sizeof(text), "status=%u%s%.300s", status,
		 detail && *detail ? ": " : "", detail ? detail : "");
	err = reg_audit(tpd->reg, actor, action, url, text);
	if (err)
		log_msg("audit of %s %s by %s: %s", method, url, actor,
			strerror(-err));
	if (status >= 400 || strcmp(method, "GET")) {
		struct ev_field f[] = {{"method", method, 0},
				       {"path", url, 0},
				       {"status", NULL, status}};
		struct ev_record r = {
			.action = "api-call",
			.category = "api",
			.outcome = status < 400 ? "success" : "failure",
			.reason = detail,
			.actor = actor,
			.extra = f,
			.nextra = 3,
		};

		evlog(&r, NULL, NULL);
	}
}

static struct json_object *error_obj(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static struct json_object *error_obj(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *device_obj(const struct reg_device *d)
{
	struct json_object *o = json_object_new_object(), *p;

	json_object_object_add(o, "id", json_object_new_int64(d->id));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(
		o, "owner", json_object_new_string(d->owner ? d->owner : ""));
	json_object_object_add(
		o, "group", d->group ? json_object_new_string(d->group) : NULL);
	json_object_object_add(
		o, "status",
		json_object_new_string(reg_dev_status_name(d->status)));
	json_object_object_add(o, "trust", json_object_new_int(d->trust));
	json_object_object_add(o, "created", json_object_new_int64(d->created));
	json_object_object_add(o, "updated", json_object_new_int64(d->updated));
	p = json_object_new_object();
	for (size_t i = 0; i < d->nprops; i++)
		json_object_object_add(
			p, d->props[i].key,
			json_object_new_string(d->props[i].value));
	json_object_object_add(o, "properties", p);
	return o;
}

static int list_cb(const struct reg_device *d, void *ctx)
{
	json_object_array_add(ctx, device_obj(d));
	return 0;
}

static int cert_cb(const struct reg_cert *c, void *ctx)
{
	struct json_object *o = json_object_new_object();
	bool revoked = c->status == REG_CERT_REVOKED;

	json_object_object_add(o, "serial", json_object_new_string(c->serial));
	json_object_object_add(o, "issuer", json_object_new_string(c->issuer));
	json_object_object_add(
		o, "subject",
		json_object_new_string(c->subject ? c->subject : ""));
	json_object_object_add(o, "not_before",
			       json_object_new_int64(c->not_before));
	json_object_object_add(o, "not_after",
			       json_object_new_int64(c->not_after));
	json_object_object_add(
		o, "status",
		json_object_new_string(revoked ? "revoked" : "good"));
	if (revoked) {
		json_object_object_add(o, "revoked_at",
				       json_object_new_int64(c->revoked_at));
		json_object_object_add(
			o, "reason",
			json_object_new_string(reg_reason_name(c->reason)));
	}
	json_object_array_add(ctx, o);
	return 0;
}

static struct json_object *sessions_of(int64_t id)
{
	struct json_object *a = json_object_new_array();

	for (struct session *s = session_first_of(id); s;
	     s = session_next_of(s)) {
		struct json_object *o = json_object_new_object();
		struct ev_where w;

		where_of_session(s, &w);
		json_object_object_add(o, "ip", json_object_new_string(w.ip));
		json_object_object_add(o, "mac", json_object_new_string(w.mac));
		json_object_object_add(o, "ifname",
				       json_object_new_string(w.ifname));
		json_object_object_add(o, "vlan", json_object_new_int(w.vlan));
		json_object_object_add(o, "since",
				       json_object_new_int64(s->since));
		json_object_object_add(
			o, "state",
			json_object_new_string(
				s->state == S_GRACE ? "grace" : "connected"));
		json_object_array_add(a, o);
	}
	return a;
}

/* A registry error as a status. */
static unsigned int reg_status(int err)
{
	switch (err) {
	case -ENOENT:
		return 404;
	case -EINVAL:
		return 400;
	case -EPERM:
		return 409;
	case -EBUSY:
		return 503;
	}
	return 500;
}

/* The body as a JSON object; an empty body is {} when allowed. */
static struct json_object *parse_body(const char *body, size_t len,
				      bool empty_ok, const char **why)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (!len) {
		*why = "a JSON object is required";
		return empty_ok ? json_object_new_object() : NULL;
	}
	if (memchr(body, 0, len)) {
		*why = "the body holds a NUL byte";
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, body, len);
	/* bytes after the object other than white space are malformed too */
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
			if (!isspace((unsigned char)body[i])) {
				json_object_put(o);
				o = NULL;
				break;
			}
		}
	} else if (o) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	*why = "malformed JSON: an object is required";
	return o;
}

/* A string member: *out NULL when absent; false when present but unfit. */
static bool opt_str(struct json_object *o, const char *key, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return true;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) > REASON_MAX)
		return false;
	*out = json_object_get_string(v);
	return true;
}

static unsigned int do_action(const char *ref, const char *action,
			      const char *body, size_t len, const char *actor,
			      struct json_object **resp, char *detail,
			      size_t dlen)
{
	struct json_object *req, *v, *out;
	const char *reason, *why;
	struct reg_device d;
	char err[300];
	int64_t score;
	int ret;

	req = parse_body(body, len, strcmp(action, "trust"), &why);
	if (!req) {
		snprintf(detail, dlen, "%s", why);
		*resp = error_obj("%s", why);
		return 400;
	}
	if (!opt_str(req, "reason", &reason)) {
		json_object_put(req);
		snprintf(detail, dlen, "bad reason");
		*resp = error_obj(
			"'reason' must be a string of at most %d bytes",
			REASON_MAX);
		return 400;
	}
	ret = reg_device_get(tpd->reg, ref, &d);
	if (ret) {
		json_object_put(req);
		snprintf(detail, dlen, "no device '%.64s'", ref);
		*resp = error_obj(ret == -ENOENT
					  ? "no device '%.64s'"
					  : "registry error reading '%.64s'",
				  ref);
		return reg_status(ret);
	}
	out = json_object_new_object();
	json_object_object_add(out, "ok", json_object_new_boolean(true));
	if (!strcmp(action, "trust")) {
		if (!json_object_object_get_ex(req, "score", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    (score = json_object_get_int64(v)) < 0 || score > 100) {
			ret = -EINVAL;
			snprintf(err, sizeof(err),
				 "'score' must be a whole number 0..100");
		} else {
			ret = policy_set_trust(&d, score, reason, actor, out,
					       err, sizeof(err));
		}
		snprintf(detail, dlen, "%s trust %s%s", d.name,
			 ret ? "refused: " : "set", ret ? err : "");
	} else {
		int status = !strcmp(action, "revoke") ? REG_DEV_REVOKED
						       : REG_DEV_QUARANTINED;

		ret = device_set_status(d.uuid, status, reason, actor, out, err,
					sizeof(err));
		snprintf(detail, dlen, "%s %s%s%s", d.name, action,
			 ret ? " refused: " : "", ret ? err : "");
	}
	reg_device_free(&d);
	json_object_put(req);
	if (ret) {
		json_object_put(out);
		*resp = error_obj("%s", err);
		return reg_status(ret);
	}
	*resp = out;
	return 200;
}

/* Split "/v1/devices[/ID[/ACTION]]"; false when it is not such a path. */
static bool split_path(const char *url, char *id, size_t idlen, char *action,
		       size_t alen)
{
	const char *p, *slash;

	id[0] = action[0] = 0;
	if (strncmp(url, "/v1/devices", 11))
		return false;
	p = url + 11;
	if (!*p || !strcmp(p, "/"))
		return true;
	if (*p++ != '/')
		return false;
	slash = strchr(p, '/');
	if (!slash)
		return snprintf(id, idlen, "%s", p) < (int)idlen;
	if (slash == p || (size_t)(slash - p) >= idlen ||
	    strchr(slash + 1, '/') || strlen(slash + 1) >= alen)
		return false;
	snprintf(id, idlen, "%.*s", (int)(slash - p), p);
	snprintf(action, alen, "%s", slash + 1);
	return true;
}

unsigned int api_handle(const char *method, const char *url, const char *body,
			size_t len, const char *actor,
			struct json_object **resp)
{
	char id[REG_STR_MAX + 1], action[32], detail[400] = "";
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	struct reg_device d;
	unsigned int status;
	int err;

	if (!split_path(url, id, sizeof(id), action, sizeof(action)) ||
	    (action[0] && strcmp(action, "trust") && strcmp(action, "revoke") &&
	     strcmp(action, "quarantine"))) {
		*resp = error_obj("no such path");
		status = 404;
	} else if (!id[0] || !action[0]) {
		/* a collection or one device: GET only */
		if (!get) {
			*resp = error_obj("%s takes GET", url);
			status = 405;
		} else if (!id[0]) {
			struct json_object *a = json_object_new_array();

			err = reg_device_foreach(tpd->reg, list_cb, a);
			if (err) {
				json_object_put(a);
				*resp = error_obj("registry error");
				status =
					reg_status(err == -ENOENT ? -EIO : err);
			} else {
				*resp = a;
				status = 200;
			}
		} else if ((err = reg_device_get(tpd->reg, id, &d))) {
			*resp = error_obj(
				err == -ENOENT
					? "no device '%.64s'"
					: "registry error reading '%.64s'",
				id);
			status = reg_status(err);
		} else {
			struct json_object *o = device_obj(&d),
					   *certs = json_object_new_array();

			reg_cert_foreach(tpd->reg, d.id, cert_cb, certs);
			json_object_object_add(o, "certificates", certs);
			json_object_object_add(o, "sessions",
					       sessions_of(d.id));
			reg_device_free(&d);
			*resp = o;
			status = 200;
		}
	} else if (!post) {
		*resp = error_obj("%s takes POST", url);
		status = 405;
	} else {
		status = do_action(id, action, body, len, actor, resp, detail,
				   sizeof(detail));
	}
	if (!detail[0] && status >= 400) {
		struct json_object *e;

		if (json_object_object_get_ex(*resp, "error", &e))
			snprintf(detail, sizeof(detail), "%s",
				 json_object_get_string(e));
	}
	api_audit(actor, method, url, status, detail);
	return status;
}
