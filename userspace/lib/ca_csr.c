// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_csr.c - a device's certificate request, checked before anything is
 * signed: well-formed PKCS#10, a key we accept (EC P-256/P-384, Ed25519,
 * RSA >= 2048 bits), and a self-signature that verifies with that key
 * (wolfSSL's ParseCert with CERTREQ_TYPE and VERIFY checks a CSR against
 * its own public key). Only the public key is taken; the subject and any
 * requested extensions are ignored: the registry decides what is signed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "lib/ca_int.h"

/* The SubjectPublicKeyInfo of a CertificationRequest, by structure. */
static int csr_spki(const uint8_t *der, size_t len, struct der *spki,
		    char err[CA_ERR_LEN])
{
	struct der d = {der, der + len}, req, info, tmp;

	if (der_get(&d, 0x30, NULL, &req) || d.p != d.end ||
	    der_get(&req, 0x30, NULL, &info)) {
		ca_errf(err, "not a DER certificate request");
		return -EBADMSG;
	}
	/* A certificate's TBS starts with its [0] version. */
	if (der_peek(&info, 0xa0)) {
		ca_errf(err,
			"this is a certificate, not a certificate request");
		return -EINVAL;
	}
	tmp = info;
	if (der_get(&tmp, 0x02, NULL, NULL) ||
	    der_get(&tmp, 0x30, NULL, NULL)) {
		ca_errf(err, "not a well-formed certificate request");
		return -EBADMSG;
	}
	spki->p = tmp.p;
	if (der_get(&tmp, 0x30, NULL, NULL) ||
	    der_get(&req, 0x30, NULL, NULL) ||
	    der_get(&req, 0x03, NULL, NULL) || req.p != req.end) {
		ca_errf(err, "not a well-formed certificate request");
		return -EBADMSG;
	}
	spki->end = tmp.p;
	return 0;
}

static int check_key(const struct der *spki, char err[CA_ERR_LEN])
{
	char name[16];
	int type, bits, ret;

	ret = ca_spki_algo(spki->p, spki->end - spki->p, name, &type, &bits);
	if (ret == -EOPNOTSUPP) {
		ca_errf(err,
			"key type %s is not accepted (EC P-256/P-384, "
			"Ed25519 or RSA >= %d)",
			name, CA_RSA_MIN_BITS);
		return ret;
	}
	if (ret) {
		ca_errf(err, "malformed public key in the request");
		return ret;
	}
	if (type == RSA_TYPE && bits < CA_RSA_MIN_BITS) {
		ca_errf(err, "RSA key of %d bits is too weak (at least %d)",
			bits, CA_RSA_MIN_BITS);
		return -EINVAL;
	}
	if (type == ECC_TYPE && bits != 256 && bits != 384) {
		ca_errf(err,
			"key type %s is not accepted (EC P-256/P-384, "
			"Ed25519 or RSA >= %d)",
			name, CA_RSA_MIN_BITS);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int verify_signature(const uint8_t *der, size_t len,
			    char err[CA_ERR_LEN])
{
	struct DecodedCert *dc;
	int ret;

	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return -ENOMEM;
	wc_InitDecodedCert(dc, der, len, NULL);
	ret = wc_ParseCert(dc, CERTREQ_TYPE, VERIFY, NULL);
	wc_FreeDecodedCert(dc);
	free(dc);
	switch (ret) {
	case 0:
		return 0;
	case ASN_SIG_CONFIRM_E:
	case SIG_VERIFY_E:
		ca_errf(err, "the request's self-signature does not verify");
		return -EBADMSG;
	case ASN_SIG_OID_E:
	case ASN_SIG_HASH_E:
	case ASN_SIG_KEY_E:
		ca_errf(err,
			"the request's signature algorithm is not supported");
		return -EOPNOTSUPP;
	default:
		ca_errf(err, "the request is malformed (wolfSSL error %d)",
			ret);
		return -EBADMSG;
	}
}

int ca_csr_key(const uint8_t *csr, size_t len, struct ca_key *key,
	       char err[CA_ERR_LEN])
{
	uint8_t *der = NULL;
	size_t der_len = len;
	char label[32] = "";
	struct der spki;
	int ret;

	memset(key, 0, sizeof(*key));
	if (!csr || !len) {
		ca_errf(err, "empty certificate request");
		return -EINVAL;
	}
	if (ca_is_pem(csr, len)) {
		ret = ca_pem_decode(csr, len, "CERTIFICATE REQUEST", &der,
				    &der_len, label);
		if (ret == -ENOENT)
			ret = ca_pem_decode(csr, len, "NEW CERTIFICATE REQUEST",
					    &der, &der_len, label);
		if (ret == -ENOENT) {
			if (!ca_pem_decode(csr, len, NULL, &der, &der_len,
					   label))
				ca_wipe_free(der, der_len);
			ca_errf(err, "expected a CERTIFICATE REQUEST, found %s",
				label[0] ? label : "no PEM block");
			return -EINVAL;
		}
		if (ret) {
			ca_errf(err, "malformed PEM certificate request");
			return ret;
		}
		csr = der;
	}
	if (der_len > CA_FILE_MAX) {
		ca_errf(err, "certificate request larger than 64 KiB");
		ret = -EFBIG;
		goto out;
	}
	ret = csr_spki(csr, der_len, &spki, err);
	ret = ret ?: check_key(&spki, err);
	ret = ret ?: verify_signature(csr, der_len, err);
	ret = ret ?: ca_key_from_spki(key, spki.p, spki.end - spki.p, err);
out:
	free(der);
	return ret;
}
