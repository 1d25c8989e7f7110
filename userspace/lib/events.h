/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events.h - trustpoint's security events for a SIEM. Each event is
 * enriched with the device identity, formatted once as a JSON line with
 * Elastic Common Schema field names (nested objects: {"event":{"action":
 * ..}}), and handed to up to three outputs: a file (reopened on request,
 * for logrotate), RFC 5424 syslog (UDP, TCP with RFC 6587 octet counting,
 * or a unix socket) and stderr.
 *
 * Nothing here blocks: every output has a bounded queue; an event that
 * finds its queue full is dropped and counted. A single-threaded caller
 * drives it: watch events_fd() for EPOLLIN and call events_poll_out()
 * when it is ready, and call events_tick() no later than the number of
 * milliseconds it (and events_emit()) last asked for, for reconnects.
 */
#ifndef TP_LIB_EVENTS_H
#define TP_LIB_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who an event is about. Every member may be NULL (or vlan 0: none). */
struct ev_identity {
	const char *device_id; /* registry uuid (ECS device.id) */
	const char *device_name;
	const char *owner; /* the owner's account */
	const char *group;
	const char *model;
	const char *manufacturer;
	const char *serial_number;
	const char *os;
	const char *os_version;
	const char *cert_serial; /* hex, colons allowed */
	const char *ip;		 /* IPv4 or IPv6 literal */
	const char *mac;	 /* "02:00:00:00:00:11" or '-' separated */
	const char *ifname;
	int vlan; /* 1..4094; 0: untagged */
};

/* An event-specific field, under "trustpoint" in the JSON. */
struct ev_field {
	const char *key; /* [a-z0-9_], 1..32 bytes; not "actor", "device" */
	const char *str; /* a string, or NULL for the number */
	long long num;
};

#define EV_EXTRA_MAX 16
#define EV_FIELD_MAX 256 /* bytes of a string field; longer ones are cut */
#define EV_REASON_MAX 512

struct ev_record {
	/* [a-z0-9-], 1..32: "handshake", "session-start", "session-end",
	 * "lease-expired", "device-revoked", "device-quarantined",
	 * "trust-changed", "posture-drift", "gate-drop", "api-call"; also
	 * the syslog MSGID. Required. */
	const char *action;
	/* ECS event.category values, comma-separated for several:
	 * "authentication", "network", "iam", "configuration", ... NULL:
	 * none. */
	const char *category;
	const char *kind; /* "event" (NULL) or "alert" (or another ECS kind) */
	const char *outcome; /* "success", "failure", "unknown" or NULL */
	const char *reason;  /* free text, or NULL */
	const char *actor;   /* who did it (admin, "api", "policy"), or NULL */
	const struct ev_identity *id; /* NULL: no device */
	const struct ev_field *extra;
	int nextra;
	int64_t time_ms; /* Unix time in ms; 0: now */
};

struct events_config {
	const char *file; /* JSON lines file (appended; 0640), or NULL */
	/* "udp://HOST:PORT", "tcp://HOST:PORT" ([v6]:PORT), "unix://PATH"
	 * (datagram, else stream), "unix-dgram://PATH", "unix-stream://PATH",
	 * or NULL. Host names are resolved once, by events_open(). */
	const char *syslog;
	bool to_stderr;	      /* JSON lines to fd 2 too */
	const char *app_name; /* NULL: "trustpointd" */
	const char *hostname; /* observer.hostname and syslog HOSTNAME;
			       * NULL: gethostname() */
	/* 1..23 (LOG_AUTHPRIV >> 3 is 10); 0: 10. No kern (0): that is
	 * the kernel's alone. */
	int facility;
	const char *sd_id;	       /* NULL: "tp@32473" (the example PEN) */
	bool syslog_no_bom;	       /* leave out the UTF-8 BOM before MSG */
	unsigned int queue_max;	       /* events per output; 0: 1024 */
	unsigned int reconnect_min_ms; /* 0: 500 */
	unsigned int reconnect_max_ms; /* 0: 30000 */
};

struct events;

struct events_stats {
	uint64_t emitted; /* accepted by events_emit() */
	uint64_t dropped; /* output copies lost: queue full, write error */
	uint64_t queued;  /* waiting in all queues now */
	bool syslog_connected;
};

/*
 * Parse and check the configuration, open the file, resolve and start
 * connecting to the syslog target. 0, or -errno with a message in err.
 * A syslog peer that is down is not an error: it is retried.
 */
int events_open(const struct events_config *c, struct events **out, char *err,
		size_t errlen);
/* Free everything, after one last non-blocking flush. NULL is fine. */
void events_close(struct events *e);

/*
 * Format the event and queue it for every output, writing what can be
 * written now. 0 when the event was formatted (an output whose queue is
 * full counts a drop); -EINVAL for an invalid event, which is written
 * nowhere.
 */
int events_emit(struct events *e, const struct ev_record *ev);

/* Reopen the file (after logrotate moved it); reconnect syslog now if it
 * is down. 0, or -errno when the file cannot be opened (the old one is
 * kept). */
int events_reopen(struct events *e);

/* A stable fd (an epoll set of the outputs): EPOLLIN on it means
 * events_poll_out() has work. */
int events_fd(const struct events *e);
/* Write what the outputs accept, notice closed peers. */
void events_poll_out(struct events *e);
/* Reconnect when due and flush. Returns ms until it wants to be called
 * again, or -1 when only events_fd() matters. */
int events_tick(struct events *e);

uint64_t events_dropped(const struct events *e);
void events_get_stats(const struct events *e, struct events_stats *st);

/* "auth", "authpriv", "daemon", "local0".."local7", "user", ... or a
 * number 1..23; -EINVAL otherwise. For the config parser. */
int events_facility_parse(const char *s);

#endif /* TP_LIB_EVENTS_H */
