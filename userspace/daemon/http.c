// SPDX-License-Identifier: GPL-2.0-only
/*
 * http.c - the management address: /ocsp (public, RFC 6960/5019),
 * /v1/... (the API, bearer token, api.c) and /metrics (metrics.c).
 *
 * libmicrohttpd runs without threads of its own, inside trustpointd's one
 * loop: MHD_USE_EPOLL gives it an epoll set of its own, whose fd sits in
 * ours (EV_HTTP); when it is readable, MHD_run() does what is ready, and
 * a timer armed from MHD_get_timeout() covers MHD's own deadlines
 * (connection timeouts, work buffered inside it). So a request is handled
 * to completion inside one step of the loop, like a control request, and
 * a revocation through the API is as atomic as one through tpctl.
 *
 * Limits before a byte of a body is read: a /v1 call without the right
 * token gets 401, a Content-Length over the limit 413 (max_body for /v1,
 * OCSP_REQUEST_MAX for /ocsp); a body without a length that grows past the
 * limit is discarded and gets 413 too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/ocsp.h"
#include "lib/registry.h"

#define HTTP_CONNS_MAX 64
#define HTTP_TIMEOUT_S 10
#define HTTP_MAX_TIMER_MS 1000

enum route { R_NONE, R_OCSP, R_API, R_METRICS };

/* One request while it is read. */
struct req {
	enum route route;
	char actor[80]; /* "api:<peer>" */
	size_t limit;
	size_t len;
	char *body;
	bool too_big;
	bool answered; /* a response was queued on an earlier call */
};

static struct MHD_Daemon *mhd;

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned int status,
				const char *type, const void *buf, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)buf, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Consumes o. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned int status,
				 struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&len);
	char *line = malloc(len + 1);
	enum MHD_Result ret = MHD_NO;

	if (line) {
		memcpy(line, s, len);
		line[len] = '\n';
		ret = send_buf(c, status, "application/json", line, len + 1);
		free(line);
	}
	json_object_put(o);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned int status,
				  const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	if (status == MHD_HTTP_UNAUTHORIZED) {
		struct MHD_Response *r;
		const char *s = json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN);
		enum MHD_Result ret;

		r = MHD_create_response_from_buffer(strlen(s), (void *)s,
						    MHD_RESPMEM_MUST_COPY);
		json_object_put(o);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/json");
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"trustpoint\"");
		ret = MHD_queue_response(c, status, r);
		MHD_destroy_response(r);
		return ret;
	}
	return send_json(c, status, o);
}

/* ---- OCSP ---- */

static int ocsp_status(const char *issuer, const char *serial, int *status,
		       int64_t *revoked_at, int *reason, void *ctx)
{
	struct reg_cert c;
	int ret = reg_cert_get(tpd->reg, issuer, serial, &c);

	if (ret == -ENOENT) {
		*status = OCSP_STATUS_UNKNOWN;
		return 0;
	}
	if (ret)
		return ret; /* -EBUSY: tryLater */
	*status = c.status == REG_CERT_REVOKED ? OCSP_STATUS_REVOKED
					       : OCSP_STATUS_GOOD;
	*revoked_at = c.revoked_at;
	*reason = c.reason;
	reg_cert_free(&c);
	return 0;
}

static enum MHD_Result ocsp_answer(struct MHD_Connection *c, const char *url,
				   const char *method, struct req *r)
{
	const char *type = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	enum ocsp_resp_status st = OCSP_RESP_MALFORMED;
	uint8_t *der = NULL, *resp = NULL;
	size_t len = 0, resp_len = 0;
	enum MHD_Result ret;
	int err;

	if (!strcmp(method, "POST")) {
		if (strcmp(url, "/ocsp"))
			return send_error(c, MHD_HTTP_NOT_FOUND,
					  "no such path");
		/* RFC 5019 wants the type; a client without it gets an answer
		 * all the same when the body parses */
		(void)type;
		err = tpd->ocsp ? ocsp_respond(tpd->ocsp, (uint8_t *)r->body,
					       r->len, ocsp_status, NULL, &resp,
					       &resp_len, &st)
				: ocsp_encode_error(OCSP_RESP_INTERNAL_ERROR,
						    &resp, &resp_len);
	} else if (!strcmp(method, "GET")) {
		if (strncmp(url, "/ocsp/", 6) ||
		    ocsp_decode_get_path(url + 6, &der, &len))
			err = ocsp_encode_error(OCSP_RESP_MALFORMED, &resp,
						&resp_len);
		else
			err = tpd->ocsp ? ocsp_respond(tpd->ocsp, der, len,
						       ocsp_status, NULL, &resp,
						       &resp_len, &st)
					: ocsp_encode_error(
						  OCSP_RESP_INTERNAL_ERROR,
						  &resp, &resp_len);
		free(der);
	} else {
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "OCSP takes GET or POST");
	}
	if (err || !resp)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory");
	log_debug("OCSP %s from %s: %zu bytes answered", method, r->actor + 4,
		  resp_len);
	ret = send_buf(c, MHD_HTTP_OK, OCSP_CONTENT_TYPE_RESPONSE, resp,
		       resp_len);
	free(resp);
	return ret;
}

/* ---- the request ---- */

static enum route route_of(const char *url)
{
	if (!strcmp(url, "/ocsp") || !strncmp(url, "/ocsp/", 6))
		return R_OCSP;
	if (!strcmp(url, "/v1") || !strncmp(url, "/v1/", 4))
		return R_API;
	if (!strcmp(url, "/metrics"))
		return R_METRICS;
	return R_NONE;
}

static void peer_of(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char ip[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  ip, sizeof(ip));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
			  sizeof(ip));
	snprintf(buf, len, "api:%s", ip);
}

/* An API refusal before the body: answered, audited. */
static enum MHD_Result api_refuse(struct MHD_Connection *c, struct req *r,
				  const char *url, const char *method,
				  unsigned int status, const char *msg)
{
	api_audit(r->actor, method, url, status, msg);
	r->answered = true;
	return send_error(c, status, msg);
}

static enum MHD_Result first_call(struct MHD_Connection *c, const char *url,
				  const char *method, struct req *r)
{
	const char *cl = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *auth = MHD_lookup_connection_value(
		c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned long long n;
	char *end;

	r->route = route_of(url);
	peer_of(c, r->actor, sizeof(r->actor));
	r->limit = r->route == R_API	? tpd->cfg.http.max_body
		   : r->route == R_OCSP ? OCSP_REQUEST_MAX
					: 0;
	if (r->route == R_API && !api_token_ok(auth))
		return api_refuse(c, r, url, method, MHD_HTTP_UNAUTHORIZED,
				  auth ? "wrong token" : "no token");
	if (cl) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || *end || n > r->limit) {
			if (r->route == R_API)
				return api_refuse(c, r, url, method,
						  MHD_HTTP_CONTENT_TOO_LARGE,
						  "request body too large");
			r->answered = true;
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					  "request body too large");
		}
	}
	return MHD_YES;
}

static enum MHD_Result final_call(struct MHD_Connection *c, const char *url,
				  const char *method, struct req *r)
{
	struct json_object *resp = NULL;
	unsigned int status;
	size_t len;
	char *text;
	enum MHD_Result ret;

	if (r->too_big) {
		if (r->route == R_API)
			api_audit(r->actor, method, url,
				  MHD_HTTP_CONTENT_TOO_LARGE,
				  "request body too large");
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				  "request body too large");
	}
	switch (r->route) {
	case R_OCSP:
		return ocsp_answer(c, url, method, r);
	case R_API:
		status = api_handle(method, url, r->body ? r->body : "", r->len,
				    r->actor, &resp);
		return send_json(c, status, resp);
	case R_METRICS:
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "/metrics takes GET");
		text = metrics_render(&len);
		if (!text)
			return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "out of memory");
		ret = send_buf(c, MHD_HTTP_OK,
			       "text/plain; version=0.0.4; charset=utf-8", text,
			       len);
		free(text);
		return ret;
	case R_NONE:
		break;
	}
	return send_error(c, MHD_HTTP_NOT_FOUND, "no such path");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct req *r = *con_cls;
	char *n;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		return first_call(c, url, method, r);
	}
	if (r->answered) { /* the rest of a refused body: dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->too_big || r->len + *upload_size > r->limit) {
			r->too_big = true;
			free(r->body);
			r->body = NULL;
			r->len = 0;
		} else {
			n = realloc(r->body, r->len + *upload_size + 1);
			if (!n)
				return MHD_NO;
			memcpy(n + r->len, upload, *upload_size);
			r->body = n;
			r->len += *upload_size;
			r->body[r->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	r->answered = true;
	return final_call(c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	if (r) {
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void rearm(void)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(mhd, &ms) != MHD_YES)
		ms = HTTP_MAX_TIMER_MS;
	timer_arm(&tpd->http_timer,
		  now_ms() + (ms > HTTP_MAX_TIMER_MS ? HTTP_MAX_TIMER_MS : ms));
}

void http_io(void)
{
	MHD_run(mhd);
	rearm();
}

static void http_timer_fn(struct timer *t)
{
	http_io();
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = 0;
	log_debug("http: %s", buf);
}

int http_init(void)
{
	const struct tp_listen *l = &tpd->cfg.http.listen;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss = {};
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	char name[64];
	int err;

	if (!l->port) {
		log_msg("http: no management address ([http] listen = none)");
		return 0;
	}
	err = api_init();
	if (err)
		return err;
	listen_format(l, name, sizeof(name));
	if (l->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(l->port);
		memcpy(&a->sin6_addr, l->addr, 16);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(l->port);
		memcpy(&a->sin_addr, l->addr, 4);
	}
	mhd = MHD_start_daemon(
		flags, l->port, NULL, NULL, on_request, NULL,
		/* first, so that MHD logs nothing before it is set */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)HTTP_CONNS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)HTTP_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, NULL, MHD_OPTION_END);
	if (!mhd) {
		log_msg("http: cannot listen on %s", name);
		api_exit();
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		http_exit();
		return -EINVAL;
	}
	tpd->http_ev.kind = EV_HTTP;
	tpd->http_ev.fd = info->epoll_fd;
	err = ev_add(&tpd->http_ev, EPOLLIN);
	if (err) {
		http_exit();
		return err;
	}
	tpd->http_timer.fn = http_timer_fn;
	rearm();
	log_msg("http: listening on %s (/ocsp, /v1, /metrics)", name);
	return 0;
}

void http_exit(void)
{
	if (!mhd)
		return;
	timer_cancel(&tpd->http_timer);
	if (tpd->http_ev.fd >= 0)
		ev_del(&tpd->http_ev);
	tpd->http_ev.fd = -1;
	MHD_stop_daemon(mhd);
	mhd = NULL;
	api_exit();
}
