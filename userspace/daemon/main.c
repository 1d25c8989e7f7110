// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - trustpointd: flags and configuration, logging, the listening
 * sockets, start-up (registry, gate, TLS, control socket, reconcile) and
 * an orderly stop on SIGTERM/SIGINT that leaves entries to their leases.
 *
 *   trustpointd [-c CONFIG] [-S STATE_DIR] [-B BPFFS] [-s SOCKET]
 *               [--listen ADDR:PORT]... [--foreground] [-v]
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "lib/ca.h"
#include "lib/gate.h"
#include "lib/netlink.h"
#include "lib/ocsp.h"
#include "lib/registry.h"

static struct daemon the_daemon;
struct daemon *tpd = &the_daemon;

static void vlog(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "trustpointd: %s\n", buf);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!tpd->verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: trustpointd [-c CONFIG] [-S STATE_DIR] [-B BPFFS] [-s SOCKET]\n"
		"                   [--listen ADDR:PORT]... [--foreground] [-v]\n"
		"       trustpointd --version\n"
		"\n"
		"Accepts devices over mutual TLS 1.3 and binds them in the XDP gate.\n"
		"Defaults: config %s, state %s, bpffs %s,\n"
		"          listen 0.0.0.0:%d, control socket %s\n",
		TP_CONFIG_DEFAULT, TP_STATE_DIR_DEFAULT, TP_BPFFS_DEFAULT,
		TP_LISTEN_PORT_DEFAULT, TP_CONTROL_SOCKET_DEFAULT);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN && !tpd->verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int open_listener(const struct tp_listen *l, struct ev *ev)
{
	struct sockaddr_storage ss = {};
	socklen_t sl;
	char name[64];
	int fd, one = 1, err;

	listen_format(l, name, sizeof(name));
	if (l->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(l->port);
		memcpy(&a->sin6_addr, l->addr, 16);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(l->port);
		memcpy(&a->sin_addr, l->addr, 4);
		sl = sizeof(*a);
	}
	fd = socket(l->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" means IPv6 only; list 0.0.0.0 too for IPv4 */
	if (l->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 1024)) {
		err = -errno;
		log_msg("cannot listen on %s: %s", name, strerror(errno));
		close(fd);
		return err;
	}
	ev->kind = EV_LISTEN;
	ev->fd = fd;
	log_msg("listening on %s", name);
	return ev_add(ev, EPOLLIN);
}

static int set_path(char *dst, size_t len, const char *given, const char *dir,
		    const char *file)
{
	int n = given ? snprintf(dst, len, "%s", given)
		      : snprintf(dst, len, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The gate may be attached after we started: look again each sweep. */
static void gate_retry(struct timer *t)
{
	if (!tpd->gate && !gate_open(tpd->bpffs, &tpd->gate)) {
		log_msg("gate found under %s: binding from now on", tpd->bpffs);
		reconcile_gate();
		bootstrap_add_listeners();
		gate_drops_start();
	}
	if (!tpd->gate)
		timer_arm(t, now_ms() + 1000);
}

/*
 * The OCSP responder needs the CA's key to sign (or a delegated signer).
 * Without a CA the daemon still runs: /ocsp then answers internalError.
 */
static int ocsp_setup(void)
{
	const struct tp_ocsp_config *o = &tpd->cfg.ocsp;
	char dir[4096], err[OCSP_ERR_LEN] = "";
	int ret;

	if (set_path(dir, sizeof(dir), NULL, tpd->state_dir, "ca"))
		return -ENAMETOOLONG;
	ret = ca_load(dir, &tpd->ca, err);
	if (ret) {
		log_msg("OCSP: no CA under %s (%s): /ocsp answers internalError",
			dir, err[0] ? err : strerror(-ret));
		tpd->ca = NULL;
		return 0;
	}
	ret = ocsp_responder_new(tpd->ca, o->signer_cert, o->signer_key,
				 o->next_update_s, &tpd->ocsp, err);
	if (ret)
		/* a signer that was configured and does not work is an error */
		log_msg("OCSP responder: %s", err[0] ? err : strerror(-ret));
	return ret;
}

/*
 * Every session is a descriptor: take all the hard limit allows (a shell's
 * soft limit is often 1024), and say so when even that is short.
 */
static void raise_nofile(unsigned int sessions)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < sessions + 64ULL)
		log_msg("warning: RLIMIT_NOFILE is %llu: fewer sessions than max_sessions (%u) fit",
			(unsigned long long)rl.rlim_cur, sessions);
}

static int setup(void)
{
	struct tp_daemon_config *d = &tpd->cfg.daemon;
	static struct timer retry = {.idx = -1, .fn = gate_retry};
	char path[4096];
	sigset_t mask;
	int err;

	if (set_path(tpd->cert_path, sizeof(tpd->cert_path), d->server_cert,
		     tpd->state_dir, "server/server.pem") ||
	    set_path(tpd->key_path, sizeof(tpd->key_path), d->server_key,
		     tpd->state_dir, "server/server.key") ||
	    set_path(tpd->ca_path, sizeof(tpd->ca_path), d->ca, tpd->state_dir,
		     "ca/ca.pem") ||
	    set_path(path, sizeof(path), NULL, tpd->state_dir, "registry.db"))
		return -ENAMETOOLONG;
	raise_nofile(d->max_sessions);
	err = reg_open(path, &tpd->reg);
	if (err) {
		log_msg("cannot open the registry %s: %s", path,
			strerror(-err));
		return err;
	}
	err = evlog_open();
	if (err)
		return err;
	err = ocsp_setup();
	if (err)
		return err;
	err = gate_open(tpd->bpffs, &tpd->gate);
	if (err == -ENOENT) {
		log_msg("no gate under %s: running, but no entries can be written until one is attached",
			tpd->bpffs);
		timer_arm(&retry, now_ms() + 1000);
	} else if (err) {
		log_msg("cannot open the gate under %s: %s", tpd->bpffs,
			strerror(-err));
		return err;
	}
	err = tp_nl_open(&tpd->nl);
	if (err) {
		log_msg("netlink: %s", strerror(-err));
		return err;
	}
	err = tls_init();
	if (err)
		return err;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	tpd->sig_ev.kind = EV_SIGNAL;
	tpd->sig_ev.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (tpd->sig_ev.fd < 0 || ev_add(&tpd->sig_ev, EPOLLIN))
		return -errno;
	err = sessions_init();
	if (err)
		return err;
	for (int i = 0; i < d->nlisten; i++) {
		err = open_listener(&d->listen[i], &tpd->listen_ev[i]);
		if (err)
			return err;
		tpd->nlisten++;
	}
	err = control_init();
	if (err)
		return err;
	err = http_init();
	if (err)
		return err;
	err = reconcile_gate();
	if (err)
		log_msg("reconcile: %s", strerror(-err));
	bootstrap_add_listeners();
	gate_drops_start();
	sweep_start();
	return 0;
}

static void teardown(void)
{
	sessions_shutdown();
	http_exit();
	control_exit();
	for (int i = 0; i < tpd->nlisten; i++)
		close(tpd->listen_ev[i].fd);
	if (tpd->tls)
		tls_exit();
	tp_nl_close(tpd->nl);
	/* the gate stays attached, its entries keep their leases */
	evlog_close();
	gate_close(tpd->gate);
	ocsp_responder_free(tpd->ocsp);
	ca_free(tpd->ca);
	reg_close(tpd->reg);
	free(tpd->heap);
	free(tpd->dev_hash);
	config_free(&tpd->cfg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 'S'},
		{"bpffs", required_argument, NULL, 'B'},
		{"socket", required_argument, NULL, 's'},
		{"listen", required_argument, NULL, 'l'},
		{"foreground", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct tp_listen flag_listen[TP_LISTEN_MAX];
	const char *state = NULL, *bpffs = NULL, *sock = NULL;
	int nflag_listen = 0, opt, err;
	bool foreground = false;
	char cerr[512];

	while ((opt = getopt_long(argc, argv, "c:S:B:s:vVh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			tpd->config_path = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'B':
			bpffs = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'l':
			if (nflag_listen == TP_LISTEN_MAX ||
			    listen_parse(optarg, &flag_listen[nflag_listen])) {
				fprintf(stderr,
					"trustpointd: bad --listen '%.64s' (ADDR:PORT, [V6]:PORT)\n",
					optarg);
				return 2;
			}
			nflag_listen++;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			tpd->verbose = true;
			break;
		case 'V':
			printf("trustpointd v%s\n", TP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	err = config_load(
		tpd->config_path ? tpd->config_path : TP_CONFIG_DEFAULT,
		tpd->config_path != NULL, &tpd->cfg, cerr, sizeof(cerr));
	if (err) {
		fprintf(stderr, "trustpointd: %s\n", cerr);
		return 1;
	}
	if (nflag_listen) {
		memcpy(tpd->cfg.daemon.listen, flag_listen,
		       sizeof(flag_listen));
		tpd->cfg.daemon.nlisten = nflag_listen;
	}
	if (sock) {
		free(tpd->cfg.daemon.control_socket);
		tpd->cfg.daemon.control_socket = strdup(sock);
	}
	tpd->state_dir = (char *)(state ? state : tpd->cfg.state_dir);
	tpd->bpffs = (char *)(bpffs	       ? bpffs
			      : tpd->cfg.bpffs ? tpd->cfg.bpffs
					       : TP_BPFFS_DEFAULT);
	if (tpd->state_dir[0] != '/' || tpd->bpffs[0] != '/' ||
	    !tpd->cfg.daemon.control_socket ||
	    tpd->cfg.daemon.control_socket[0] != '/') {
		fprintf(stderr,
			"trustpointd: state dir, bpffs dir and socket must be absolute paths\n");
		return 1;
	}
	libbpf_set_print(libbpf_print);
	if (!foreground && daemon(0, 1)) {
		perror("trustpointd: daemon");
		return 1;
	}
	tpd->events_timer.idx = tpd->gev_timer.idx = tpd->http_timer.idx = -1;
	tpd->events_ev.fd = tpd->http_ev.fd = -1;
	tpd->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (tpd->epfd < 0) {
		perror("trustpointd: epoll");
		return 1;
	}
	err = setup();
	if (!err) {
		log_msg("ready: state %s, bpffs %s, control %s", tpd->state_dir,
			tpd->bpffs, tpd->cfg.daemon.control_socket);
		err = loop_run();
	}
	teardown();
	if (err) {
		log_msg("exiting: %s", strerror(-err));
		return 1;
	}
	log_msg("stopped");
	return 0;
}
