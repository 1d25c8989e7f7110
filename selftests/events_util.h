/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events_util.h - what test_events and test_events_syslog share: a
 * temporary folder per test, an events handle opened with test defaults,
 * an event carrying a sequence number, and reading fields back from JSON.
 */
#ifndef TP_TEST_EVENTS_UTIL_H
#define TP_TEST_EVENTS_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/events.h"

#define T_MS 1796386272345LL /* 2026-12-04T12:11:12.345Z */
#define T_STR "2026-12-04T12:11:12.345Z"

/* The test's temporary folder: made (false: failed), then removed. */
bool evt_dir_make(void);
void evt_dir_remove(void);
/* A path in it; two calls' results may be used at once. */
const char *tpath(const char *name);

/* events_open() with test defaults filled in; NULL (failed) on error. */
struct events *open_ev(struct events_config *c);
/* A plain event carrying its sequence number in trustpoint.seq. */
int emit_seq(struct events *e, long long seq, const char *pad);

/* The value at a dotted path ("@timestamp" has no dot); NULL if none. */
static inline struct json_object *jget(struct json_object *o, const char *path)
{
	const char *dot;
	char part[64];

	while (o && (dot = strchr(path, '.'))) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
		path = dot + 1;
	}
	return o && json_object_object_get_ex(o, path, &o) ? o : NULL;
}

static inline const char *jstr(struct json_object *o, const char *path)
{
	o = jget(o, path);
	return o ? json_object_get_string(o) : NULL;
}

static inline long long jseq(struct json_object *o)
{
	const char *s = jstr(o, "trustpoint.seq");

	return s ? atoll(s) : -1;
}

#endif /* TP_TEST_EVENTS_UTIL_H */
