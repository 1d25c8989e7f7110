// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ocsp.c - the OCSP responder against the real openssl CLI: requests
 * made by `openssl ocsp` (SHA-1 and SHA-256 CertIDs, with and without a
 * nonce) are answered from a real registry through the status callback,
 * and `openssl ocsp -respin` must find the answer good, verified, nonce
 * echoed; revoked with reason and time right after reg_cert_revoke();
 * unauthorized or unknown for other issuers and serials; malformedRequest
 * for broken DER; the GET form decodes; a delegated responder certificate
 * (ours or OpenSSL-made) verifies. For P-256, P-384 and Ed25519 CAs.
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/ca.h"
#include "lib/ocsp.h"
#include "lib/registry.h"
#include "test_progs.h"

static char tdir[128];

#define UUID "0f8fad5b-d9cb-469f-a165-70867728950e"

/* One CA with a device certificate recorded in its registry. */
struct fix {
	const char *tag;
	const char *sigalg; /* as openssl -resp_text names it */
	char ca_dir[400], ca_pem[420], dev_pem[400], db[400];
	struct ca *ca;
	struct registry *reg;
	struct ocsp_responder *resp;
	char serial[65];
	int lookups;
};

static const char *path(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static const char *path(const char *fmt, ...)
{
	static char bufs[8][400];
	static int n;
	char *out = bufs[n++ % 8], name[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(bufs[0]), "%s/%s", tdir, name);
	return out;
}

/* Exit status of a shell command; its stdout and stderr in *out. */
static int sh(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
	struct cmd_result r;
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = cmd_run(&r, 60, "%s 2>&1", cmd);
	if (env.verbose && st)
		fprintf(stderr, "  `%s` exit %d: %.600s\n", cmd, st, r.out);
	if (out)
		*out = strdup(r.out);
	cmd_free(&r);
	return st;
}

static bool spit(const char *p, const void *buf, size_t len)
{
	FILE *f = fopen(p, "wb");
	bool ok = f && fwrite(buf, 1, len, f) == len;

	if (f)
		ok = !fclose(f) && ok;
	return ok;
}

static bool write_pem(const char *p, const uint8_t *der, size_t len)
{
	char *pem;
	size_t pem_len;
	bool ok;

	if (ca_cert_pem(der, len, &pem, &pem_len))
		return false;
	ok = spit(p, pem, pem_len);
	free(pem);
	return ok;
}

/* The status callback the daemon will use: ask the registry. */
static int reg_status(const char *issuer, const char *serial, int *status,
		      int64_t *revoked_at, int *reason, void *ctx)
{
	struct fix *f = ctx;
	struct reg_cert c;
	int ret;

	f->lookups++;
	ret = reg_cert_get(f->reg, issuer, serial, &c);
	if (ret == -ENOENT) {
		*status = OCSP_STATUS_UNKNOWN;
		return 0;
	}
	if (ret)
		return ret;
	*status = c.status == REG_CERT_REVOKED ? OCSP_STATUS_REVOKED
					       : OCSP_STATUS_GOOD;
	*revoked_at = c.revoked_at;
	*reason = c.reason;
	reg_cert_free(&c);
	return 0;
}

/* A device certificate from ca for an openssl-made CSR, written to pem. */
static bool issue_device(struct ca *ca, const char *name, const char *pem,
			 struct ca_issued *is)
{
	struct ca_device_req req = {name, UUID, 0, NULL};
	char err[CA_ERR_LEN] = "";
	uint8_t *csr;
	size_t len;
	bool ok;

	if (!ASSERT_OK(sh(NULL,
			  "openssl req -new -newkey ec -pkeyopt "
			  "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out "
			  "%s.csr -subj /CN=x",
			  pem, pem),
		       "openssl req"))
		return false;
	csr = (uint8_t *)file_slurp(path("%s.csr", strrchr(pem, '/') + 1),
				    &len);
	ok = ASSERT_OK(ca_issue_from_csr(ca, &req, csr, len, is, err),
		       "ca_issue_from_csr");
	free(csr);
	if (!ok)
		fprintf(stderr, "    %s\n", err);
	return ok && ASSERT_TRUE(write_pem(pem, is->der, is->der_len), "pem");
}

#define CA_RSA_IMPORT ((enum ca_algo) - 1)

/* "x.pem" -> "x.key" (in place of a copy). */
static const char *cat_ext(const char *pem)
{
	static char key[512];

	snprintf(key, sizeof(key), "%.*s.key", (int)(strlen(pem) - 4), pem);
	return key;
}

static void fix_free(struct fix *f)
{
	ocsp_responder_free(f->resp);
	reg_close(f->reg);
	ca_free(f->ca);
	memset(f, 0, sizeof(*f));
}

static bool fix_setup(struct fix *f, const char *tag, enum ca_algo algo)
{
	struct reg_user u = {.account = "alice"};
	struct reg_device d = {.owner = "alice"};
	struct ca_issued is = {};
	char err[CA_ERR_LEN] = "", subj[512];
	struct reg_cert c = {};
	bool ok = false;

	static const char *const sigalgs[] = {
		[CA_ALGO_ECDSA_P256] = "ecdsa-with-SHA256",
		[CA_ALGO_ECDSA_P384] = "ecdsa-with-SHA384",
		[CA_ALGO_ED25519] = "ED25519",
	};

	memset(f, 0, sizeof(*f));
	f->tag = tag;
	f->sigalg = algo == CA_RSA_IMPORT ? "sha256WithRSAEncryption"
					  : sigalgs[algo];
	snprintf(f->ca_dir, sizeof(f->ca_dir), "%s", path("%s-ca", tag));
	snprintf(f->ca_pem, sizeof(f->ca_pem), "%s/ca.pem", f->ca_dir);
	snprintf(f->dev_pem, sizeof(f->dev_pem), "%s", path("%s-dev.pem", tag));
	snprintf(f->db, sizeof(f->db), "%s", path("%s.db", tag));
	snprintf(subj, sizeof(subj), "CN=OCSP test %s,O=trustpoint", tag);
	if (algo == CA_RSA_IMPORT) {
		/* an RSA CA can only be imported: made by openssl here */
		if (!ASSERT_OK(sh(NULL,
				  "openssl req -x509 -newkey rsa:2048 "
				  "-nodes -keyout %s.key -out %s.pem -subj "
				  "'/CN=OCSP test %s' -addext "
				  "keyUsage=critical,keyCertSign,cRLSign",
				  f->ca_dir, f->ca_dir, tag),
			       "openssl rsa ca"))
			return false;
		snprintf(subj, sizeof(subj), "%s.pem", f->ca_dir);
		if (!ASSERT_OK(ca_import(f->ca_dir, subj, cat_ext(subj), NULL,
					 false, err),
			       "ca_import"))
			fprintf(stderr, "    %s\n", err);
	} else if (!ASSERT_OK(ca_init(f->ca_dir, algo, subj, 0, false, err),
			      "ca_init")) {
		fprintf(stderr, "    %s\n", err);
	}
	if (!ASSERT_OK(ca_load(f->ca_dir, &f->ca, err), "ca_load")) {
		fprintf(stderr, "    %s\n", err);
		return false;
	}
	if (!issue_device(f->ca, "dev-1", f->dev_pem, &is))
		goto out;
	snprintf(f->serial, sizeof(f->serial), "%s", is.info.serial);
	d.name = (char *)tag;
	c.issuer = (char *)ca_dn(f->ca);
	snprintf(c.serial, sizeof(c.serial), "%s", is.info.serial);
	c.subject = is.info.subject;
	c.not_before = is.info.not_before;
	c.not_after = is.info.not_after;
	c.der = is.der;
	c.der_len = is.der_len;
	if (!ASSERT_OK(reg_open(f->db, &f->reg), "reg_open") ||
	    !ASSERT_OK(reg_user_add(f->reg, &u, "test"), "reg_user_add") ||
	    !ASSERT_OK(reg_device_add(f->reg, &d, "test"), "reg_device_add"))
		goto out;
	c.device_id = d.id;
	if (!ASSERT_OK(reg_cert_add(f->reg, &c, "test"), "reg_cert_add"))
		goto out;
	ok = ASSERT_OK(ocsp_responder_new(f->ca, NULL, NULL, 0, &f->resp, err),
		       "ocsp_responder_new");
	if (!ok)
		fprintf(stderr, "    %s\n", err);
out:
	ca_issued_free(&is);
	return ok;
}

/* Answer the request in file req with responder r; write resp. */
static int respond_file(struct fix *f, struct ocsp_responder *r,
			const char *req, const char *resp,
			enum ocsp_resp_status *st)
{
	uint8_t *q = NULL, *a = NULL;
	size_t qlen = 0, alen = 0;
	int ret;

	q = (uint8_t *)file_slurp(req, &qlen);
	ret = ocsp_respond(r, q, qlen, reg_status, f, &a, &alen, st);
	if (!ret && !spit(resp, a, alen))
		ret = -EIO;
	free(q);
	free(a);
	return ret;
}

/* `openssl ocsp -respin` output (stdout and stderr) for resp. */
static char *check(const struct fix *f, const char *resp, const char *digest)
{
	char *out = NULL;

	/* -no_nonce: the request openssl builds here is not the one sent */
	sh(&out,
	   "openssl ocsp -respin %s %s -issuer %s -cert %s -CAfile %s "
	   "-no_nonce -resp_text",
	   resp, digest, f->ca_pem, f->dev_pem, f->ca_pem);
	return out;
}

/* The "OCSP Nonce" hex dump openssl prints after a -*_text header. */
static char *nonce_of(const char *text)
{
	const char *p = strstr(text, "OCSP Nonce:");
	char *out;
	size_t n;

	if (!p)
		return NULL;
	p += strlen("OCSP Nonce:");
	while (*p == ' ' || *p == '\n')
		p++;
	n = strcspn(p, "\n");
	out = strndup(p, n);
	return out;
}

static time_t text_time(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	struct tm tm = {};

	if (!p || !strptime(p + strlen(label), " %b %d %H:%M:%S %Y GMT", &tm))
		return -1;
	return timegm(&tm);
}

static void subtest_good(struct fix *f, const char *digest)
{
	const char *req = path("%s-req.der", f->tag);
	const char *resp = path("%s-resp.der", f->tag);
	enum ocsp_resp_status st = -1;
	char *out = NULL, *qtext = NULL, *qn = NULL, *an = NULL, *id = NULL;
	time_t this_u, next_u, now = time(NULL);
	int lookups = f->lookups;

	if (!ASSERT_OK(sh(NULL,
			  "openssl ocsp %s -issuer %s -cert %s -reqout %s",
			  digest, f->ca_pem, f->dev_pem, req),
		       "openssl reqout") ||
	    !ASSERT_OK(respond_file(f, f->resp, req, resp, &st), "respond"))
		return;
	ASSERT_EQ(st, OCSP_RESP_SUCCESSFUL, "status successful");
	ASSERT_EQ(f->lookups - lookups, 1, "one registry lookup");
	out = check(f, resp, digest);
	ASSERT_HAS_SUBSTR(out, "OCSP Response Status: successful (0x0)",
			  "status");
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: good", "good");
	ASSERT_HAS_SUBSTR(out, "Response Type: Basic OCSP Response", "basic");
	ASSERT_HAS_SUBSTR(out, f->sigalg, "signature algorithm");
	if (*digest)
		ASSERT_HAS_SUBSTR(out, "Hash Algorithm: sha256",
				  "sha256 CertID");
	else
		ASSERT_HAS_SUBSTR(out, "Hash Algorithm: sha1", "sha1 CertID");
	this_u = text_time(out, "This Update:");
	next_u = text_time(out, "Next Update:");
	ASSERT_LE(labs(this_u - now), 5, "thisUpdate is now");
	ASSERT_EQ(next_u - this_u, OCSP_NEXT_UPDATE_DEFAULT, "nextUpdate");
	/* byKey: the SHA-1 of the CA's key, as `x509 -ocspid` computes it */
	sh(&id,
	   "openssl x509 -in %s -noout -ocspid | sed -n "
	   "'s/^ *Public key OCSP hash: *//p'",
	   f->ca_pem);
	if (ASSERT_TRUE(id && strlen(id) > 40, "ocspid"))
		id[40] = 0;
	ASSERT_HAS_SUBSTR(out, id, "Responder Id is the CA key hash");
	/* the nonce comes back as sent */
	sh(&qtext, "openssl ocsp -reqin %s -req_text", req);
	qn = nonce_of(qtext);
	an = nonce_of(out);
	if (ASSERT_OK_PTR(qn, "request nonce") && ASSERT_OK_PTR(an, "nonce"))
		ASSERT_STREQ(an, qn, "nonce echoed");
	/* and openssl's own nonce check agrees */
	free(out);
	sh(&out,
	   "openssl ocsp -reqin %s -respin %s -CAfile %s -verify_other %s "
	   "-resp_text",
	   req, resp, f->ca_pem, f->ca_pem);
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify with -reqin");
	ASSERT_FALSE(out && strstr(out, "Nonce Verify error"),
		     "nonce verifies");
	ASSERT_FALSE(out && strstr(out, "WARNING: no nonce"), "nonce present");
	free(out);
	free(qtext);
	free(qn);
	free(an);
	free(id);
}

static void subtest_no_nonce(struct fix *f)
{
	const char *req = path("nn-req.der"), *resp = path("nn-resp.der");
	char *out = NULL;

	if (!ASSERT_OK(sh(NULL,
			  "openssl ocsp -no_nonce -issuer %s -cert %s "
			  "-reqout %s",
			  f->ca_pem, f->dev_pem, req),
		       "reqout") ||
	    !ASSERT_OK(respond_file(f, f->resp, req, resp, NULL), "respond"))
		return;
	out = check(f, resp, "");
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: good", "good");
	ASSERT_FALSE(out && strstr(out, "OCSP Nonce"), "no nonce in response");
	free(out);
}

static void subtest_revoked(struct fix *f)
{
	const char *req = path("%s-rv-req.der", f->tag);
	const char *resp = path("%s-rv-resp.der", f->tag);
	char *out = NULL, when[64];
	struct reg_cert c;
	struct tm tm;
	time_t at;

	if (!ASSERT_OK(sh(NULL, "openssl ocsp -issuer %s -cert %s -reqout %s",
			  f->ca_pem, f->dev_pem, req),
		       "reqout") ||
	    !ASSERT_OK(respond_file(f, f->resp, req, resp, NULL), "respond"))
		return;
	out = check(f, resp, "");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: good", "good before the revoke");
	free(out);
	if (!ASSERT_OK(reg_cert_revoke(f->reg, ca_dn(f->ca), f->serial,
				       REG_REASON_KEY_COMPROMISE, "test"),
		       "reg_cert_revoke") ||
	    !ASSERT_OK(reg_cert_get(f->reg, ca_dn(f->ca), f->serial, &c),
		       "get"))
		return;
	at = c.revoked_at;
	reg_cert_free(&c);
	/* the same responder, the same request: the very next answer */
	if (!ASSERT_OK(respond_file(f, f->resp, req, resp, NULL), "respond"))
		return;
	out = check(f, resp, "");
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: revoked", "revoked");
	ASSERT_HAS_SUBSTR(out, "Reason: keyCompromise", "reason");
	gmtime_r(&at, &tm);
	strftime(when, sizeof(when), "Revocation Time: %b %e %H:%M:%S %Y GMT",
		 &tm);
	ASSERT_HAS_SUBSTR(out, when, "revocation time");
	free(out);
}

/* A signed request (requestorName, optionalSignature): tolerated. */
static void subtest_signed_request(struct fix *f)
{
	const char *req = path("sg-req.der"), *resp = path("sg-resp.der");
	enum ocsp_resp_status st = -1;
	char *out = NULL;

	if (!ASSERT_OK(sh(NULL,
			  "openssl ocsp -signer %s -signkey %s.key "
			  "-issuer %s -cert %s -reqout %s",
			  f->dev_pem, f->dev_pem, f->ca_pem, f->dev_pem, req),
		       "reqout") ||
	    !ASSERT_OK(respond_file(f, f->resp, req, resp, &st), "respond"))
		return;
	ASSERT_EQ(st, OCSP_RESP_SUCCESSFUL, "successful");
	out = check(f, resp, "");
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: good", "good");
	free(out);
}

/* Another CA's certificate: unauthorized alone, unknown next to ours. */
static void subtest_other_ca(struct fix *f, struct fix *other)
{
	const char *req = path("oc-req.der"), *resp = path("oc-resp.der");
	enum ocsp_resp_status st = -1;
	struct ca_issued is = {};
	char *out = NULL, *key = NULL, err[CA_ERR_LEN];
	size_t key_len;
	int before;

	if (!ASSERT_OK(sh(NULL, "openssl ocsp -issuer %s -cert %s -reqout %s",
			  other->ca_pem, other->dev_pem, req),
		       "reqout"))
		return;
	before = f->lookups;
	ASSERT_OK(respond_file(f, f->resp, req, resp, &st), "respond");
	ASSERT_EQ(st, OCSP_RESP_UNAUTHORIZED, "unauthorized");
	ASSERT_EQ(f->lookups, before, "no lookup for another issuer");
	sh(&out, "openssl ocsp -respin %s -resp_text -ignore_err", resp);
	ASSERT_HAS_SUBSTR(out, "Responder Error: unauthorized (6)",
			  "openssl sees unauthorized");
	ASSERT_HAS_SUBSTR(out, "OCSP Response Status: unauthorized (0x6)",
			  "and prints it");
	free(out);

	/* ours and theirs in one request */
	if (!ASSERT_OK(sh(NULL,
			  "openssl ocsp -issuer %s -cert %s -issuer %s "
			  "-cert %s -reqout %s",
			  f->ca_pem, f->dev_pem, other->ca_pem, other->dev_pem,
			  req),
		       "reqout 2") ||
	    !ASSERT_OK(respond_file(f, f->resp, req, resp, &st), "respond"))
		return;
	sh(&out,
	   "openssl ocsp -no_nonce -respin %s -issuer %s -cert %s -issuer %s "
	   "-cert %s -noverify -resp_text",
	   resp, f->ca_pem, f->dev_pem, other->ca_pem, other->dev_pem);
	/* (openssl refuses to verify any answer about two issuers at once:
	 * no signer may speak for both, so -noverify) */
	ASSERT_HAS_SUBSTR(out, "p256-dev.pem: good", "ours good");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: unknown", "theirs unknown");
	free(out);

	/* ours, but never recorded in the registry: unknown */
	if (!ASSERT_OK(ca_issue_with_key(
			       f->ca,
			       &(struct ca_device_req){"stray", UUID, 0, NULL},
			       CA_ALGO_ECDSA_P256, &is, &key, &key_len, err),
		       "issue stray") ||
	    !ASSERT_TRUE(write_pem(path("stray.pem"), is.der, is.der_len),
			 "pem"))
		goto out;
	if (!ASSERT_OK(sh(NULL, "openssl ocsp -issuer %s -cert %s -reqout %s",
			  f->ca_pem, path("stray.pem"), req),
		       "reqout 3") ||
	    !ASSERT_OK(respond_file(f, f->resp, req, resp, &st), "respond"))
		goto out;
	ASSERT_EQ(st, OCSP_RESP_SUCCESSFUL, "successful");
	sh(&out,
	   "openssl ocsp -no_nonce -respin %s -issuer %s -cert %s -CAfile %s",
	   resp, f->ca_pem, path("stray.pem"), f->ca_pem);
	ASSERT_HAS_SUBSTR(out, "stray.pem: unknown", "unrecorded unknown");
	free(out);
out:
	ca_wipe_free(key, key_len);
	ca_issued_free(&is);
}

static void expect_malformed(struct fix *f, const char *what,
			     const uint8_t *req, size_t len)
{
	enum ocsp_resp_status st = -1;
	const char *resp = path("mf-resp.der");
	uint8_t *a = NULL;
	size_t alen = 0;
	char *out = NULL, name[96];

	snprintf(name, sizeof(name), "%s: malformedRequest", what);
	if (!ASSERT_OK(ocsp_respond(f->resp, req, len, reg_status, f, &a, &alen,
				    &st),
		       what))
		return;
	ASSERT_EQ(st, OCSP_RESP_MALFORMED, name);
	if (ASSERT_TRUE(spit(resp, a, alen), "write")) {
		/* openssl spells it in lower case */
		sh(&out, "openssl ocsp -respin %s -resp_text -ignore_err",
		   resp);
		ASSERT_HAS_SUBSTR(out, "Responder Error: malformedrequest (1)",
				  name);
		ASSERT_HAS_SUBSTR(out,
				  "OCSP Response Status: malformedrequest "
				  "(0x1)",
				  name);
		free(out);
	}
	free(a);
}

/* Content offset of the outer SEQUENCE of a DER blob. */
static size_t hdr_len(const uint8_t *d)
{
	return d[1] < 0x80 ? 2 : 2 + (d[1] & 0x7f);
}

static void subtest_malformed(struct fix *f)
{
	static const uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
	const char *req = path("mf-req.der");
	uint8_t *q, *b = malloc(70000);
	size_t len, h, clen;
	int n;

	if (!ASSERT_OK(sh(NULL, "openssl ocsp -issuer %s -cert %s -reqout %s",
			  f->ca_pem, f->dev_pem, req),
		       "reqout"))
		goto out_b;
	q = (uint8_t *)file_slurp(req, &len);
	h = hdr_len(q);
	clen = len - h;
	expect_malformed(f, "garbage", garbage, sizeof(garbage) - 1);
	expect_malformed(f, "empty", q, 0);
	expect_malformed(f, "truncated", q, len - 1);
	expect_malformed(f, "half", q, len / 2);
	memcpy(b, q, len);
	b[len] = 0;
	b[len + 1] = 0;
	expect_malformed(f, "trailing garbage", b, len + 2);
	/* the same content under an indefinite length with end-of-contents */
	b[0] = 0x30;
	b[1] = 0x80;
	memcpy(b + 2, q + h, clen);
	b[2 + clen] = b[3 + clen] = 0;
	expect_malformed(f, "indefinite length", b, clen + 4);
	/* a length in more octets than it needs */
	b[1] = 0x82;
	b[2] = clen >> 8;
	b[3] = clen;
	memcpy(b + 4, q + h, clen);
	expect_malformed(f, "non-minimal length", b, clen + 4);
	if (ASSERT_LT(clen, 0x80, "short request")) {
		b[1] = 0x81; /* long form for a length the short one holds */
		b[2] = clen;
		memcpy(b + 3, q + h, clen);
		expect_malformed(f, "long form, short length", b, clen + 3);
	}
	/* an inner length running past its container */
	memcpy(b, q, len);
	b[h + 1] += 1;
	expect_malformed(f, "inner overrun", b, len);
	free(q);
	/* as many CertIDs as we take, and one more */
	for (n = OCSP_MAX_REQUESTS; n <= OCSP_MAX_REQUESTS + 1; n++) {
		if (!ASSERT_OK(sh(NULL,
				  "set -- $(for i in $(seq %d); do echo "
				  "-cert %s; done); openssl ocsp -no_nonce "
				  "-issuer %s \"$@\" -reqout %s",
				  n, f->dev_pem, f->ca_pem, req),
			       "reqout many"))
			continue;
		q = (uint8_t *)file_slurp(req, &len);
		if (n > OCSP_MAX_REQUESTS) {
			expect_malformed(f, "17 CertIDs", q, len);
		} else {
			enum ocsp_resp_status st = -1;
			uint8_t *a = NULL;
			size_t alen;

			ASSERT_OK(ocsp_respond(f->resp, q, len, reg_status, f,
					       &a, &alen, &st),
				  "16 CertIDs");
			ASSERT_EQ(st, OCSP_RESP_SUCCESSFUL, "16 answered");
			free(a);
		}
		free(q);
	}
	/* a CertID hash we do not take */
	if (ASSERT_OK(sh(NULL,
			 "openssl ocsp -md5 -issuer %s -cert %s -reqout %s",
			 f->ca_pem, f->dev_pem, req),
		      "reqout md5")) {
		q = (uint8_t *)file_slurp(req, &len);
		expect_malformed(f, "MD5 CertID", q, len);
		free(q);
	}
out_b:
	free(b);
}

/* The GET form: percent-encoded base64 decodes to the same DER. */
static void subtest_get(struct fix *f)
{
	static const char *const bad[] = {
		"",	     "%",     "%4",	  "%zz41", "QUJD%",
		"QUI",	     "QU=I",  "QQ==QQ==", "Q===",  "QR==",
		"QUI%3D%3D", "QU I=", "QUI\n",	  "QUJ-",
	};
	const char *req = path("get-req.der"), *resp = path("get-resp.der");
	uint8_t *q, *d = NULL;
	size_t len, dlen = 0, i;
	char *b64 = NULL, *out = NULL;

	if (!ASSERT_OK(sh(NULL, "openssl ocsp -issuer %s -cert %s -reqout %s",
			  f->ca_pem, f->dev_pem, req),
		       "reqout"))
		return;
	/* what nginx sends: base64, then + / = percent-encoded */
	sh(&b64,
	   "openssl base64 -A -in %s | sed 's/+/%%2B/g; s,/,%%2F,g; "
	   "s/=/%%3D/g'",
	   req);
	if (!ASSERT_OK_PTR(b64, "base64"))
		return;
	b64[strcspn(b64, "\n")] = 0;
	q = (uint8_t *)file_slurp(req, &len);
	if (ASSERT_OK(ocsp_decode_get_path(b64, &d, &dlen), "decode") &&
	    ASSERT_EQ(dlen, len, "length") &&
	    ASSERT_TRUE(!memcmp(d, q, len), "same bytes") &&
	    ASSERT_TRUE(spit(path("get-dec.der"), d, dlen), "write")) {
		ASSERT_OK(respond_file(f, f->resp, path("get-dec.der"), resp,
				       NULL),
			  "respond");
		out = check(f, resp, "");
		ASSERT_HAS_SUBSTR(out, "-dev.pem: good", "good over GET");
		free(out);
	}
	free(d);
	ASSERT_OK(ocsp_decode_get_path("QUJD", &d, &dlen), "ABC");
	ASSERT_TRUE(dlen == 3 && !memcmp(d, "ABC", 3), "ABC bytes");
	free(d);
	ASSERT_OK(ocsp_decode_get_path("QQ%3d%3D", &d, &dlen), "A, lower %3d");
	ASSERT_TRUE(dlen == 1 && d[0] == 'A', "A bytes");
	free(d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "refuse '%s'", bad[i]);
		d = NULL;
		ASSERT_EQ(ocsp_decode_get_path(bad[i], &d, &dlen), -EBADMSG,
			  name);
		ASSERT_TRUE(d == NULL, "nothing returned");
	}
	free(q);
	free(b64);
}

/* A delegated responder answers; openssl verifies through the CA. */
static void delegated(struct fix *f, const char *cert, const char *key,
		      const char *what)
{
	const char *req = path("dl-req.der"), *resp = path("dl-resp.der");
	char err[OCSP_ERR_LEN] = "", *out = NULL, *id = NULL, vafile[512];
	struct ocsp_responder *r = NULL;

	if (!ASSERT_OK(ocsp_responder_new(f->ca, cert, key, 600, &r, err),
		       what)) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	if (!ASSERT_OK(sh(NULL, "openssl ocsp -issuer %s -cert %s -reqout %s",
			  f->ca_pem, f->dev_pem, req),
		       "reqout") ||
	    !ASSERT_OK(respond_file(f, r, req, resp, NULL), "respond"))
		goto out;
	out = check(f, resp, "");
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify via CAfile");
	ASSERT_HAS_SUBSTR(out, "-dev.pem: ", "status line");
	ASSERT_HAS_SUBSTR(out, "Certificate:", "signer in certs");
	ASSERT_EQ(text_time(out, "Next Update:") -
			  text_time(out, "This Update:"),
		  600, "nextUpdate from config");
	sh(&id,
	   "openssl x509 -in %s -noout -ocspid | sed -n "
	   "'s/^ *Public key OCSP hash: *//p'",
	   cert);
	if (ASSERT_TRUE(id && strlen(id) > 40, "ocspid"))
		id[40] = 0;
	ASSERT_HAS_SUBSTR(out, id, "Responder Id is the signer key hash");
	free(out);
	snprintf(vafile, sizeof(vafile), "-VAfile %s", cert);
	sh(&out, "openssl ocsp -no_nonce -respin %s -issuer %s -cert %s %s",
	   resp, f->ca_pem, f->dev_pem, vafile);
	ASSERT_HAS_SUBSTR(out, "Response verify OK", "verify via VAfile");
	free(out);
out:
	free(id);
	ocsp_responder_free(r);
}

static void subtest_delegated(struct fix *f, struct fix *other)
{
	const char *cert = path("%s-signer.pem", f->tag);
	const char *key = path("%s-signer.key", f->tag);
	char err[OCSP_ERR_LEN] = "", *key_pem = NULL, ext[512];
	struct ocsp_responder *r = NULL;
	struct ca_issued is = {};
	size_t key_len = 0;

	if (!ASSERT_OK(ocsp_issue_signer(f->ca, "OCSP signer", 0,
					 CA_ALGO_ECDSA_P256, &is, &key_pem,
					 &key_len, err),
		       "ocsp_issue_signer")) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	ASSERT_TRUE(write_pem(cert, is.der, is.der_len), "signer pem");
	ASSERT_OK(ca_write_file(key, key_pem, key_len, 0600), "signer key");
	ca_wipe_free(key_pem, key_len);
	ca_issued_free(&is);
	delegated(f, cert, key, "our signer");

	/* one made by OpenSSL with the CA's key */
	cert = path("ossl-signer.pem");
	key = path("ossl-signer.key");
	snprintf(ext, sizeof(ext), "%s", path("ext.cnf"));
	if (ASSERT_OK(
		    sh(NULL,
		       "printf 'extendedKeyUsage=OCSPSigning\\n"
		       "keyUsage=digitalSignature\\n' > %s && "
		       "openssl req -new -newkey ec -pkeyopt "
		       "ec_paramgen_curve:P-384 -nodes -keyout %s -out "
		       "%s.csr -subj /CN=ossl-signer && openssl x509 -req -in "
		       "%s.csr -CA %s -CAkey %s/ca.key -set_serial 4660 "
		       "-days 2 -extfile %s -out %s",
		       ext, key, cert, cert, f->ca_pem, f->ca_dir, ext, cert),
		    "openssl signer"))
		delegated(f, cert, key, "openssl-made signer");

	/* refused: no OCSPSigning EKU, a key not its own, another CA's */
	ASSERT_EQ(ocsp_responder_new(f->ca, f->dev_pem,
				     path("%s-dev.pem.key", f->tag), 0, &r,
				     err),
		  -EINVAL, "device cert refused");
	ASSERT_HAS_SUBSTR(err, "OCSPSigning", "says why");
	ASSERT_EQ(ocsp_responder_new(f->ca, cert, path("%s-signer.key", f->tag),
				     0, &r, err),
		  -EINVAL, "wrong key refused");
	ASSERT_HAS_SUBSTR(err, "does not belong", "says why");
	ASSERT_EQ(ocsp_responder_new(other->ca, cert, key, 0, &r, err), -EINVAL,
		  "another CA's signer refused");
	ASSERT_HAS_SUBSTR(err, "not issued by this CA", "says why");
	ASSERT_EQ(ocsp_responder_new(f->ca, cert, NULL, 0, &r, err), -EINVAL,
		  "cert without key refused");
	chmod(key, 0640);
	ASSERT_EQ(ocsp_responder_new(f->ca, cert, key, 0, &r, err), -EPERM,
		  "key open to others refused");
	ASSERT_HAS_SUBSTR(err, "chmod 600", "says why");
	ASSERT_TRUE(r == NULL, "no responder");
}

/* Requests and answers of another kind of CA: good, then revoked. */
static void subtest_algo(enum ca_algo algo, const char *tag)
{
	struct fix f;

	if (fix_setup(&f, tag, algo)) {
		subtest_good(&f, "");
		subtest_good(&f, "-sha256");
		subtest_revoked(&f);
	}
	fix_free(&f);
}

void test_ocsp(void)
{
	struct fix f, other;

	snprintf(tdir, sizeof(tdir), "/tmp/tp-ocsp-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(tdir), "mkdtemp"))
		return;
	/* The subtests share a P-256 CA ("p256") and another one ("other"). */
	if (!fix_setup(&f, "p256", CA_ALGO_ECDSA_P256) ||
	    !fix_setup(&other, "other", CA_ALGO_ECDSA_P256))
		goto out;
	if (test__start_subtest("good_sha1_nonce"))
		subtest_good(&f, "");
	if (test__start_subtest("good_sha256"))
		subtest_good(&f, "-sha256");
	if (test__start_subtest("no_nonce"))
		subtest_no_nonce(&f);
	if (test__start_subtest("signed_request"))
		subtest_signed_request(&f);
	if (test__start_subtest("other_issuer"))
		subtest_other_ca(&f, &other);
	if (test__start_subtest("malformed"))
		subtest_malformed(&f);
	if (test__start_subtest("get"))
		subtest_get(&f);
	if (test__start_subtest("delegated"))
		subtest_delegated(&f, &other);
	if (test__start_subtest("revoked"))
		subtest_revoked(&f);
	if (test__start_subtest("p384"))
		subtest_algo(CA_ALGO_ECDSA_P384, "p384");
	if (test__start_subtest("ed25519"))
		subtest_algo(CA_ALGO_ED25519, "ed25519");
	if (test__start_subtest("rsa_imported"))
		subtest_algo(CA_RSA_IMPORT, "rsa");
out:
	fix_free(&f);
	fix_free(&other);
	SYS_NOFAIL("rm -rf '%s'", tdir);
}
