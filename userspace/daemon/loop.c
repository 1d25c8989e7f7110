// SPDX-License-Identifier: GPL-2.0-only
/*
 * loop.c - trustpointd's one epoll loop and its timers: a binary min-heap
 * of deadlines whose earliest one bounds epoll_wait's timeout. Arming,
 * re-arming and cancelling are O(log n), so 100k sessions with their own
 * handshake, heartbeat and grace deadlines cost nothing while idle.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"

#define EVENTS_MAX 256

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int ev_add(struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(tpd->epfd, EPOLL_CTL_ADD, ev->fd, &e) ? -errno : 0;
}

int ev_mod(struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(tpd->epfd, EPOLL_CTL_MOD, ev->fd, &e) ? -errno : 0;
}

void ev_del(struct ev *ev)
{
	if (ev->fd >= 0)
		epoll_ctl(tpd->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}

void ev_defer_free(struct ev *ev)
{
	if (ev->dead)
		return;
	ev->dead = true;
	ev->dead_next = tpd->dead;
	tpd->dead = ev;
}

static void free_dead(void)
{
	while (tpd->dead) {
		struct ev *ev = tpd->dead;

		tpd->dead = ev->dead_next;
		if (ev->kind == EV_SESSION)
			session_destroy(container_of(ev, struct session, ev));
		else if (ev->kind == EV_CTL_CONN)
			control_conn_destroy(ev);
	}
}

static void heap_swap(size_t a, size_t b)
{
	struct timer *t = tpd->heap[a];

	tpd->heap[a] = tpd->heap[b];
	tpd->heap[b] = t;
	tpd->heap[a]->idx = a;
	tpd->heap[b]->idx = b;
}

static void heap_up(size_t i)
{
	while (i && tpd->heap[(i - 1) / 2]->due_ms > tpd->heap[i]->due_ms) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < tpd->nheap &&
		    tpd->heap[l]->due_ms < tpd->heap[m]->due_ms)
			m = l;
		if (r < tpd->nheap &&
		    tpd->heap[r]->due_ms < tpd->heap[m]->due_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

void timer_cancel(struct timer *t)
{
	size_t i = t->idx;

	if (t->idx < 0)
		return;
	t->idx = -1;
	if (i == --tpd->nheap)
		return;
	tpd->heap[i] = tpd->heap[tpd->nheap];
	tpd->heap[i]->idx = i;
	heap_up(i);
	heap_down(i);
}

void timer_arm(struct timer *t, uint64_t due_ms)
{
	if (t->idx >= 0) {
		t->due_ms = due_ms;
		heap_up(t->idx);
		heap_down(t->idx);
		return;
	}
	if (tpd->nheap == tpd->heap_cap) {
		size_t cap = tpd->heap_cap ? tpd->heap_cap * 2 : 1024;
		struct timer **h = realloc(tpd->heap, cap * sizeof(*h));

		if (!h) {
			/*
			 * Without a deadline a session could live forever:
			 * fire at once instead, the safe direction.
			 */
			log_msg("out of memory arming a timer");
			t->fn(t);
			return;
		}
		tpd->heap = h;
		tpd->heap_cap = cap;
	}
	t->due_ms = due_ms;
	t->idx = tpd->nheap;
	tpd->heap[tpd->nheap++] = t;
	heap_up(t->idx);
}

static int next_timeout(void)
{
	uint64_t now;

	if (!tpd->nheap)
		return -1;
	now = now_ms();
	if (tpd->heap[0]->due_ms <= now)
		return 0;
	return tpd->heap[0]->due_ms - now > 60000
		       ? 60000
		       : (int)(tpd->heap[0]->due_ms - now);
}

static void run_timers(void)
{
	uint64_t now = now_ms();

	while (tpd->nheap && tpd->heap[0]->due_ms <= now) {
		struct timer *t = tpd->heap[0];

		timer_cancel(t);
		t->fn(t); /* may free the timer's owner or re-arm it */
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(tpd->sig_ev.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_msg("signal %u: stopping", si.ssi_signo);
			tpd->stop = true;
		} else if (si.ssi_signo == SIGHUP) {
			evlog_reopen();
		}
	}
}

int loop_run(void)
{
	struct epoll_event evs[EVENTS_MAX];
	int n;

	while (!tpd->stop) {
		n = epoll_wait(tpd->epfd, evs, EVENTS_MAX, next_timeout());
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !tpd->stop; i++) {
			struct ev *ev = evs[i].data.ptr;

			if (ev->dead)
				continue;
			switch (ev->kind) {
			case EV_LISTEN:
				session_accept(ev);
				break;
			case EV_SESSION:
				session_io(container_of(ev, struct session, ev),
					   evs[i].events);
				break;
			case EV_CTL_LISTEN:
				control_accept(ev);
				break;
			case EV_CTL_CONN:
				control_io(ev, evs[i].events);
				break;
			case EV_SIGNAL:
				on_signal();
				break;
			case EV_HTTP:
				http_io();
				break;
			case EV_EVENTS:
				evlog_io();
				break;
			}
		}
		run_timers();
		free_dead();
	}
	free_dead();
	return 0;
}
