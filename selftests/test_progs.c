// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_progs.c - the selftest runner. Each test runs in a child process
 * with a time limit, so a crash or a hang fails that test and the run goes
 * on; the child reports its (sub)test results through a pipe. The closing
 * line is "N passed, N failed, N skipped" and the exit status is non-zero
 * when anything failed.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_progs.h"

#define DECLARE_TEST(name) void test_##name(void);
#include "tests.h"
#undef DECLARE_TEST

struct test_def {
	const char *name;
	void (*fn)(void);
};

#define DECLARE_TEST(name) {#name, test_##name},
static const struct test_def tests[] = {
#include "tests.h"
};
#undef DECLARE_TEST

struct test_env env;

/* State of the test running in this (child) process. */
static const char *cur_test;
static char cur_sub[128];
static bool sub_open, sub_failed, sub_skipped, test_failed, test_skipped;
static int result_fd = -1;
static const char *filter;
static unsigned int timeout_s = 300;

enum { R_PASS = 'P', R_FAIL = 'F', R_SKIP = 'S' };

static void report(char r, const char *name)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%c %s\n", r, name);

	if (write(result_fd, line, n) != n)
		_exit(99);
}

static bool selected(const char *test, const char *sub)
{
	char full[256];

	if (!filter)
		return true;
	if (!sub) {
		/* "test/sub": the test part alone decides the test */
		size_t n = strcspn(filter, "/");
		char t[128];

		snprintf(t, sizeof(t), "%.*s", (int)n, filter);
		return !fnmatch(t, test, 0) || strstr(test, t);
	}
	snprintf(full, sizeof(full), "%s/%s", test, sub);
	return !fnmatch(filter, full, 0) || !fnmatch(filter, test, 0) ||
	       strstr(full, filter);
}

static void end_subtest(void)
{
	char full[256];

	if (!sub_open)
		return;
	snprintf(full, sizeof(full), "%s/%s", cur_test, cur_sub);
	report(sub_failed ? R_FAIL : sub_skipped ? R_SKIP : R_PASS, full);
	if (sub_failed)
		test_failed = true;
	sub_open = false;
}

bool test__start_subtest(const char *name)
{
	end_subtest();
	if (!selected(cur_test, name))
		return false;
	snprintf(cur_sub, sizeof(cur_sub), "%s", name);
	sub_open = true;
	sub_failed = sub_skipped = false;
	if (env.verbose)
		fprintf(stderr, "  -- %s/%s\n", cur_test, name);
	return true;
}

void test__fail(void)
{
	if (sub_open)
		sub_failed = true;
	else
		test_failed = true;
}

void test__skip(const char *why)
{
	fprintf(stderr, "%s%s%s: SKIP: %s\n", cur_test, sub_open ? "/" : "",
		sub_open ? cur_sub : "", why);
	if (sub_open)
		sub_skipped = true;
	else
		test_skipped = true;
}

const char *test__name(char *buf, size_t len, const char *prefix)
{
	snprintf(buf, len, "%s-%s", prefix, env.suffix);
	return buf;
}

int test__sys(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (env.verbose)
		fprintf(stderr, "    $ %s\n", cmd);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* quiet unless -v; the command's own redirections still apply
		 */
		if (!env.verbose) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_child(const struct test_def *t, int fd)
{
	result_fd = fd;
	cur_test = t->name;
	alarm(timeout_s);
	t->fn();
	end_subtest();
	report(test_failed ? R_FAIL : test_skipped ? R_SKIP : R_PASS, "");
	_exit(0);
}

struct totals {
	unsigned int passed, failed, skipped;
};

/* Read the child's lines; a test with subtests counts its subtests. */
static void collect(const struct test_def *t, FILE *in, int status,
		    struct totals *tot)
{
	unsigned int subs = 0, sub_fail = 0;
	char line[512];
	bool done = false, whole_failed = false, whole_skipped = false;

	while (fgets(line, sizeof(line), in)) {
		char r = line[0];
		char *name = line + 2;

		name[strcspn(name, "\n")] = 0;
		if (!*name) {
			done = true;
			whole_failed = r == R_FAIL;
			whole_skipped = r == R_SKIP;
			continue;
		}
		subs++;
		if (r == R_PASS)
			tot->passed++;
		else if (r == R_SKIP)
			tot->skipped++;
		else
			tot->failed++, sub_fail++;
		printf("#%-3s %-60s %s\n", "", name,
		       r == R_PASS   ? "OK"
		       : r == R_SKIP ? "SKIP"
				     : "FAIL");
	}
	if (!done) {
		/* crashed or timed out: the test fails as a whole */
		printf("#    %-60s FAIL (%s %d)\n", t->name,
		       WIFSIGNALED(status) ? "signal" : "exit",
		       WIFSIGNALED(status) ? WTERMSIG(status)
					   : WEXITSTATUS(status));
		tot->failed++;
		return;
	}
	if (subs == 0) {
		if (whole_failed)
			tot->failed++;
		else if (whole_skipped)
			tot->skipped++;
		else
			tot->passed++;
	} else if (whole_failed && !sub_fail) {
		/* failure outside any subtest */
		tot->failed++;
	}
	printf("#    %-60s %s\n", t->name,
	       whole_failed    ? "FAIL"
	       : whole_skipped ? "SKIP"
			       : "OK");
	fflush(stdout);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-v] [-l] [-t PATTERN] [-T SECONDS] [-b BUILD_DIR]\n"
		"  -t PATTERN  run tests or test/subtest names matching (glob or substring)\n"
		"  -l          list tests\n",
		prog);
}

int main(int argc, char **argv)
{
	struct totals tot = {0};
	static char suffix[32];
	size_t i;
	int opt;

	env.build_dir = "build";
	env.src_dir = ".";
	while ((opt = getopt(argc, argv, "vlt:T:b:s:h")) != -1) {
		switch (opt) {
		case 'v':
			env.verbose = true;
			break;
		case 'l':
			for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
				printf("%s\n", tests[i].name);
			return 0;
		case 't':
			filter = optarg;
			break;
		case 'T':
			timeout_s = atoi(optarg);
			break;
		case 'b':
			env.build_dir = optarg;
			break;
		case 's':
			env.src_dir = optarg;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	snprintf(suffix, sizeof(suffix), "%x%04x", (unsigned int)getpid(),
		 (unsigned int)(time(NULL) & 0xffff));
	env.suffix = suffix;
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const struct test_def *t = &tests[i];
		int p[2], status = 0;
		FILE *in;
		pid_t pid;

		if (!selected(t->name, NULL))
			continue;
		if (pipe(p)) {
			perror("pipe");
			return 2;
		}
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			close(p[0]);
			setpgid(0, 0);
			run_child(t, p[1]);
		}
		close(p[1]);
		in = fdopen(p[0], "r");
		waitpid(pid, &status, 0);
		/* a test's leftovers in its process group die with it */
		kill(-pid, SIGKILL);
		collect(t, in, status, &tot);
		fclose(in);
	}
	printf("%u passed, %u failed, %u skipped\n", tot.passed, tot.failed,
	       tot.skipped);
	return tot.failed ? 1 : 0;
}
