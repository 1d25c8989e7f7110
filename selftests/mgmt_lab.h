/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mgmt_lab.h - what test_siem.c and test_api.c share on top of the daemon
 * lab: trustpointd with its management address on 127.0.0.1:MLAB_PORT
 * inside gw's namespace (nothing else listens there, so the port is free
 * by construction), an API token file, the events file and syslog target;
 * HTTP calls made with curl inside gw (nsenter --net); and a snapshot of
 * the registry and the gate entries to prove a refused call changed
 * nothing.
 */
#ifndef TP_TEST_MGMT_LAB_H
#define TP_TEST_MGMT_LAB_H

#include <stddef.h>

#include "daemon_lab.h"

#define MLAB_PORT 18088
#define MLAB_SYSLOG_PORT 15514

struct mlab {
	char token[65];
	char token_file[PATH_MAX];
	char events[PATH_MAX]; /* the ECS JSON lines file */
	char url[64];	       /* "http://127.0.0.1:18088" */
};

extern struct mlab ml;

/*
 * dlab_up(), then the token file (0600) and [http], [events] and [policy]
 * appended to the config, with extra (more lines, or NULL) after them.
 */
bool mlab_up(const char *tag, const char *extra);
/* Start the daemon and wait for its HTTP address to answer. */
bool mlab_start(void);
void mlab_down(void);

#define MLAB_NO_TOKEN NULL
#define MLAB_TOKEN ml.token

/*
 * One HTTP request with curl in gw: method, path, the bearer token (NULL:
 * no Authorization header), a body (NULL: none) of len bytes, extra curl
 * options (NULL: none). The status, or -1; *resp (may be NULL) receives
 * the response body (malloc'd, NUL-terminated), *resp_len its length.
 */
int mlab_http(const char *method, const char *path, const char *token,
	      const char *body, size_t len, const char *extra, char **resp,
	      size_t *resp_len);
/* Like mlab_http with a string body, the response parsed as JSON. */
int mlab_call(const char *method, const char *path, const char *token,
	      const char *body, json_object **resp);

/*
 * The registry's devices (`device show -j` of each, certificates
 * included) and the gate's entries (interface, address, MAC, device) as
 * one string; NULL on error.
 */
char *mlab_snapshot(void);

/* The ECS events in the file whose event.action is action (and, when
 * name is set, whose host.name is name), as a new array. */
json_object *mlab_events(const char *action, const char *name);
/* Member at a dotted path ("event.action"), or NULL. */
json_object *mlab_jpath(json_object *o, const char *path);
const char *mlab_jpath_str(json_object *o, const char *path);
/* Poll until mlab_events() finds one (timeout_ms); caller puts it. */
json_object *mlab_event_wait(const char *action, const char *name,
			     int timeout_ms);

#endif /* TP_TEST_MGMT_LAB_H */
