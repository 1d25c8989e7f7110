// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon_refuse.c - trustpointd refuses every certificate and client
 * that must not get in, names the reason in its log (a handshake.refused
 * event) and writes no gate entry. Clients are stock `openssl s_client`
 * runs from dev1's namespace, so each refusal is of a host that is a real,
 * enrolled device; raw TCP clients (silent, garbage) come from rogue.
 *
 * The bad certificates are made with `openssl ca`, signed by the trustpoint
 * CA key itself (STATE/ca/ca.key) for dev1's own CSR, unless the case is
 * about the signer. The registry never saw their serials, so every one of
 * them would also be refused as unknown-serial; the daemon checks the
 * chain, CA flag, EKU and validity before the registry, and the expected
 * reason is the first check each fixture fails:
 *   expired / not_yet_valid  dates (wolfSSL's chain check or ours)
 *   unknown_serial           valid in every way, serial not in the registry
 *   wrong_ca                 dev1's CSR signed by a second CA carrying the
 *                            same subject name as the trustpoint CA
 *   wrong_eku                EKU serverAuth only
 *   ca_cert_as_client        the trustpoint CA's own certificate and key
 *   sub_ca_as_client         a CA:TRUE certificate (EKU clientAuth) the
 *                            trustpoint CA signed
 *   revoked_serial           dev3 enrolled by tpctl, then `cert revoke`
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon_lab.h"
#include "netns.h"
#include "test_progs.h"

#define HS_TIMEOUT_MS 1000 /* handshake_timeout configured for this test */
#define REFUSE_MS 5000	   /* attempt to its refusal in the log */

static char fx[128]; /* fixture directory */

/* The openssl ca setup: no policy beyond a CN, extensions per case. */
static const char ca_cnf[] =
	"[ca]\ndefault_ca = tp\n"
	"[tp]\ndir = %s\ndatabase = $dir/index.txt\nnew_certs_dir = $dir\n"
	"serial = $dir/serial\ndefault_md = sha256\npolicy = any\n"
	"unique_subject = no\ncopy_extensions = none\n"
	"[any]\ncommonName = supplied\n"
	"[client]\nbasicConstraints = critical,CA:FALSE\n"
	"keyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\n"
	"[server]\nbasicConstraints = critical,CA:FALSE\n"
	"keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
	"[subca]\nbasicConstraints = critical,CA:TRUE\n"
	"keyUsage = critical,keyCertSign,cRLSign,digitalSignature\n"
	"extendedKeyUsage = clientAuth\n";

/* openssl ca over dev1's CSR (or csr), signed by cert/key. */
static bool sign(const char *out, const char *csr, const char *cert,
		 const char *key, const char *ext, const char *dates)
{
	struct cmd_result r;
	bool ok;

	cmd_run(&r, 30,
		"openssl ca -batch -notext -config %s/ca.cnf -cert %s -keyfile %s -in %s -out %s/%s.pem -extensions %s %s",
		fx, cert, key, csr, fx, out, ext, dates);
	ok = ASSERT_OK(r.status, out);
	if (!ok)
		fprintf(stderr, "openssl ca %s: %s\n", out, r.err);
	cmd_free(&r);
	return ok;
}

static bool make_fixtures(void)
{
	char cnf[4096], path[256], csr[160], cakey[160];
	struct cmd_result r;
	FILE *f;
	bool ok;

	snprintf(fx, sizeof(fx), "%s/fx", dl.dir);
	snprintf(csr, sizeof(csr), "%s/dev1.csr", dl.dir);
	snprintf(cakey, sizeof(cakey), "%s/ca/ca.key", dl.state);
	snprintf(cnf, sizeof(cnf), ca_cnf, fx);
	snprintf(path, sizeof(path), "%s/ca.cnf", fx);
	ok = !cmd_run(&r, 10,
		      "mkdir -p %s && : >%s/index.txt && echo 1000 >%s/serial",
		      fx, fx, fx);
	cmd_free(&r);
	f = ok ? fopen(path, "w") : NULL;
	if (!ASSERT_OK_PTR(f, "ca.cnf"))
		return false;
	fputs(cnf, f);
	fclose(f);
	ok = sign("expired", csr, dl.ca, cakey, "client",
		  "-startdate 20200101000000Z -enddate 20210101000000Z") &&
	     sign("notyet", csr, dl.ca, cakey, "client",
		  "-startdate 20300101000000Z -enddate 20310101000000Z") &&
	     sign("unknown", csr, dl.ca, cakey, "client", "-days 30") &&
	     sign("servereku", csr, dl.ca, cakey, "server", "-days 30");
	if (!ok)
		return false;
	/* a second CA with the trustpoint CA's very name */
	ok = !cmd_run(
		&r, 30,
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/ca2.key -out %s/ca2.pem -days 30 -subj '/CN=trustpoint lab CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
		fx, fx);
	ASSERT_TRUE(ok, "second CA");
	cmd_free(&r);
	snprintf(path, sizeof(path), "%s/ca2.pem", fx);
	snprintf(cnf, sizeof(cnf), "%s/ca2.key", fx);
	if (!ok || !sign("wrongca", csr, path, cnf, "client", "-days 30"))
		return false;
	ok = !cmd_run(
		&r, 30,
		"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/subca.key -subj /CN=dev1-subca -out %s/subca.csr",
		fx, fx);
	ASSERT_TRUE(ok, "sub-CA key");
	cmd_free(&r);
	snprintf(path, sizeof(path), "%s/subca.csr", fx);
	if (!ok || !sign("subca", path, dl.ca, cakey, "subca", "-days 30"))
		return false;
	return true;
}

/* `openssl verify` agrees the fixture is what its case says. */
static void fixture_is(const char *name, const char *ca, const char *want)
{
	struct cmd_result r;
	char what[64];

	cmd_run(&r, 10,
		"openssl verify -CAfile %s -purpose sslclient %s/%s.pem 2>&1",
		ca, fx, name);
	snprintf(what, sizeof(what), "fixture %s", name);
	ASSERT_HAS_SUBSTR(r.out, want, what);
	cmd_free(&r);
}

/*
 * Run s_client from dev1 with the given -cert/-key options (and extra
 * ones), then expect a refusal of dev1 with reason and no entry at all.
 */
static void refused(const char *opts, const char *reason)
{
	struct cmd_result r;
	char *why;
	long off = dlab_log_offset();

	cmd_run(&r, 20,
		"echo | nsenter --net=/run/netns/%s timeout 10 openssl s_client -connect %s:%d -CAfile %s %s",
		dl.dev[1], LAB_GW_LAN_IP4, DLAB_PORT, dl.ca, opts);
	cmd_free(&r);
	why = dlab_log_event(off, DLAB_EV_REFUSED, LAB_DEV1_IP4, REFUSE_MS);
	if (ASSERT_OK_PTR(why, "refusal logged"))
		ASSERT_STREQ(why, reason, "refusal reason");
	free(why);
	ASSERT_EQ(dlab_log_count(off, "authenticated:"), 0,
		  "nothing authenticated");
	ASSERT_EQ(dlab_identity_count(-1, NULL), 0, "no entry written");
}

static void refused_fx(const char *name, const char *reason)
{
	char opts[512];

	snprintf(opts, sizeof(opts), "-cert %s/%s.pem -key %s/dev1.key", fx,
		 name, dl.dir);
	refused(opts, reason);
}

struct raw_client {
	const void *payload;
	size_t len;
};

/* In rogue: connect to the handshake port, send payload, wait for close. */
static int raw_client(void *arg)
{
	struct raw_client *c = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(DLAB_PORT)};
	struct pollfd pfd;
	char buf[512];
	ssize_t n;
	int fd;

	inet_pton(AF_INET, LAB_GW_LAN_IP4, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return NETNS_ERROR;
	if (c->len && send(fd, c->payload, c->len, MSG_NOSIGNAL) < 0)
		return NETNS_ERROR;
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	/* whatever the server says (an alert) until it closes */
	while (poll(&pfd, 1, 5000) == 1) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return NETNS_OK; /* closed (FIN or RST) */
	}
	return NETNS_NO_REPLY; /* still open after 5 s */
}

/* Returns the ms until the server closed, or -1; checks the reason. */
static long raw_refused(const void *payload, size_t len, const char *reason)
{
	struct raw_client c = {payload, len};
	long off = dlab_log_offset(), t0 = dlab_now_ms(), ms;
	char *why;
	int res;

	res = netns_run(dl.rogue, 8000, raw_client, &c);
	ms = dlab_now_ms() - t0;
	if (!ASSERT_EQ(res, NETNS_OK, "server closed the connection"))
		ms = -1;
	why = dlab_log_event(off, DLAB_EV_REFUSED, LAB_ROGUE_IP4, REFUSE_MS);
	if (ASSERT_OK_PTR(why, "refusal logged"))
		ASSERT_STREQ(why, reason, "refusal reason");
	free(why);
	ASSERT_EQ(dlab_identity_count(-1, NULL), 0, "no entry written");
	return ms;
}

static void subtest_revoked_serial(void)
{
	struct cmd_result r;
	json_object *o;
	char serial[80] = "", opts[256];
	bool ok;

	ok = !dlab_tp(&r, NULL, "device add dev3 owner alice");
	cmd_free(&r);
	ok = ok &&
	     !cmd_run(
		     &r, 30,
		     "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/dev3.key -subj /CN=dev3 -out %s/dev3.csr",
		     dl.dir, dl.dir);
	cmd_free(&r);
	ok = ok &&
	     !dlab_tp(&r, NULL,
		      "-j device enroll dev3 csr %s/dev3.csr out %s/dev3.pem",
		      dl.dir, dl.dir);
	o = ok ? dlab_json(&r, "enroll dev3") : NULL;
	snprintf(serial, sizeof(serial), "%s", dlab_jstr(o, "serial") ?: "");
	json_object_put(o);
	cmd_free(&r);
	if (!ASSERT_TRUE(ok && serial[0], "dev3 enrolled"))
		return;
	if (!ASSERT_OK(dlab_tp(&r, NULL, "cert revoke %s reason keyCompromise",
			       serial),
		       "cert revoke")) {
		fprintf(stderr, "cert revoke: %s\n", r.err);
		cmd_free(&r);
		return;
	}
	cmd_free(&r);
	snprintf(opts, sizeof(opts), "-cert %s/dev3.pem -key %s/dev3.key",
		 dl.dir, dl.dir);
	refused(opts, "revoked-serial");
}

void test_daemon_refuse(void)
{
	struct dlab_opts o = {.handshake_timeout_ms = HS_TIMEOUT_MS};
	char opts[512];
	long ms;

	if (!dlab_up("drefuse", &o) || !make_fixtures() || !dlab_daemon_start())
		goto out;

	if (test__start_subtest("expired")) {
		fixture_is("expired", dl.ca, "certificate has expired");
		refused_fx("expired", "expired");
	}
	if (test__start_subtest("not_yet_valid")) {
		fixture_is("notyet", dl.ca, "certificate is not yet valid");
		refused_fx("notyet", "not-yet-valid");
	}
	if (test__start_subtest("unknown_serial")) {
		fixture_is("unknown", dl.ca, ": OK");
		refused_fx("unknown", "unknown-serial");
	}
	if (test__start_subtest("wrong_ca")) {
		fixture_is("wrongca", dl.ca, "error");
		refused_fx("wrongca", "wrong-ca");
	}
	if (test__start_subtest("revoked_serial"))
		subtest_revoked_serial();
	if (test__start_subtest("wrong_eku")) {
		fixture_is("servereku", dl.ca,
			   "unsuitable certificate purpose");
		refused_fx("servereku", "wrong-eku");
	}
	if (test__start_subtest("ca_cert_as_client")) {
		snprintf(opts, sizeof(opts), "-cert %s -key %s/ca/ca.key",
			 dl.ca, dl.state);
		refused(opts, "ca-cert-as-client");
	}
	if (test__start_subtest("sub_ca_as_client")) {
		snprintf(opts, sizeof(opts),
			 "-cert %s/subca.pem -key %s/subca.key", fx, fx);
		refused(opts, "ca-cert-as-client");
	}
	if (test__start_subtest("no_client_cert"))
		refused("", "no-client-cert");
	if (test__start_subtest("tls12_client")) {
		snprintf(opts, sizeof(opts),
			 "-tls1_2 -cert %s/dev1.pem -key %s/dev1.key", dl.dir,
			 dl.dir);
		refused(opts, "tls-version");
	}
	if (test__start_subtest("handshake_timeout")) {
		ms = raw_refused(NULL, 0, "handshake-timeout");
		if (ms >= 0) {
			ASSERT_GE(ms, HS_TIMEOUT_MS - 100, "not closed early");
			ASSERT_LT(ms, HS_TIMEOUT_MS + 2000,
				  "closed at the handshake timeout");
		}
	}
	if (test__start_subtest("garbage_http")) {
		static const char http[] = "GET / HTTP/1.1\r\nHost: gw\r\n\r\n";

		ms = raw_refused(http, sizeof(http) - 1, "garbage");
		if (ms >= 0)
			ASSERT_LT(ms, HS_TIMEOUT_MS - 200,
				  "refused before the handshake timeout");
	}
	if (test__start_subtest("garbage_record")) {
		/* a handshake record of the right shape holding junk */
		unsigned char rec[5 + 64] = {0x16, 0x03, 0x01, 0x00, 64};

		memset(rec + 5, 0xa5, 64);
		ms = raw_refused(rec, sizeof(rec), "garbage");
		if (ms >= 0)
			ASSERT_LT(ms, HS_TIMEOUT_MS - 200,
				  "refused before the handshake timeout");
	}
out:
	dlab_down();
}
