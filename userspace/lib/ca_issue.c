// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_issue.c - making certificates: the CA's own (self-signed), device
 * certificates and the gateway's TLS server certificate. wolfSSL's
 * wc_MakeCert_ex builds the TBSCertificate with basicConstraints, key
 * usage, EKU, SKI, AKI and the SAN (which we DER-encode: its string API
 * only reads SANs out of other certificates). It has no setter for the
 * Authority Information Access extension in 5.5.4 (wc_SetCustomExtension
 * came later), so the AIA OCSP entry is appended to the TBS extensions
 * here, before wc_SignCert_ex signs the result; so is a critical
 * basicConstraints on CA certificates.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ca_int.h"

#define URL_MAX 1024
#define URN_PREFIX "urn:trustpoint:device:"

/* 128 bits from the RNG, positive and without a leading zero byte, so
 * the DER INTEGER is exactly 16 bytes and never zero. */
static int set_serial(Cert *cert, WC_RNG *rng)
{
	if (wc_RNG_GenerateBlock(rng, cert->serial, 16))
		return -EIO;
	cert->serial[0] &= 0x7f;
	if (!cert->serial[0])
		cert->serial[0] = 0x01;
	cert->serialSz = 16;
	return 0;
}

/* Extension { id-pe-authorityInfoAccess, OCTET STRING { SEQUENCE {
 *   AccessDescription { id-ad-ocsp, [6] IA5String url } } } } */
static size_t aia_ext(const char *url, uint8_t *out)
{
	static const uint8_t id_pe_aia[] = {0x06, 0x08, 0x2b, 0x06, 0x01,
					    0x05, 0x05, 0x07, 0x01, 0x01};
	static const uint8_t id_ad_ocsp[] = {0x06, 0x08, 0x2b, 0x06, 0x01,
					     0x05, 0x05, 0x07, 0x30, 0x01};
	size_t ulen = strlen(url), n = 0, gn, ad, seq, oct;
	uint8_t h[8];

	gn = der_hdr(h, 0x86, ulen) + ulen;
	ad = der_hdr(h, 0x30, sizeof(id_ad_ocsp) + gn) + sizeof(id_ad_ocsp) +
	     gn;
	seq = der_hdr(h, 0x30, ad) + ad;
	oct = der_hdr(h, 0x04, seq) + seq;
	n += der_hdr(out + n, 0x30, sizeof(id_pe_aia) + oct);
	memcpy(out + n, id_pe_aia, sizeof(id_pe_aia));
	n += sizeof(id_pe_aia);
	n += der_hdr(out + n, 0x04, seq);
	n += der_hdr(out + n, 0x30, ad);
	n += der_hdr(out + n, 0x30, sizeof(id_ad_ocsp) + gn);
	memcpy(out + n, id_ad_ocsp, sizeof(id_ad_ocsp));
	n += sizeof(id_ad_ocsp);
	n += der_hdr(out + n, 0x86, ulen);
	memcpy(out + n, url, ulen);
	return n + ulen;
}

static bool url_ok(const char *url)
{
	const char *p;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return false;
	for (p = url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return p - url <= URL_MAX && !strchr(url, '"');
}

/*
 * Append one extension to the [3] extensions of a TBSCertificate in buf
 * (tbs_len bytes, cap available). Returns the new length or -errno.
 */
static int tbs_add_ext(uint8_t *buf, size_t tbs_len, size_t cap,
		       const uint8_t *ext, size_t ext_len)
{
	struct der d = {buf, buf + tbs_len}, tbs, wrap, exts;
	const uint8_t *content, *a3 = NULL;
	size_t pre_len, seq_len, wrap_len, tbs_content, n;
	uint8_t h[8], *out;
	int tag;

	if (der_get(&d, 0x30, NULL, &tbs))
		return -EBADMSG;
	content = tbs.p;
	while (!a3 && tbs.p < tbs.end) {
		const uint8_t *at = tbs.p;

		if (der_get(&tbs, -1, &tag, &wrap))
			return -EBADMSG;
		if (tag == 0xa3)
			a3 = at;
	}
	if (!a3 || tbs.p != tbs.end || der_get(&wrap, 0x30, NULL, &exts))
		return -EBADMSG;
	pre_len = a3 - content;
	seq_len = exts.end - exts.p + ext_len;
	wrap_len = der_hdr(h, 0x30, seq_len) + seq_len;
	tbs_content = pre_len + der_hdr(h, 0xa3, wrap_len) + wrap_len;
	if (der_hdr(h, 0x30, tbs_content) + tbs_content > cap)
		return -ENOBUFS;
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	n = der_hdr(out, 0x30, tbs_content);
	memcpy(out + n, content, pre_len);
	n += pre_len;
	n += der_hdr(out + n, 0xa3, wrap_len);
	n += der_hdr(out + n, 0x30, seq_len);
	memcpy(out + n, exts.p, exts.end - exts.p);
	n += exts.end - exts.p;
	memcpy(out + n, ext, ext_len);
	n += ext_len;
	memcpy(buf, out, n);
	free(out);
	return n;
}

/* Make the TBS for subject's key, add ext if any, sign with signer. */
static int make_and_sign(Cert *cert, struct ca_key *subject,
			 struct ca_key *signer, WC_RNG *rng, const uint8_t *ext,
			 size_t ext_len, uint8_t **der, size_t *der_len)
{
	size_t cap = CA_CERT_MAX + ext_len;
	uint8_t *buf = malloc(cap);
	int ret, sig = ca_key_sig_type(signer);

	if (!buf)
		return -ENOMEM;
	if (sig < 0) {
		ret = sig;
		goto fail;
	}
	cert->sigType = sig;
	ret = wc_MakeCert_ex(cert, buf, cap, subject->type, &subject->k, rng);
	if (ret < 0) {
		ret = ca_wc_err(ret);
		goto fail;
	}
	if (ext_len) {
		ret = tbs_add_ext(buf, ret, cap, ext, ext_len);
		if (ret < 0)
			goto fail;
	}
	ret = wc_SignCert_ex(ret, sig, buf, cap, signer->type, &signer->k, rng);
	if (ret < 0) {
		ret = ca_wc_err(ret);
		goto fail;
	}
	*der = buf;
	*der_len = ret;
	return 0;
fail:
	free(buf);
	return ret;
}

int ca_self_sign(struct ca_key *key, Cert *cert, WC_RNG *rng, uint8_t **der,
		 size_t *der_len, char err[CA_ERR_LEN])
{
	/* basicConstraints, critical, CA:TRUE. wolfSSL 5.5.4 writes it
	 * without the critical flag RFC 5280 4.2.1.9 asks for on a CA, so
	 * cert->isCA stays 0 and this one is added instead. */
	static const uint8_t bc_ca[] = {0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
					0x13, 0x01, 0x01, 0xff, 0x04, 0x05,
					0x30, 0x03, 0x01, 0x01, 0xff};
	int ret;

	cert->isCA = 0;
	cert->selfSigned = 1;
	ret = set_serial(cert, rng);
	ret = ret ?: wc_SetKeyUsage(cert, "keyCertSign,cRLSign");
	ret = ret
		      ?: wc_SetSubjectKeyIdFromPublicKey_ex(cert, key->type,
							    &key->k);
	ret = ret ?: wc_SetAuthKeyIdFromPublicKey_ex(cert, key->type, &key->k);
	if (ret) {
		ca_errf(err, "cannot prepare the CA certificate");
		return ret < 0 && ret > -4096 ? ret : ca_wc_err(ret);
	}
	ret = make_and_sign(cert, key, key, rng, bc_ca, sizeof(bc_ca), der,
			    der_len);
	if (ret)
		ca_errf(err, "cannot sign the CA certificate: %s",
			strerror(-ret));
	return ret;
}

int ca_sign_cert(struct ca *ca, Cert *cert, struct ca_key *subject_key,
		 const char *ocsp_url, struct ca_issued *out,
		 char err[CA_ERR_LEN])
{
	uint8_t ext[URL_MAX + 64];
	size_t ext_len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (ocsp_url && *ocsp_url) {
		if (!url_ok(ocsp_url)) {
			ca_errf(err,
				"OCSP URL must be http(s)://, printable, "
				"at most %d bytes",
				URL_MAX);
			return -EINVAL;
		}
		ext_len = aia_ext(ocsp_url, ext);
	}
	cert->selfSigned = 0;
	if (set_serial(cert, &ca->rng) ||
	    wc_SetIssuerRaw(cert, ca->der, ca->der_len) ||
	    wc_SetAuthKeyIdFromCert(cert, ca->der, ca->der_len) ||
	    wc_SetSubjectKeyIdFromPublicKey_ex(cert, subject_key->type,
					       &subject_key->k)) {
		ca_errf(err, "cannot prepare the certificate");
		return -EIO;
	}
	ret = make_and_sign(cert, subject_key, &ca->key, &ca->rng, ext, ext_len,
			    &out->der, &out->der_len);
	if (ret) {
		ca_errf(err, "cannot sign the certificate: %s", strerror(-ret));
		return ret;
	}
	ret = ca_cert_describe(out->der, out->der_len, &out->info, err);
	if (ret)
		ca_issued_free(out);
	return ret;
}

void ca_issued_free(struct ca_issued *c)
{
	if (!c)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}

/* What every issued certificate shares: CN and validity. */
static int base_cert(Cert **certp, const char *name, unsigned int days,
		     unsigned int def_days, char err[CA_ERR_LEN])
{
	Cert *cert;
	size_t len = name ? strlen(name) : 0;

	if (!len) {
		ca_errf(err, "empty name");
		return -EINVAL;
	}
	if (len >= CTC_NAME_SIZE) {
		ca_errf(err,
			"name longer than %d bytes cannot be a certificate's "
			"CN",
			CTC_NAME_SIZE - 1);
		return -ENAMETOOLONG;
	}
	if (days > 36500) {
		ca_errf(err, "days must be at most 36500");
		return -EINVAL;
	}
	cert = wc_CertNew(NULL);
	if (!cert)
		return -ENOMEM;
	memcpy(cert->subject.commonName, name, len + 1);
	cert->subject.commonNameEnc = CTC_UTF8;
	cert->daysValid = days ? days : def_days;
	cert->isCA = 0;
	*certp = cert;
	return 0;
}

/* Append one GeneralName [tag] value to the SAN being built in cert. */
static int san_add(Cert *cert, int tag, const void *val, size_t len)
{
	uint8_t h[8];
	size_t hl = der_hdr(h, tag, len);

	if (cert->altNamesSz + hl + len + 8 > sizeof(cert->altNames))
		return -E2BIG;
	memcpy(cert->altNames + cert->altNamesSz, h, hl);
	memcpy(cert->altNames + cert->altNamesSz + hl, val, len);
	cert->altNamesSz += hl + len;
	return 0;
}

/* Wrap the GeneralNames collected by san_add() in their SEQUENCE. */
static void san_close(Cert *cert)
{
	uint8_t h[8];
	size_t hl = der_hdr(h, 0x30, cert->altNamesSz);

	memmove(cert->altNames + hl, cert->altNames, cert->altNamesSz);
	memcpy(cert->altNames, h, hl);
	cert->altNamesSz += hl;
}

static bool uuid_ok(const char *u)
{
	int i;

	if (!u || strlen(u) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)u[i])) {
			return false;
		}
	}
	return true;
}

static int device_cert(struct ca *ca, const struct ca_device_req *req,
		       struct ca_key *key, struct ca_issued *out,
		       char err[CA_ERR_LEN])
{
	char urn[sizeof(URN_PREFIX) + 36];
	Cert *cert = NULL;
	int ret;

	if (!req || !uuid_ok(req->uuid)) {
		ca_errf(err, "device uuid must be 8-4-4-4-12 hex digits");
		return -EINVAL;
	}
	ret = base_cert(&cert, req->name, req->days, CA_DEVICE_DAYS_DEFAULT,
			err);
	if (ret)
		return ret;
	snprintf(urn, sizeof(urn), URN_PREFIX "%s", req->uuid);
	ret = san_add(cert, 0x86, urn, strlen(urn));
	san_close(cert);
	ret = ret ?: wc_SetKeyUsage(cert, "digitalSignature");
	ret = ret ?: wc_SetExtKeyUsage(cert, "clientAuth");
	if (ret) {
		ca_errf(err, "cannot prepare the certificate");
		ret = -EIO;
	} else {
		ret = ca_sign_cert(ca, cert, key, req->ocsp_url, out, err);
	}
	wc_CertFree(cert);
	return ret;
}

int ca_issue_from_csr(struct ca *ca, const struct ca_device_req *req,
		      const uint8_t *csr, size_t csr_len, struct ca_issued *out,
		      char err[CA_ERR_LEN])
{
	struct ca_key key;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = ca_csr_key(csr, csr_len, &key, err);
	if (ret)
		return ret;
	ret = device_cert(ca, req, &key, out, err);
	ca_key_free(&key);
	return ret;
}

/* A new key of algo, its certificate from make(), its PKCS#8 PEM. */
static int with_new_key(struct ca *ca, enum ca_algo algo, struct ca_issued *out,
			char **key_pem, size_t *key_pem_len,
			char err[CA_ERR_LEN],
			int (*make)(struct ca *, struct ca_key *,
				    struct ca_issued *, const void *, char *),
			const void *arg)
{
	struct ca_key key;
	int ret;

	memset(out, 0, sizeof(*out));
	*key_pem = NULL;
	*key_pem_len = 0;
	if ((unsigned int)algo > CA_ALGO_ED25519) {
		ca_errf(err, "unknown key algorithm");
		return -EINVAL;
	}
	ret = ca_key_generate(&key, algo, &ca->rng);
	if (ret) {
		ca_errf(err, "cannot make a %s key", ca_algo_name(algo));
		return ret;
	}
	ret = make(ca, &key, out, arg, err);
	if (!ret) {
		ret = ca_key_pkcs8_pem(&key, key_pem, key_pem_len);
		if (ret) {
			ca_errf(err, "cannot encode the key");
			ca_issued_free(out);
		}
	}
	ca_key_free(&key);
	return ret;
}

static int make_device(struct ca *ca, struct ca_key *key, struct ca_issued *out,
		       const void *arg, char *err)
{
	return device_cert(ca, arg, key, out, err);
}

int ca_issue_with_key(struct ca *ca, const struct ca_device_req *req,
		      enum ca_algo algo, struct ca_issued *out, char **key_pem,
		      size_t *key_pem_len, char err[CA_ERR_LEN])
{
	return with_new_key(ca, algo, out, key_pem, key_pem_len, err,
			    make_device, req);
}

static bool dns_ok(const char *s)
{
	size_t len = strlen(s), label = 0;
	const char *p = s;

	if (!len || len > 253)
		return false;
	if (!strncmp(p, "*.", 2)) /* a leading wildcard label */
		p += 2;
	for (; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-' ||
			   *p == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* "dns:NAME", "ip:ADDR", or a bare name or address, into the SAN. */
static int san_parse(Cert *cert, const char *s, char err[CA_ERR_LEN])
{
	uint8_t ip[16];
	bool want_ip = !strncmp(s, "ip:", 3), want_dns = !strncmp(s, "dns:", 4);
	const char *v = want_ip ? s + 3 : want_dns ? s + 4 : s;

	if (!want_dns) {
		if (inet_pton(AF_INET, v, ip) == 1)
			return san_add(cert, 0x87, ip, 4);
		if (inet_pton(AF_INET6, v, ip) == 1)
			return san_add(cert, 0x87, ip, 16);
		if (want_ip) {
			ca_errf(err, "'%.64s' is not an IP address", v);
			return -EINVAL;
		}
	}
	if (!dns_ok(v)) {
		ca_errf(err, "'%.64s' is not a DNS name or an IP address", v);
		return -EINVAL;
	}
	return san_add(cert, 0x82, v, strlen(v));
}

struct server_args {
	const char *name;
	const char *const *sans;
	int nsans;
	unsigned int days;
};

static int make_server(struct ca *ca, struct ca_key *key, struct ca_issued *out,
		       const void *arg, char *err)
{
	const struct server_args *a = arg;
	Cert *cert = NULL;
	int ret, i;

	ret = base_cert(&cert, a->name, a->days, CA_DEVICE_DAYS_DEFAULT, err);
	if (ret)
		return ret;
	/* No SAN given: the name is the one (clients ignore the CN). */
	for (i = 0; !ret && i < (a->nsans ? a->nsans : 1); i++)
		ret = san_parse(cert, a->nsans ? a->sans[i] : a->name, err);
	if (ret == -E2BIG)
		ca_errf(err, "too many subject alternative names");
	if (ret)
		goto out;
	san_close(cert);
	if (wc_SetKeyUsage(cert, "digitalSignature") ||
	    wc_SetExtKeyUsage(cert, "serverAuth")) {
		ca_errf(err, "cannot prepare the certificate");
		ret = -EIO;
		goto out;
	}
	ret = ca_sign_cert(ca, cert, key, NULL, out, err);
out:
	wc_CertFree(cert);
	return ret;
}

int ca_issue_server(struct ca *ca, const char *name, const char *const *sans,
		    int nsans, unsigned int days, enum ca_algo algo,
		    struct ca_issued *out, char **key_pem, size_t *key_pem_len,
		    char err[CA_ERR_LEN])
{
	struct server_args a = {name, sans, nsans < 0 ? 0 : nsans, days};

	return with_new_key(ca, algo, out, key_pem, key_pem_len, err,
			    make_server, &a);
}
