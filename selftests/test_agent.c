// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_agent.c - tp-agent without trustpointd: posture parsing and the
 * backoff bounds compiled in from the agent's sources, then the real
 * binary against fake gateways on 127.0.0.1 with real TLS 1.3: openssl
 * s_server (sees our client certificate and HELLO; a wrong name or CA is
 * refused before HELLO), and a small wolfSSL server forked here that
 * speaks the channel protocol (WELCOME, BYE and reconnect, REVOKED, and
 * the BYE the agent sends on SIGTERM). Certificates are made with the
 * openssl CLI in a temp dir that is removed at the end.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/backoff.h"
#include "agent/log.c"
#include "agent/posture.c"
#include "lib/proto.h"

#include "cmd.h"
#include "netns.h"
#include "test_progs.h"

#ifndef TP_VERSION
#define TP_VERSION ""
#endif

static char dir[128];
static char agent_bin[512];

static int write_file(const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(content, f);
	return fclose(f) ? -errno : 0;
}

static void posture_subtests(void)
{
	struct proto_posture p;
	char err[512], pf[256];

	if (test__start_subtest("posture_os_release_dmi")) {
		char longline[1500];

		SYS(out, "mkdir -p %s/root/etc %s/root/sys/class/dmi/id", dir,
		    dir);
		memset(longline, 'x', sizeof(longline) - 2);
		memcpy(longline, "HOME_URL=", 9);
		longline[sizeof(longline) - 2] = '\n';
		longline[sizeof(longline) - 1] = 0;
		ASSERT_OK(write_file("root/etc/os-release", longline),
			  "os-release long line");
		ASSERT_OK(write_file("root/etc/os-release.tail", "ID=alpine\n"),
			  "tail");
		SYS(out,
		    "cat %s/root/etc/os-release.tail >>%s/root/etc/os-release",
		    dir, dir);
		snprintf(pf, sizeof(pf), "%s/root", dir);
		ASSERT_OK(posture_collect(pf, NULL, &p, err, sizeof(err)),
			  "collect long line");
		ASSERT_STREQ(p.os, "alpine", "a long line is skipped");

		ASSERT_OK(write_file("root/etc/os-release",
				     "# comment line\n"
				     "   # indented comment\n"
				     "\n"
				     "NAME=\"Debian GNU/Linux\"\n"
				     "this line is garbage\n"
				     "=nokey\n"
				     "PRETTY_NAME='Debian 12 (bookworm)'\n"
				     "ID=\"deb\\\"ian\"\n"
				     "VERSION_ID='12'\n"
				     "VERSION_CODENAME=bookworm\n"),
			  "os-release");
		ASSERT_OK(write_file("root/sys/class/dmi/id/product_name",
				     "Model X1\n"),
			  "product_name");
		ASSERT_OK(write_file("root/sys/class/dmi/id/sys_vendor",
				     "ACME Corp\n"),
			  "sys_vendor");
		/* product_serial missing, as for a non-root agent: fine */
		snprintf(pf, sizeof(pf), "%s/root", dir);
		ASSERT_OK(posture_collect(pf, NULL, &p, err, sizeof(err)),
			  "collect");
		ASSERT_STREQ(p.os, "deb\"ian", "os (unquoted, escape)");
		ASSERT_STREQ(p.os_version, "12", "os_version (single quotes)");
		ASSERT_STREQ(p.model, "Model X1", "model");
		ASSERT_STREQ(p.manufacturer, "ACME Corp", "manufacturer");
		ASSERT_STREQ(p.serial_number, "", "serial_number missing");

		/* a badly quoted ID is left out; DMI still reported */
		ASSERT_OK(write_file("root/etc/os-release", "ID=\"debian\n"
							    "VERSION_ID=12\n"),
			  "os-release unterminated");
		ASSERT_OK(posture_collect(pf, NULL, &p, err, sizeof(err)),
			  "collect bad os-release");
		ASSERT_STREQ(p.os, "", "os refused");
		ASSERT_STREQ(p.model, "Model X1", "model kept");
		ASSERT_OK(write_file("root/etc/os-release",
				     "ID=debian $(reboot)\n"),
			  "os-release shell");
		ASSERT_OK(posture_collect(pf, NULL, &p, err, sizeof(err)),
			  "collect shell");
		ASSERT_STREQ(p.os, "", "no shell syntax");
	}
	if (test__start_subtest("posture_file_override")) {
		char big[PROTO_STR_MAX + 32], line[PROTO_STR_MAX + 64];

		snprintf(pf, sizeof(pf), "%s/root", dir);
		ASSERT_OK(write_file("root/etc/os-release", "ID=debian\n"
							    "VERSION_ID=12\n"),
			  "os-release");
		ASSERT_OK(write_file("posture",
				     "# a cloned device claims another serial\n"
				     "serial_number=\"CLONE-7\"\n"
				     "os_version = 13\n"),
			  "posture file spaces");
		snprintf(line, sizeof(line), "%s/posture", dir);
		/* "os_version = 13": the key has a space: strict refuses */
		ASSERT_EQ(posture_collect(pf, line, &p, err, sizeof(err)),
			  -EINVAL, "space around = refused");
		ASSERT_HAS_SUBSTR(err, "line 3", "error names the line");
		ASSERT_OK(write_file("posture", "serial_number=\"CLONE-7\"\n"
						"model='Cloned Box'\n"),
			  "posture file");
		ASSERT_OK(posture_collect(pf, line, &p, err, sizeof(err)),
			  "collect with override");
		ASSERT_STREQ(p.serial_number, "CLONE-7", "serial overridden");
		ASSERT_STREQ(p.model, "Cloned Box", "model overridden");
		ASSERT_STREQ(p.os, "debian", "os from os-release");
		ASSERT_STREQ(p.os_version, "12", "os_version kept");

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		snprintf(line, sizeof(line), "model=%s\n", big);
		ASSERT_OK(write_file("posture", line), "posture oversized");
		snprintf(line, sizeof(line), "%s/posture", dir);
		ASSERT_EQ(posture_collect(pf, line, &p, err, sizeof(err)),
			  -EINVAL, "oversized value refused");
		ASSERT_HAS_SUBSTR(err, "too long", "oversized message");

		ASSERT_OK(write_file("posture", "model=\"bad\tbyte\"\n"),
			  "posture tab");
		ASSERT_EQ(posture_collect(pf, line, &p, err, sizeof(err)),
			  -EINVAL, "non-printable refused");
		ASSERT_HAS_SUBSTR(err, "not printable", "non-printable msg");

		ASSERT_OK(write_file("posture", "colour=blue\n"),
			  "posture unknown");
		ASSERT_EQ(posture_collect(pf, line, &p, err, sizeof(err)),
			  -EINVAL, "unknown key refused");
		ASSERT_HAS_SUBSTR(err, "unknown key 'colour'", "unknown msg");

		/* exactly PROTO_STR_MAX - 1 bytes is the longest accepted */
		big[PROTO_STR_MAX - 1] = 0;
		snprintf(line, sizeof(line), "model=%s\n", big);
		ASSERT_OK(write_file("posture", line), "posture longest");
		snprintf(line, sizeof(line), "%s/posture", dir);
		ASSERT_OK(posture_collect(pf, line, &p, err, sizeof(err)),
			  "longest value accepted");
		ASSERT_EQ(strlen(p.model), PROTO_STR_MAX - 1, "longest model");
	}
out:;
}

static void backoff_subtest(void)
{
	uint32_t prev = 0, seen_low = 0, seen_high = 0;

	if (!test__start_subtest("backoff"))
		return;
	ASSERT_EQ(backoff_ceiling_ms(0), 1000, "base 1 s");
	ASSERT_EQ(backoff_ceiling_ms(1), 2000, "factor 2");
	ASSERT_EQ(backoff_ceiling_ms(5), 32000, "2^5 s");
	ASSERT_EQ(backoff_ceiling_ms(6), 60000, "capped at 60 s");
	ASSERT_EQ(backoff_ceiling_ms(1000), 60000, "no overflow");
	for (unsigned int n = 0; n < 70; n++) {
		uint32_t c = backoff_ceiling_ms(n);

		if (!ASSERT_GE(c, prev, "ceilings never shrink") ||
		    !ASSERT_LE(c, 60000, "ceiling within cap") ||
		    !ASSERT_EQ(backoff_ms(n, 0), 0, "jitter floor 0") ||
		    !ASSERT_EQ(backoff_ms(n, c), c, "jitter reaches ceiling") ||
		    !ASSERT_LE(backoff_ms(n, UINT32_MAX), c, "max rnd bounded"))
			break;
		prev = c;
	}
	/* full jitter spreads over the whole range, not a fixed delay */
	for (uint32_t i = 0; i < 2000; i++) {
		uint32_t r = i * 2654435761u, d = backoff_ms(3, r);

		if (!ASSERT_LE(d, 8000, "attempt 3 within 8 s"))
			break;
		seen_low += d < 2000;
		seen_high += d > 6000;
	}
	ASSERT_GT(seen_low, 100, "short delays occur");
	ASSERT_GT(seen_high, 100, "long delays occur");
}

/* openssl s_server in the background; its stdin stays open (a pipe). */
struct s_server {
	pid_t pid;
	int stdin_fd;
	int port;
	char out[256];
};

static bool s_server_start(struct s_server *s, const char *name,
			   const char *cert, const char *client_ca, bool strict)
{
	char cmd[2048];
	int in[2];
	size_t len;

	memset(s, 0, sizeof(*s));
	s->stdin_fd = -1;
	s->port = loopback_port(NULL);
	/* one file per case: an old "ACCEPT" must not look like readiness */
	snprintf(s->out, sizeof(s->out), "%s/s_server-%s.out", dir, name);
	snprintf(cmd, sizeof(cmd),
		 "exec openssl s_server -naccept 1 -tls1_3 -Verify 1 %s "
		 "-accept 127.0.0.1:%d -cert %s/%s.pem -key %s/%s.key "
		 "-CAfile %s/%s.pem >%s 2>&1",
		 strict ? "-verify_return_error" : "", s->port, dir, cert, dir,
		 cert, dir, client_ca, s->out);
	if (s->port < 0 || pipe2(in, O_CLOEXEC))
		return false;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(in[0], 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	s->stdin_fd = in[1];
	if (s->pid < 0)
		return false;
	for (int i = 0; i < 100; i++) {
		char *o = file_slurp(s->out, &len);
		bool up = strstr(o, "ACCEPT");

		free(o);
		if (up)
			return true;
		usleep(50000);
	}
	return false;
}

/* Stop it (it may have exited already) and return what it printed. */
static char *s_server_stop(struct s_server *s, size_t *len)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (s->stdin_fd >= 0)
		close(s->stdin_fd);
	return file_slurp(s->out, len);
}

static const char hello_magic[] = {'T', 'P', PROTO_VERSION, PROTO_HELLO};

/* What s_server must have seen from the agent. */
enum hello_seen {
	HELLO_YES,     /* handshake done: client certificate and HELLO */
	HELLO_NO,      /* we refused the gateway: no HELLO may reach it */
	HELLO_REFUSED, /* it refused us: it never read past our certificate */
};

/* Run tp-agent --once against s_server with the given server cert. */
static void s_server_case(const char *name, const char *cert,
			  const char *client_ca, bool strict, const char *extra,
			  enum hello_seen expect, const char *expect_err)
{
	struct cmd_result r = {};
	struct s_server s;
	size_t len;
	char *o;

	if (!test__start_subtest(name))
		return;
	if (!ASSERT_TRUE(s_server_start(&s, name, cert, client_ca, strict),
			 "s_server up")) {
		free(s_server_stop(&s, &len));
		return;
	}
	cmd_run(&r, 20,
		"%s --gateway 127.0.0.1:%d --cert %s/dev.pem --key %s/dev.key "
		"--ca %s/ca.pem --posture-file %s/clone --timeout 2 --once %s",
		agent_bin, s.port, dir, dir, dir, dir, extra);
	o = s_server_stop(&s, &len);
	ASSERT_EQ(r.status, 2, "--once without WELCOME exits 2");
	ASSERT_HAS_SUBSTR(r.err, expect_err, "agent says why");
	if (expect == HELLO_YES) {
		ASSERT_HAS_SUBSTR(o, "Client certificate", "client cert sent");
		ASSERT_HAS_SUBSTR(o, "CN = dev", "the device's certificate");
		ASSERT_TRUE(memmem(o, len, hello_magic, 4), "HELLO frame seen");
		ASSERT_TRUE(memmem(o, len, "\"serial_number\":\"CLONE-7\"", 25),
			    "HELLO carries the posture override");
		ASSERT_TRUE(memmem(o, len, "\"agent\":\"" TP_VERSION "\"",
				   10 + strlen(TP_VERSION)),
			    "HELLO carries the agent version");
	} else if (expect == HELLO_NO) {
		ASSERT_FALSE(memmem(o, len, hello_magic, 4),
			     "no HELLO to a gateway that failed verification");
		ASSERT_FALSE(strstr(o, "Client certificate"),
			     "handshake not completed");
	} else {
		ASSERT_HAS_SUBSTR(o, "CN = dev", "it saw our certificate");
		ASSERT_HAS_SUBSTR(o, "unable to get local issuer",
				  "and refused it");
	}
	if (env.verbose)
		fprintf(stderr, "    s_server: %.600s\n", o);
	free(o);
	cmd_free(&r);
}

/* --- a fake trustpointd: one wolfSSL TLS 1.3 server in a child --- */

/* Read until one whole frame; its type, or -1 (closed, bad, timeout). */
static int gw_read_frame(WOLFSSL *ssl, struct proto_reader *rd)
{
	uint8_t buf[512];

	proto_reader_reset(rd);
	for (;;) {
		int n = wolfSSL_read(ssl, buf, sizeof(buf));

		if (n <= 0)
			return -1;
		for (size_t off = 0, used; off < (size_t)n; off += used) {
			int ret = proto_feed(rd, buf + off, n - off, &used);

			if (ret < 0)
				return -1;
			/* the agent writes each frame as one TLS record */
			if (ret == 1 && off + used == (size_t)n)
				return rd->type;
			if (ret == 1)
				return -1;
		}
	}
}

enum gw_script {
	GW_BYE_THEN_REVOKE, /* WELCOME, HEARTBEAT, BYE; reconnect: REVOKED */
	GW_EXPECT_BYE,	    /* WELCOME, then wait for the agent's BYE */
};

/* Each failed expectation exits with its own status, for the parent. */
static int gw_session(WOLFSSL_CTX *ctx, int lfd, int conn, enum gw_script s)
{
	struct proto_welcome w = {
		.device = "7f000001-0000-4000-8000-000000000001",
		.name = "dev1",
		.lease_s = 30,
		.heartbeat_s = 1};
	struct timeval tv = {.tv_sec = 8};
	struct proto_reader rd = {};
	bool posture_seen = false;
	struct proto_hello h;
	uint8_t buf[1024];
	uint64_t seq;
	int fd, len, ret = 0;
	WOLFSSL *ssl;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 10;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ssl = wolfSSL_new(ctx);
	wolfSSL_set_fd(ssl, fd);
	if (wolfSSL_accept(ssl) != WOLFSSL_SUCCESS) {
		ret = 11;
		goto out;
	}
	if (gw_read_frame(ssl, &rd) != PROTO_HELLO ||
	    proto_parse_hello(rd.payload, rd.len, &h)) {
		ret = 12;
		goto out;
	}
	if (strcmp(h.agent, TP_VERSION) ||
	    strcmp(h.posture.serial_number, "CLONE-7")) {
		ret = 13;
		goto out;
	}
	if (s == GW_BYE_THEN_REVOKE && conn == 1) {
		len = proto_reason(PROTO_REVOKED, "keyCompromise", buf,
				   sizeof(buf));
		ret = wolfSSL_write(ssl, buf, len) == len ? 0 : 14;
		goto out;
	}
	len = proto_welcome(&w, buf, sizeof(buf));
	if (wolfSSL_write(ssl, buf, len) != len) {
		ret = 15;
		goto out;
	}
	if (s == GW_BYE_THEN_REVOKE) {
		if (gw_read_frame(ssl, &rd) != PROTO_HEARTBEAT ||
		    proto_parse_heartbeat(rd.payload, rd.len, &seq) ||
		    seq != 1) {
			ret = 16;
			goto out;
		}
		len = proto_reason(PROTO_BYE, "maintenance", buf, sizeof(buf));
		ret = wolfSSL_write(ssl, buf, len) == len ? 0 : 17;
		goto out;
	}
	/* GW_EXPECT_BYE: heartbeats, the changed posture, then BYE */
	for (int i = 0; i < 30; i++) {
		struct proto_posture p;
		char seen[256];
		int t = gw_read_frame(ssl, &rd);

		if (t == PROTO_BYE) {
			ret = posture_seen ? 0 : 19;
			goto out;
		}
		if (t == PROTO_POSTURE &&
		    !proto_parse_posture(rd.payload, rd.len, &p) &&
		    !strcmp(p.serial_number, "CLONE-8")) {
			posture_seen = true;
			snprintf(seen, sizeof(seen), "%s/posture-seen", dir);
			close(open(seen, O_WRONLY | O_CREAT, 0600));
			continue;
		}
		if (t != PROTO_HEARTBEAT)
			break;
	}
	ret = 18;
out:
	proto_reader_free(&rd);
	wolfSSL_free(ssl);
	close(fd);
	return ret;
}

static pid_t fake_gateway(int lfd, enum gw_script s)
{
	char ca[512], crt[512], key[512];
	WOLFSSL_CTX *ctx;
	int ret = 0;
	pid_t pid = fork();

	if (pid)
		return pid;
	alarm(30); /* never outlive the test */
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(crt, sizeof(crt), "%s/srv.pem", dir);
	snprintf(key, sizeof(key), "%s/srv.key", dir);
	wolfSSL_Init();
	ctx = wolfSSL_CTX_new(wolfTLSv1_3_server_method());
	if (!ctx ||
	    wolfSSL_CTX_use_certificate_file(ctx, crt, WOLFSSL_FILETYPE_PEM) !=
		    1 ||
	    wolfSSL_CTX_use_PrivateKey_file(ctx, key, WOLFSSL_FILETYPE_PEM) !=
		    1 ||
	    wolfSSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		_exit(9);
	wolfSSL_CTX_set_verify(
		ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		NULL);
	for (int conn = 0; conn < (s == GW_BYE_THEN_REVOKE ? 2 : 1) && !ret;
	     conn++)
		ret = gw_session(ctx, lfd, conn, s);
	_exit(ret);
}

static int child_status(pid_t pid, int timeout_ms)
{
	int st;

	for (int i = 0; i < timeout_ms / 20; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st)
					     : 128 + WTERMSIG(st);
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void fake_gateway_subtests(void)
{
	struct cmd_result r = {};
	char want[256];
	int lfd = -1, port;
	pid_t gw, agent;

	if (test__start_subtest("welcome_bye_reconnect_revoked")) {
		port = loopback_port(&lfd);
		if (!ASSERT_GT(port, 0, "listen"))
			return;
		gw = fake_gateway(lfd, GW_BYE_THEN_REVOKE);
		/* no --once: BYE means reconnect; REVOKED means exit 3 */
		cmd_run(&r, 25,
			"%s -g 127.0.0.1:%d -c %s/dev.pem -k %s/dev.key "
			"-a %s/ca.pem -p %s/clone -t 5 -v",
			agent_bin, port, dir, dir, dir, dir);
		close(lfd);
		ASSERT_EQ(child_status(gw, 5000), 0, "fake gateway saw it all");
		ASSERT_EQ(r.status, 3, "revoked exits 3");
		snprintf(want, sizeof(want),
			 "tp-agent: connected to 127.0.0.1:%d as dev1 "
			 "(lease 30s, heartbeat 1s)",
			 port);
		ASSERT_HAS_SUBSTR(r.out, want, "connected line");
		ASSERT_HAS_SUBSTR(r.err,
				  "the gateway said goodbye: maintenance",
				  "BYE reported");
		ASSERT_HAS_SUBSTR(r.err, "reconnecting in ", "backoff");
		ASSERT_HAS_SUBSTR(r.err,
				  "tp-agent: the gateway revoked this device: "
				  "keyCompromise",
				  "revoked message");
		cmd_free(&r);
	}
	if (test__start_subtest("sigterm_sends_bye")) {
		char outp[256], errp[256], crt[256], key[256], ca[256],
			clone[256];
		size_t len;
		char *o = NULL;

		port = loopback_port(&lfd);
		if (!ASSERT_GT(port, 0, "listen"))
			return;
		gw = fake_gateway(lfd, GW_EXPECT_BYE);
		snprintf(outp, sizeof(outp), "%s/agent.out", dir);
		snprintf(errp, sizeof(errp), "%s/agent.err", dir);
		snprintf(want, sizeof(want), "127.0.0.1:%d", port);
		snprintf(crt, sizeof(crt), "%s/dev.pem", dir);
		snprintf(key, sizeof(key), "%s/dev.key", dir);
		snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
		snprintf(clone, sizeof(clone), "%s/clone", dir);
		agent = fork();
		if (agent == 0) {
			int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			dup2(fo, 1);
			dup2(fe, 2);
			execl(agent_bin, "tp-agent", "-g", want, "-c", crt,
			      "-k", key, "-a", ca, "-p", clone, "-t", "5",
			      (char *)NULL);
			_exit(127);
		}
		close(lfd);
		for (int i = 0; i < 200; i++) {
			free(o);
			o = file_slurp(outp, &len);
			if (strstr(o, "connected to"))
				break;
			usleep(25000);
		}
		ASSERT_HAS_SUBSTR(o, "connected to", "agent connected");
		free(o);
		/* the device's posture changes: reported within 5 heartbeats */
		ASSERT_OK(write_file("clone", "serial_number=CLONE-8\n"),
			  "posture changes");
		snprintf(outp, sizeof(outp), "%s/posture-seen", dir);
		for (int i = 0; i < 100 && access(outp, F_OK); i++)
			usleep(100000);
		ASSERT_OK(access(outp, F_OK), "POSTURE frame with the change");
		kill(agent, SIGTERM);
		ASSERT_EQ(child_status(agent, 5000), 0, "SIGTERM exits 0");
		ASSERT_EQ(child_status(gw, 5000), 0, "gateway got BYE");
		ASSERT_OK(write_file("clone", "serial_number=CLONE-7\n"),
			  "posture restored");
	}
}

/* A CA, the gateway's certificates (right, wrong name, other CA), a device. */
static const char mkcerts[] =
	"set -e; cd %s; "
	"ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	"-nodes -keyout $1.key -out $1.pem -days 2 -subj /CN=$1; }; "
	"leaf() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	"-nodes -keyout $1.key -out $1.csr -subj /CN=$1; "
	"printf 'basicConstraints=CA:FALSE\\nsubjectAltName=%%s\\n"
	"extendedKeyUsage=%%s\\n' \"$3\" \"$4\" > $1.ext; "
	"openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key "
	"-CAcreateserial -days 1 -extfile $1.ext -out $1.pem; }; "
	"ca ca; ca ca2; "
	"leaf srv ca IP:127.0.0.1,DNS:gw.test serverAuth; "
	"leaf wrong ca DNS:other serverAuth; "
	"leaf alien ca2 IP:127.0.0.1 serverAuth; "
	"leaf dev ca DNS:dev1 clientAuth; chmod 600 *.key";

static void usage_subtests(void)
{
	struct cmd_result r = {};
	int p1 = loopback_port(NULL), p2 = loopback_port(NULL);
	char conf[1024];

	if (test__start_subtest("usage_config")) {
		cmd_run(&r, 10, "%s --cert x --key y", agent_bin);
		ASSERT_EQ(r.status, 1, "missing options exit 1");
		ASSERT_HAS_SUBSTR(r.err, "required", "names what is missing");
		cmd_free(&r);
		cmd_run(&r, 10, "%s -g 127.0.0.1:99999 -c x -k y -a z",
			agent_bin);
		ASSERT_EQ(r.status, 1, "bad port exit 1");
		cmd_free(&r);
		cmd_run(&r, 10, "%s --help", agent_bin);
		ASSERT_EQ(r.status, 0, "--help exit 0");
		ASSERT_HAS_SUBSTR(r.out, "3  the gateway revoked",
				  "exit codes");
		cmd_free(&r);

		ASSERT_OK(write_file("agent.conf",
				     "[agent]\ngateway = 127.0.0.1\n"
				     "colour = blue\n"),
			  "conf unknown key");
		cmd_run(&r, 10, "%s --config %s/agent.conf", agent_bin, dir);
		ASSERT_EQ(r.status, 1, "unknown key exit 1");
		ASSERT_HAS_SUBSTR(r.err, "line 3: unknown key 'colour'",
				  "config error names line and key");
		cmd_free(&r);

		/* the flag's gateway wins over the config's */
		snprintf(conf, sizeof(conf),
			 "[agent]\ngateway = 127.0.0.1:%d\ncert = %s/dev.pem\n"
			 "key = %s/dev.key\nca = %s/ca.pem\n"
			 "server_name = gw.test\nposture_file = %s/clone\n",
			 p1, dir, dir, dir, dir);
		ASSERT_OK(write_file("agent.conf", conf), "conf");
		cmd_run(&r, 10, "%s -f %s/agent.conf -g 127.0.0.1:%d --once",
			agent_bin, dir, p2);
		ASSERT_EQ(r.status, 2, "closed port with --once exits 2");
		snprintf(conf, sizeof(conf),
			 "cannot connect to 127.0.0.1 port %d", p2);
		ASSERT_HAS_SUBSTR(r.err, conf, "flag wins over config");
		cmd_free(&r);
	}
}

/* A gateway that accepts TCP and never speaks: bounded by --timeout. */
static void silent_gateway_subtest(void)
{
	struct cmd_result r = {};
	struct timespec t0, t1;
	int lfd = -1, port;

	if (!test__start_subtest("silent_gateway_times_out"))
		return;
	port = loopback_port(&lfd);
	if (!ASSERT_GT(port, 0, "listen"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cmd_run(&r, 15,
		"%s -g 127.0.0.1:%d -c %s/dev.pem -k %s/dev.key -a %s/ca.pem "
		"-t 1 --once",
		agent_bin, port, dir, dir, dir);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(lfd);
	ASSERT_EQ(r.status, 2, "gives up with exit 2");
	ASSERT_HAS_SUBSTR(r.err, "TLS handshake with 127.0.0.1 timed out",
			  "says it timed out");
	ASSERT_LT(t1.tv_sec - t0.tv_sec, 8, "within the timeout, not hung");
	cmd_free(&r);
}

void test_agent(void)
{
	struct cmd_result r = {};
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/tp-agent-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	posture_subtests();
	backoff_subtest();

	snprintf(agent_bin, sizeof(agent_bin), "%s/tp-agent", env.build_dir);
	if (stat(agent_bin, &st)) {
		test__skip("no tp-agent binary in the build dir");
		goto out;
	}
	if (!ASSERT_EQ(cmd_run(&r, 60, mkcerts, dir), 0, "make certificates"))
		goto out;
	if (!ASSERT_OK(write_file("clone", "serial_number=CLONE-7\n"), "clone"))
		goto out;
	usage_subtests();
	s_server_case("s_server_hello", "srv", "ca", false, "", HELLO_YES,
		      "no WELCOME");
	s_server_case("s_server_dns_name", "srv", "ca", false, "--name gw.test",
		      HELLO_YES, "no WELCOME");
	s_server_case("wrong_name_ip", "wrong", "ca", false, "", HELLO_NO,
		      "does not match the name '127.0.0.1'");
	s_server_case("wrong_name_dns", "wrong", "ca", false, "--name gw.test",
		      HELLO_NO, "does not match the name 'gw.test'");
	s_server_case("wrong_ca", "alien", "ca", false, "", HELLO_NO,
		      "does not verify against");
	s_server_case("client_refused", "srv", "ca2", true, "", HELLO_REFUSED,
		      "refused the connection");
	silent_gateway_subtest();
	fake_gateway_subtests();
out:
	cmd_free(&r);
	SYS_NOFAIL("rm -rf '%s'", dir);
}
