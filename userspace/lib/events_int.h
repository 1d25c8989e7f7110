/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events_int.h - what events.c (queues, outputs, the loop),
 * events_ecs.c (checking and the ECS JSON) and events_syslog.c (RFC 5424,
 * targets) share. Not for users of events.h.
 */
#ifndef TP_LIB_EVENTS_INT_H
#define TP_LIB_EVENTS_INT_H

#include <sys/socket.h>
#include <sys/un.h>

#include "lib/addr.h"
#include "lib/events.h"

/* A JSON line is at most this long; over it the fields are cut shorter
 * (EV_FIELD_SHORT) and the event is formatted again. */
#define EV_JSON_MAX 16384
#define EV_FIELD_SHORT 64
#define EV_SD_VALUE_MAX 128
#define EV_CAT_MAX 4
#define EV_HOST_MAX 255 /* RFC 5424 HOSTNAME */
#define EV_APP_MAX 48	/* RFC 5424 APP-NAME */
#define EV_SDID_MAX 32	/* RFC 5424 SD-NAME */

/* One formatted message, shared by the queues that hold it. */
struct ev_msg {
	unsigned int refs;
	size_t len;
	char data[];
};

struct ev_queue {
	struct ev_msg **ring;
	unsigned int cap, head, n;
};

enum ev_frame {
	EV_FRAME_NONE,	/* datagrams */
	EV_FRAME_LF,	/* JSON lines; unix stream syslog */
	EV_FRAME_OCTET, /* RFC 6587 3.4.1: "LEN SP MSG" */
};

enum ev_transport {
	EV_UDP,
	EV_TCP,
	EV_UNIX_DGRAM,
	EV_UNIX_STREAM,
	EV_UNIX_AUTO, /* datagram, else stream, decided at each connect */
};

struct ev_out {
	const char *name; /* "file", "stderr", "syslog" */
	int fd;		  /* -1: closed (syslog: disconnected) */
	enum ev_frame frame;
	bool sock;     /* send() with MSG_NOSIGNAL */
	bool stream;   /* a connection whose end must be noticed */
	bool pollable; /* in the epoll set while open */
	uint32_t mask; /* what the epoll set watches now */
	struct ev_queue q;
	size_t off; /* bytes of the head (with its framing) already out */
	uint64_t dropped;
};

struct ev_target {
	enum ev_transport transport;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* An event after checking: every string valid UTF-8, cut to size. */
struct ev_clean {
	char action[33];
	char kind[16];
	char outcome[8];
	char cat[EV_CAT_MAX][24];
	int ncat;
	char reason[EV_REASON_MAX + 1];
	char actor[EV_FIELD_MAX + 1];
	bool has_id;
	char device_id[EV_FIELD_MAX + 1];
	char device_name[EV_FIELD_MAX + 1];
	char owner[EV_FIELD_MAX + 1];
	char group[EV_FIELD_MAX + 1];
	char model[EV_FIELD_MAX + 1];
	char manufacturer[EV_FIELD_MAX + 1];
	char serial_number[EV_FIELD_MAX + 1];
	char os[EV_FIELD_MAX + 1];
	char os_version[EV_FIELD_MAX + 1];
	char cert_serial[EV_FIELD_MAX + 1]; /* upper-case hex, no colons */
	char ip[IP_STRLEN];
	char mac[MAC_STRLEN]; /* ECS: "02-00-00-00-00-11" */
	char ifname[EV_FIELD_MAX + 1];
	int vlan;
	struct {
		char key[33];
		char str[EV_FIELD_MAX + 1];
		long long num;
		bool is_num;
	} extra[EV_EXTRA_MAX];
	int nextra;
	char timestamp[32]; /* RFC 3339, UTC, ms */
};

struct events {
	struct ev_out file, err, slog;
	int epfd;
	char *path;
	char hostname[EV_HOST_MAX + 1];
	char app[EV_APP_MAX + 1];
	char sd_id[EV_SDID_MAX + 1];
	int facility;
	bool bom;
	bool slog_on;
	struct ev_target target;
	bool connecting;
	uint64_t retry_at_ms;	      /* when disconnected */
	uint64_t connect_deadline_ms; /* when connecting */
	unsigned int backoff_ms, backoff_min, backoff_max;
	uint64_t emitted;
	struct ev_clean clean; /* scratch for events_emit() */
};

/* events_ecs.c */
size_t ev_utf8_cut(char *dst, const char *src, size_t max);
int ev_clean_record(struct ev_clean *c, const struct ev_record *ev, size_t cap);
struct ev_msg *ev_ecs_json(const struct events *e, const struct ev_clean *c);
bool ev_printusascii(const char *s, size_t max);

/* events_syslog.c */
int ev_target_parse(struct ev_target *t, const char *url, char *err,
		    size_t errlen);
struct ev_msg *ev_syslog_msg(const struct events *e, const struct ev_clean *c,
			     const char *json, size_t jlen);
bool ev_sd_name_ok(const char *s);

struct ev_msg *ev_msg_new(size_t len);
void ev_msg_put(struct ev_msg *m);

#endif /* TP_LIB_EVENTS_INT_H */
