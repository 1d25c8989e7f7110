/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon_lab.h - what the trustpointd end-to-end tests (test_daemon*.c)
 * share: the netns lab with a CA, users and devices enrolled by CSR, the
 * gate on gw's lan0, trustpointd in gw and tp-agent in dev1/dev2 as
 * children of the test, the daemon's log read back as events, and TCP
 * streams from a LAN node to srv whose byte counts the test can watch.
 * dlab_down() removes everything dlab_up() made, whatever state it is in.
 */
#ifndef TP_TEST_DAEMON_LAB_H
#define TP_TEST_DAEMON_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "cmd.h"
#include "lab.h"

#define DLAB_DEVS 3 /* dev1, dev2, and index 0 unused */
#define DLAB_PORT 4433
#define DLAB_SWEEP_MS 1000 /* trustpointd's registry sweep interval */

/* [daemon] values the test wants; 0 keeps the lab's default. */
struct dlab_opts {
	unsigned int lease_s, heartbeat_s, grace_s, handshake_timeout_ms;
	bool conntrack; /* load a ct rule in gw so forwarded flows are tracked
			 */
};

struct dlab {
	char gw[64], dev[DLAB_DEVS][64], rogue[64], srv[64];
	/* short paths: the control socket's must fit a sockaddr_un */
	char pin[128], dir[64], state[96], sock[96];
	char conf[96], log[96], ca[128];
	char tp[512]; /* tpctl options for this lab */
	pid_t daemon;
	pid_t agent[DLAB_DEVS];
	char agent_log[DLAB_DEVS][96];
	long long dev_id[DLAB_DEVS];
	char dev_serial[DLAB_DEVS][65];
	bool lab_up;
};

extern struct dlab dl;

long dlab_now_ms(void);
void dlab_sleep_ms(int ms);

/*
 * Lab up, state (CA "CN=trustpoint lab CA", user alice owning dev1 and
 * dev2, both enrolled by CSR as DIR/devN.{key,pem}, server certificate for
 * 192.0.2.1 and 2001:db8:1::1), config file, gate attached on gw's lan0.
 * tag names the temp dir. The daemon is not started.
 */
bool dlab_up(const char *tag, const struct dlab_opts *o);
/* Stop agents and daemon, detach, remove pins, lab and temp dir. */
void dlab_down(void);

/* tpctl with this lab's -c/-S/-B/-s, in ns (NULL: the host's). */
int dlab_tp(struct cmd_result *r, const char *ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parse r->out as JSON; NULL (and a failed assertion) when it is not. */
json_object *dlab_json(const struct cmd_result *r, const char *what);
const char *dlab_jstr(json_object *o, const char *key);
long long dlab_jint(json_object *o, const char *key);

/*
 * Run `sh -c script` in network namespace ns (NULL: the host's) as a child
 * of the test, stdout and stderr appended to log. Its pid, or -1.
 */
pid_t dlab_spawn_sh(const char *ns, const char *log, const char *script);
/* Wait up to timeout_ms for pid: its wait status, -1 while it runs. */
int dlab_pid_wait(pid_t pid, int timeout_ms);
/* SIGTERM, then SIGKILL after grace_ms; reaped; *pid set to 0. */
void dlab_pid_stop(pid_t *pid, int grace_ms);

/* Start trustpointd in gw (log appended to dl.log); true once ready. */
bool dlab_daemon_start(void);
/* SIGTERM, wait; SIGKILL when it does not stop. */
void dlab_daemon_stop(void);
/* kill -9, reaped. */
void dlab_daemon_kill9(void);

/*
 * Start tp-agent for devN in its namespace (stderr to dl.agent_log[n],
 * appended), with a posture file; extra is appended to its argv ("--once"
 * or NULL).
 */
bool dlab_agent_start(int n, const char *extra);
/*
 * Wait up to timeout_ms for devN's agent to exit: its wait status, or -1
 * when it still runs.
 */
int dlab_agent_wait(int n, int timeout_ms);
void dlab_agent_stop(int n);

/*
 * Entries in the gate for device (any device when < 0) and ip (any when
 * NULL), -1 when the list cannot be read.
 */
int dlab_identity_count(long long device, const char *ip);
/* The same for the gate tpctl reaches with tp_opts in ns (another lab's). */
int dlab_identity_count_in(const char *ns, const char *tp_opts,
			   long long device, const char *ip);
/* Poll until the count is (want > 0 ? >= want : 0); the last count. */
int dlab_identity_wait(long long device, const char *ip, int want,
		       int timeout_ms);
/* `session list -j` through the control socket; NULL on error. */
json_object *dlab_sessions(void);
/* The session object of the named device in arr, or NULL. */
json_object *dlab_session_of(json_object *arr, const char *name);
/* Poll session list until the device has a session (true) or time runs out. */
bool dlab_session_wait(const char *name, int timeout_ms);

/* Where the daemon log ends now: later events are after this offset. */
long dlab_log_offset(void);
/*
 * The daemon's security events, in either of the formats it has written:
 * flat lines ({"event":"handshake.refused","peer":..,"reason":..}) or
 * ECS ({"event":{"action":"handshake","outcome":"failure","reason":..},
 * "source":{"ip":..},"host":{"name":..}}).
 */
enum dlab_ev {
	DLAB_EV_REFUSED,     /* a handshake refused; who is the peer IP */
	DLAB_EV_REVOKED,     /* device revoked; who is the device name */
	DLAB_EV_QUARANTINED, /* device quarantined; who is the device name */
};

/*
 * The reason of the first such event after offset about who (any when
 * NULL), "" when it has none; polls up to timeout_ms. NULL when there is
 * no such event. Caller frees.
 */
char *dlab_log_event(long offset, enum dlab_ev kind, const char *who,
		     int timeout_ms);
/* How many such events after offset, with that reason when not NULL. */
int dlab_log_events(long offset, enum dlab_ev kind, const char *who,
		    const char *reason);
/* Count of lines after offset that contain text. */
int dlab_log_count(long offset, const char *text);
void dlab_log_dump(const char *why);
/* Does file contain text? */
bool dlab_file_has(const char *path, const char *text);

/*
 * A TCP stream from a LAN node to srv (daemon_lab_stream.c): a sink in srv
 * counts what it receives (rx), a writer in the node sends 4 KiB every
 * 10 ms (tx).
 */
struct dlab_stream_shm {
	uint64_t rx, tx;
	uint64_t last_ms, max_gap_ms; /* between arrivals at the sink */
	int connected, err;
};

struct dlab_stream {
	pid_t server, client;
	struct dlab_stream_shm *shm;
};

/* 0 once connected and the first bytes arrived, -errno otherwise. */
int dlab_stream_start(struct dlab_stream *s, const char *ns, const char *dst,
		      int port);
uint64_t dlab_stream_rx(const struct dlab_stream *s);
/*
 * The longest time without arrivals at the sink since the last reset,
 * counting the silence up to now.
 */
long dlab_stream_gap_ms(const struct dlab_stream *s);
void dlab_stream_gap_reset(struct dlab_stream *s);
void dlab_stream_stop(struct dlab_stream *s);

#endif /* TP_TEST_DAEMON_LAB_H */
