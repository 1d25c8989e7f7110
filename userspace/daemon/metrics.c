// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - GET /metrics in the Prometheus text exposition format
 * (0.0.4): the gate's verdict and drop-event counters, per-device packets
 * and bytes labelled with the device's uuid, name and owner, handshakes by
 * outcome and reason, sessions, revocations and the events library's
 * counters. /metrics carries no token: it is meant for the management
 * address, where Prometheus scrapes without credentials; names and owners
 * in its labels are what the API shows to token holders, so keep the
 * address private (the default is 127.0.0.1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "lib/events.h"
#include "lib/gate.h"
#include "lib/registry.h"

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *key, const char *v, bool more)
{
	fprintf(f, "%s=\"", key);
	for (; v && *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputs(more ? "\"," : "\"", f);
}

static void gate_metrics(FILE *f)
{
	struct tp_counter v[TP_REASON_MAX] = {};
	__u64 ev[TP_EV_MAX] = {};
	static const char *const ev_names[TP_EV_MAX] = {
		[TP_EV_EMITTED] = "emitted",
		[TP_EV_SUPPRESSED] = "suppressed",
		[TP_EV_RINGBUF_FULL] = "ringbuf_full",
	};
	bool up = tpd->gate && !gate_verdicts(tpd->gate, v);

	head(f, "tp_gate_up", "gauge",
	     "1 when the daemon has the gate's maps open.");
	fprintf(f, "tp_gate_up %d\n", up);
	head(f, "tp_gate_packets_total", "counter",
	     "Frames the XDP gate counted, by verdict reason.");
	for (unsigned int r = 0; up && r < TP_REASON_MAX; r++) {
		fputs("tp_gate_packets_total{", f);
		label(f, "reason", gate_reason_name(r), false);
		fprintf(f, "} %llu\n", (unsigned long long)v[r].packets);
	}
	head(f, "tp_gate_bytes_total", "counter",
	     "Bytes of the frames the XDP gate counted, by verdict reason.");
	for (unsigned int r = 0; up && r < TP_REASON_MAX; r++) {
		fputs("tp_gate_bytes_total{", f);
		label(f, "reason", gate_reason_name(r), false);
		fprintf(f, "} %llu\n", (unsigned long long)v[r].bytes);
	}
	head(f, "tp_gate_drop_events_total", "counter",
	     "Drop events of the gate's ring buffer path, by result.");
	if (up && !gate_evstats(tpd->gate, ev))
		for (int i = 0; i < TP_EV_MAX; i++)
			fprintf(f,
				"tp_gate_drop_events_total{result=\"%s\"} %llu\n",
				ev_names[i], (unsigned long long)ev[i]);
	head(f, "tp_gate_drop_events_read_total", "counter",
	     "Drop events the daemon read from the ring buffer.");
	fprintf(f, "tp_gate_drop_events_read_total %" PRIu64 "\n",
		tpd->stats.gate_drop_events);
}

struct dev_ctx {
	FILE *pk, *by; /* the two families, written one after the other */
};

static int device_cb(const struct reg_device *d, void *ctx)
{
	struct dev_ctx *c = ctx;
	struct tp_counter st;

	/* no counters: the device has no entries, nothing to say */
	if (gate_device_stats(tpd->gate, d->id, &st))
		return 0;
	for (int i = 0; i < 2; i++) {
		FILE *f = i ? c->by : c->pk;

		fputs(i ? "tp_device_bytes_total{" : "tp_device_packets_total{",
		      f);
		label(f, "device_id", d->uuid, true);
		label(f, "name", d->name, true);
		label(f, "owner", d->owner, false);
		fprintf(f, "} %llu\n",
			(unsigned long long)(i ? st.bytes : st.packets));
	}
	return 0;
}

static void device_metrics(FILE *f)
{
	struct dev_ctx c = {f, NULL};
	char *bytes = NULL;
	size_t len = 0;

	head(f, "tp_device_packets_total", "counter",
	     "Frames the gate passed for a device's bound addresses.");
	c.by = open_memstream(&bytes, &len);
	if (!c.by)
		return;
	if (tpd->gate)
		reg_device_foreach(tpd->reg, device_cb, &c);
	fclose(c.by);
	head(f, "tp_device_bytes_total", "counter",
	     "Bytes the gate passed for a device's bound addresses.");
	fwrite(bytes, 1, len, f);
	free(bytes);
}

static void daemon_metrics(FILE *f)
{
	const struct tp_stats *st = &tpd->stats;
	struct events_stats es = {};

	head(f, "tp_handshakes_total", "counter",
	     "Device handshakes, by outcome and the reason of a refusal.");
	fprintf(f,
		"tp_handshakes_total{outcome=\"success\",reason=\"verified\"} %" PRIu64
		"\n",
		st->handshakes_ok);
	for (int i = 0; i < HS_REASONS_MAX && st->hs_fail[i].reason[0]; i++) {
		fputs("tp_handshakes_total{outcome=\"failure\",", f);
		label(f, "reason", st->hs_fail[i].reason, false);
		fprintf(f, "} %" PRIu64 "\n", st->hs_fail[i].n);
	}
	head(f, "tp_sessions", "gauge", "Verified device sessions.");
	fprintf(f, "tp_sessions %u\n", tpd->nsessions);
	head(f, "tp_handshakes_in_progress", "gauge",
	     "TLS handshakes running now.");
	fprintf(f, "tp_handshakes_in_progress %u\n", tpd->nhandshakes);
	head(f, "tp_revocations_total", "counter",
	     "Devices revoked by this daemon (tpctl, API, policy).");
	fprintf(f, "tp_revocations_total %" PRIu64 "\n", st->revocations);
	head(f, "tp_quarantines_total", "counter",
	     "Devices quarantined by this daemon (tpctl, API, policy).");
	fprintf(f, "tp_quarantines_total %" PRIu64 "\n", st->quarantines);
	head(f, "tp_trust_changes_total", "counter", "Trust score changes.");
	fprintf(f, "tp_trust_changes_total %" PRIu64 "\n", st->trust_changes);
	head(f, "tp_posture_drifts_total", "counter",
	     "Posture reports that differed from the enrolled properties.");
	fprintf(f, "tp_posture_drifts_total %" PRIu64 "\n", st->drifts);
	if (tpd->events)
		events_get_stats(tpd->events, &es);
	head(f, "tp_events_emitted_total", "counter",
	     "Security events accepted for output.");
	fprintf(f, "tp_events_emitted_total %" PRIu64 "\n", es.emitted);
	head(f, "tp_events_dropped_total", "counter",
	     "Security event copies lost: an output's queue full, a write error.");
	fprintf(f, "tp_events_dropped_total %" PRIu64 "\n", es.dropped);
	head(f, "tp_events_queued", "gauge",
	     "Security event copies waiting in the output queues.");
	fprintf(f, "tp_events_queued %" PRIu64 "\n", es.queued);
}

char *metrics_render(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	gate_metrics(f);
	device_metrics(f);
	daemon_metrics(f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
