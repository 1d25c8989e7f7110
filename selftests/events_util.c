// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_util.c - the folder, handle and event helpers test_events and
 * test_events_syslog share: see events_util.h.
 */
#include <limits.h>

#include "events_util.h"
#include "test_progs.h"

static char tdir[128];

bool evt_dir_make(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/tp-events-%s-XXXXXX", env.suffix);
	return ASSERT_OK_PTR(mkdtemp(tdir), "mkdtemp");
}

void evt_dir_remove(void)
{
	SYS_NOFAIL("rm -rf '%s'", tdir);
}

const char *tpath(const char *name)
{
	static char path[2][PATH_MAX];
	static int i;

	i ^= 1;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tdir, name);
	return path[i];
}

static const struct ev_identity dev1 = {
	.device_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7",
	.device_name = "dev1",
	.owner = "alice",
	.ip = "192.0.2.11",
	.mac = "02:00:00:00:00:11",
	.ifname = "lan0",
};

/* A plain event carrying its sequence number in trustpoint.seq. */
int emit_seq(struct events *e, long long seq, const char *pad)
{
	struct ev_field f[2] = {{"seq", NULL, seq}, {"pad", pad}};
	struct ev_record ev = {
		.action = "session-start",
		.category = "network",
		.outcome = "success",
		.id = &dev1,
		.extra = f,
		.nextra = pad ? 2 : 1,
	};

	return events_emit(e, &ev);
}

struct events *open_ev(struct events_config *c)
{
	struct events *e = NULL;
	char err[256] = "";

	if (!c->hostname)
		c->hostname = "gw-test";
	if (!c->reconnect_min_ms)
		c->reconnect_min_ms = 20;
	if (!c->reconnect_max_ms)
		c->reconnect_max_ms = 200;
	if (!ASSERT_OK(events_open(c, &e, err, sizeof(err)), "events_open"))
		fprintf(stderr, "  events_open: %s\n", err);
	return e;
}
