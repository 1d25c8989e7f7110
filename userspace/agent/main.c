// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - tp-agent: options and config file, signals, and the reconnect
 * loop around agent_session() with jittered exponential backoff.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/backoff.h"
#include "lib/addr.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tp-agent --gateway HOST[:PORT] --cert FILE --key FILE --ca FILE\n"
		"                [--name NAME] [--config FILE] [--posture-file FILE]\n"
		"                [--timeout SECS] [--once] [-v]\n"
		"\n"
		"Keeps this device's mutual-TLS channel to a trustpoint gateway open.\n"
		"\n"
		"  -g, --gateway HOST[:PORT]  the gateway (port %s; IPv6 as [ADDR]:PORT)\n"
		"  -c, --cert FILE            this device's certificate (PEM)\n"
		"  -k, --key FILE             its private key (PEM)\n"
		"  -a, --ca FILE              CA certificate(s) the gateway must chain to\n"
		"  -n, --name NAME            name the gateway's certificate must carry\n"
		"                             (default: HOST; an IP must be an IP SAN)\n"
		"  -f, --config FILE          INI file, section [agent]: gateway, cert, key,\n"
		"                             ca, server_name, posture_file, timeout\n"
		"  -p, --posture-file FILE    KEY=VALUE lines overriding the posture read\n"
		"                             from the system (os, os_version, model,\n"
		"                             manufacturer, serial_number)\n"
		"  -t, --timeout SECS         connect, handshake and WELCOME timeout (%d)\n"
		"  -1, --once                 do not reconnect: one session, then exit\n"
		"  -v, --verbose              say what happens\n"
		"  -h, --help                 this text\n"
		"Options given on the command line win over the config file.\n"
		"\n"
		"Exit status:\n"
		"  0  stopped (SIGTERM/SIGINT, or with --once the gateway said BYE)\n"
		"  1  usage or configuration error\n"
		"  2  with --once: could not connect, was refused, or lost the connection\n"
		"  3  the gateway revoked this device\n",
		AGENT_PORT_DEFAULT, AGENT_TIMEOUT_DEFAULT);
}

struct cfg_ctx {
	struct agent_opts *o;
	char err[256];
};

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_timeout(unsigned int *dst, const char *v)
{
	uint64_t t;

	if (u64_parse(v, 1, 3600, &t))
		return -EINVAL;
	*dst = t;
	return 0;
}

static int on_config(void *user, const char *section, const char *name,
		     const char *value)
{
	struct cfg_ctx *c = user;
	struct agent_opts *o = c->o;
	char **str = NULL;

	if (strcmp(section, "agent")) {
		snprintf(c->err, sizeof(c->err), "unknown section [%.64s]",
			 section);
		return 0;
	}
	if (!strcmp(name, "timeout")) {
		if (!set_timeout(&o->timeout_s, value))
			return 1;
		snprintf(c->err, sizeof(c->err),
			 "timeout = '%.64s' is not 1..3600 seconds", value);
		return 0;
	}
	if (!strcmp(name, "gateway"))
		str = &o->gateway;
	else if (!strcmp(name, "cert"))
		str = &o->cert;
	else if (!strcmp(name, "key"))
		str = &o->key;
	else if (!strcmp(name, "ca"))
		str = &o->ca;
	else if (!strcmp(name, "server_name"))
		str = &o->server_name;
	else if (!strcmp(name, "posture_file"))
		str = &o->posture_file;
	if (!str) {
		snprintf(c->err, sizeof(c->err), "unknown key '%.64s'", name);
		return 0;
	}
	if (!value[0]) {
		snprintf(c->err, sizeof(c->err), "%s is empty", name);
		return 0;
	}
	return !set_str(str, value);
}

static int load_config(const char *path, struct agent_opts *o)
{
	struct cfg_ctx c = {.o = o};
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		agent_log("cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = ini_parse_file(f, on_config, &c);
	fclose(f);
	if (ret) {
		agent_log("%s line %d: %s", path, ret,
			  c.err[0] ? c.err : "syntax error");
		return -EINVAL;
	}
	return 0;
}

static void opts_free(struct agent_opts *o)
{
	free(o->gateway);
	free(o->cert);
	free(o->key);
	free(o->ca);
	free(o->server_name);
	free(o->posture_file);
}

/* A command-line value wins; the config file fills what is left. */
static void merge_str(char **flag, char **cfg)
{
	if (!*flag) {
		*flag = *cfg;
		*cfg = NULL;
	}
}

/* HOST[:PORT], [V6]:PORT, [V6], or a bare IPv6 literal. */
static int split_gateway(struct agent_opts *o)
{
	const char *g = o->gateway, *port = NULL, *end;
	size_t hlen;
	uint64_t p;

	if (g[0] == '[') {
		end = strchr(g, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		g++;
		hlen = end - g;
		port = end[1] ? end + 2 : NULL;
	} else if ((end = strchr(g, ':')) && !strchr(end + 1, ':')) {
		hlen = end - g;
		port = end + 1;
	} else {
		hlen = strlen(g); /* a name, IPv4 or bare IPv6 */
	}
	if (!hlen || hlen >= sizeof(o->host) ||
	    (port && u64_parse(port, 1, 65535, &p)))
		return -EINVAL;
	memcpy(o->host, g, hlen);
	o->host[hlen] = 0;
	snprintf(o->port, sizeof(o->port), "%s",
		 port ? port : AGENT_PORT_DEFAULT);
	return 0;
}

static int check_opts(struct agent_opts *o)
{
	unsigned char tmp[16];
	struct stat st;

	if (!o->gateway || !o->cert || !o->key || !o->ca) {
		agent_log("--gateway, --cert, --key and --ca are required "
			  "(try --help)");
		return -EINVAL;
	}
	if (split_gateway(o)) {
		agent_log("'%s' is not HOST[:PORT]", o->gateway);
		return -EINVAL;
	}
	snprintf(o->name, sizeof(o->name), "%s",
		 o->server_name ? o->server_name : o->host);
	o->name_is_ip = inet_pton(AF_INET, o->name, tmp) == 1 ||
			inet_pton(AF_INET6, o->name, tmp) == 1;
	if (!o->timeout_s)
		o->timeout_s = AGENT_TIMEOUT_DEFAULT;
	if (!stat(o->key, &st) && (st.st_mode & S_IRWXO))
		agent_log("warning: the key file %s is accessible to others",
			  o->key);
	return 0;
}

static int parse_args(int argc, char **argv, struct agent_opts *o)
{
	static const struct option longopts[] = {
		{"gateway", required_argument, NULL, 'g'},
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"ca", required_argument, NULL, 'a'},
		{"name", required_argument, NULL, 'n'},
		{"config", required_argument, NULL, 'f'},
		{"posture-file", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"once", no_argument, NULL, '1'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{}};
	struct agent_opts cfg = {};
	char *config = NULL;
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "g:c:k:a:n:f:p:t:1vh", longopts,
				NULL)) != -1) {
		char **dst = NULL;

		switch (c) {
		case 'g':
			dst = &o->gateway;
			break;
		case 'c':
			dst = &o->cert;
			break;
		case 'k':
			dst = &o->key;
			break;
		case 'a':
			dst = &o->ca;
			break;
		case 'n':
			dst = &o->server_name;
			break;
		case 'f':
			dst = &config;
			break;
		case 'p':
			dst = &o->posture_file;
			break;
		case '1':
			o->once = true;
			break;
		case 'v':
			o->verbose = agent_verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_STOPPED);
		case 't':
			if (set_timeout(&o->timeout_s, optarg)) {
				agent_log("--timeout '%s' is not 1..3600 "
					  "seconds",
					  optarg);
				return -EINVAL;
			}
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (dst && (!optarg[0] || set_str(dst, optarg))) {
			agent_log("empty or unusable value for -%c", c);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		agent_log("unexpected argument '%s' (try --help)",
			  argv[optind]);
		return -EINVAL;
	}
	if (config) {
		err = load_config(config, &cfg);
		free(config);
		merge_str(&o->gateway, &cfg.gateway);
		merge_str(&o->cert, &cfg.cert);
		merge_str(&o->key, &cfg.key);
		merge_str(&o->ca, &cfg.ca);
		merge_str(&o->server_name, &cfg.server_name);
		merge_str(&o->posture_file, &cfg.posture_file);
		if (!o->timeout_s)
			o->timeout_s = cfg.timeout_s;
		opts_free(&cfg);
		if (err)
			return err;
	}
	return check_opts(o);
}

/* Sleep ms, or less when SIGTERM/SIGINT comes: then true. */
static bool sleep_or_signal(int sigfd, unsigned int ms)
{
	struct pollfd p = {sigfd, POLLIN, 0};
	int n;

	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	return n > 0;
}

static uint32_t random_u32(void)
{
	uint32_t r = 0;

	/* a short read leaves some bits zero: still a usable delay */
	if (getrandom(&r, sizeof(r), 0) < 0)
		r = (uint32_t)getpid() * 2654435761u;
	return r;
}

static int run(struct agent *a, const struct agent_opts *o, int sigfd)
{
	unsigned int attempt = 0;

	for (;;) {
		bool welcomed;
		enum session_end end = agent_session(a, &welcomed);
		uint32_t delay;

		switch (end) {
		case SESSION_STOPPED:
			agent_dbg("stopped");
			return EXIT_STOPPED;
		case SESSION_REVOKED:
			return EXIT_REVOKED;
		case SESSION_SETUP:
			return EXIT_USAGE;
		case SESSION_BYE:
		case SESSION_LOST:
		case SESSION_FAILED:
			break;
		}
		if (o->once)
			return end == SESSION_BYE ? EXIT_STOPPED
						  : EXIT_NOCONNECT;
		if (welcomed)
			attempt = 0;
		delay = backoff_ms(attempt, random_u32());
		if (attempt < 32)
			attempt++;
		agent_log("reconnecting in %u.%03u s", delay / 1000,
			  delay % 1000);
		if (sleep_or_signal(sigfd, delay))
			return EXIT_STOPPED;
	}
}

int main(int argc, char **argv)
{
	struct agent_opts o = {};
	struct agent *a = NULL;
	sigset_t mask;
	int sigfd, ret;

	/* journald gets each line as it is written */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &o)) {
		opts_free(&o);
		return EXIT_USAGE;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* a signal becomes a readable fd that every poll() watches */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		agent_log("cannot set up signals: %s", strerror(errno));
		opts_free(&o);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	wolfSSL_Init();
	ret = agent_new(&o, sigfd, &a) ? EXIT_USAGE : run(a, &o, sigfd);
	agent_free(a);
	wolfSSL_Cleanup();
	close(sigfd);
	opts_free(&o);
	return ret;
}
