/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ca_int.h - what the ca_*.c files share with the other signers of the
 * CA's key (ocsp_sign.c) and nobody else sees: the CA object, one key type over
 * wolfCrypt's ECC/Ed25519/RSA keys, a small DER reader and writer
 * (wolfSSL 5.5.4 has no setter for some extensions and no public name printer),
 * and file helpers.
 */
#ifndef TP_LIB_CA_INT_H
#define TP_LIB_CA_INT_H

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <limits.h>

#include "lib/ca.h"

/* Bounds on what we read: certificates, CSRs and keys are small. */
#define CA_FILE_MAX (64 * 1024)
#define CA_CERT_MAX 8192
#define CA_RSA_MIN_BITS 2048

/* A private or public key of any type the CA signs with or for. */
struct ca_key {
	int type; /* ECC_TYPE, ED25519_TYPE, RSA_TYPE; 0: empty */
	bool has_private;
	union {
		ecc_key ecc;
		ed25519_key ed;
		RsaKey rsa;
	} k;
};

struct ca {
	char dir[PATH_MAX];
	uint8_t *der; /* the CA certificate */
	size_t der_len;
	char dn[CA_DN_MAX]; /* its subject, RFC 4514 */
	struct ca_key key;
	WC_RNG rng;
	bool rng_ok;
};

/* ca.c */
void ca_errf(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ca_wc_err(int ret); /* a wolfCrypt error as -errno */
/* True when key's public half is the certificate's (DER) public key. */
bool ca_key_matches_cert(struct ca_key *key, const uint8_t *cert,
			 size_t cert_len);

/* ca_key.c */
int ca_key_generate(struct ca_key *key, enum ca_algo algo, WC_RNG *rng);
/* A private key, PEM ("PRIVATE KEY", "EC PRIVATE KEY", ...) or DER. */
int ca_key_load(struct ca_key *key, const uint8_t *buf, size_t len,
		char err[CA_ERR_LEN]);
/* A public key from SubjectPublicKeyInfo DER. */
int ca_key_from_spki(struct ca_key *key, const uint8_t *spki, size_t len,
		     char err[CA_ERR_LEN]);
int ca_key_spki(struct ca_key *key, uint8_t *out, size_t *len);
int ca_key_pkcs8(struct ca_key *key, uint8_t **der, size_t *len);
int ca_key_pkcs8_pem(struct ca_key *key, char **pem, size_t *len);
/* The signature type wolfSSL signs certificates with for this key. */
int ca_key_sig_type(const struct ca_key *key);
void ca_key_free(struct ca_key *key);

/* ca_name.c */
/* Fill a wolfSSL CertName from "CN=x,O=y" or a bare common name. */
int ca_name_parse(const char *s, CertName *n, char err[CA_ERR_LEN]);
/* RFC 4514 text of a DER Name (the SEQUENCE, tag included). */
int ca_name_format(const uint8_t *der, size_t len, char *out, size_t outlen);

/* ca_der.c: a DER reader over [p, end) and the writing of headers. */
struct der {
	const uint8_t *p, *end;
};
/* Read one TLV; tag_want < 0 takes any tag. 0 or -EBADMSG. */
int der_get(struct der *d, int tag_want, int *tag, struct der *content);
bool der_peek(const struct der *d, int tag);
/* Write tag and length for a content of len bytes; returns bytes used. */
size_t der_hdr(uint8_t *out, int tag, size_t len);
int der_time(const struct der *t, int tag, int64_t *unix_s);
/* Map a SubjectPublicKeyInfo to our key names ("ecdsa-p256", ...). */
int ca_spki_algo(const uint8_t *spki, size_t len, char name[16], int *type,
		 int *bits);

/* ca_issue.c: sign a prepared Cert with the CA and describe the result. */
int ca_sign_cert(struct ca *ca, Cert *cert, struct ca_key *subject_key,
		 const char *ocsp_url, struct ca_issued *out,
		 char err[CA_ERR_LEN]);
int ca_self_sign(struct ca_key *key, Cert *cert, WC_RNG *rng, uint8_t **der,
		 size_t *der_len, char err[CA_ERR_LEN]);

/* ca_csr.c: decode a CSR, check its signature and key, keep its key. */
int ca_csr_key(const uint8_t *csr, size_t len, struct ca_key *key,
	       char err[CA_ERR_LEN]);

/* ca_file.c */
int ca_read_file(const char *path, uint8_t **buf, size_t *len,
		 char err[CA_ERR_LEN]);

/* PEM body of the first block labelled label (NULL: any), as DER. */
int ca_pem_decode(const uint8_t *buf, size_t len, const char *label,
		  uint8_t **der, size_t *der_len, char found[32]);
bool ca_is_pem(const uint8_t *buf, size_t len);

#endif /* TP_LIB_CA_INT_H */
