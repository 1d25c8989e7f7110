// SPDX-License-Identifier: GPL-2.0-only
/* cmd.c - run a command for a test, capturing stdout, stderr and status. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "test_progs.h"

static int append(char **buf, size_t *len, size_t *cap, int fd)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 8192) + n;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return 0;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, tmp, n);
	*len += n;
	(*buf)[*len] = 0;
	return 1;
}

static int vcmd_run(struct cmd_result *r, int timeout_s, const char *fmt,
		    va_list ap)
{
	size_t out_cap = 0, err_cap = 0;
	int po[2], pe[2], st = 0;
	struct timespec t0, t;
	char cmd[8192];
	bool killed = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	if (env.verbose)
		fprintf(stderr, "    $ %s\n", cmd);
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pfd[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		long left_ms;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left_ms = timeout_s * 1000L -
			  ((t.tv_sec - t0.tv_sec) * 1000L +
			   (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left_ms <= 0) {
			kill(-pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(pfd, 2, left_ms) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 ||
			    !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (!(i == 0 ? append(&r->out, &r->out_len, &out_cap,
					      po[0])
				     : append(&r->err, &r->err_len, &err_cap,
					      pe[0]))) {
				open_fds--;
				if (i == 0)
					po[0] = -po[0] - 1;
				else
					pe[0] = -pe[0] - 1;
			}
		}
		/* poll ignores negative fds: closed streams drop out */
	}
	close(po[0] < 0 ? -po[0] - 1 : po[0]);
	close(pe[0] < 0 ? -pe[0] - 1 : pe[0]);
	waitpid(pid, &st, 0);
	if (killed) {
		fprintf(stderr, "    timeout after %d s: %s\n", timeout_s, cmd);
		r->status = 128 + SIGKILL;
	} else {
		r->status =
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
out:
	if (!r->out)
		r->out = calloc(1, 1);
	if (!r->err)
		r->err = calloc(1, 1);
	if (env.verbose && r->err_len)
		fprintf(stderr, "    stderr: %s", r->err);
	return r->status;
}

int cmd_run(struct cmd_result *r, int timeout_s, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcmd_run(r, timeout_s, fmt, ap);
	va_end(ap);
	return ret;
}

int tpctl(struct cmd_result *r, const char *ns, const char *fmt, ...)
{
	char args[6000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (ns)
		return cmd_run(r, 30, "nsenter --net=/run/netns/%s %s/tpctl %s",
			       ns, env.build_dir, args);
	return cmd_run(r, 30, "%s/tpctl %s", env.build_dir, args);
}

void cmd_free(struct cmd_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *file_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	do {
		if (n + 4096 + 1 > cap) {
			nb = realloc(buf, cap = cap * 2 + 8192);
			if (!nb) {
				free(buf);
				buf = NULL;
				n = 0;
				break;
			}
			buf = nb;
		}
		got = f ? fread(buf + n, 1, 4096, f) : 0;
		n += got;
	} while (got);
	if (f)
		fclose(f);
	if (buf)
		buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}
