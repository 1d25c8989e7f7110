// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_event_tail.c - tpctl event tail over the daemon's events file:
 * events written by the real events library, read back by tpctl with
 * count, device filter, JSON and text output, and -f across a logrotate
 * rename.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "lib/events.h"
#include "selftests/cmd.h"
#include "selftests/test_progs.h"

static char dir[128], log_path[192], conf[192];

static bool emit(struct events *ev, const char *action, const char *dev,
		 const char *reason)
{
	struct ev_identity id = {.device_id = dev,
				 .device_name = dev,
				 .owner = "alice",
				 .ip = "192.0.2.11",
				 .mac = "02:00:00:00:00:11"};
	struct ev_record r = {.action = action,
			      .category = "iam",
			      .outcome = "success",
			      .reason = reason,
			      .id = &id};

	return ASSERT_OK(events_emit(ev, &r), action);
}

/* Open the log, write events, and let the library flush them. */
static bool write_events(int first, int n, const char *dev)
{
	struct events_config c = {.file = log_path, .hostname = "gw"};
	char err[256], reason[32];
	struct events *ev;
	bool ok = true;

	if (!ASSERT_OK(events_open(&c, &ev, err, sizeof(err)), err))
		return false;
	for (int i = first; i < first + n && ok; i++) {
		snprintf(reason, sizeof(reason), "seq %d", i);
		ok = emit(ev, "trust-changed", dev, reason);
	}
	events_close(ev);
	return ok;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void test_event_tail(void)
{
	struct cmd_result r = {};
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/tp-evt-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(log_path, sizeof(log_path), "%s/events.json", dir);
	snprintf(conf, sizeof(conf), "%s/tp.conf", dir);
	f = fopen(conf, "w");
	if (!ASSERT_OK_PTR(f, "conf"))
		goto out;
	fprintf(f, "[events]\nfile = %s\n", log_path);
	fclose(f);
	if (!write_events(1, 5, "dev1") || !write_events(6, 3, "dev2"))
		goto out;

	if (test__start_subtest("last_n_json")) {
		struct json_object *o;

		tpctl(&r, NULL, "-c %s -j event tail count 2", conf);
		ASSERT_EQ(r.status, 0, "exit");
		ASSERT_EQ(count_lines(r.out), 2, "two lines");
		o = json_tokener_parse(strrchr(r.out, '{'));
		ASSERT_OK_PTR(o, "last line is JSON");
		ASSERT_HAS_SUBSTR(r.out, "\"seq 8\"", "newest last");
		ASSERT_FALSE(strstr(r.out, "\"seq 6\""), "only the last two");
		json_object_put(o);
		cmd_free(&r);
	}
	if (test__start_subtest("device_filter_text")) {
		tpctl(&r, NULL, "-c %s event tail count 10 device dev1", conf);
		ASSERT_EQ(r.status, 0, "exit");
		ASSERT_EQ(count_lines(r.out), 5, "dev1's five events");
		ASSERT_HAS_SUBSTR(r.out, "trust-changed success device dev1",
				  "text line");
		ASSERT_HAS_SUBSTR(r.out, "owner alice", "owner");
		ASSERT_FALSE(strstr(r.out, "dev2"), "no other device");
		cmd_free(&r);
	}
	if (test__start_subtest("bad_args")) {
		tpctl(&r, NULL, "-c %s event tail source nowhere", conf);
		ASSERT_NEQ(r.status, 0, "bad source refused");
		ASSERT_HAS_SUBSTR(r.err, "Error:", "error text");
		cmd_free(&r);
		tpctl(&r, NULL,
		      "-B /nonexistent event tail source gate device x");
		ASSERT_NEQ(r.status, 0, "device with the gate source refused");
		cmd_free(&r);
	}
	if (test__start_subtest("follow_across_rotate")) {
		char moved[256], outp[256], bin[256];
		pid_t pid;
		int fd, st;

		snprintf(bin, sizeof(bin), "%s/tpctl", env.build_dir);
		snprintf(outp, sizeof(outp), "%s/follow.out", dir);
		pid = fork();
		if (pid == 0) {
			fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
			execl(bin, bin, "-c", conf, "-j", "event", "tail", "-f",
			      "count", "1", "device", "dev3", (char *)NULL);
			_exit(127);
		}
		if (!ASSERT_GT(pid, 0, "fork"))
			goto out;
		usleep(300000);
		write_events(20, 1, "dev3");
		snprintf(moved, sizeof(moved), "%s.1", log_path);
		usleep(400000);
		rename(log_path, moved);
		write_events(21, 1, "dev3");
		usleep(800000);
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		ASSERT_OK(cmd_run(&r, 5, "cat %s", outp), "read output");
		ASSERT_HAS_SUBSTR(r.out, "\"seq 20\"", "followed event");
		ASSERT_HAS_SUBSTR(r.out, "\"seq 21\"", "event after rotation");
		cmd_free(&r);
	}
out:
	cmd_free(&r);
	SYS_NOFAIL("rm -rf %s", dir);
}
