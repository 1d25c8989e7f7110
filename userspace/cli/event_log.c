// SPDX-License-Identifier: GPL-2.0-only
/*
 * event_log.c - tpctl event tail over trustpointd's events file: the
 * identity-bound ECS JSON lines, the last N or followed (across a
 * logrotate rename), optionally for one device.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli/main.h"

#define LINE_MAX_LEN (64 * 1024)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* A nested ECS field ("event.action") as a string, or NULL. */
static const char *field(struct json_object *o, const char *path)
{
	char part[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
		path = dot + 1;
	}
	if (!json_object_object_get_ex(o, path, &o))
		return NULL;
	return json_object_get_string(o);
}

static bool matches(struct json_object *o, const char *device)
{
	const char *id = field(o, "device.id"), *name = field(o, "host.name");

	return !device || (id && !strcmp(id, device)) ||
	       (name && !strcmp(name, device));
}

/* One line of the log: echoed in JSON mode, summarized in text mode. */
static bool print_line(const char *line, const char *device)
{
	struct json_object *o = json_tokener_parse(line);
	const char *s;
	bool shown = false;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !matches(o, device))
		goto out;
	shown = true;
	if (out_json()) {
		printf("%s\n", line);
		goto out;
	}
	printf("%s %s", field(o, "@timestamp") ?: "-",
	       field(o, "event.action") ?: "-");
	if ((s = field(o, "event.outcome")))
		printf(" %s", s);
	if ((s = field(o, "host.name")))
		printf(" device %s", s);
	if ((s = field(o, "user.name")))
		printf(" owner %s", s);
	if ((s = field(o, "source.ip")))
		printf(" ip %s", s);
	if ((s = field(o, "source.mac")))
		printf(" mac %s", s);
	if ((s = field(o, "event.reason")))
		printf(" reason \"%s\"", s);
	printf("\n");
out:
	json_object_put(o);
	fflush(stdout);
	return shown;
}

/* The byte offset where the last n matching lines start. */
static long tail_offset(FILE *f, unsigned long long n, const char *device)
{
	long *starts = calloc(n, sizeof(*starts));
	char *line = malloc(LINE_MAX_LEN);
	unsigned long long seen = 0;
	long pos = 0, off = 0;

	if (!starts || !line) {
		free(starts);
		free(line);
		return 0;
	}
	while (fgets(line, LINE_MAX_LEN, f)) {
		struct json_object *o = json_tokener_parse(line);

		if (o && matches(o, device))
			starts[seen++ % n] = pos;
		json_object_put(o);
		pos = ftell(f);
	}
	if (seen)
		off = seen < n ? starts[0] : starts[seen % n];
	free(starts);
	free(line);
	return off;
}

int tail_event_log(const char *path, unsigned long long n, bool follow,
		   const char *device)
{
	char *line = malloc(LINE_MAX_LEN);
	struct stat st, now;
	FILE *f;

	if (!line)
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f) {
		p_err("cannot read the events log %s: %s", path,
		      strerror(errno));
		free(line);
		return -errno;
	}
	fstat(fileno(f), &st);
	fseek(f, tail_offset(f, n, device), SEEK_SET);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		if (fgets(line, LINE_MAX_LEN, f)) {
			line[strcspn(line, "\n")] = 0;
			print_line(line, device);
			continue;
		}
		if (!follow)
			break;
		clearerr(f);
		/* logrotate moved the file away: go on with the new one */
		if (!stat(path, &now) && now.st_ino != st.st_ino) {
			FILE *nf = fopen(path, "r");

			if (nf) {
				fclose(f);
				f = nf;
				st = now;
				continue;
			}
		}
		usleep(200000);
	}
	fclose(f);
	free(line);
	return 0;
}
