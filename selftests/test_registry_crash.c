// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_registry_crash.c - the SQLite registry under kill -9 in the middle
 * of writes (integrity, all-or-nothing transactions, audit rows matching
 * changes) and under two concurrent writer processes.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry_util.h"
#include "test_progs.h"

/*
 * Crash safety: a child writes devices with properties and certificates
 * (half of them inside one reg_begin transaction) until it is killed.
 */
static void crash_child(const char *path, int run, int ready_fd)
{
	struct reg_prop p[] = {
		{"serial_number", "SN"}, {"model", "M"}, {"os", "Linux"}};
	struct registry *r;
	char name[64], serial[32];
	int64_t id;

	alarm(60);
	if (reg_open(path, &r))
		_exit(2);
	for (int i = 0;; i++) {
		bool tx = i % 2;

		snprintf(name, sizeof(name), "%s-%d-%d", tx ? "tx" : "st", run,
			 i);
		snprintf(serial, sizeof(serial), "%02x%06x", run + 1, i);
		if (tx && reg_begin(r))
			_exit(3);
		id = add_dev(r, name, "alice", p, 3);
		if (id <= 0 || add_cert(r, id, ISSUER, serial))
			_exit(4);
		if (tx && reg_commit(r))
			_exit(5);
		if (i == 10 && write(ready_fd, "x", 1) != 1)
			_exit(6);
	}
}

/* Each counts what must not exist after a crash. */
static const struct {
	const char *what, *sql;
} crash_checks[] = {
	{"every device has all its properties",
	 "SELECT count(*) FROM devices d WHERE (SELECT count(*) FROM"
	 " device_props p WHERE p.device_id = d.id) <> 3"},
	{"no orphan properties",
	 "SELECT count(*) FROM device_props"
	 " WHERE device_id NOT IN (SELECT id FROM devices)"},
	{"every active device has its certificate",
	 "SELECT count(*) FROM devices d WHERE status = 1 AND NOT EXISTS"
	 " (SELECT 1 FROM certs c WHERE c.device_id = d.id AND c.status = 0)"},
	{"a certificate always made its device active",
	 "SELECT count(*) FROM devices d WHERE (status = 1) <>"
	 " EXISTS (SELECT 1 FROM certs c WHERE c.device_id = d.id)"},
	{"transactions all or nothing",
	 "SELECT count(*) FROM devices"
	 " WHERE substr(name, 1, 3) = 'tx-' AND status <> 1"},
	{"each device has its audit row",
	 "SELECT count(*) FROM devices d WHERE (SELECT count(*) FROM audit a"
	 " WHERE a.action = 'device.add' AND a.object = d.name) <> 1"},
	{"no audit row without its change",
	 "SELECT count(*) FROM audit a WHERE a.action = 'cert.add' AND NOT"
	 " EXISTS (SELECT 1 FROM certs c WHERE c.serial = a.object)"},
	{"no change without its audit row",
	 "SELECT count(*) FROM certs c WHERE NOT EXISTS (SELECT 1 FROM audit"
	 " a WHERE a.action = 'cert.add' AND a.object = c.serial)"},
};

static void subtest_crash(void)
{
	const char *path = db_path("crash");
	struct registry *r = open_db("crash");
	long long before = 0, now;
	int run, st, fds[2];
	size_t k;
	char c;
	pid_t pid;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "alice"), "alice");
	reg_close(r);
	srand(getpid());
	for (run = 0; run < 6; run++) {
		if (!ASSERT_OK(pipe(fds), "pipe"))
			return;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			crash_child(path, run, fds[1]);
		}
		close(fds[1]);
		if (!ASSERT_GT(pid, 0, "fork"))
			return;
		ASSERT_EQ(read(fds[0], &c, 1), 1, "child writing");
		close(fds[0]);
		usleep(1000 + rand() % 40000);
		kill(pid, SIGKILL);
		ASSERT_EQ(waitpid(pid, &st, 0), pid, "waitpid");
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			    "killed mid-loop (not exited)");

		ASSERT_STREQ(raw_text(path, "PRAGMA integrity_check"), "ok",
			     "integrity_check");
		ASSERT_STREQ(raw_text(path, "PRAGMA foreign_key_check"), "",
			     "foreign_key_check");
		now = raw_i64(path, "SELECT count(*) FROM devices");
		ASSERT_GT(now, before + 10, "progress");
		before = now;
		for (k = 0; k < sizeof(crash_checks) / sizeof(crash_checks[0]);
		     k++)
			ASSERT_EQ(raw_i64(path, crash_checks[k].sql), 0,
				  crash_checks[k].what);
	}
	r = open_db("crash");
	if (r) {
		ASSERT_GT(add_dev(r, "after-crash", "alice", NULL, 0), 0,
			  "usable after crashes");
		reg_close(r);
	}
}

/* Two processes, 200 devices each, started together. */
static void subtest_concurrent(void)
{
	const char *path = db_path("conc");
	struct registry *r = open_db("conc");
	int k, st, go[2];
	pid_t pid[2];
	char c;

	if (!r)
		return;
	ASSERT_OK(add_user(r, "alice"), "alice");
	reg_close(r);
	if (!ASSERT_OK(pipe(go), "pipe"))
		return;
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		if (pid[k] == 0) {
			struct reg_prop p[] = {{"os", "Linux"}};
			char name[32], serial[16];
			int64_t id;

			alarm(120);
			close(go[1]);
			if (reg_open(path, &r))
				_exit(2);
			if (read(go[0], &c, 1) != 0) /* EOF: start */
				_exit(2);
			for (int i = 0; i < 200; i++) {
				snprintf(name, sizeof(name), "c%d-%d", k, i);
				snprintf(serial, sizeof(serial), "%x%04x",
					 k + 1, i);
				id = add_dev(r, name, "alice", p, 1);
				if (id > 0)
					id = add_cert(r, id, ISSUER, serial);
				if (id == -EBUSY)
					_exit(1);
				if (id < 0) {
					fprintf(stderr,
						"    child %d: %s: %s\n", k,
						strerror((int)-id),
						reg_errmsg(r));
					_exit(3);
				}
			}
			reg_close(r);
			_exit(0);
		}
	}
	close(go[0]);
	usleep(100000); /* both open and waiting */
	close(go[1]);
	for (k = 0; k < 2; k++) {
		if (!ASSERT_GT(pid[k], 0, "fork"))
			continue;
		ASSERT_EQ(waitpid(pid[k], &st, 0), pid[k], "waitpid");
		ASSERT_TRUE(WIFEXITED(st), "child exited");
		ASSERT_EQ(WEXITSTATUS(st), 0, "no -EBUSY, no error (1 = busy)");
	}
	ASSERT_EQ(
		raw_i64(path, "SELECT count(*) FROM devices WHERE status = 1"),
		400, "all 400 devices active");
	ASSERT_EQ(raw_i64(path, "SELECT count(*) FROM certs"), 400, "certs");
}

void test_registry_crash(void)
{
	if (!regtest_dir_make())
		return;
	if (test__start_subtest("crash"))
		subtest_crash();
	if (test__start_subtest("concurrent"))
		subtest_concurrent();
	regtest_dir_remove();
}
