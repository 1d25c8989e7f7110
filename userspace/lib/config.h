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

struct tp_config {
	char *state_dir; /* [paths] state_dir */
	char *bpffs;	 /* [paths] bpffs */
	char *ocsp_url;	 /* [ca] ocsp_url: AIA of issued certificates */
	unsigned int device_days; /* [ca] device_days */
	struct tp_daemon_config daemon;
};

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
