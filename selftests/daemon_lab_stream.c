// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_lab_stream.c - TCP streams through the lab for the trustpointd
 * tests (declared in daemon_lab.h): a sink in srv that counts what
 * arrives and notes the longest silence, and a paced writer in a LAN node
 * that never gives up, so a cut shows as bytes that stop arriving and a
 * hiccup as a gap. Both are children that die with the test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_lab.h"
#include "netns.h"
#include "test_progs.h"

#define STREAM_CHUNK 4096
#define STREAM_GAP_MS 10
#define STREAM_LIFE_S 150 /* a forgotten stream process ends by itself */

static int enter_ns(const char *ns)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* srv side: accept one connection after another, count what arrives. */
static void sink_serve(struct dlab_stream_shm *shm, int lfd)
{
	char buf[65536];
	ssize_t n;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
			uint64_t now = dlab_now_ms(), last = shm->last_ms;

			if (last && now - last > shm->max_gap_ms)
				shm->max_gap_ms = now - last;
			__atomic_store_n(&shm->last_ms, now, __ATOMIC_RELAXED);
			__atomic_fetch_add(&shm->rx, n, __ATOMIC_RELAXED);
		}
		close(fd);
	}
}

/* LAN side: connect, then a paced write loop that never gives up. */
static void writer(struct dlab_stream_shm *shm, const char *dst, int port)
{
	struct timeval tv = {.tv_usec = 200000};
	struct sockaddr_storage ss;
	struct pollfd pfd;
	char buf[STREAM_CHUNK];
	socklen_t len;
	ssize_t n;
	int fd, err;

	if (sockaddr_of(&ss, &len, dst, port))
		_exit(1);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		_exit(1);
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		goto fail;
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	len = sizeof(err);
	if (poll(&pfd, 1, 3000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		errno = err ? err : ETIMEDOUT;
		goto fail;
	}
	fcntl(fd, F_SETFL, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	__atomic_store_n(&shm->connected, 1, __ATOMIC_RELEASE);
	memset(buf, 'x', sizeof(buf));
	for (;;) {
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n > 0)
			__atomic_fetch_add(&shm->tx, n, __ATOMIC_RELAXED);
		else if (errno != EAGAIN && errno != EINTR)
			_exit(2);
		dlab_sleep_ms(STREAM_GAP_MS);
	}
fail:
	__atomic_store_n(&shm->err, errno, __ATOMIC_RELEASE);
	_exit(1);
}

static pid_t stream_child(const char *ns)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || enter_ns(ns))
		_exit(1);
	alarm(STREAM_LIFE_S);
	return 0;
}

int dlab_stream_start(struct dlab_stream *s, const char *ns, const char *dst,
		      int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long end;
	int fd, one = 1, ready[2], err = -EIO;

	memset(s, 0, sizeof(*s));
	s->shm = mmap(NULL, sizeof(*s->shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->shm == MAP_FAILED) {
		s->shm = NULL;
		return -ENOMEM;
	}
	if (sockaddr_of(&ss, &len, dst, port) || pipe(ready))
		return -EINVAL;
	s->server = stream_child(dl.srv);
	if (s->server == 0) {
		close(ready[0]);
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
		err = fd < 0 || bind(fd, (struct sockaddr *)&ss, len) ||
				      listen(fd, 4)
			      ? -errno
			      : 0;
		if (write(ready[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		sink_serve(s->shm, fd);
	}
	close(ready[1]);
	if (s->server < 0 || read(ready[0], &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	close(ready[0]);
	if (err) {
		fprintf(stderr, "stream sink %s:%d: %s\n", dst, port,
			strerror(-err));
		return err;
	}
	s->client = stream_child(ns);
	if (s->client == 0)
		writer(s->shm, dst, port);
	if (s->client < 0)
		return -EIO;
	for (end = dlab_now_ms() + 5000; dlab_now_ms() < end;
	     dlab_sleep_ms(20)) {
		if (__atomic_load_n(&s->shm->err, __ATOMIC_ACQUIRE))
			break;
		if (__atomic_load_n(&s->shm->rx, __ATOMIC_RELAXED) > 0)
			return 0;
	}
	err = s->shm->err;
	fprintf(stderr, "stream %s -> %s:%d: %s\n", ns, dst, port,
		err ? strerror(err) : "no bytes arrived");
	return err ? -err : -ETIMEDOUT;
}

uint64_t dlab_stream_rx(const struct dlab_stream *s)
{
	return s->shm ? __atomic_load_n(&s->shm->rx, __ATOMIC_RELAXED) : 0;
}

long dlab_stream_gap_ms(const struct dlab_stream *s)
{
	long now = dlab_now_ms(), last, gap;

	if (!s->shm)
		return -1;
	last = __atomic_load_n(&s->shm->last_ms, __ATOMIC_RELAXED);
	gap = __atomic_load_n(&s->shm->max_gap_ms, __ATOMIC_RELAXED);
	return now - last > gap ? now - last : gap;
}

void dlab_stream_gap_reset(struct dlab_stream *s)
{
	if (s->shm)
		__atomic_store_n(&s->shm->max_gap_ms, 0, __ATOMIC_RELAXED);
}

void dlab_stream_stop(struct dlab_stream *s)
{
	for (int i = 0; i < 2; i++) {
		pid_t *pid = i ? &s->server : &s->client;

		if (*pid > 0) {
			kill(*pid, SIGKILL);
			waitpid(*pid, NULL, 0);
		}
		*pid = 0;
	}
	if (s->shm)
		munmap(s->shm, sizeof(*s->shm));
	s->shm = NULL;
}
