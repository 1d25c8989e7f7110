/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config.h - trustpoint.conf, the one INI file trustpointd and tpctl read
 * (inih). Unknown sections or keys and bad values are errors that name
 * the line, so a typo never silently falls back to a default.
 */
#ifndef TP_LIB_CONFIG_H
#define TP_LIB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define TP_CONFIG_DEFAULT "/etc/trustpoint/trustpoint.conf"
#define TP_STATE_DIR_DEFAULT "/var/lib/trustpoint"
#define TP_CONTROL_SOCKET_DEFAULT "/run/trustpoint/control.sock"
#define TP_LISTEN_PORT_DEFAULT 4433
#define TP_LISTEN_MAX 8
#define TP_LAN_MAX 32

/* One address:port trustpointd listens on; addr all zero is the wildcard. */
struct tp_listen {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
};

/* [daemon]; paths left NULL mean "under the state directory". */
struct tp_daemon_config {
	struct tp_listen listen[TP_LISTEN_MAX];
	int nlisten;
	char *server_cert;     /* NULL: <state_dir>/server/server.pem */
	char *server_key;      /* NULL: <state_dir>/server/server.key */
	char *ca;	       /* NULL: <state_dir>/ca/ca.pem */
	char *lan[TP_LAN_MAX]; /* lan_interfaces; none: every interface */
	int nlan;
	unsigned int lease_s;
	unsigned int heartbeat_s;
	unsigned int grace_s;
	unsigned int handshake_timeout_ms;
	unsigned int max_handshakes;
	unsigned int max_conn_per_source;
	unsigned int max_sessions;
	char *control_socket;
	char *control_group; /* NULL: root only */
};

/* [http]: the management address (OCSP, /v1 API, /metrics). */
#define TP_HTTP_PORT_DEFAULT 8088
#define TP_HTTP_MAX_BODY_DEFAULT 4096
struct tp_http_config {
	struct tp_listen listen; /* port 0: no HTTP at all ("listen = none") */
	char *token_file;	 /* NULL: /v1 refuses every call */
	unsigned int max_body;	 /* bytes of a request body */
};

/* [events]: where security events go (lib/events.h). */
struct tp_events_config {
	char *file;   /* JSON lines, or NULL */
	char *syslog; /* "udp://HOST:PORT", "tcp://..", "unix://PATH", NULL */
	int facility; /* 0: events.h's default (authpriv) */
	bool to_stderr;
};

/* [policy]: what a trust score and posture drift lead to. */
enum tp_drift_action {
	TP_DRIFT_QUARANTINE = 0,
	TP_DRIFT_REVOKE,
	TP_DRIFT_LOWER_TRUST, /* only the score; the thresholds decide */
};
struct tp_policy_config {
	unsigned int quarantine_below; /* trust < this: quarantined */
	unsigned int revoke_below;     /* trust < this: revoked */
	enum tp_drift_action drift_action;
	unsigned int w_serial_mismatch, w_model_mismatch;
	unsigned int w_os_downgrade, w_os_change;
};

/* [ocsp]: the responder at /ocsp. */
struct tp_ocsp_config {
	char *signer_cert, *signer_key; /* NULL: the CA signs */
	unsigned int next_update_s;
};

struct tp_config {
	char *state_dir; /* [paths] state_dir */
	char *bpffs;	 /* [paths] bpffs */
	char *ocsp_url;	 /* [ca] ocsp_url: AIA of issued certificates */
	unsigned int device_days; /* [ca] device_days */
	struct tp_daemon_config daemon;
	struct tp_http_config http;
	struct tp_events_config events;
	struct tp_policy_config policy;
	struct tp_ocsp_config ocsp;
};

const char *drift_action_name(enum tp_drift_action a);

/* Defaults, then path when it exists (or must exist, when required). */
int config_load(const char *path, bool required, struct tp_config *c, char *err,
		int errlen);
void config_free(struct tp_config *c);

/*
 * "ADDR:PORT", "[V6ADDR]:PORT", or a bare address (port 4433); the one
 * parser of listen addresses for the config file and the command line.
 */
int listen_parse(const char *s, struct tp_listen *l);
/* "192.0.2.1:4433" / "[2001:db8::1]:4433"; buf of at least 56 bytes. */
void listen_format(const struct tp_listen *l, char *buf, int len);

#endif /* TP_LIB_CONFIG_H */
