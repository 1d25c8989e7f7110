// SPDX-License-Identifier: GPL-2.0-only
/* control.c - the control socket's framing (control.h) and its client. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "lib/control.h"
#include "lib/json_strict.h"
#include "lib/frame.h"

int control_encode(struct json_object *o, uint8_t **buf, size_t *len)
{
	const char *s;
	size_t n;
	uint8_t *b;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);
	if (!s)
		return -ENOMEM;
	if (n > CONTROL_MAX_MSG)
		return -EMSGSIZE;
	b = malloc(CONTROL_HDR_LEN + n);
	if (!b)
		return -ENOMEM;
	b[0] = n >> 24;
	b[1] = n >> 16;
	b[2] = n >> 8;
	b[3] = n;
	memcpy(b + CONTROL_HDR_LEN, s, n);
	*buf = b;
	*len = CONTROL_HDR_LEN + n;
	return 0;
}

int control_feed(struct control_reader *r, const uint8_t *data, size_t len,
		 size_t *used)
{
	*used = 0;
	if (r->hdr_got < CONTROL_HDR_LEN) {
		if (!frame_fill(r->hdr, &r->hdr_got, CONTROL_HDR_LEN, &data,
				&len, used))
			return 0;
		r->len = frame_be32(r->hdr);
		if (r->len > CONTROL_MAX_MSG)
			return -EMSGSIZE;
		if (!r->len)
			return -EPROTO;
		r->body = malloc(r->len + 1);
		if (!r->body)
			return -ENOMEM;
		r->got = 0;
	}
	if (!frame_fill(r->body, &r->got, r->len, &data, &len, used))
		return 0;
	r->body[r->len] = 0;
	return 1;
}

void control_reader_reset(struct control_reader *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

struct json_object *control_parse(const char *body, size_t len)
{
	return json_strict_object(body, len, CONTROL_MAX_MSG,
				  CONTROL_JSON_DEPTH);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; -ETIMEDOUT when it passes. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int control_connect(const char *sock_path, int *fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int err;

	*fd = -1;
	if (!sock_path || strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0)
		return -errno;
	/* a unix connect completes or fails at once; EAGAIN: backlog full */
	if (connect(*fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

static int recv_until(int fd, struct json_object **resp, long long deadline)
{
	struct control_reader rd = {};
	uint8_t buf[4096];
	size_t used;
	ssize_t n;
	int err;

	*resp = NULL;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN) {
			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				goto out;
			continue;
		}
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0) { /* closed before a whole answer */
			err = -EPROTO;
			goto out;
		}
		for (size_t at = 0; at < (size_t)n; at += used) {
			err = control_feed(&rd, buf + at, n - at, &used);
			if (err < 0)
				goto out;
			if (err == 1) {
				*resp = control_parse(rd.body, rd.len);
				err = *resp ? 0 : -EPROTO;
				goto out;
			}
		}
	}
out:
	control_reader_reset(&rd);
	return err;
}

int control_recv(int fd, struct json_object **resp, int timeout_ms)
{
	return recv_until(fd, resp, now_ms() + timeout_ms);
}

int control_call(const char *sock_path, struct json_object *req,
		 struct json_object **resp, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	uint8_t *msg = NULL;
	size_t len, off = 0;
	ssize_t n;
	int fd = -1, err;

	*resp = NULL;
	err = control_encode(req, &msg, &len);
	err = err ?: control_connect(sock_path, &fd);
	while (!err && off < len) {
		n = send(fd, msg + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			err = wait_fd(fd, POLLOUT, deadline);
		else if (n < 0)
			err = -errno;
		else
			off += n;
	}
	err = err ?: recv_until(fd, resp, deadline);
	if (fd >= 0)
		close(fd);
	free(msg);
	return err;
}
