// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_pkcs12.c - a PKCS#12 bundle of a key made here, its certificate and
 * the CA certificate, for devices that import keys that way. Key and
 * certificates are both encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC,
 * which OpenSSL 3 opens without its legacy provider (wolfSSL 5.5.4 offers
 * no PBES2/AES here, and its other choices, RC4 and single DES, need
 * -legacy); the MAC is HMAC-SHA-256. EC and RSA keys only: see below.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/pkcs12.h>

#include "lib/ca_int.h"

#define P12_ITERATIONS 10000

int ca_pkcs12(struct ca *ca, const char *key_pem, size_t key_pem_len,
	      const uint8_t *cert_der, size_t cert_len, const char *password,
	      uint8_t **p12, size_t *p12_len, char err[CA_ERR_LEN])
{
	WC_DerCertList chain = {0};
	uint8_t *key = NULL, *cert = NULL, *out = NULL, *pos;
	size_t key_len = 0;
	struct ca_key k;
	WC_PKCS12 *bundle = NULL;
	char *pw = NULL;
	int ret, sz = 0;

	*p12 = NULL;
	*p12_len = 0;
	if (!password || !*password) {
		ca_errf(err, "a PKCS#12 bundle needs a non-empty password");
		return -EINVAL;
	}
	ret = ca_key_load(&k, (const uint8_t *)key_pem, key_pem_len, err);
	if (ret)
		return ret;
	/* wolfSSL 5.5.4 builds a shrouded Ed25519 key bag that does not
	 * decrypt (OpenSSL: "bad decrypt"); refuse rather than hand out a
	 * bundle that cannot be opened. */
	if (k.type == ED25519_TYPE) {
		ca_key_free(&k);
		ca_errf(err, "PKCS#12 with an Ed25519 key is not supported "
			     "(wolfSSL 5.5.4); use the PEM key or an EC key");
		return -EOPNOTSUPP;
	}
	if (!ca_key_matches_cert(&k, cert_der, cert_len)) {
		ca_errf(err, "the key does not belong to the certificate");
		ret = -EINVAL;
	}
	ret = ret ?: ca_key_pkcs8(&k, &key, &key_len);
	/* wc_PKCS12_create wants the key without its PKCS#8 wrapping (it
	 * adds that itself, finding the algorithm by decoding the key). */
	if (!ret) {
		word32 idx = 0;
		int inner = wc_GetPkcs8TraditionalOffset(key, &idx, key_len);

		if (inner < 0) {
			ret = -EBADMSG;
		} else {
			memmove(key, key + idx, key_len - idx);
			explicit_bzero(key + key_len - idx, idx);
			key_len -= idx;
		}
	}
	ca_key_free(&k);
	if (ret)
		goto out;
	/* wolfSSL takes these as non-const: hand it copies. */
	cert = malloc(cert_len);
	chain.buffer = malloc(ca->der_len);
	pw = strdup(password);
	if (!cert || !chain.buffer || !pw) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(cert, cert_der, cert_len);
	memcpy(chain.buffer, ca->der, ca->der_len);
	chain.bufferSz = ca->der_len;
	bundle =
		wc_PKCS12_create(pw, strlen(pw), NULL, key, key_len, cert,
				 cert_len, &chain, PBE_SHA1_DES3, PBE_SHA1_DES3,
				 P12_ITERATIONS, P12_ITERATIONS, 0, NULL);
	if (!bundle) {
		ca_errf(err, "wolfSSL could not build the PKCS#12 bundle");
		ret = -EIO;
		goto out;
	}
	ret = wc_i2d_PKCS12(bundle, NULL, &sz);
	if (ret != LENGTH_ONLY_E || sz <= 0) {
		ret = -EIO;
		goto out;
	}
	out = malloc(sz);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	pos = out;
	ret = wc_i2d_PKCS12(bundle, &pos, &sz);
	if (ret <= 0) {
		ca_errf(err, "cannot encode the PKCS#12 bundle");
		ret = -EIO;
		goto out;
	}
	*p12 = out;
	*p12_len = ret;
	out = NULL;
	ret = 0;
out:
	if (bundle)
		wc_PKCS12_free(bundle);
	ca_wipe_free(key, key_len);
	if (pw)
		ca_wipe_free(pw, strlen(pw));
	free(out);
	free(cert);
	free(chain.buffer);
	return ret;
}
