/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ocsp.h - the OCSP responder (RFC 6960, RFC 5019 profile) behind the
 * daemon's /ocsp: a strict DER decoder of OCSPRequest, the encoder of
 * OCSPResponse/BasicOCSPResponse (both in ocsp.c, which needs nothing but
 * libc so its fuzz target stands alone), and the responder that answers
 * from a status callback and signs with the CA or with a delegated
 * responder certificate (ocsp_sign.c).
 *
 * Decisions: at most OCSP_MAX_REQUESTS CertIDs per request (more is
 * malformedRequest); CertIDs of another issuer get "unknown", and a
 * request of which no CertID is ours gets unauthorized (RFC 5019 2.2.3);
 * unknown critical extensions are malformedRequest; a request signature is
 * tolerated, never checked; nothing is cached, so a revocation shows in
 * the very next response.
 */
#ifndef TP_LIB_OCSP_H
#define TP_LIB_OCSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ca.h"

#define OCSP_MAX_REQUESTS 16
#define OCSP_REQUEST_MAX 16384 /* bytes of DER we read at all */
#define OCSP_NONCE_MAX 64      /* bytes of the nonce's extnValue */
#define OCSP_NEXT_UPDATE_DEFAULT 3600
#define OCSP_ERR_LEN CA_ERR_LEN
#define OCSP_CONTENT_TYPE_REQUEST "application/ocsp-request"
#define OCSP_CONTENT_TYPE_RESPONSE "application/ocsp-response"

enum ocsp_resp_status {
	OCSP_RESP_SUCCESSFUL = 0,
	OCSP_RESP_MALFORMED = 1,
	OCSP_RESP_INTERNAL_ERROR = 2,
	OCSP_RESP_TRY_LATER = 3,
	OCSP_RESP_UNAUTHORIZED = 6,
};

enum ocsp_cert_status {
	OCSP_STATUS_GOOD = 0,
	OCSP_STATUS_REVOKED = 1,
	OCSP_STATUS_UNKNOWN = 2
};

enum ocsp_hash { OCSP_HASH_SHA1 = 0, OCSP_HASH_SHA256 };

/* ---- the grammar (ocsp.c) ---- */

struct ocsp_cert_id {
	const uint8_t *der; /* the whole CertID, echoed in the response */
	size_t der_len;
	enum ocsp_hash hash;
	const uint8_t *name_hash, *key_hash; /* 20 or 32 bytes each */
	char serial[65]; /* lower-case hex, as the registry keeps it */
};

/* Pointers point into the buffer given to ocsp_request_decode(). */
struct ocsp_request {
	unsigned int n;
	struct ocsp_cert_id ids[OCSP_MAX_REQUESTS];
	const uint8_t *nonce; /* the nonce extension's extnValue content */
	size_t nonce_len;     /* 0: no nonce */
	bool has_signature;
};

/* Strict DER OCSPRequest: 0, -EBADMSG (malformed) or -E2BIG (too many). */
int ocsp_request_decode(const uint8_t *der, size_t len,
			struct ocsp_request *req);

struct ocsp_single {
	const struct ocsp_cert_id *id;
	enum ocsp_cert_status status;
	int64_t revoked_at; /* unix seconds, when revoked */
	int reason;	    /* CRLReason, when revoked; < 0: none */
};

struct ocsp_tbs {
	uint8_t responder_key_hash[20]; /* SHA-1 of the signer's key */
	int64_t now;
	unsigned int next_update_s; /* 0: no nextUpdate */
	const struct ocsp_single *single;
	unsigned int n;
	const uint8_t *nonce; /* echoed when nonce_len > 0 */
	size_t nonce_len;
};

/* ResponseData (the bytes that get signed), malloc'd. */
int ocsp_encode_tbs(const struct ocsp_tbs *t, uint8_t **der, size_t *len);
/*
 * OCSPResponse successful, with the BasicOCSPResponse of tbs, the
 * AlgorithmIdentifier sigalg (full DER), the signature, and certs [0]
 * holding cert when cert_len > 0.
 */
int ocsp_encode_basic(const uint8_t *tbs, size_t tbs_len, const uint8_t *sigalg,
		      size_t sigalg_len, const uint8_t *sig, size_t sig_len,
		      const uint8_t *cert, size_t cert_len, uint8_t **der,
		      size_t *len);
/* OCSPResponse with no responseBytes: an error status. */
int ocsp_encode_error(enum ocsp_resp_status st, uint8_t **der, size_t *len);

/*
 * GET /ocsp/<url-encoded base64 DER>: percent-decoding, then strict
 * base64 (padding required, canonical, no whitespace). 0 or -EBADMSG.
 */
int ocsp_decode_get_path(const char *path_after_ocsp, uint8_t **der,
			 size_t *len);

/* ---- the responder (ocsp_sign.c) ---- */

struct ocsp_responder;

/*
 * Status lookup: *status OCSP_STATUS_GOOD/REVOKED/UNKNOWN, and for a revoked
 * certificate *revoked_at (unix seconds) and *reason (CRLReason, < 0 for
 * none). Return 0, or -EBUSY (answered tryLater) or another -errno
 * (internalError).
 */
typedef int (*ocsp_status_cb)(const char *issuer_dn, const char *serial_hex,
			      int *status, int64_t *revoked_at, int *reason,
			      void *ctx);

/*
 * A responder for ca (borrowed: it must outlive the responder). Without
 * signer files the CA signs; with them, the certificate (PEM or DER) must
 * be issued by ca, carry EKU id-kp-OCSPSigning and match the key, and it
 * goes into every response's certs. next_update_s 0: the default.
 */
int ocsp_responder_new(struct ca *ca, const char *signer_cert_file,
		       const char *signer_key_file, unsigned int next_update_s,
		       struct ocsp_responder **out, char err[OCSP_ERR_LEN]);
void ocsp_responder_free(struct ocsp_responder *r);

/*
 * Answer one DER request. Always produces a response (malloc'd) unless
 * memory runs out (-ENOMEM, no response): successful, or
 * malformedRequest, internalError, tryLater, unauthorized. *status tells
 * which (may be NULL). Not thread-safe per responder.
 */
int ocsp_respond(struct ocsp_responder *r, const uint8_t *req, size_t req_len,
		 ocsp_status_cb cb, void *ctx, uint8_t **resp, size_t *resp_len,
		 enum ocsp_resp_status *status);

/*
 * Issue a delegated responder certificate from ca: CN = name, EKU
 * id-kp-OCSPSigning, keyUsage digitalSignature, a key of algo made here
 * (returned as ca_issue_with_key does: PKCS#8 PEM, wipe with
 * ca_wipe_free()). days 0: 30 (short, as RFC 6960 4.2.2.2.1 advises for a
 * certificate nobody checks the status of).
 */
int ocsp_issue_signer(struct ca *ca, const char *name, unsigned int days,
		      enum ca_algo algo, struct ca_issued *out, char **key_pem,
		      size_t *key_pem_len, char err[OCSP_ERR_LEN]);

#endif /* TP_LIB_OCSP_H */
