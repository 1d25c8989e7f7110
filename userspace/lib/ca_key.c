// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_key.c - one key type over wolfCrypt's ECC, Ed25519 and RSA keys:
 * made here, read from PEM/DER (PKCS#8, SEC1, PKCS#1), taken from a
 * SubjectPublicKeyInfo, and written as PKCS#8. Every buffer that held
 * private key bytes is wiped before it is freed, also on errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "lib/ca_int.h"

int ca_key_generate(struct ca_key *key, enum ca_algo algo, WC_RNG *rng)
{
	int ret;

	memset(key, 0, sizeof(*key));
	switch (algo) {
	case CA_ALGO_ECDSA_P256:
	case CA_ALGO_ECDSA_P384:
		ret = wc_ecc_init(&key->k.ecc);
		if (ret)
			return ca_wc_err(ret);
		key->type = ECC_TYPE;
		if (algo == CA_ALGO_ECDSA_P256)
			ret = wc_ecc_make_key_ex(rng, 32, &key->k.ecc,
						 ECC_SECP256R1);
		else
			ret = wc_ecc_make_key_ex(rng, 48, &key->k.ecc,
						 ECC_SECP384R1);
		break;
	case CA_ALGO_ED25519:
		ret = wc_ed25519_init(&key->k.ed);
		if (ret)
			return ca_wc_err(ret);
		key->type = ED25519_TYPE;
		ret = wc_ed25519_make_key(rng, ED25519_KEY_SIZE, &key->k.ed);
		break;
	default:
		return -EINVAL;
	}
	if (ret) {
		ca_key_free(key);
		return ca_wc_err(ret);
	}
	key->has_private = true;
	return 0;
}

static int key_init(struct ca_key *key, int type)
{
	int ret;

	memset(key, 0, sizeof(*key));
	if (type == ECC_TYPE)
		ret = wc_ecc_init(&key->k.ecc);
	else if (type == ED25519_TYPE)
		ret = wc_ed25519_init(&key->k.ed);
	else
		ret = wc_InitRsaKey(&key->k.rsa, NULL);
	if (ret)
		return ca_wc_err(ret);
	key->type = type;
	return 0;
}

/* Ed25519 keys read without their public half must derive it to sign. */
static int ed25519_complete(ed25519_key *ed)
{
	uint8_t priv[ED25519_KEY_SIZE], pub[ED25519_PUB_KEY_SIZE];
	word32 len = sizeof(priv);
	int ret;

	if (ed->pubKeySet)
		return 0;
	ret = wc_ed25519_export_private_only(ed, priv, &len);
	if (!ret)
		ret = wc_ed25519_make_public(ed, pub, sizeof(pub));
	if (!ret)
		ret = wc_ed25519_import_private_key(priv, len, pub, sizeof(pub),
						    ed);
	explicit_bzero(priv, sizeof(priv));
	return ret;
}

/* The key algorithm OID of a PKCS#8 PrivateKeyInfo, or NULL if not one. */
static bool pkcs8_algo(const uint8_t *der, size_t len, struct der *oid)
{
	struct der d = {der, der + len}, seq, alg;

	return !der_get(&d, 0x30, NULL, &seq) &&
	       !der_get(&seq, 0x02, NULL, NULL) &&
	       !der_get(&seq, 0x30, NULL, &alg) &&
	       !der_get(&alg, 0x06, NULL, oid) && der_peek(&seq, 0x04);
}

static int key_decode(struct ca_key *key, uint8_t *der, word32 len,
		      char err[CA_ERR_LEN])
{
	static const uint8_t ec[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 2, 1};
	static const uint8_t ed[] = {0x2b, 0x65, 0x70};
	static const uint8_t rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
				      0x0d, 0x01, 0x01, 0x01};
	word32 idx = 0, inner = 0;
	int type = 0, tries[3] = {ECC_TYPE, RSA_TYPE, 0}, i, t, ret;
	struct der oid;

	if (pkcs8_algo(der, len, &oid)) {
		size_t n = oid.end - oid.p;

		if (n == sizeof(ec) && !memcmp(oid.p, ec, n))
			type = ECC_TYPE;
		else if (n == sizeof(ed) && !memcmp(oid.p, ed, n))
			type = ED25519_TYPE;
		else if (n == sizeof(rsa) && !memcmp(oid.p, rsa, n))
			type = RSA_TYPE;
		if (!type) {
			ca_errf(err, "unsupported private key algorithm");
			return -EOPNOTSUPP;
		}
		if (type != ED25519_TYPE &&
		    wc_GetPkcs8TraditionalOffset(der, &inner, len) < 0)
			goto bad;
	}
	/* Without PKCS#8 around it: SEC1 (EC) or PKCS#1 (RSA); try both. */
	if (type) {
		tries[0] = type;
		tries[1] = 0;
	}
	for (i = 0; (t = tries[i]); i++) {
		ret = key_init(key, t);
		if (ret)
			return ret;
		idx = t == ED25519_TYPE ? 0 : inner;
		if (t == ECC_TYPE)
			ret = wc_EccPrivateKeyDecode(der, &idx, &key->k.ecc,
						     len);
		else if (t == ED25519_TYPE)
			ret = wc_Ed25519PrivateKeyDecode(der, &idx, &key->k.ed,
							 len);
		else
			ret = wc_RsaPrivateKeyDecode(der, &idx, &key->k.rsa,
						     len);
		if (!ret && t == ECC_TYPE &&
		    key->k.ecc.type == ECC_PRIVATEKEY_ONLY)
			ret = wc_ecc_make_pub(&key->k.ecc, NULL);
		if (!ret && t == ED25519_TYPE)
			ret = ed25519_complete(&key->k.ed);
		if (!ret) {
			key->has_private = true;
			return 0;
		}
		ca_key_free(key);
	}
bad:
	ca_errf(err, "cannot decode the private key");
	return -EBADMSG;
}

int ca_key_load(struct ca_key *key, const uint8_t *buf, size_t len,
		char err[CA_ERR_LEN])
{
	char label[32] = "";
	uint8_t *der = NULL;
	size_t der_len = 0;
	int ret;

	memset(key, 0, sizeof(*key));
	if (ca_is_pem(buf, len)) {
		ret = ca_pem_decode(buf, len, NULL, &der, &der_len, label);
		if (ret) {
			ca_errf(err, "no PEM key found");
			return ret;
		}
		if (!strcmp(label, "ENCRYPTED PRIVATE KEY") ||
		    strstr((const char *)buf, "Proc-Type: 4,ENCRYPTED")) {
			ca_errf(err,
				"encrypted private keys are not supported; "
				"decrypt it first");
			ret = -EOPNOTSUPP;
			goto out;
		}
		if (strcmp(label, "PRIVATE KEY") &&
		    strcmp(label, "EC PRIVATE KEY") &&
		    strcmp(label, "RSA PRIVATE KEY")) {
			ca_errf(err, "expected a private key, found %s", label);
			ret = -EINVAL;
			goto out;
		}
	} else {
		der = malloc(len ? len : 1);
		if (!der)
			return -ENOMEM;
		memcpy(der, buf, len);
		der_len = len;
	}
	ret = key_decode(key, der, der_len, err);
out:
	ca_wipe_free(der, der_len);
	return ret;
}

int ca_key_from_spki(struct ca_key *key, const uint8_t *spki, size_t len,
		     char err[CA_ERR_LEN])
{
	char name[16];
	int type, bits, ret;
	word32 idx = 0;

	memset(key, 0, sizeof(*key));
	ret = ca_spki_algo(spki, len, name, &type, &bits);
	if (ret == -EOPNOTSUPP) {
		ca_errf(err, "unsupported key type %s", name);
		return ret;
	}
	if (ret) {
		ca_errf(err, "malformed public key");
		return ret;
	}
	ret = key_init(key, type);
	if (ret)
		return ret;
	if (type == ECC_TYPE)
		ret = wc_EccPublicKeyDecode(spki, &idx, &key->k.ecc, len);
	else if (type == ED25519_TYPE)
		ret = wc_Ed25519PublicKeyDecode(spki, &idx, &key->k.ed, len);
	else
		ret = wc_RsaPublicKeyDecode(spki, &idx, &key->k.rsa, len);
	if (ret) {
		ca_key_free(key);
		ca_errf(err, "cannot decode the %s public key", name);
		return -EBADMSG;
	}
	return 0;
}

int ca_key_spki(struct ca_key *key, uint8_t *out, size_t *len)
{
	int ret;

	if (key->type == ECC_TYPE)
		ret = wc_EccPublicKeyToDer(&key->k.ecc, out, *len, 1);
	else if (key->type == ED25519_TYPE)
		ret = wc_Ed25519PublicKeyToDer(&key->k.ed, out, *len, 1);
	else if (key->type == RSA_TYPE)
		ret = wc_RsaKeyToPublicDer(&key->k.rsa, out, *len);
	else
		return -EINVAL;
	if (ret < 0)
		return ca_wc_err(ret);
	*len = ret;
	return 0;
}

int ca_key_pkcs8(struct ca_key *key, uint8_t **der, size_t *len)
{
	size_t cap = 8192;
	uint8_t *buf, *tmp = NULL;
	word32 n = cap, tmp_len = 0;
	int ret;

	if (!key->has_private)
		return -EINVAL;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (key->type == ECC_TYPE) {
		ret = wc_EccKeyToPKCS8(&key->k.ecc, buf, &n);
		if (ret > 0)
			n = ret;
	} else if (key->type == ED25519_TYPE) {
		ret = wc_Ed25519PrivateKeyToDer(&key->k.ed, buf, cap);
		n = ret;
	} else {
		tmp = malloc(cap);
		ret = tmp ? wc_RsaKeyToDer(&key->k.rsa, tmp, cap) : MEMORY_E;
		if (ret > 0) {
			tmp_len = ret;
			ret = wc_CreatePKCS8Key(buf, &n, tmp, tmp_len, RSAk,
						NULL, 0);
			if (ret > 0)
				n = ret;
		}
		ca_wipe_free(tmp, cap);
	}
	if (ret <= 0) {
		ca_wipe_free(buf, cap);
		return ret ? ca_wc_err(ret) : -EIO;
	}
	*der = buf;
	*len = n;
	return 0;
}

int ca_key_pkcs8_pem(struct ca_key *key, char **pem, size_t *len)
{
	uint8_t *der;
	size_t der_len, cap;
	char *out;
	int ret;

	ret = ca_key_pkcs8(key, &der, &der_len);
	if (ret)
		return ret;
	cap = der_len * 4 / 3 + der_len / 48 + 128;
	out = malloc(cap);
	ret = out ? wc_DerToPem(der, der_len, (byte *)out, cap - 1,
				PKCS8_PRIVATEKEY_TYPE)
		  : MEMORY_E;
	ca_wipe_free(der, der_len);
	if (ret <= 0) {
		ca_wipe_free(out, cap);
		return ca_wc_err(ret);
	}
	out[ret] = 0;
	*pem = out;
	*len = ret;
	return 0;
}

int ca_key_sig_type(const struct ca_key *key)
{
	if (key->type == ED25519_TYPE)
		return CTC_ED25519;
	if (key->type == RSA_TYPE)
		return CTC_SHA256wRSA;
	if (key->type != ECC_TYPE)
		return -EINVAL;
	switch (wc_ecc_get_curve_id(key->k.ecc.idx)) {
	case ECC_SECP256R1:
		return CTC_SHA256wECDSA;
	case ECC_SECP384R1:
		return CTC_SHA384wECDSA;
	case ECC_SECP521R1:
		return CTC_SHA512wECDSA;
	default:
		return -EOPNOTSUPP;
	}
}

void ca_key_free(struct ca_key *key)
{
	if (!key)
		return;
	if (key->type == ECC_TYPE)
		wc_ecc_free(&key->k.ecc);
	else if (key->type == ED25519_TYPE)
		wc_ed25519_free(&key->k.ed);
	else if (key->type == RSA_TYPE)
		wc_FreeRsaKey(&key->k.rsa);
	explicit_bzero(key, sizeof(*key));
}
