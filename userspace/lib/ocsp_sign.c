// SPDX-License-Identifier: GPL-2.0-only
/*
 * ocsp_sign.c - the OCSP responder: which CertIDs are ours (the CA's
 * name and key hashes, SHA-1 and SHA-256), the status of each from the
 * caller's callback, and the signature over ResponseData with the CA key
 * or a delegated responder's key (wolfCrypt). The wire format is ocsp.c.
 * It reaches into the CA object through ca_int.h for the key, the RNG
 * and the certificate signing the CA library already has.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/signature.h>

#include "lib/ca_int.h"
#include "lib/ocsp.h"

struct ocsp_responder {
	struct ca *ca;
	uint8_t name_sha1[20], key_sha1[20];
	uint8_t name_sha256[32], key_sha256[32];
	uint8_t responder_key_hash[20]; /* byKey: SHA-1 of the signer's key */
	struct ca_key own;		/* the delegated signer's key */
	struct ca_key *key;		/* &own or the CA's */
	uint8_t *signer_der; /* the delegated certificate, else NULL */
	size_t signer_len;
	uint8_t sigalg[16];
	size_t sigalg_len;
	enum wc_HashType hash; /* for ECDSA and RSA */
	unsigned int next_update_s;
	WC_RNG rng;
	bool rng_ok;
};

static const uint8_t oid_eku[] = {0x55, 0x1d, 0x25};
static const uint8_t oid_kp_ocsp[] = {0x2b, 0x06, 0x01, 0x05,
				      0x05, 0x07, 0x03, 0x09};

struct cert_parts {
	struct der issuer, subject; /* whole Names, tags included */
	struct der
		pubkey;	 /* subjectPublicKey bits, unused-bits octet skipped */
	struct der exts; /* the Extensions SEQUENCE's content; empty if none */
};

static int cert_parts(const uint8_t *der, size_t len, struct cert_parts *c)
{
	struct der d = {der, der + len}, cert, tbs, spki, bits, w;
	int i, tag;

	memset(c, 0, sizeof(*c));
	if (der_get(&d, 0x30, NULL, &cert) || d.p != d.end ||
	    der_get(&cert, 0x30, NULL, &tbs))
		return -EBADMSG;
	if (der_peek(&tbs, 0xa0) && der_get(&tbs, 0xa0, NULL, NULL))
		return -EBADMSG;
	for (i = 0; i < 5;
	     i++) { /* serial, signature, issuer, validity, subject */
		const uint8_t *at = tbs.p;

		if (der_get(&tbs, -1, NULL, NULL))
			return -EBADMSG;
		if (i == 2)
			c->issuer = (struct der){at, tbs.p};
		if (i == 4)
			c->subject = (struct der){at, tbs.p};
	}
	if (der_get(&tbs, 0x30, NULL, &spki) ||
	    der_get(&spki, 0x30, NULL, NULL) ||
	    der_get(&spki, 0x03, NULL, &bits) || bits.p == bits.end ||
	    *bits.p != 0)
		return -EBADMSG;
	c->pubkey = (struct der){bits.p + 1, bits.end};
	while (tbs.p < tbs.end) {
		if (der_get(&tbs, -1, &tag, &w))
			return -EBADMSG;
		if (tag == 0xa3 && der_get(&w, 0x30, NULL, &c->exts))
			return -EBADMSG;
	}
	return 0;
}

static bool der_eq(const struct der *a, const struct der *b)
{
	return a->end - a->p == b->end - b->p &&
	       !memcmp(a->p, b->p, a->end - a->p);
}

static bool has_eku_ocsp(struct der exts)
{
	struct der ext, id, val, seq, kp;

	while (exts.p < exts.end) {
		if (der_get(&exts, 0x30, NULL, &ext) ||
		    der_get(&ext, 0x06, NULL, &id))
			return false;
		if (id.end - id.p != sizeof(oid_eku) ||
		    memcmp(id.p, oid_eku, sizeof(oid_eku)))
			continue;
		if (der_peek(&ext, 0x01))
			der_get(&ext, 0x01, NULL, NULL);
		if (der_get(&ext, 0x04, NULL, &val) ||
		    der_get(&val, 0x30, NULL, &seq))
			return false;
		while (seq.p < seq.end) {
			if (der_get(&seq, 0x06, NULL, &kp))
				return false;
			if (kp.end - kp.p == sizeof(oid_kp_ocsp) &&
			    !memcmp(kp.p, oid_kp_ocsp, sizeof(oid_kp_ocsp)))
				return true;
		}
		return false;
	}
	return false;
}

static int hash(enum wc_HashType h, const struct der *d, uint8_t *out)
{
	return wc_Hash(h, d->p, d->end - d->p, out, wc_HashGetDigestSize(h))
		       ? -EIO
		       : 0;
}

/* The AlgorithmIdentifier of the signature each key type makes. */
static const struct sigalg {
	int sig_type;	       /* wolfSSL's CTC_* */
	enum wc_HashType hash; /* NONE: the scheme hashes (Ed25519) */
	uint8_t len, der[15];
} sigalgs[] = {
	{CTC_SHA256wECDSA,
	 WC_HASH_TYPE_SHA256,
	 12,
	 {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
	  0x02}},
	{CTC_SHA384wECDSA,
	 WC_HASH_TYPE_SHA384,
	 12,
	 {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
	  0x03}},
	{CTC_ED25519,
	 WC_HASH_TYPE_NONE,
	 7,
	 {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70}},
	{CTC_SHA256wRSA,
	 WC_HASH_TYPE_SHA256,
	 15,
	 {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	  0x01, 0x0b, 0x05, 0x00}},
};

static int set_sigalg(struct ocsp_responder *r)
{
	int t = ca_key_sig_type(r->key);
	size_t i;

	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
		if (sigalgs[i].sig_type != t)
			continue;
		memcpy(r->sigalg, sigalgs[i].der, sigalgs[i].len);
		r->sigalg_len = sigalgs[i].len;
		r->hash = sigalgs[i].hash;
		return 0;
	}
	return -EOPNOTSUPP;
}

/* Read the delegated certificate and key; check they are fit to sign. */
static int load_signer(struct ocsp_responder *r, const char *cert_file,
		       const char *key_file, char err[OCSP_ERR_LEN])
{
	WOLFSSL_CERT_MANAGER *cm = NULL;
	struct cert_parts sp, cp;
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	char label[32];
	int ret;

	ret = ca_read_file(cert_file, &buf, &len, err);
	if (ret)
		return ret;
	if (ca_is_pem(buf, len)) {
		ret = ca_pem_decode(buf, len, "CERTIFICATE", &r->signer_der,
				    &r->signer_len, label);
		free(buf);
		if (ret) {
			ca_errf(err, "%.100s: no PEM certificate", cert_file);
			return -EINVAL;
		}
	} else {
		r->signer_der = buf;
		r->signer_len = len;
	}
	if (cert_parts(r->signer_der, r->signer_len, &sp) ||
	    cert_parts(r->ca->der, r->ca->der_len, &cp)) {
		ca_errf(err, "%.100s: malformed certificate", cert_file);
		return -EBADMSG;
	}
	if (!der_eq(&sp.issuer, &cp.subject)) {
		ca_errf(err, "the OCSP signer is not issued by this CA");
		return -EINVAL;
	}
	if (!has_eku_ocsp(sp.exts)) {
		ca_errf(err, "the OCSP signer lacks EKU id-kp-OCSPSigning");
		return -EINVAL;
	}
	cm = wolfSSL_CertManagerNew();
	if (!cm)
		return -ENOMEM;
	if (wolfSSL_CertManagerLoadCABuffer(cm, r->ca->der, r->ca->der_len,
					    WOLFSSL_FILETYPE_ASN1) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CertManagerVerifyBuffer(cm, r->signer_der, r->signer_len,
					    WOLFSSL_FILETYPE_ASN1) !=
		    WOLFSSL_SUCCESS) {
		ca_errf(err, "the OCSP signer does not verify against the CA "
			     "(signature or validity)");
		ret = -EINVAL;
	}
	wolfSSL_CertManagerFree(cm);
	if (ret)
		return ret;

	if (stat(key_file, &st)) {
		ret = -errno;
		ca_errf(err, "cannot read %.100s: %s", key_file,
			strerror(-ret));
		return ret;
	}
	if (st.st_mode & 077) {
		ca_errf(err,
			"%.100s is open to others (mode %04o): chmod 600 it",
			key_file, st.st_mode & 07777);
		return -EPERM;
	}
	ret = ca_read_file(key_file, &buf, &len, err);
	if (ret)
		return ret;
	ret = ca_key_load(&r->own, buf, len, err);
	ca_wipe_free(buf, len);
	if (ret)
		return ret;
	if (!ca_key_matches_cert(&r->own, r->signer_der, r->signer_len)) {
		ca_errf(err, "the OCSP signer key does not belong to its "
			     "certificate");
		return -EINVAL;
	}
	r->key = &r->own;
	return 0;
}

int ocsp_responder_new(struct ca *ca, const char *signer_cert_file,
		       const char *signer_key_file, unsigned int next_update_s,
		       struct ocsp_responder **out, char err[OCSP_ERR_LEN])
{
	struct ocsp_responder *r;
	struct cert_parts cp, sp;
	int ret;

	*out = NULL;
	if (!ca || !!signer_cert_file != !!signer_key_file) {
		ca_errf(err,
			"an OCSP signer needs both a certificate and a key");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ca = ca;
	r->key = &ca->key;
	r->next_update_s =
		next_update_s ? next_update_s : OCSP_NEXT_UPDATE_DEFAULT;
	if (cert_parts(ca->der, ca->der_len, &cp)) {
		ca_errf(err, "malformed CA certificate");
		ret = -EBADMSG;
		goto fail;
	}
	if (hash(WC_HASH_TYPE_SHA, &cp.subject, r->name_sha1) ||
	    hash(WC_HASH_TYPE_SHA, &cp.pubkey, r->key_sha1) ||
	    hash(WC_HASH_TYPE_SHA256, &cp.subject, r->name_sha256) ||
	    hash(WC_HASH_TYPE_SHA256, &cp.pubkey, r->key_sha256)) {
		ret = -EIO;
		goto fail;
	}
	sp = cp;
	if (signer_cert_file) {
		ret = load_signer(r, signer_cert_file, signer_key_file, err);
		if (ret)
			goto fail;
		cert_parts(r->signer_der, r->signer_len, &sp);
	}
	if (hash(WC_HASH_TYPE_SHA, &sp.pubkey, r->responder_key_hash)) {
		ret = -EIO;
		goto fail;
	}
	ret = set_sigalg(r);
	if (ret) {
		ca_errf(err, "cannot sign OCSP responses with this key type");
		goto fail;
	}
	if (wc_InitRng(&r->rng)) {
		ret = -EIO;
		goto fail;
	}
	r->rng_ok = true;
	*out = r;
	return 0;
fail:
	ocsp_responder_free(r);
	return ret;
}

void ocsp_responder_free(struct ocsp_responder *r)
{
	if (!r)
		return;
	if (r->key == &r->own)
		ca_key_free(&r->own);
	if (r->rng_ok)
		wc_FreeRng(&r->rng);
	free(r->signer_der);
	free(r);
}

static int sign(struct ocsp_responder *r, const uint8_t *tbs, size_t len,
		uint8_t *sig, word32 *sig_len)
{
	struct ca_key *k = r->key;
	int ret;

	if (k->type == ED25519_TYPE)
		ret = wc_ed25519_sign_msg(tbs, len, sig, sig_len, &k->k.ed);
	else if (k->type == ECC_TYPE)
		ret = wc_SignatureGenerate(r->hash, WC_SIGNATURE_TYPE_ECC, tbs,
					   len, sig, sig_len, &k->k.ecc,
					   sizeof(k->k.ecc), &r->rng);
	else
		ret = wc_SignatureGenerate(r->hash, WC_SIGNATURE_TYPE_RSA_W_ENC,
					   tbs, len, sig, sig_len, &k->k.rsa,
					   sizeof(k->k.rsa), &r->rng);
	return ret ? -EIO : 0;
}

static bool ours(const struct ocsp_responder *r, const struct ocsp_cert_id *id)
{
	if (id->hash == OCSP_HASH_SHA1)
		return !memcmp(id->name_hash, r->name_sha1, 20) &&
		       !memcmp(id->key_hash, r->key_sha1, 20);
	return !memcmp(id->name_hash, r->name_sha256, 32) &&
	       !memcmp(id->key_hash, r->key_sha256, 32);
}

/* Each CertID's status; an enum ocsp_resp_status other than successful
 * when the whole request cannot be answered. */
static int lookup(struct ocsp_responder *r, const struct ocsp_request *q,
		  struct ocsp_single *s, ocsp_status_cb cb, void *ctx)
{
	bool any = false;
	unsigned int i;
	int st, ret;

	for (i = 0; i < q->n; i++) {
		s[i] = (struct ocsp_single){&q->ids[i], OCSP_STATUS_UNKNOWN, 0,
					    -1};
		if (!ours(r, &q->ids[i]))
			continue;
		any = true;
		if (!q->ids[i].serial[0])
			continue;
		st = OCSP_STATUS_UNKNOWN;
		ret = cb(ca_dn(r->ca), q->ids[i].serial, &st, &s[i].revoked_at,
			 &s[i].reason, ctx);
		if (ret == -EBUSY)
			return OCSP_RESP_TRY_LATER;
		if (ret || st < OCSP_STATUS_GOOD || st > OCSP_STATUS_UNKNOWN)
			return OCSP_RESP_INTERNAL_ERROR;
		s[i].status = st;
	}
	return any ? OCSP_RESP_SUCCESSFUL : OCSP_RESP_UNAUTHORIZED;
}

int ocsp_respond(struct ocsp_responder *r, const uint8_t *req, size_t req_len,
		 ocsp_status_cb cb, void *ctx, uint8_t **resp, size_t *resp_len,
		 enum ocsp_resp_status *status)
{
	struct ocsp_single s[OCSP_MAX_REQUESTS];
	struct ocsp_request q;
	struct ocsp_tbs t = {0};
	uint8_t sig[1024], *tbs = NULL;
	word32 sig_len = sizeof(sig);
	size_t tbs_len;
	int st, ret;

	*resp = NULL;
	*resp_len = 0;
	if (!r || !cb)
		st = OCSP_RESP_INTERNAL_ERROR;
	else if (ocsp_request_decode(req, req_len, &q))
		st = OCSP_RESP_MALFORMED;
	else
		st = lookup(r, &q, s, cb, ctx);
	if (st != OCSP_RESP_SUCCESSFUL)
		goto error;

	memcpy(t.responder_key_hash, r->responder_key_hash, 20);
	t.now = time(NULL);
	t.next_update_s = r->next_update_s;
	t.single = s;
	t.n = q.n;
	t.nonce = q.nonce;
	t.nonce_len = q.nonce_len;
	ret = ocsp_encode_tbs(&t, &tbs, &tbs_len);
	if (ret == -ENOMEM)
		return ret;
	ret = ret ?: sign(r, tbs, tbs_len, sig, &sig_len);
	ret = ret
		      ?: ocsp_encode_basic(tbs, tbs_len, r->sigalg,
					   r->sigalg_len, sig, sig_len,
					   r->signer_der, r->signer_len, resp,
					   resp_len);
	free(tbs);
	if (ret == -ENOMEM)
		return ret;
	if (!ret) {
		if (status)
			*status = OCSP_RESP_SUCCESSFUL;
		return 0;
	}
	st = OCSP_RESP_INTERNAL_ERROR; /* e.g. a revocation time out of range */
error:
	if (status)
		*status = st;
	return ocsp_encode_error(st, resp, resp_len);
}

int ocsp_issue_signer(struct ca *ca, const char *name, unsigned int days,
		      enum ca_algo algo, struct ca_issued *out, char **key_pem,
		      size_t *key_pem_len, char err[OCSP_ERR_LEN])
{
	struct ca_key key;
	size_t len = name ? strlen(name) : 0;
	Cert *cert = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	*key_pem = NULL;
	*key_pem_len = 0;
	if (!len || len >= CTC_NAME_SIZE || days > 36500) {
		ca_errf(err,
			"the signer needs a name of 1..%d bytes and at "
			"most 36500 days",
			CTC_NAME_SIZE - 1);
		return -EINVAL;
	}
	ret = ca_key_generate(&key, algo, &ca->rng);
	if (ret) {
		ca_errf(err, "cannot make a %s key", ca_algo_name(algo));
		return ret;
	}
	cert = wc_CertNew(NULL);
	if (!cert) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(cert->subject.commonName, name, len + 1);
	cert->subject.commonNameEnc = CTC_UTF8;
	cert->daysValid = days ? days : 30;
	cert->isCA = 0;
	if (wc_SetKeyUsage(cert, "digitalSignature") ||
	    wc_SetExtKeyUsage(cert, "OCSPSigning")) {
		ca_errf(err, "cannot prepare the OCSP signer certificate");
		ret = -EIO;
		goto out;
	}
	ret = ca_sign_cert(ca, cert, &key, NULL, out, err);
	if (!ret) {
		ret = ca_key_pkcs8_pem(&key, key_pem, key_pem_len);
		if (ret) {
			ca_errf(err, "cannot encode the key");
			ca_issued_free(out);
		}
	}
out:
	wc_CertFree(cert);
	ca_key_free(&key);
	return ret;
}
