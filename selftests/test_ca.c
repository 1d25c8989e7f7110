// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_ca.c - the wolfCrypt CA against the real openssl CLI: CAs of each
 * algorithm carry the extensions a CA must, device certificates from
 * OpenSSL-made CSRs verify and show CN, SAN URI, EKU, key usage, AKI and
 * OCSP AIA; bad CSRs are refused with a reason; PKCS#12 bundles open;
 * server certificates carry DNS/IP SANs; an OpenSSL-made CA can be
 * imported and issued from; describe agrees with openssl; files are
 * written with the asked mode and never through a symlink.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/ca.h"
#include "test_progs.h"

static char tdir[128];

#define UUID "0f8fad5b-d9cb-469f-a165-70867728950e"
#define OCSP "http://127.0.0.1:8088/ocsp"

/* "a" + "b" in one of a few rotating buffers. */
static const char *cat(const char *a, const char *b)
{
	static char bufs[8][512];
	static int n;
	char *out = bufs[n++ % 8];

	snprintf(out, sizeof(bufs[0]), "%.250s%.250s", a, b);
	return out;
}

static const char *path(const char *name)
{
	char dir[160];

	snprintf(dir, sizeof(dir), "%s/", tdir);
	return cat(dir, name);
}

/* stdout of a shell command, trimmed, when it exits 0; else NULL. */
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
	struct cmd_result r;
	char cmd[4096], *out = NULL;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (cmd_run(&r, 60, "%s", cmd) == 0) {
		out = strdup(r.out);
		n = strlen(out);
		while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
			out[--n] = 0;
	} else if (env.verbose) {
		fprintf(stderr, "  `%s` failed: %s\n", cmd, r.err);
	}
	cmd_free(&r);
	return out;
}

static bool sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool sh_ok(const char *fmt, ...)
{
	struct cmd_result r;
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = cmd_run(&r, 60, "%s", cmd);
	cmd_free(&r);
	return st == 0;
}

static bool write_pem(const char *name, const uint8_t *der, size_t len)
{
	char *pem;
	size_t pem_len;
	bool ok;

	if (ca_cert_pem(der, len, &pem, &pem_len))
		return false;
	ok = !ca_write_file(path(name), pem, pem_len, 0644);
	free(pem);
	return ok;
}

static struct ca *load(const char *dir)
{
	char err[CA_ERR_LEN] = "";
	struct ca *ca = NULL;

	if (!ASSERT_OK(ca_load(path(dir), &ca, err), "ca_load"))
		fprintf(stderr, "    %s\n", err);
	return ca;
}

/* A device certificate signed by this CA's algorithm verifies. */
static void issue_and_verify(struct ca *ca, const char *dir)
{
	struct ca_device_req req = {"dev-1", UUID, 0, OCSP};
	char err[CA_ERR_LEN] = "", *key = NULL;
	struct ca_issued is = {};
	size_t key_len;

	if (!ASSERT_OK(ca_issue_with_key(ca, &req, CA_ALGO_ECDSA_P256, &is,
					 &key, &key_len, err),
		       "issue from this CA"))
		return;
	ASSERT_TRUE(write_pem("init-dev.pem", is.der, is.der_len), "write");
	ASSERT_TRUE(sh_ok("openssl verify -CAfile %s/ca.pem %s", dir,
			  path("init-dev.pem")),
		    "device cert verifies");
	ASSERT_STREQ(is.info.issuer, ca_dn(ca), "issuer is the CA's DN");
	ca_wipe_free(key, key_len);
	ca_issued_free(&is);
}

static void subtest_init(enum ca_algo algo)
{
	static const char *const want[] = {
		"X509v3 Basic Constraints: critical",
		"CA:TRUE",
		"Certificate Sign, CRL Sign",
		"X509v3 Subject Key Identifier",
		"X509v3 Authority Key Identifier",
		"Subject: O = Example, CN = Root",
	};
	char err[CA_ERR_LEN] = "", *text, *a, *b, sha[65], dir[512];
	struct ca_cert_info info;
	struct ca *ca;
	struct stat st;
	size_t i;

	/* path() buffers rotate: keep a copy of this one. */
	snprintf(dir, sizeof(dir), "%s", path(ca_algo_name(algo)));
	if (!ASSERT_OK(ca_init(dir, algo, "CN=Root,O=Example", 0, false, err),
		       "ca_init"))
		return fprintf(stderr, "    %s\n", err), (void)0;
	text = sh("openssl x509 -in %s/ca.pem -noout -text", dir);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ASSERT_HAS_SUBSTR(text, want[i], want[i]);
	free(text);
	ASSERT_TRUE(
		sh_ok("openssl verify -CAfile %s/ca.pem %s/ca.pem", dir, dir),
		"self-signed verifies");
	ASSERT_OK(stat(path(ca_algo_name(algo)), &st), "stat dir");
	ASSERT_EQ(st.st_mode & 07777, 0700, "dir mode");
	ASSERT_OK(lstat(cat(dir, "/ca.key"), &st), "stat key");
	ASSERT_EQ(st.st_mode & 07777, 0600, "key mode");
	/* The key file is what openssl reads as the certificate's key. */
	a = sh("openssl pkey -in %s/ca.key -pubout", dir);
	b = sh("openssl x509 -in %s/ca.pem -noout -pubkey", dir);
	ASSERT_TRUE(a && b && !strcmp(a, b), "ca.key matches ca.pem");
	free(a);
	free(b);

	ca = load(ca_algo_name(algo));
	if (!ca)
		return;
	ASSERT_STREQ(ca_dn(ca), "CN=Root,O=Example", "ca_dn");
	{
		size_t len;
		const uint8_t *der = ca_cert_der(ca, &len);

		ASSERT_OK(ca_cert_describe(der, len, &info, err), "describe");
	}
	ASSERT_STREQ(info.key_algo, ca_algo_name(algo), "key algo");
	ASSERT_TRUE(info.is_ca, "is_ca");
	ASSERT_FALSE(info.client_auth, "a CA: no clientAuth");
	ASSERT_EQ(strlen(info.ski), 40, "ski length");
	issue_and_verify(ca, dir);
	ca_free(ca);
	strcpy(sha, info.sha256);

	err[0] = 0;
	ASSERT_EQ(ca_init(dir, algo, "Other", 0, false, err), -EEXIST,
		  "init again without force");
	ASSERT_HAS_SUBSTR(err, "already exists", "EEXIST reason");
	ca = load(ca_algo_name(algo));
	if (ca) {
		size_t len;
		const uint8_t *der = ca_cert_der(ca, &len);

		ca_cert_describe(der, len, &info, err);
		ASSERT_STREQ(info.sha256, sha, "CA unchanged");
		ca_free(ca);
	}
	ASSERT_OK(ca_init(dir, algo, "Other", 0, true, err), "init with force");
	ca = load(ca_algo_name(algo));
	if (ca) {
		ASSERT_STREQ(ca_dn(ca), "CN=Other", "forced CA replaced");
		ca_free(ca);
	}
	/* A key readable by others is refused, not silently used. */
	chmod(cat(dir, "/ca.key"), 0644);
	ca = NULL;
	ASSERT_EQ(ca_load(dir, &ca, err), -EPERM, "world-readable key refused");
	ASSERT_HAS_SUBSTR(err, "chmod 600", "mode reason");
	chmod(cat(dir, "/ca.key"), 0600);
	ASSERT_EQ(ca_load(path("nonexistent"), &ca, err), -ENOENT, "no CA");
}

/* A CSR made by openssl with NEWKEY args, as PEM bytes. */
static uint8_t *make_csr(const char *name, const char *newkey, size_t *len)
{
	if (!sh_ok("openssl req -new -newkey %s -nodes -keyout %s.key "
		   "-out %s.csr -subj /CN=evil-subject 2>/dev/null",
		   newkey, path(name), path(name)))
		return NULL;
	return (uint8_t *)file_slurp(cat(path(name), ".csr"), len);
}

static void check_device_cert(const char *name, const struct ca_issued *is,
			      bool ocsp)
{
	static const char *const want[] = {
		"Subject: CN = dev-1",
		"URI:urn:trustpoint:device:" UUID,
		"TLS Web Client Authentication",
		"Digital Signature",
		"X509v3 Authority Key Identifier",
	};
	char *text, *serial;
	size_t i;

	if (!ASSERT_TRUE(write_pem(name, is->der, is->der_len), "write pem"))
		return;
	ASSERT_TRUE(
		sh_ok("openssl verify -CAfile %s/ca.pem -purpose sslclient %s",
		      path("dev-ca"), path(name)),
		"openssl verify");
	text = sh("openssl x509 -in %s -noout -text", path(name));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ASSERT_HAS_SUBSTR(text, want[i], want[i]);
	if (ocsp)
		ASSERT_HAS_SUBSTR(text, "OCSP - URI:" OCSP, "OCSP AIA");
	else
		ASSERT_FALSE(text && strstr(text, "Authority Information"),
			     "no AIA without a URL");
	ASSERT_FALSE(text && strstr(text, "evil-subject"),
		     "CSR subject ignored");
	free(text);
	serial = sh("openssl x509 -in %s -noout -serial", path(name));
	ASSERT_TRUE(serial && !strcasecmp(serial + 7, is->info.serial),
		    "serial as openssl prints it");
	ASSERT_GE(strlen(is->info.serial), 16, "serial >= 64 bits");
	free(serial);
}

static void subtest_csr(void)
{
	static const struct {
		const char *name, *newkey, *algo;
	} csrs[] = {
		{"csr-p256", "ec -pkeyopt ec_paramgen_curve:P-256",
		 "ecdsa-p256"},
		{"csr-p384", "ec -pkeyopt ec_paramgen_curve:P-384",
		 "ecdsa-p384"},
		{"csr-ed25519", "ed25519", "ed25519"},
		{"csr-rsa", "rsa:2048", "rsa-2048"},
	};
	struct ca_device_req req = {"dev-1", UUID, 30, OCSP};
	struct ca_issued a = {}, b = {};
	char err[CA_ERR_LEN] = "", pem[64];
	struct ca *ca;
	uint8_t *csr;
	size_t len, i;

	if (!ASSERT_OK(ca_init(path("dev-ca"), CA_ALGO_ECDSA_P256, "Dev CA", 0,
			       false, err),
		       "ca_init"))
		return;
	ca = load("dev-ca");
	if (!ca)
		return;
	for (i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
		csr = make_csr(csrs[i].name, csrs[i].newkey, &len);
		if (!ASSERT_OK_PTR(csr, csrs[i].name))
			continue;
		err[0] = 0;
		if (ASSERT_OK(ca_issue_from_csr(ca, &req, csr, len, &a, err),
			      csrs[i].name)) {
			ASSERT_STREQ(a.info.key_algo, csrs[i].algo, "key algo");
			snprintf(pem, sizeof(pem), "%s.pem", csrs[i].name);
			check_device_cert(pem, &a, true);
			/* The certificate is for the CSR's key. */
			ASSERT_TRUE(
				sh_ok("test \"$(openssl x509 -in %s -noout -pubkey)\" = "
				      "\"$(openssl pkey -in %s.key -pubout)\"",
				      path(pem), path(csrs[i].name)),
				"certificate holds the CSR key");
		} else {
			fprintf(stderr, "    %s\n", err);
		}
		ca_issued_free(&a);
		free(csr);
	}
	/* Two issues from one CSR: different serials; no URL: no AIA. */
	csr = make_csr("csr-p256", "ec -pkeyopt ec_paramgen_curve:P-256", &len);
	req.ocsp_url = NULL;
	if (csr &&
	    ASSERT_OK(ca_issue_from_csr(ca, &req, csr, len, &a, err), "a") &&
	    ASSERT_OK(ca_issue_from_csr(ca, &req, csr, len, &b, err), "b")) {
		ASSERT_TRUE(strcmp(a.info.serial, b.info.serial),
			    "serials differ");
		check_device_cert("noocsp.pem", &b, false);
		ASSERT_EQ(b.info.not_after - b.info.not_before, 31 * 86400,
			  "validity: the day before plus 30 days");
	}
	req.ocsp_url = "ftp://x/ocsp";
	ASSERT_ERR(ca_issue_from_csr(ca, &req, csr, len, &a, err), "bad url");
	req.ocsp_url = OCSP;
	req.uuid = "not-a-uuid";
	ASSERT_ERR(ca_issue_from_csr(ca, &req, csr, len, &a, err), "bad uuid");
	req.uuid = UUID;
	req.name =
		"0123456789012345678901234567890123456789012345678901234567890123";
	ASSERT_ERR(ca_issue_from_csr(ca, &req, csr, len, &a, err), "long CN");
	ASSERT_HAS_SUBSTR(err, "CN", "long CN reason");
	free(csr);
	ca_issued_free(&a);
	ca_issued_free(&b);
	ca_free(ca);
}

/* ca_issue_from_csr must refuse (csr, len) with a reason containing why. */
static void refused(struct ca *ca, const char *what, const uint8_t *csr,
		    size_t len, const char *why)
{
	struct ca_device_req req = {"dev-1", UUID, 0, NULL};
	struct ca_issued out = {};
	char err[CA_ERR_LEN] = "";

	if (!ASSERT_ERR(ca_issue_from_csr(ca, &req, csr, len, &out, err), what))
		ca_issued_free(&out);
	ASSERT_TRUE(out.der == NULL, "nothing issued");
	ASSERT_HAS_SUBSTR(err, why, what);
}

static void subtest_csr_refused(void)
{
	static const char *const flips[] = {
		"ec -pkeyopt ec_paramgen_curve:P-256", "ed25519", "rsa:2048"};
	uint8_t *csr, *der, garbage[300];
	size_t len, der_len, i;
	struct ca *ca = load("dev-ca");

	if (!ca)
		return;
	for (i = 0; i < 3; i++) {
		csr = make_csr("flip", flips[i], &len);
		sh_ok("openssl req -in %s.csr -outform DER -out %s.der",
		      path("flip"), path("flip"));
		der = (uint8_t *)file_slurp(cat(path("flip"), ".der"),
					    &der_len);
		if (ASSERT_GT(der_len, 100, "csr der")) {
			/* The unchanged DER is accepted: the flip is the cause.
			 */
			struct ca_device_req req = {"dev-1", UUID, 0, NULL};
			struct ca_issued ok = {};
			char err[CA_ERR_LEN];

			ASSERT_OK(ca_issue_from_csr(ca, &req, der, der_len, &ok,
						    err),
				  "untouched DER CSR");
			ca_issued_free(&ok);
			der[der_len - 2] ^= 0x01; /* in the signature */
			refused(ca, "flipped signature byte", der, der_len,
				"does not verify");
			der[der_len - 2] ^= 0x01;
			/* "evil-subject" becomes "dvil-subject": still a CSR */
			uint8_t *e = memmem(der, der_len, "evil", 4);

			if (ASSERT_OK_PTR(e, "subject in DER")) {
				*e ^= 0x01;
				refused(ca, "flipped subject byte", der,
					der_len, "does not verify");
				*e ^= 0x01;
			}
			refused(ca, "truncated DER", der, der_len - 10,
				"request");
		}
		free(csr);
		free(der);
	}
	csr = make_csr("weak", "rsa:1024", &len);
	refused(ca, "RSA 1024", csr, len, "too weak");
	free(csr);
	csr = make_csr("p521", "ec -pkeyopt ec_paramgen_curve:P-521", &len);
	refused(ca, "P-521", csr, len, "not accepted");
	free(csr);
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = i * 37 + 11;
	refused(ca, "garbage", garbage, sizeof(garbage), "request");
	garbage[0] = 0x30;
	garbage[1] = 0x82;
	refused(ca, "garbage with a SEQUENCE tag", garbage, sizeof(garbage),
		"request");
	refused(ca, "empty", garbage, 0, "empty");
	refused(ca, "PEM without a block",
		(const uint8_t *)"-----BEGIN CERTIFICATE REQUEST-----\n!!\n",
		40, "request");
	csr = (uint8_t *)file_slurp(path("csr-p256.pem"), &len);
	refused(ca, "a PEM certificate", csr, len, "found CERTIFICATE");
	free(csr);
	sh_ok("openssl x509 -in %s -outform DER -out %s", path("csr-p256.pem"),
	      path("cert.der"));
	csr = (uint8_t *)file_slurp(path("cert.der"), &len);
	refused(ca, "a DER certificate", csr, len, "not a certificate request");
	free(csr);
	ca_free(ca);
}

static void subtest_pkcs12(void)
{
	struct ca_device_req req = {"dev-1", UUID, 0, OCSP};
	char err[CA_ERR_LEN] = "", *key = NULL, *key2 = NULL, *a, *b;
	size_t key_len, key2_len, p12_len;
	struct ca_issued is = {}, is2 = {};
	uint8_t *p12 = NULL;
	struct ca *ca = load("dev-ca");

	if (!ca)
		return;
	if (!ASSERT_OK(ca_issue_with_key(ca, &req, CA_ALGO_ECDSA_P256, &is,
					 &key, &key_len, err),
		       "issue_with_key"))
		goto out;
	ASSERT_HAS_SUBSTR(key, "-----BEGIN PRIVATE KEY-----", "PKCS#8 PEM");
	check_device_cert("gen.pem", &is, true);
	ca_write_file(path("gen.key"), key, key_len, 0600);
	if (!ASSERT_OK(ca_pkcs12(ca, key, key_len, is.der, is.der_len,
				 "s3cret pw", &p12, &p12_len, err),
		       "ca_pkcs12"))
		goto out;
	ca_write_file(path("gen.p12"), p12, p12_len, 0600);
	/* wolfSSL's 3DES PBE opens with OpenSSL 3's default provider. */
	a = sh("openssl pkcs12 -in %s -passin 'pass:s3cret pw' -nodes",
	       path("gen.p12"));
	ASSERT_HAS_SUBSTR(a, "-----BEGIN PRIVATE KEY-----",
			  "p12 key (default)");
	ASSERT_HAS_SUBSTR(a, "subject=CN = dev-1", "p12 device cert");
	ASSERT_HAS_SUBSTR(a, "subject=CN = Dev CA", "p12 CA cert");
	free(a);
	ASSERT_TRUE(
		sh_ok("openssl pkcs12 -legacy -in %s -passin 'pass:s3cret pw' "
		      "-nodes",
		      path("gen.p12")),
		"p12 opens with -legacy");
	ASSERT_FALSE(sh_ok("openssl pkcs12 -in %s -passin pass:wrong -nodes",
			   path("gen.p12")),
		     "wrong password refused");
	a = sh("openssl pkcs12 -in %s -passin 'pass:s3cret pw' -nodes -nocerts | "
	       "openssl pkey -pubout",
	       path("gen.p12"));
	b = sh("openssl x509 -in %s -noout -pubkey", path("gen.pem"));
	ASSERT_TRUE(a && b && !strcmp(a, b), "p12 key matches the certificate");
	free(a);
	free(b);
	ASSERT_TRUE(
		sh_ok("test \"$(openssl pkey -in %s -pubout)\" = \"$(openssl "
		      "x509 -in %s -noout -pubkey)\"",
		      path("gen.key"), path("gen.pem")),
		"PEM key matches the certificate");

	/* Another key with this certificate: refused. */
	free(p12);
	p12 = NULL;
	if (ASSERT_OK(ca_issue_with_key(ca, &req, CA_ALGO_ECDSA_P384, &is2,
					&key2, &key2_len, err),
		      "second key")) {
		ASSERT_EQ(ca_pkcs12(ca, key2, key2_len, is.der, is.der_len,
				    "pw", &p12, &p12_len, err),
			  -EINVAL, "key mismatch");
		ASSERT_STREQ(is2.info.key_algo, "ecdsa-p384",
			     "p384 device key");
		ca_wipe_free(key2, key2_len);
		ca_issued_free(&is2);
	}
	/* Ed25519: the certificate works; wolfSSL 5.5.4 cannot make its p12. */
	if (ASSERT_OK(ca_issue_with_key(ca, &req, CA_ALGO_ED25519, &is2, &key2,
					&key2_len, err),
		      "ed25519 key")) {
		check_device_cert("gen-ed.pem", &is2, true);
		ASSERT_EQ(ca_pkcs12(ca, key2, key2_len, is2.der, is2.der_len,
				    "pw", &p12, &p12_len, err),
			  -EOPNOTSUPP, "ed25519 p12 refused");
		ca_wipe_free(key2, key2_len);
		ca_issued_free(&is2);
	}
out:
	ca_wipe_free(key, key ? key_len : 0);
	free(p12);
	ca_issued_free(&is);
	ca_free(ca);
}

static void subtest_server(void)
{
	const char *sans[] = {"gw.example", "192.0.2.1", "ip:2001:db8:1::1",
			      "dns:tp.example"};
	const char *bad[] = {"ip:192.0.2.300"};
	char err[CA_ERR_LEN] = "", *key = NULL, *text;
	struct ca_issued is = {};
	size_t key_len;
	struct ca *ca = load("dev-ca");

	if (!ca)
		return;
	if (!ASSERT_OK(ca_issue_server(ca, "gw.example", sans, 4, 90,
				       CA_ALGO_ECDSA_P256, &is, &key, &key_len,
				       err),
		       "issue_server"))
		goto out;
	write_pem("srv.pem", is.der, is.der_len);
	ca_write_file(path("srv.key"), key, key_len, 0600);
	text = sh("openssl x509 -in %s -noout -text", path("srv.pem"));
	ASSERT_HAS_SUBSTR(text, "TLS Web Server Authentication", "EKU");
	ASSERT_HAS_SUBSTR(text, "DNS:gw.example", "SAN DNS");
	ASSERT_HAS_SUBSTR(text, "DNS:tp.example", "SAN dns:");
	ASSERT_HAS_SUBSTR(text, "IP Address:192.0.2.1", "SAN IPv4");
	ASSERT_HAS_SUBSTR(text, "IP Address:2001:DB8:1:0:0:0:0:1", "SAN IPv6");
	ASSERT_HAS_SUBSTR(text, "Digital Signature", "key usage");
	ASSERT_FALSE(text && strstr(text, "Client Authentication"),
		     "no clientAuth");
	ASSERT_FALSE(is.info.client_auth, "described without clientAuth");
	free(text);
	ASSERT_TRUE(sh_ok("openssl verify -CAfile %s/ca.pem -purpose sslserver "
			  "-verify_hostname gw.example %s",
			  path("dev-ca"), path("srv.pem")),
		    "verify as server for its name");
	ASSERT_TRUE(sh_ok("openssl verify -CAfile %s/ca.pem -purpose sslserver "
			  "-verify_ip 192.0.2.1 %s",
			  path("dev-ca"), path("srv.pem")),
		    "verify as server for its IP");
	ASSERT_FALSE(
		sh_ok("openssl verify -CAfile %s/ca.pem -purpose sslclient %s",
		      path("dev-ca"), path("srv.pem")),
		"not a client cert");
	ca_wipe_free(key, key_len);
	key = NULL;
	ca_issued_free(&is);
	ASSERT_EQ(ca_issue_server(ca, "gw", bad, 1, 0, CA_ALGO_ED25519, &is,
				  &key, &key_len, err),
		  -EINVAL, "bad SAN refused");
	ASSERT_HAS_SUBSTR(err, "IP address", "bad SAN reason");
out:
	ca_wipe_free(key, key ? key_len : 0);
	ca_issued_free(&is);
	ca_free(ca);
}

static void subtest_import(void)
{
	struct ca_device_req req = {"dev-1", UUID, 0, OCSP};
	char err[CA_ERR_LEN] = "", *subj;
	struct ca_issued is = {};
	struct ca *ca;
	uint8_t *csr;
	size_t len;

	if (!ASSERT_TRUE(
		    sh_ok("cd %s && openssl req -x509 -newkey rsa:2048 -nodes "
			  "-keyout ent.key -out ent.pem -days 30 "
			  "-subj '/C=DE/O=Enterprise\\, Inc./CN=Ent Root' "
			  "-addext basicConstraints=critical,CA:TRUE "
			  "-addext keyUsage=critical,keyCertSign,cRLSign",
			  tdir),
		    "openssl CA"))
		return;
	ASSERT_EQ(ca_import(path("imp"), path("ent.pem"), path("csr-p256.key"),
			    NULL, false, err),
		  -EINVAL, "wrong key refused");
	ASSERT_HAS_SUBSTR(err, "does not belong", "wrong key reason");
	ASSERT_EQ(ca_import(path("imp"), path("csr-p256.pem"),
			    path("csr-p256.key"), NULL, false, err),
		  -EINVAL, "non-CA refused");
	ASSERT_HAS_SUBSTR(err, "not a CA", "non-CA reason");
	if (!ASSERT_OK(ca_import(path("imp"), path("ent.pem"), path("ent.key"),
				 path("ent.pem"), false, err),
		       "ca_import"))
		return fprintf(stderr, "    %s\n", err), (void)0;
	ASSERT_EQ(ca_import(path("imp"), path("ent.pem"), path("ent.key"), NULL,
			    false, err),
		  -EEXIST, "import again without force");
	ASSERT_TRUE(sh_ok("test -s %s/chain.pem", path("imp")), "chain kept");
	ca = load("imp");
	if (!ca)
		return;
	subj = sh("openssl x509 -in %s -noout -subject -nameopt RFC2253",
		  path("ent.pem"));
	ASSERT_TRUE(subj && !strcmp(subj + 8, ca_dn(ca)), "dn as openssl");
	csr = make_csr("imp-dev", "ec -pkeyopt ec_paramgen_curve:P-256", &len);
	if (ASSERT_OK(ca_issue_from_csr(ca, &req, csr, len, &is, err),
		      "issue")) {
		write_pem("imp-dev.pem", is.der, is.der_len);
		ASSERT_TRUE(sh_ok("openssl verify -CAfile %s %s",
				  path("ent.pem"), path("imp-dev.pem")),
			    "verifies against ent CA");
		ASSERT_STREQ(is.info.issuer, subj ? subj + 8 : "", "issuer DN");
		ASSERT_TRUE(
			sh_ok("openssl x509 -in %s -noout -text | grep -q "
			      "'Signature Algorithm: sha256WithRSAEncryption'",
			      path("imp-dev.pem")),
			"RSA-signed");
	}
	free(subj);
	free(csr);
	ca_issued_free(&is);
	ca_free(ca);
}

/* A self-signed certificate with extension ext (or none): clientAuth? */
static void describe_eku(const char *ext, bool want)
{
	char err[CA_ERR_LEN] = "";
	struct ca_cert_info i;
	uint8_t *pem;
	size_t len;

	if (!ASSERT_TRUE(sh_ok("openssl req -x509 -newkey ec -pkeyopt "
			       "ec_paramgen_curve:P-256 -nodes -keyout %s "
			       "-out %s -subj /CN=eku -days 1 %s%s",
			       path("eku.key"), path("eku.pem"),
			       ext ? "-addext " : "", ext ? ext : ""),
			 "openssl req -x509"))
		return;
	pem = (uint8_t *)file_slurp(path("eku.pem"), &len);
	if (ASSERT_OK(ca_cert_describe(pem, len, &i, err), "describe"))
		ASSERT_EQ(i.client_auth, want, ext ? ext : "no EKU");
	free(pem);
}

static void subtest_describe(void)
{
	char err[CA_ERR_LEN] = "", *s, fp[128];
	struct ca_cert_info i;
	uint8_t *pem, *der;
	size_t len, der_len, k, n;

	sh_ok("openssl x509 -in %s -outform DER -out %s", path("csr-rsa.pem"),
	      path("d.der"));
	pem = (uint8_t *)file_slurp(path("csr-rsa.pem"), &len);
	der = (uint8_t *)file_slurp(path("d.der"), &der_len);
	if (!ASSERT_OK(ca_cert_describe(pem, len, &i, err), "describe pem"))
		goto out;
	s = sh("openssl x509 -in %s -noout -subject -nameopt RFC2253",
	       path("csr-rsa.pem"));
	ASSERT_TRUE(s && !strcmp(s + 8, i.subject), "subject");
	free(s);
	s = sh("openssl x509 -in %s -noout -issuer -nameopt RFC2253",
	       path("csr-rsa.pem"));
	ASSERT_TRUE(s && !strcmp(s + 7, i.issuer), "issuer");
	free(s);
	s = sh("openssl x509 -in %s -noout -serial", path("csr-rsa.pem"));
	ASSERT_TRUE(s && !strcasecmp(s + 7, i.serial), "serial");
	free(s);
	s = sh("openssl x509 -in %s -noout -fingerprint -sha256",
	       path("csr-rsa.pem"));
	/* "sha256 Fingerprint=AB:CD:..." */
	for (k = s && strchr(s, '=') ? strchr(s, '=') - s + 1 : 0, n = 0;
	     s && s[k] && n < sizeof(fp) - 1; k++)
		if (s[k] != ':')
			fp[n++] = s[k];
	fp[n] = 0;
	ASSERT_TRUE(s && !strcasecmp(fp, i.sha256), "sha256");
	free(s);
	s = sh("date -u +%%s -d \"$(openssl x509 -in %s -noout -enddate | "
	       "cut -d= -f2)\"",
	       path("csr-rsa.pem"));
	ASSERT_TRUE(s && atoll(s) == i.not_after, "not_after");
	free(s);
	s = sh("openssl x509 -in %s -noout -ext subjectKeyIdentifier | tail -1 | "
	       "tr -d ' :' | tr A-F a-f",
	       path("csr-rsa.pem"));
	ASSERT_TRUE(s && !strcmp(s, i.ski), "ski");
	free(s);
	ASSERT_STREQ(i.key_algo, "rsa-2048", "key algo");
	ASSERT_FALSE(i.is_ca, "not a CA");
	ASSERT_TRUE(i.client_auth, "a device certificate: clientAuth");
	describe_eku("extendedKeyUsage=serverAuth,clientAuth", true);
	describe_eku("extendedKeyUsage=serverAuth", false);
	describe_eku("extendedKeyUsage=anyExtendedKeyUsage", false);
	describe_eku(NULL, false);
	{
		struct ca_cert_info j;

		ASSERT_OK(ca_cert_describe(der, der_len, &j, err),
			  "describe der");
		ASSERT_STREQ(j.sha256, i.sha256, "same cert from DER");
		ASSERT_ERR(ca_cert_describe(der, der_len - 1, &j, err),
			   "truncated");
		der[der_len / 2] = 0xff;
		ca_cert_describe(der, der_len, &j, err); /* must not crash */
	}
	ASSERT_ERR(ca_cert_describe((const uint8_t *)"garbage", 7, &i, err),
		   "garbage");
	ASSERT_HAS_SUBSTR(err, "X.509", "garbage reason");
out:
	free(pem);
	free(der);
}

static void subtest_write_file(void)
{
	struct stat st;
	mode_t old = umask(0);
	size_t len;
	uint8_t *b;

	ASSERT_OK(ca_write_file(path("w1"), "one", 3, 0600), "write");
	ASSERT_OK(stat(path("w1"), &st), "stat");
	ASSERT_EQ(st.st_mode & 07777, 0600, "mode 0600 under umask 0");
	umask(0077);
	ASSERT_OK(ca_write_file(path("w1"), "two", 3, 0644), "replace");
	ASSERT_OK(stat(path("w1"), &st), "stat");
	ASSERT_EQ(st.st_mode & 07777, 0644, "mode 0644 under umask 077");
	umask(old);
	b = (uint8_t *)file_slurp(path("w1"), &len);
	ASSERT_TRUE(len == 3 && !memcmp(b, "two", 3), "content replaced");
	free(b);
	ASSERT_OK(symlink(path("w1"), path("w2")), "symlink");
	ASSERT_EQ(ca_write_file(path("w2"), "evil", 4, 0600), -ELOOP,
		  "symlink refused");
	b = (uint8_t *)file_slurp(path("w1"), &len);
	ASSERT_TRUE(len == 3 && !memcmp(b, "two", 3), "link target untouched");
	free(b);
	ASSERT_TRUE(sh_ok("test -z \"$(ls -a %s | grep tmp-)\"", tdir),
		    "no temporary files left");
}

void test_ca(void)
{
	enum ca_algo a;
	char name[32];

	snprintf(tdir, sizeof(tdir), "/tmp/tp-ca-%s-XXXXXX", env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(tdir), "mkdtemp"))
		return;
	for (a = CA_ALGO_ECDSA_P256; a <= CA_ALGO_ED25519; a++) {
		snprintf(name, sizeof(name), "init_%s", ca_algo_name(a));
		if (test__start_subtest(name))
			subtest_init(a);
	}
	/* The subtests below share the CA and files made in "csr". */
	if (test__start_subtest("csr"))
		subtest_csr();
	if (test__start_subtest("csr_refused"))
		subtest_csr_refused();
	if (test__start_subtest("pkcs12"))
		subtest_pkcs12();
	if (test__start_subtest("server"))
		subtest_server();
	if (test__start_subtest("import"))
		subtest_import();
	if (test__start_subtest("describe"))
		subtest_describe();
	if (test__start_subtest("write_file"))
		subtest_write_file();
	SYS_NOFAIL("rm -rf '%s'", tdir);
}
