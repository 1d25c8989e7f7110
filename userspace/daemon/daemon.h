/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon.h - what trustpointd's files share: the daemon state, the
 * session, the epoll items and the timer heap. One thread runs one epoll
 * loop; every handler runs to completion inside one step of it, which is
 * what makes a revocation one atomic step with respect to handshakes.
 */
#ifndef TP_DAEMON_H
#define TP_DAEMON_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "bpf/gate.h"
#include "lib/addr.h"
#include "lib/config.h"
#include "lib/proto.h"

struct ca;
struct events;
struct ev_record;
struct gate_events;
struct json_object;
struct ocsp_responder;
struct reg_device;
struct registry;
struct tp_gate;
struct tp_nl;

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* What an epoll item is; data.ptr points at the struct ev inside it. */
enum ev_kind {
	EV_LISTEN,
	EV_SESSION,
	EV_CTL_LISTEN,
	EV_CTL_CONN,
	EV_SIGNAL,
	EV_HTTP,   /* libmicrohttpd's epoll fd */
	EV_EVENTS, /* the events library's outputs */
};

struct ev {
	uint8_t kind;
	bool dead; /* closed in this batch; freed after it */
	int fd;
	struct ev *dead_next;
};

/* A deadline in the min-heap; idx < 0 when not armed. */
struct timer {
	uint64_t due_ms;
	int idx;
	void (*fn)(struct timer *t);
};

enum sess_state {
	S_HANDSHAKE, /* TLS handshake running; counts against max_handshakes */
	S_AUTHED,    /* verified and bound; waiting for HELLO */
	S_ACTIVE,    /* WELCOME sent; heartbeats renew the lease */
	S_GRACE,     /* connection gone; entries evicted when the timer fires */
};

#define SESSION_KEYS_MAX (1 + PROTO_MAX_ADDRS)

struct src_count;

struct tls_rec;

/*
 * One connection from a device. Idle, this and its record keys are all a
 * session costs: wolfSSL's object lives only through the handshake, and
 * frame payloads, pending output and half-read records are allocated only
 * while they exist.
 */
struct session {
	struct ev ev;
	uint8_t state;
	uint8_t family; /* peer address */
	uint16_t port;
	uint8_t addr[16];
	uint8_t mac[6];
	uint8_t nkeys;
	int oif;      /* the interface the peer is reached by (0: unbound) */
	bool closing; /* flush output, then close */
	struct timer timer;
	struct session *prev, *next; /* every session */
	struct session *dev_next;    /* same device-hash bucket */
	struct src_count *src;
	WOLFSSL *ssl;	     /* during the handshake */
	struct tls_rec *rec; /* after it: tls.c's record keys */
	int64_t device_id;   /* 0 until verified */
	char *serial;	    /* the client certificate's, for the status sweep */
	const char *issuer; /* interned */
	struct tp_identity_key *keys; /* nkeys bound entries */
	int64_t since;		      /* unix seconds of the handshake */
	uint64_t last_ms;	      /* last frame from the agent */
	struct proto_reader rd;
	uint8_t *out; /* pending output, only while a write is short */
	uint32_t out_len, out_off;
};

/* Counters for /metrics that no map or library keeps. */
#define HS_REASONS_MAX 32
struct tp_stats {
	uint64_t handshakes_ok;
	struct {
		char reason[48];
		uint64_t n;
	} hs_fail[HS_REASONS_MAX]; /* refusals by reason */
	uint64_t revocations, quarantines, trust_changes, drifts;
	uint64_t gate_drop_events; /* read from the ring buffer */
};

struct daemon {
	struct tp_config cfg;
	const char *config_path;
	char *state_dir, *bpffs; /* effective, flags over config */
	char cert_path[4096], key_path[4096], ca_path[4096];
	bool verbose;
	volatile bool stop;

	int epfd;
	struct ev sig_ev;
	struct ev listen_ev[TP_LISTEN_MAX];
	int nlisten;
	struct ev ctl_ev;
	struct ev *dead; /* waiting for the end of the batch */

	WOLFSSL_CTX *tls;
	struct registry *reg;
	struct tp_gate *gate; /* NULL: no gate loaded, nothing is bound */
	struct tp_nl *nl;

	struct timer **heap;
	size_t nheap, heap_cap;
	struct timer tick; /* the periodic registry sweep */

	struct session *sessions; /* list head */
	struct session *sweep_at; /* where the sweep's pass continues */
	int64_t sweep_version;	  /* the registry's data_version it checked */
	unsigned int nconns, nhandshakes, nsessions;
	struct session **dev_hash;
	struct src_count **src_hash;
	char **issuers; /* interned issuer DNs */
	int nissuers;

	struct events *events; /* NULL until evlog_open() */
	struct ev events_ev;
	struct timer events_timer;
	struct gate_events *gev; /* drop events, once a gate is open */
	struct timer gev_timer;
	struct ev http_ev;
	struct timer http_timer;
	struct ca *ca; /* for OCSP; NULL: /ocsp internalError */
	struct ocsp_responder *ocsp;
	struct tp_stats stats;
};

extern struct daemon *tpd;

/* main.c: logging */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* control_gate.c: identity/bootstrap changes; NULL when cmd is not one. */
struct json_object *control_gate_cmd(const char *cmd, struct json_object *req);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void peer_str(const struct session *s, char *buf, size_t len);

/* loop.c */
uint64_t now_ms(void);
int ev_add(struct ev *ev, uint32_t events);
int ev_mod(struct ev *ev, uint32_t events);
void ev_del(struct ev *ev);
/*
 * Free an item after the current batch of events, so that an event of the
 * same batch never reaches freed memory.
 */
void ev_defer_free(struct ev *ev);
void timer_arm(struct timer *t, uint64_t due_ms);
void timer_cancel(struct timer *t);
int loop_run(void);

/* tls.c */
int tls_init(void);
void tls_exit(void);
/*
 * Advance a handshake: 0 done and verified (device_id, serial, issuer
 * set), -EAGAIN more I/O needed (events says which), or -EPERM refused
 * (reason filled in: a short token like "expired").
 */
int tls_handshake(struct session *s, uint32_t *events, char *reason, size_t len,
		  char *detail, size_t dlen);
/* A verified session's records (RFC 8446 5.2), wolfSSL no longer involved. */
#define TLS_RECORD_MAX (5 + 16384 + 256)
#define TLS_SEAL_OVERHEAD (5 + 1 + 16)
/* Seal len bytes (in NULL: a close_notify) into out: its length or -errno. */
int tls_seal(struct session *s, const uint8_t *in, size_t len, uint8_t *out,
	     size_t cap);
/*
 * Read one record into rec (TLS_RECORD_MAX bytes): the length of its data,
 * which *data points at (0: an empty record), -EAGAIN, -ESHUTDOWN (the
 * peer's close_notify), or another -errno (the session is unusable).
 */
int tls_recv(struct session *s, uint8_t *rec, uint8_t **data);
void tls_session_free(struct session *s); /* wolfSSL object or keys, wiped */
const char *issuer_intern(const char *dn);

/* session.c */
void session_accept(struct ev *listener);
void session_io(struct session *s, uint32_t events);
/* Send a frame and close (BYE/REVOKED); evict says whether to go to grace. */
void session_end(struct session *s, uint8_t type, const char *reason,
		 bool evict_now);
void session_destroy(struct session *s);
struct session *session_first_of(int64_t device_id);
struct session *session_next_of(struct session *s);
int sessions_init(void);
void sessions_shutdown(void);

/* bind.c */
/* Bind the session's peer address; 0 or -errno (logged). */
int bind_peer(struct session *s);
/* Bind addresses the agent announced (those on the same link and MAC). */
void bind_announced(struct session *s, const struct proto_hello *h);
int bind_renew(struct session *s);
/* Delete the session's entries not also held by a live session. */
void bind_evict(struct session *s);
bool lan_allowed(int ifindex);

/* revoke.c */
/*
 * Revoke (REVOKED), quarantine (QUARANTINED) or activate a device, in the
 * order the design fixes. *out receives the response members.
 */
int device_set_status(const char *ref, int status, const char *reason,
		      const char *actor, struct json_object *out, char *err,
		      size_t errlen);
/*
 * Steps 2-5 after the registry step (which the caller did, status already
 * written, its flush deferred with reg_defer_sync()): cut entries, flush
 * the registry, cut sessions and flows, then the event. out (may be NULL)
 * receives the response members.
 */
void device_status_done(const struct reg_device *d, int status,
			const char *reason, const char *actor,
			struct json_object *out);
/* Cut a device's entries, sessions and flows (steps 2-5). */
void device_cut(int64_t id, const char *event, const char *reason,
		const char *actor, unsigned int *evicted, unsigned int *flows);
/* Make a deferred registry commit durable; logs when it cannot. */
void registry_flush(void);
/* True when the device is active and, if serial is given, the cert good. */
bool device_still_good(int64_t id, const char *issuer, const char *serial);
void sweep_start(void);

/* control.c */
int control_init(void);
void control_exit(void);
void control_accept(struct ev *listener);
void control_io(struct ev *ev, uint32_t events);
void control_conn_destroy(struct ev *ev);

/* evlog.c: security events (lib/events.h) with the device identity */
/* Where a device is: from its session, or nothing known ("" / 0). */
struct ev_where {
	char ip[IP_STRLEN];
	char mac[MAC_STRLEN];
	char ifname[IF_NAMESIZE];
	int vlan;
	char cert_serial[65];
};
void where_of_session(const struct session *s, struct ev_where *w);
/* The first connected session of the device, if any. */
void where_of_device(int64_t id, struct ev_where *w);
/*
 * Emit r about device d (NULL: none) found at w (NULL: unknown); r->id is
 * filled here. Stderr gets the line too when [events] to_stderr is on.
 */
void evlog(struct ev_record *r, const struct reg_device *d,
	   const struct ev_where *w);
/* The same for a device known by id (looked up; 0: no device). */
void evlog_id(struct ev_record *r, int64_t id, const struct ev_where *w);
int evlog_open(void);
void evlog_close(void);
void evlog_reopen(void); /* SIGHUP: logrotate moved the file */
void evlog_io(void);	 /* events_ev readable */
/* Start reading the gate's drop events (when a gate is open). */
void gate_drops_start(void);

/* policy.c: trust scores and posture drift */
/*
 * Set d's trust (0..100) and let the thresholds act, all or nothing:
 * 0, -EPERM when the status change the score calls for is not allowed
 * from d's status (nothing changed), or another -errno. out receives the
 * response members.
 */
int policy_set_trust(const struct reg_device *d, int score, const char *reason,
		     const char *actor, struct json_object *out, char *err,
		     size_t errlen);
/* Compare a posture report with the enrolled properties; act on drift. */
void policy_posture(struct session *s, const struct proto_posture *p);

/* http.c: the management address, run inside the loop */
int http_init(void);
void http_exit(void);
void http_io(void); /* http_ev readable */

/* api.c: /v1 */
int api_init(void);
void api_exit(void);
bool api_token_ok(const char *authorization);
/*
 * Handle one /v1 call with its (complete, bounded) body. Returns the HTTP
 * status and sets *resp (a JSON object, the caller's).
 */
unsigned int api_handle(const char *method, const char *url, const char *body,
			size_t len, const char *actor,
			struct json_object **resp);
void api_audit(const char *actor, const char *method, const char *url,
	       unsigned int status, const char *detail);

/* metrics.c: /metrics, the Prometheus text format; malloc'd */
char *metrics_render(size_t *len);

/* reconcile.c */
int reconcile_gate(void);
int bootstrap_add_listeners(void);

#endif /* TP_DAEMON_H */
