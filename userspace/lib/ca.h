/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ca.h - trustpoint's certificate authority, on wolfCrypt: the CA itself
 * (made here or imported), device certificates from CSRs (the device's
 * key never leaves it) or from a key made on the spot, and the gateway's
 * TLS server certificate.
 *
 * Files under the CA directory (created 0700): ca.pem, ca.key (0600),
 * chain.pem (optional, for an imported intermediate). Key buffers are
 * wiped after use. Functions return 0 or a negative errno and, where the
 * reason matters to a user (a refused CSR, a bad file), fill err with a
 * sentence saying why.
 */
#ifndef TP_LIB_CA_H
#define TP_LIB_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CA_ERR_LEN 160
#define CA_DAYS_DEFAULT 3650
#define CA_DEVICE_DAYS_DEFAULT 365
#define CA_DN_MAX 512

enum ca_algo {
	CA_ALGO_ECDSA_P256 = 0,
	CA_ALGO_ECDSA_P384,
	CA_ALGO_ED25519,
};
const char *ca_algo_name(enum ca_algo a); /* "ecdsa-p256", ... */
int ca_algo_parse(const char *s, enum ca_algo *a);

struct ca;

/*
 * Make a self-signed CA: basicConstraints CA:TRUE (critical), keyUsage
 * keyCertSign|cRLSign, SKI and AKI. subject is "CN=...,O=..." (RFC 4514
 * order) or a bare common name. -EEXIST when a CA exists and !force.
 */
int ca_init(const char *dir, enum ca_algo algo, const char *subject,
	    unsigned int days, bool force, char err[CA_ERR_LEN]);
/* Take an existing CA or intermediate (PEM or DER files). */
int ca_import(const char *dir, const char *cert_file, const char *key_file,
	      const char *chain_file, bool force, char err[CA_ERR_LEN]);
/* -ENOENT when the directory has no CA. */
int ca_load(const char *dir, struct ca **ca, char err[CA_ERR_LEN]);
void ca_free(struct ca *ca); /* wipes the key */

struct ca_cert_info {
	char subject[CA_DN_MAX];
	char issuer[CA_DN_MAX];
	char serial[65];	       /* lower-case hex */
	int64_t not_before, not_after; /* unix seconds */
	char key_algo[16]; /* "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-2048",
			      ... */
	char ski[65];	   /* hex, "" when absent */
	char sha256[65];   /* fingerprint of the DER */
	bool is_ca;
	bool client_auth; /* an extended key usage that names clientAuth */
};
/* Describe any certificate (PEM or DER). */
int ca_cert_describe(const uint8_t *cert, size_t len, struct ca_cert_info *i,
		     char err[CA_ERR_LEN]);
/* The CA's own certificate, DER. */
const uint8_t *ca_cert_der(const struct ca *ca, size_t *len);
/* The issuer DN that certificates from this CA carry: the registry key. */
const char *ca_dn(const struct ca *ca);

struct ca_issued {
	uint8_t *der;
	size_t der_len;
	struct ca_cert_info info;
};
void ca_issued_free(struct ca_issued *c);

struct ca_device_req {
	const char *name;     /* CN */
	const char *uuid;     /* SAN URI urn:trustpoint:device:<uuid> */
	unsigned int days;    /* 0: CA_DEVICE_DAYS_DEFAULT */
	const char *ocsp_url; /* AIA OCSP, NULL for none */
};

/*
 * Sign a device's CSR (PEM or DER) after checking its self-signature and
 * its key: EC P-256/P-384, Ed25519, or RSA of at least 2048 bits. The
 * certificate: CN = name, SAN URI, EKU clientAuth, keyUsage
 * digitalSignature, AKI, a random 128-bit serial, AIA OCSP when given.
 * The CSR's subject is not copied: the registry decides the name.
 */
int ca_issue_from_csr(struct ca *ca, const struct ca_device_req *req,
		      const uint8_t *csr, size_t csr_len, struct ca_issued *out,
		      char err[CA_ERR_LEN]);
/*
 * Make a key of algo and a certificate for it; *key_pem (PKCS#8 PEM,
 * malloc'd) goes to the caller, who writes it once and wipes it with
 * ca_wipe_free().
 */
int ca_issue_with_key(struct ca *ca, const struct ca_device_req *req,
		      enum ca_algo algo, struct ca_issued *out, char **key_pem,
		      size_t *key_pem_len, char err[CA_ERR_LEN]);
/*
 * The gateway's TLS server certificate: CN = name, SAN DNS/IP entries
 * (each "dns:NAME", "ip:ADDR", or a bare name/address), EKU serverAuth,
 * keyUsage digitalSignature, key made here (returned as for
 * ca_issue_with_key).
 */
int ca_issue_server(struct ca *ca, const char *name, const char *const *sans,
		    int nsans, unsigned int days, enum ca_algo algo,
		    struct ca_issued *out, char **key_pem, size_t *key_pem_len,
		    char err[CA_ERR_LEN]);

/* PKCS#12 of key + certificate + CA, protected by password. */
int ca_pkcs12(struct ca *ca, const char *key_pem, size_t key_pem_len,
	      const uint8_t *cert_der, size_t cert_len, const char *password,
	      uint8_t **p12, size_t *p12_len, char err[CA_ERR_LEN]);

/* DER certificate to PEM (malloc'd, NUL terminated). */
int ca_cert_pem(const uint8_t *der, size_t len, char **pem, size_t *pem_len);
/* Write a file with mode, refusing to follow or replace a symlink. */
int ca_write_file(const char *path, const void *buf, size_t len, int mode);
void ca_wipe_free(void *buf, size_t len);

#endif /* TP_LIB_CA_H */
