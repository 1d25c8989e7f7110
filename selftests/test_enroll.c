// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_enroll.c - issue 3 end to end through tpctl: the CA, enrollment by
 * CSR and by a key made on the spot, what openssl makes of the results,
 * refused CSRs that change nothing, names that must come back byte for
 * byte. Every call gets -S with a state dir of this run, removed at the
 * end. Revocation, imports, and the crash, concurrency and gate-eviction
 * cases are in test_enroll_race.c, which shares the helpers below (enr_*).
 */
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"
#include "test_progs.h"
#include "selftests/enroll.h"

#define P256 "-newkey ec -pkeyopt ec_paramgen_curve:P-256"
#define OCSP_URL "http://127.0.0.1:8088/ocsp"

/* The state dir of the running test; work files go to <dir>/w. */
char enr_dir[256];

bool enr_mkstate(void)
{
	snprintf(enr_dir, sizeof(enr_dir), "/tmp/tp-enr-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(enr_dir), "mkdtemp")) {
		enr_dir[0] = 0;
		return false;
	}
	return !SYS_NOFAIL("mkdir %s/w", enr_dir);
}

void enr_rmstate(void)
{
	if (enr_dir[0] && !strncmp(enr_dir, "/tmp/tp-enr-", 12))
		SYS_NOFAIL("rm -rf %s", enr_dir);
	enr_dir[0] = 0;
}

/* tpctl -S <state> ARGS */
int __attribute__((format(printf, 2, 3)))
enr_tp(struct cmd_result *r, const char *fmt, ...)
{
	char args[6000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return tpctl(r, NULL, "-S %s %s", enr_dir, args);
}

/* tpctl -S <state> ARGS must exit 0; stdout is returned in r. */
bool __attribute__((format(printf, 2, 3)))
enr_tp_ok(struct cmd_result *r, const char *fmt, ...)
{
	char args[6000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	tpctl(r, NULL, "-S %s %s", enr_dir, args);
	if (r->status)
		fprintf(stderr, "tpctl %.200s\n  -> exit %d: %.400s\n", args,
			r->status, r->err);
	return ASSERT_EQ(r->status, 0, "tpctl exit");
}

/* Refused: non-zero exit and an "Error:" line naming one of the words. */
bool enr_refused(const struct cmd_result *r, const char *what,
		 const char *const *words)
{
	bool named = !words;

	if (!ASSERT_NEQ(r->status, 0, what) ||
	    !ASSERT_HAS_SUBSTR(r->err, "Error:", what))
		return false;
	for (; words && *words && !named; words++)
		named = strcasestr(r->err, *words);
	if (!named)
		fprintf(stderr, "%s: error does not name the reason: %s", what,
			r->err);
	return ASSERT_TRUE(named, what);
}

const char *enr_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

long long enr_jint(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

/* 's' with every ' made '\'' : one shell word whatever s holds. */
char *enr_shq(const char *s)
{
	char *q = malloc(strlen(s) * 4 + 3), *p = q;

	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*p = 0;
	return q;
}

/* A CA in the state dir (made when missing) and a user to own devices. */
bool enr_base(const char *owner)
{
	struct cmd_result r = {0};
	bool ok = true;

	if (enr_tp(&r, "ca show"))
		ok = enr_tp_ok(&r, "ca init");
	cmd_free(&r);
	if (ok && enr_tp(&r, "user show %s", owner))
		ok = enr_tp_ok(&r, "user add %s", owner);
	cmd_free(&r);
	return ok;
}

/* <state>/w/NAME.key and NAME.csr, made by openssl with KEYOPTS. */
bool enr_csr(const char *name, const char *keyopts)
{
	struct cmd_result r = {0};
	bool ok;

	cmd_run(&r, 30,
		"openssl req -new %s -nodes -subj /CN=%s -keyout %s/w/%s.key "
		"-out %s/w/%s.csr",
		keyopts, name, enr_dir, name, enr_dir, name);
	ok = ASSERT_EQ(r.status, 0, "openssl req");
	if (!ok)
		fprintf(stderr, "%s", r.err);
	cmd_free(&r);
	return ok;
}

/*
 * Add device NAME owned by alice and enroll it with <state>/w/CSR.csr;
 * its registry id and the certificate's serial come back.
 */
bool enr_device(const char *name, const char *csr, long long *id,
		char serial[65])
{
	struct cmd_result r = {0};
	json_object *o = NULL;
	const char *s;
	bool ok;

	ok = enr_tp_ok(&r, "-j device add %s owner alice", name) &&
	     (o = parse_one(r.out));
	if (ok && id)
		*id = enr_jint(o, "id");
	json_object_put(o);
	o = NULL;
	cmd_free(&r);
	ok = ok &&
	     enr_tp_ok(&r, "-j device enroll %s csr %s/w/%s.csr", name, enr_dir,
		       csr) &&
	     (o = parse_one(r.out));
	s = enr_jstr(o, "serial");
	ok = ok && ASSERT_OK_PTR(s, "enroll serial");
	if (ok && serial)
		snprintf(serial, 65, "%s", s);
	json_object_put(o);
	cmd_free(&r);
	return ok;
}

/* The status of a device must be want. */
bool enr_dev_status_is(const char *dev, const char *want)
{
	struct cmd_result r = {0};
	json_object *o = NULL;
	bool ok;

	ok = enr_tp_ok(&r, "-j device show %s", dev) && (o = parse_one(r.out));
	ok = ok && ASSERT_STREQ(enr_jstr(o, "status"), want, dev);
	json_object_put(o);
	cmd_free(&r);
	return ok;
}

/* What openssl says of a file (x509 -text, or any command's stdout). */
static char *ossl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ossl(const char *fmt, ...)
{
	struct cmd_result r = {0};
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cmd_run(&r, 30, "openssl %s", cmd);
	if (!ASSERT_EQ(r.status, 0, "openssl")) {
		fprintf(stderr, "openssl %s: %s", cmd, r.err);
		cmd_free(&r);
		return NULL;
	}
	free(r.err);
	return r.out;
}

static mode_t mode_of(const char *fmt, const char *arg)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), fmt, enr_dir, arg);
	if (stat(path, &st)) {
		fprintf(stderr, "stat %s: %s\n", path, strerror(errno));
		return (mode_t)-1;
	}
	return st.st_mode & 07777;
}

static void ca_text_ok(const char *algo_word)
{
	char *t = ossl("x509 -in %s/ca/ca.pem -noout -text", enr_dir);

	ASSERT_HAS_SUBSTR(t, "Basic Constraints: critical", "bc critical");
	ASSERT_HAS_SUBSTR(t, "CA:TRUE", "CA:TRUE");
	ASSERT_HAS_SUBSTR(t, "Certificate Sign, CRL Sign", "keyUsage");
	ASSERT_HAS_SUBSTR(t, "Subject Key Identifier", "SKI");
	ASSERT_HAS_SUBSTR(t, algo_word, "CA key algorithm");
	free(t);
}

static char *ca_sha256(void)
{
	struct cmd_result r = {0};
	json_object *o = NULL;
	char *s = NULL;

	if (enr_tp_ok(&r, "-j ca show") && (o = parse_one(r.out)) &&
	    enr_jstr(o, "sha256"))
		s = strdup(enr_jstr(o, "sha256"));
	json_object_put(o);
	cmd_free(&r);
	return s;
}

static void subtest_ca_init(void)
{
	static const char *const exists[] = {"exists", "force", NULL};
	char *sha0 = NULL, *sha1 = NULL, *sha2 = NULL;
	struct cmd_result r = {0};
	json_object *o = NULL;

	if (!enr_tp_ok(&r, "ca init"))
		goto out;
	cmd_free(&r);
	if (enr_tp_ok(&r, "-j ca show") && (o = parse_one(r.out))) {
		ASSERT_STREQ(enr_jstr(o, "key"), "ecdsa-p256", "default algo");
		ASSERT_STREQ(enr_jstr(o, "subject"), "CN=trustpoint CA",
			     "subject");
		ASSERT_OK_PTR(enr_jstr(o, "ski"), "ski");
	}
	json_object_put(o);
	cmd_free(&r);
	ASSERT_EQ(mode_of("%s/ca/%s", "ca.key"), 0600, "ca.key mode");
	ASSERT_EQ(mode_of("%s/%s", "ca"), 0700, "ca dir mode");
	ca_text_ok("prime256v1");

	sha0 = ca_sha256();
	enr_tp(&r, "ca init");
	enr_refused(&r, "second ca init", exists);
	cmd_free(&r);
	sha1 = ca_sha256();
	ASSERT_STREQ(sha1, sha0, "CA unchanged by refused init");

	if (enr_tp_ok(&r, "ca init force")) {
		sha2 = ca_sha256();
		ASSERT_TRUE(sha2 && sha0 && strcmp(sha2, sha0),
			    "force: new CA");
		ASSERT_EQ(mode_of("%s/ca/%s", "ca.key"), 0600,
			  "forced key mode");
	}
	cmd_free(&r);

	if (enr_tp_ok(&r, "-j ca init algo ed25519 force") &&
	    (o = parse_one(r.out))) {
		ASSERT_STREQ(enr_jstr(o, "key"), "ed25519", "ed25519 CA");
		ca_text_ok("ED25519");
		ASSERT_EQ(mode_of("%s/ca/%s", "ca.key"), 0600,
			  "ed25519 key mode");
	}
	json_object_put(o);
	o = NULL;
	cmd_free(&r);
	if (enr_tp_ok(&r, "-j ca init algo ecdsa-p384 force") &&
	    (o = parse_one(r.out))) {
		ASSERT_STREQ(enr_jstr(o, "key"), "ecdsa-p384", "p384 CA");
		ca_text_ok("secp384r1");
	}
	json_object_put(o);
	cmd_free(&r);
	/* the rest of the test runs on the default kind of CA */
	enr_tp_ok(&r, "ca init force");
out:
	cmd_free(&r);
	free(sha0);
	free(sha1);
	free(sha2);
}

/* The line after `header` in openssl's -text output, trimmed. */
static void line_after(const char *text, const char *header, char *buf,
		       size_t len)
{
	const char *p = text ? strstr(text, header) : NULL;

	buf[0] = 0;
	if (!p || !(p = strchr(p, '\n')))
		return;
	p += strspn(p, " \n");
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/* Enroll by a CSR of key type keyopts and check what openssl sees. */
static void enroll_and_check(const char *dev, const char *keyopts,
			     const char *key_word, bool check_ocsp)
{
	char want[128], ski[128], aki[128], serial[65] = "";
	char *t = NULL, *ca = NULL, *s = NULL;
	json_object *o = NULL, *certs, *c;
	const char *uuid;
	struct cmd_result r = {0};
	bool found = false;

	if (!enr_csr(dev, keyopts) ||
	    !enr_tp_ok(&r,
		       "device add %s owner alice group lab "
		       "prop serial_number=SN-%s prop model=X1",
		       dev, dev))
		goto out;
	cmd_free(&r);
	if (!enr_tp_ok(&r,
		       "-c %s/w/tp.conf -j device enroll %s csr %s/w/%s.csr "
		       "out %s/w/%s.pem",
		       enr_dir, dev, enr_dir, dev, enr_dir, dev) ||
	    !(o = parse_one(r.out)))
		goto out;
	snprintf(serial, sizeof(serial), "%s", enr_jstr(o, "serial") ?: "");
	t = ossl("verify -CAfile %s/ca/ca.pem %s/w/%s.pem", enr_dir, enr_dir,
		 dev);
	ASSERT_HAS_SUBSTR(t, ": OK", "openssl verify");
	free(t);
	t = ossl("x509 -in %s/w/%s.pem -noout -text", enr_dir, dev);
	ca = ossl("x509 -in %s/ca/ca.pem -noout -text", enr_dir);
	snprintf(want, sizeof(want), "Subject: CN = %s\n", dev);
	ASSERT_HAS_SUBSTR(t, want, "CN");
	ASSERT_HAS_SUBSTR(t, "TLS Web Client Authentication", "EKU clientAuth");
	ASSERT_HAS_SUBSTR(t, "Digital Signature", "keyUsage");
	ASSERT_HAS_SUBSTR(t, key_word, "key type");
	line_after(ca, "X509v3 Subject Key Identifier:", ski, sizeof(ski));
	line_after(t, "X509v3 Authority Key Identifier:", aki, sizeof(aki));
	ASSERT_TRUE(ski[0] && strstr(aki, ski), "AKI = CA's SKI");
	if (check_ocsp)
		ASSERT_HAS_SUBSTR(t, "OCSP - URI:" OCSP_URL, "OCSP AIA");
	else
		ASSERT_FALSE(t && strstr(t, "OCSP"), "no OCSP without config");
	s = ossl("x509 -in %s/w/%s.pem -noout -serial", enr_dir, dev);
	/* serial=HEX: 8 bytes are 16 digits */
	ASSERT_GE(s ? strcspn(s + 7, "\n") : 0, 16, "serial >= 64 bits");
	ASSERT_TRUE(s && serial[0] &&
			    !strncasecmp(s + 7, serial, strlen(serial)),
		    "serial as reported");
	json_object_put(o);
	o = NULL;
	cmd_free(&r);

	if (!enr_tp_ok(&r, "-j device show %s", dev) || !(o = parse_one(r.out)))
		goto out;
	uuid = enr_jstr(o, "uuid");
	snprintf(want, sizeof(want), "URI:urn:trustpoint:device:%s\n",
		 uuid ? uuid : "?");
	ASSERT_HAS_SUBSTR(t, want, "SAN URI");
	ASSERT_STREQ(enr_jstr(o, "status"), "active", "device active");
	certs = json_object_object_get(o, "certificates");
	ASSERT_EQ(json_object_array_length(certs), 1, "one certificate");
	c = json_object_array_get_idx(certs, 0);
	ASSERT_STREQ(enr_jstr(c, "serial"), serial, "device show serial");
	json_object_put(o);
	o = NULL;
	cmd_free(&r);

	if (!enr_tp_ok(&r, "-j cert list") || !(o = parse_one(r.out)))
		goto out;
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		c = json_object_array_get_idx(o, i);
		if (strcmp(enr_jstr(c, "serial") ?: "", serial))
			continue;
		found = true;
		ASSERT_STREQ(enr_jstr(c, "status"), "good", "cert list status");
	}
	ASSERT_TRUE(found, "cert list has the certificate");
out:
	json_object_put(o);
	cmd_free(&r);
	free(t);
	free(ca);
	free(s);
}

static void subtest_enroll_csr(void)
{
	if (!enr_base("alice") || SYS_NOFAIL("printf '[ca]\\nocsp_url=" OCSP_URL
					     "\\n' > %s/w/tp.conf",
					     enr_dir))
		return;
	enroll_and_check("dev1", P256, "prime256v1", true);
	enroll_and_check("dev1-ed", "-newkey ed25519", "ED25519", true);
	enroll_and_check("dev1-rsa", "-newkey rsa:2048", "(2048 bit)", true);
	/* without the config the AIA is absent */
	SYS_NOFAIL("echo > %s/w/tp.conf", enr_dir);
	enroll_and_check("dev1-noocsp", P256, "prime256v1", false);
}

/* Flip the last byte of a file (a DER CSR: the end of its signature). */
static bool flip_last_byte(const char *path)
{
	FILE *f = fopen(path, "r+b");
	int ch;

	if (!ASSERT_OK_PTR(f, path))
		return false;
	fseek(f, -1, SEEK_END);
	ch = fgetc(f);
	fseek(f, -1, SEEK_END);
	fputc(ch ^ 0x01, f);
	return ASSERT_OK(fclose(f), "write flipped CSR");
}

static void subtest_enroll_bad_csr(void)
{
	static const char *const w_sig[] = {"signature", NULL};
	static const char *const w_weak[] = {"1024", "weak", NULL};
	static const char *const w_garbage[] = {"not a DER", "PEM", "malformed",
						"well-formed", NULL};
	static const char *const w_empty[] = {"empty", NULL};
	static const char *const w_cert[] = {"found CERTIFICATE",
					     "certificate, not", NULL};
	static const char *const w_noent[] = {"No such file", NULL};
	static const struct {
		const char *what, *file;
		const char *const *words;
	} cases[] = {
		{"flipped signature", "bad-sig.csr", w_sig},
		{"RSA-1024", "bad-rsa.csr", w_weak},
		{"garbage", "garbage.csr", w_garbage},
		{"empty file", "empty.csr", w_empty},
		{"a certificate", "bad-cert.pem", w_cert},
		{"nonexistent", "nonexistent.csr", w_noent},
	};
	char path[PATH_MAX], *before = NULL;
	struct cmd_result r = {0};

	if (!enr_base("alice") || !enr_csr("bad-sig", P256) ||
	    !enr_csr("bad-rsa", "-newkey rsa:1024"))
		return;
	SYS(out,
	    "cp %1$s/w/bad-sig.csr %1$s/w/good.csr && openssl req "
	    "-in %1$s/w/bad-sig.csr -outform DER -out %1$s/w/bad-sig.der",
	    enr_dir);
	snprintf(path, sizeof(path), "%s/w/bad-sig.der", enr_dir);
	if (!flip_last_byte(path))
		return;
	SYS(out,
	    "openssl req -inform DER -in %1$s/w/bad-sig.der -out %1$s/w/bad-sig.csr",
	    enr_dir);
	/* the input really is what it claims: openssl rejects it too */
	cmd_run(&r, 30, "openssl req -in %s/w/bad-sig.csr -verify -noout",
		enr_dir);
	/* (openssl 3.0 req -verify exits 0 either way: read what it says) */
	ASSERT_HAS_SUBSTR(r.err, "verify failure", "openssl rejects it too");
	cmd_free(&r);
	SYS(out, "head -c 3000 /dev/urandom > %s/w/garbage.csr", enr_dir);
	SYS(out, ": > %s/w/empty.csr", enr_dir);
	SYS(out,
	    "openssl req -x509 -new " P256 " -nodes -subj /CN=x -days 2 "
	    "-keyout %1$s/w/bad-cert.key -out %1$s/w/bad-cert.pem",
	    enr_dir);
	if (!enr_tp_ok(&r, "device add bad1 owner alice"))
		goto out;
	cmd_free(&r);
	if (!enr_tp_ok(&r, "-j cert list"))
		goto out;
	before = strdup(r.out);
	cmd_free(&r);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enr_tp(&r, "device enroll bad1 csr %s/w/%s", enr_dir,
		       cases[i].file);
		enr_refused(&r, cases[i].what, cases[i].words);
		ASSERT_EQ(r.out_len, 0, "nothing printed on stdout");
		cmd_free(&r);
		if (enr_tp_ok(&r, "-j cert list"))
			ASSERT_STREQ(r.out, before, "cert list unchanged");
		cmd_free(&r);
		enr_dev_status_is("bad1", "pending");
	}
	/* the control: the CSR before the flip is taken */
	if (enr_tp_ok(&r, "device enroll bad1 csr %s/w/good.csr", enr_dir))
		enr_dev_status_is("bad1", "active");
out:
	free(before);
	cmd_free(&r);
}

static char *pubkey(const char *fmt, const char *file)
{
	char args[PATH_MAX + 64];

	snprintf(args, sizeof(args), fmt, enr_dir, file);
	return ossl("%s", args);
}

static void subtest_genkey_p12(void)
{
	static const char *const w_exists[] = {"exists", "overwrite", NULL};
	char *k1 = NULL, *k2 = NULL, *k3 = NULL, *f1 = NULL, *f2 = NULL;
	char *keytext = NULL, *again = NULL;
	struct cmd_result r = {0};
	bool legacy = false;

	if (!enr_base("alice"))
		return;
	SYS(out, "mkdir -m 700 %1$s/out2 && printf 'p4ss w0rd\\n' > %1$s/w/pw",
	    enr_dir);
	if (!enr_tp_ok(&r, "device add dev2 owner alice"))
		goto out;
	cmd_free(&r);
	if (!enr_tp_ok(&r,
		       "device enroll dev2 genkey out %1$s/out2 p12 %1$s/w/pw",
		       enr_dir))
		goto out;
	cmd_free(&r);
	ASSERT_EQ(mode_of("%s/out2/%s", "dev2.key"), 0600, "dev2.key mode");
	ASSERT_EQ(mode_of("%s/out2/%s", "dev2.p12"), 0600, "dev2.p12 mode");
	f1 = ossl("verify -CAfile %1$s/ca/ca.pem %1$s/out2/dev2.pem", enr_dir);
	ASSERT_HAS_SUBSTR(f1, ": OK", "genkey cert verifies");
	free(f1);
	f1 = NULL;
	enr_dev_status_is("dev2", "active");

	cmd_run(&r, 30,
		"openssl pkcs12 -in %1$s/out2/dev2.p12 -passin file:%1$s/w/pw "
		"-nodes -out %1$s/w/p12.pem",
		enr_dir);
	if (r.status) {
		cmd_free(&r);
		cmd_run(&r, 30,
			"openssl pkcs12 -legacy -in %1$s/out2/dev2.p12 "
			"-passin file:%1$s/w/pw -nodes -out %1$s/w/p12.pem",
			enr_dir);
		legacy = true;
	}
	fprintf(stderr, "pkcs12: opened %s -legacy\n",
		legacy ? "WITH" : "without");
	if (!ASSERT_EQ(r.status, 0, "openssl pkcs12 opens the bundle")) {
		fprintf(stderr, "%s", r.err);
		goto out;
	}
	cmd_free(&r);
	k1 = pubkey("pkey -in %s/w/%s -pubout", "p12.pem");
	k2 = pubkey("x509 -in %s/out2/%s -noout -pubkey", "dev2.pem");
	k3 = pubkey("pkey -in %s/out2/%s -pubout", "dev2.key");
	ASSERT_TRUE(k1 && k2 && !strcmp(k1, k2), "p12 key matches the cert");
	ASSERT_TRUE(k3 && k2 && !strcmp(k3, k2), "key file matches the cert");
	f1 = pubkey("x509 -in %s/w/%s -noout -fingerprint -sha256", "p12.pem");
	f2 = pubkey("x509 -in %s/out2/%s -noout -fingerprint -sha256",
		    "dev2.pem");
	ASSERT_TRUE(f1 && f2 && !strcmp(f1, f2), "p12 holds the cert");

	keytext = pubkey("pkey -in %s/out2/%s", "dev2.key");
	enr_tp(&r, "device enroll dev2 genkey out %1$s/out2 p12 %1$s/w/pw",
	       enr_dir);
	enr_refused(&r, "genkey again", w_exists);
	cmd_free(&r);
	again = pubkey("pkey -in %s/out2/%s", "dev2.key");
	ASSERT_TRUE(keytext && again && !strcmp(keytext, again),
		    "key not overwritten");
	if (enr_tp_ok(&r, "-j cert list device dev2")) {
		json_object *o = parse_one(r.out);

		ASSERT_EQ(json_object_array_length(o), 1, "still one cert");
		json_object_put(o);
	}
out:
	cmd_free(&r);
	free(k1);
	free(k2);
	free(k3);
	free(f1);
	free(f2);
	free(keytext);
	free(again);
}

static bool same(const char *got, const char *want, const char *what)
{
	bool ok = got && strlen(got) == strlen(want) && !strcmp(got, want);

	if (!ok)
		fprintf(stderr, "%s: got %zu bytes '%.80s', want %zu '%.80s'\n",
			what, got ? strlen(got) : 0, got ? got : "(null)",
			strlen(want), want);
	return ASSERT_TRUE(ok, what);
}

size_t enr_list_len(const char *obj)
{
	struct cmd_result r = {0};
	json_object *o;
	size_t n = (size_t)-1;

	if (enr_tp_ok(&r, "-j %s list", obj) && (o = parse_one(r.out))) {
		n = json_object_array_length(o);
		json_object_put(o);
	}
	cmd_free(&r);
	return n;
}

static void exotic_one(const char *name, bool as_owner)
{
	char *q = enr_shq(name);
	json_object *o = NULL, *p;
	struct cmd_result r = {0};

	if ((as_owner ? enr_tp_ok(&r, "user add %1$s name %1$s", q)
		      : enr_tp_ok(&r, "user add %s", q)) &&
	    (cmd_free(&r), enr_tp_ok(&r, "-j user show %s", q)) &&
	    (o = parse_one(r.out))) {
		same(enr_jstr(o, "account"), name, "user account");
		if (as_owner)
			same(enr_jstr(o, "name"), name, "user display name");
	}
	json_object_put(o);
	o = NULL;
	cmd_free(&r);

	if (!as_owner) /* long names: one per command line, owner alice */
		enr_tp_ok(&r, "device add %s owner alice", q);
	else
		enr_tp_ok(
			&r,
			"device add %1$s owner %1$s group %1$s prop model=%1$s",
			q);
	cmd_free(&r);
	if (enr_tp_ok(&r, "-j device show %s", q) && (o = parse_one(r.out))) {
		same(enr_jstr(o, "name"), name, "device name");
		if (as_owner) {
			same(enr_jstr(o, "owner"), name, "device owner");
			same(enr_jstr(o, "group"), name, "device group");
			p = json_object_object_get(o, "properties");
			same(enr_jstr(p, "model"), name, "device property");
		}
	}
	json_object_put(o);
	cmd_free(&r);
	if (enr_tp_ok(&r, "device show %s", q))
		ASSERT_TRUE(strstr(r.out, name), "text output holds the name");
	cmd_free(&r);
	free(q);
}

static void subtest_exotic_names(void)
{
	static const char *const names[] = {
		"O'Brien \"x\"",
		"emoji \xf0\x9f\x98\x80 rtl \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d "
		"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 cjk \xe6\xbc\xa2\xe5\xad\x97",
		"x'); DROP TABLE devices;--",
		"100% \\back\\\\slash %s %n \\'",
	};
	char long_name[4098 + 1], too_long[4098 + 2];
	char *q = NULL;
	struct cmd_result r = {0};
	json_object *o = NULL;
	size_t users, devs, found = 0;

	if (!enr_base("alice"))
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		exotic_one(names[i], true);
	/* 4096 bytes of two-byte characters: the limit is bytes */
	for (int i = 0; i < 4096; i += 2)
		memcpy(long_name + i, "\xc3\xa9", 2);
	long_name[4096] = 0;
	exotic_one(long_name, false);

	snprintf(too_long, sizeof(too_long), "%sx", long_name);
	q = enr_shq(too_long);
	users = enr_list_len("user");
	devs = enr_list_len("device");
	enr_tp(&r, "user add %s", q);
	enr_refused(&r, "4097-byte user", NULL);
	cmd_free(&r);
	enr_tp(&r, "device add %s owner alice", q);
	enr_refused(&r, "4097-byte device", NULL);
	cmd_free(&r);
	/* property values have the same limit */
	if (enr_tp_ok(&r, "device add propdev owner alice prop k=%s",
		      long_name)) {
		cmd_free(&r);
		if (enr_tp_ok(&r, "-j device show propdev") &&
		    (o = parse_one(r.out)))
			same(enr_jstr(json_object_object_get(o, "properties"),
				      "k"),
			     long_name, "4096-byte property value");
		json_object_put(o);
		o = NULL;
	}
	cmd_free(&r);
	enr_tp(&r, "device set propdev prop k=%sx", long_name);
	enr_refused(&r, "4097-byte property value", NULL);
	cmd_free(&r);
	devs++;
	ASSERT_EQ(enr_list_len("user"), users, "no 4097-byte user stored");
	ASSERT_EQ(enr_list_len("device"), devs, "no 4097-byte device stored");

	if (enr_tp_ok(&r, "-j device list") && (o = parse_one(r.out))) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			const char *n = enr_jstr(
				json_object_array_get_idx(o, i), "name");

			for (size_t j = 0;
			     n && j < sizeof(names) / sizeof(names[0]); j++)
				found += !strcmp(n, names[j]);
			found += n && !strcmp(n, long_name);
		}
	}
	ASSERT_EQ(found, 5, "device list has every exotic name");
	json_object_put(o);
	cmd_free(&r);
	if (enr_tp_ok(&r, "device list"))
		ASSERT_HAS_SUBSTR(r.out, names[2], "text list");
	cmd_free(&r);
	free(q);
}

void test_enroll(void)
{
	if (!enr_mkstate())
		return;
	if (test__start_subtest("ca_init"))
		subtest_ca_init();
	if (test__start_subtest("enroll_csr"))
		subtest_enroll_csr();
	if (test__start_subtest("enroll_bad_csr"))
		subtest_enroll_bad_csr();
	if (test__start_subtest("genkey_p12"))
		subtest_genkey_p12();
	if (test__start_subtest("exotic_names"))
		subtest_exotic_names();
	enr_rmstate();
}
