// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls.c - the mutual-TLS side of trustpointd: a TLS 1.3-only wolfSSL
 * context that requires a client certificate chaining to the trustpoint
 * CA, non-blocking handshakes, and the checks that follow a handshake:
 * not a CA, EKU clientAuth, within validity, issuer + serial good in the
 * registry, device active. Every refusal is named by a short reason.
 *
 * Once a session is verified, its wolfSSL object goes: in Debian's build
 * one costs ~60 KiB (a WOLFSSL_SESSION with two static certificate chains
 * alone is 37 KiB), while the keys of an idle agent's channel are 120
 * bytes. tls.c keeps the traffic keys wolfSSL derived and protects the
 * few records that follow itself (RFC 8446 section 5: AES-GCM or
 * ChaCha20-Poly1305).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "daemon/daemon.h"
#include "lib/ca.h"
#include "lib/registry.h"

#if !defined(ATOMIC_USER) || !defined(WORD64_AVAILABLE)
#error "trustpointd needs wolfSSL's key and sequence getters (ATOMIC_USER)"
#endif

#define KEY_FILE_MAX (64 * 1024)

/* The suites whose records tls.c protects once wolfSSL is gone. */
#define TLS_SUITES                                         \
	"TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:" \
	"TLS13-CHACHA20-POLY1305-SHA256"

#define TLS_HDR 5
#define TLS_TAG 16
#define TLS_IV 12
#define TLS_KEY_MAX 32
#define TLS_PLAIN_MAX 16384
#define TLS_CT_ALERT 21
#define TLS_CT_APPDATA 23
#define TLS_ALERT_CLOSE_NOTIFY 0
#define TLS_ALERT_UNEXPECTED 10
#define TLS_ALERT_BAD_MAC 20
#define TLS_ALERT_OVERFLOW 22
#define TLS_ALERT_DECODE 50

/* An established session's record protection. */
struct tls_rec {
	uint8_t aead; /* wolfssl_aes_gcm or wolfssl_chacha */
	uint8_t key_len;
	uint16_t part_len;
	uint8_t rkey[TLS_KEY_MAX], wkey[TLS_KEY_MAX]; /* the client's, ours */
	uint8_t riv[TLS_IV], wiv[TLS_IV];
	uint64_t rseq, wseq;
	uint8_t *part; /* a record's first bytes while the rest is due */
};

/* Read the server key ourselves so that its bytes are wiped after use. */
static int load_key(WOLFSSL_CTX *ctx, const char *path)
{
	uint8_t *buf = NULL;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, err = 0, fmt;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		log_msg("cannot open server key %s: %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > KEY_FILE_MAX) {
		log_msg("server key %s is not a regular file of sane size",
			path);
		err = -EINVAL;
		goto out;
	}
	if (st.st_mode & 0077)
		log_msg("warning: server key %s is accessible by others (mode %04o)",
			path, st.st_mode & 07777);
	buf = malloc(st.st_size);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += n;
	}
	fmt = memmem(buf, got, "-----BEGIN", 10) ? WOLFSSL_FILETYPE_PEM
						 : WOLFSSL_FILETYPE_ASN1;
	if (wolfSSL_CTX_use_PrivateKey_buffer(ctx, buf, got, fmt) !=
	    WOLFSSL_SUCCESS) {
		log_msg("server key %s cannot be used", path);
		err = -EINVAL;
	}
out:
	if (buf)
		ca_wipe_free(buf, st.st_size);
	close(fd);
	return err;
}

int tls_init(void)
{
	WOLFSSL_CTX *ctx;
	int err = -EINVAL;

	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		return -EIO;
	ctx = wolfSSL_CTX_new(wolfTLSv1_3_server_method());
	if (!ctx)
		return -ENOMEM;
	if (wolfSSL_CTX_use_certificate_chain_file(ctx, tpd->cert_path) !=
	    WOLFSSL_SUCCESS) {
		log_msg("cannot load server certificate %s", tpd->cert_path);
		goto fail;
	}
	err = load_key(ctx, tpd->key_path);
	if (err)
		goto fail;
	if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
		log_msg("server key %s does not match certificate %s",
			tpd->key_path, tpd->cert_path);
		err = -EINVAL;
		goto fail;
	}
	if (wolfSSL_CTX_load_verify_locations(ctx, tpd->ca_path, NULL) !=
	    WOLFSSL_SUCCESS) {
		log_msg("cannot load CA certificate %s", tpd->ca_path);
		err = -EINVAL;
		goto fail;
	}
	wolfSSL_CTX_set_verify(
		ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		NULL);
	/*
	 * No resumption: a resumed TLS 1.3 session carries no client
	 * certificate, and every connection must prove the device anew.
	 */
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
	wolfSSL_CTX_no_ticket_TLSv13(ctx);
	if (wolfSSL_CTX_set_cipher_list(ctx, TLS_SUITES) != WOLFSSL_SUCCESS) {
		log_msg("cannot restrict the TLS 1.3 suites to %s", TLS_SUITES);
		err = -EINVAL;
		goto fail;
	}
	tpd->tls = ctx;
	return 0;
fail:
	wolfSSL_CTX_free(ctx);
	return err;
}

void tls_exit(void)
{
	wolfSSL_CTX_free(tpd->tls);
	tpd->tls = NULL;
	for (int i = 0; i < tpd->nissuers; i++)
		free(tpd->issuers[i]);
	free(tpd->issuers);
	wolfSSL_Cleanup();
}

/* Sessions share the few issuer strings there are instead of a copy each. */
const char *issuer_intern(const char *dn)
{
	char **n;

	for (int i = 0; i < tpd->nissuers; i++)
		if (!strcmp(tpd->issuers[i], dn))
			return tpd->issuers[i];
	n = realloc(tpd->issuers, (tpd->nissuers + 1) * sizeof(*n));
	if (!n)
		return NULL;
	tpd->issuers = n;
	n[tpd->nissuers] = strdup(dn);
	return n[tpd->nissuers] ? n[tpd->nissuers++] : NULL;
}

/* A failed handshake's wolfSSL error as one of the refusal reasons. */
static const char *handshake_reason(int e)
{
	switch (e) {
	case ASN_AFTER_DATE_E:
		return "expired";
	case ASN_BEFORE_DATE_E:
		return "not-yet-valid";
	case ASN_NO_SIGNER_E:
	case ASN_SELF_SIGNED_E:
	case ASN_SIG_CONFIRM_E:
	case SIG_VERIFY_E:
		return "wrong-ca";
	case NO_PEER_CERT:
		return "no-client-cert";
	case EXTKEYUSE_AUTH_E:
		return "wrong-eku";
	case VERSION_ERROR:
		return "tls-version";
	case UNKNOWN_RECORD_TYPE:
	case PARSE_ERROR:
	case BUFFER_ERROR:
	case LENGTH_ERROR:
	case SANITY_MSG_E:
	case OUT_OF_ORDER_E:
	case HANDSHAKE_SIZE_ERROR: /* a record that claims an absurd message */
	case INCOMPLETE_DATA:
		return "garbage";
	case SOCKET_PEER_CLOSED_E:
	case ZERO_RETURN:
	case SOCKET_ERROR_E:
		return "closed";
	}
	return "tls-error";
}

/* The checks after a completed handshake; reason names a refusal. */
static int verify_peer(struct session *s, char *reason, size_t len,
		       char *detail, size_t dlen)
{
	WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(s->ssl);
	struct ca_cert_info ci;
	char cerr[CA_ERR_LEN] = "";
	struct reg_device d = {};
	struct reg_cert c = {};
	const uint8_t *der;
	time_t now = time(NULL);
	int dlen_der, err;

	if (!chain || wolfSSL_get_chain_count(chain) < 1) {
		snprintf(reason, len, "no-client-cert");
		return -EPERM;
	}
	der = wolfSSL_get_chain_cert(chain, 0);
	dlen_der = wolfSSL_get_chain_length(chain, 0);
	if (!der || dlen_der <= 0 ||
	    ca_cert_describe(der, dlen_der, &ci, cerr)) {
		snprintf(reason, len, "garbage");
		snprintf(detail, dlen, "%s", cerr);
		return -EPERM;
	}
	snprintf(detail, dlen, "serial %s, subject %.200s", ci.serial,
		 ci.subject);
	if (ci.is_ca) {
		snprintf(reason, len, "ca-cert-as-client");
		return -EPERM;
	}
	if (!ci.client_auth) {
		snprintf(reason, len, "wrong-eku");
		return -EPERM;
	}
	if (now < ci.not_before || now > ci.not_after) {
		snprintf(reason, len,
			 now < ci.not_before ? "not-yet-valid" : "expired");
		return -EPERM;
	}
	err = reg_cert_get(tpd->reg, ci.issuer, ci.serial, &c);
	if (err) {
		snprintf(reason, len,
			 err == -ENOENT ? "unknown-serial" : "registry-error");
		return -EPERM;
	}
	if (c.status != REG_CERT_GOOD || c.kind != REG_CERT_DEVICE ||
	    c.device_id <= 0) {
		snprintf(reason, len,
			 c.status != REG_CERT_GOOD ? "revoked-serial"
						   : "not-a-device-cert");
		reg_cert_free(&c);
		return -EPERM;
	}
	err = reg_device_get_id(tpd->reg, c.device_id, &d);
	if (err || d.status != REG_DEV_ACTIVE) {
		snprintf(reason, len, "device-%s",
			 err ? "unknown" : reg_dev_status_name(d.status));
		reg_cert_free(&c);
		if (!err)
			reg_device_free(&d);
		return -EPERM;
	}
	snprintf(detail, dlen, "device %s, serial %s", d.name, ci.serial);
	s->device_id = d.id;
	s->serial = strdup(ci.serial);
	s->issuer = issuer_intern(ci.issuer);
	reg_cert_free(&c);
	reg_device_free(&d);
	if (!s->serial || !s->issuer) {
		s->device_id = 0; /* never counted as a session */
		snprintf(reason, len, "out-of-memory");
		return -EPERM;
	}
	return 0;
}

static void wipe_free(struct tls_rec *t)
{
	if (!t)
		return;
	free(t->part);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/* RFC 8446 5.3: the write IV XOR the 64-bit record sequence number. */
static void nonce(const uint8_t iv[TLS_IV], uint64_t seq, uint8_t n[TLS_IV])
{
	memcpy(n, iv, TLS_IV);
	for (int i = 0; i < 8; i++)
		n[TLS_IV - 1 - i] ^= (uint8_t)(seq >> (8 * i));
}

/* Seal or open len bytes in place; the header is the additional data. */
static int aead(const struct tls_rec *t, bool seal, const uint8_t *key,
		const uint8_t n[TLS_IV], const uint8_t *hdr, uint8_t *data,
		uint32_t len, uint8_t *tag)
{
	Aes aes;
	int ret;

	if (t->aead == wolfssl_chacha)
		return seal ? wc_ChaCha20Poly1305_Encrypt(key, n, hdr, TLS_HDR,
							  data, len, data, tag)
			    : wc_ChaCha20Poly1305_Decrypt(key, n, hdr, TLS_HDR,
							  data, len, tag, data);
	ret = wc_AesInit(&aes, NULL, INVALID_DEVID);
	if (ret)
		return ret;
	ret = wc_AesGcmSetKey(&aes, key, t->key_len);
	if (!ret && seal)
		ret = wc_AesGcmEncrypt(&aes, data, data, len, n, TLS_IV, tag,
				       TLS_TAG, hdr, TLS_HDR);
	else if (!ret)
		ret = wc_AesGcmDecrypt(&aes, data, data, len, n, TLS_IV, tag,
				       TLS_TAG, hdr, TLS_HDR);
	wc_AesFree(&aes);
	explicit_bzero(&aes, sizeof(aes)); /* the key schedule */
	return ret;
}

/* Hand the verified session from wolfSSL to the record code below. */
static int establish(struct session *s)
{
	WOLFSSL *ssl = s->ssl;
	int cipher = wolfSSL_GetBulkCipher(ssl), klen = wolfSSL_GetKeySize(ssl);
	const uint8_t *rk = wolfSSL_GetClientWriteKey(ssl),
		      *ri = wolfSSL_GetClientWriteIV(ssl),
		      *wk = wolfSSL_GetServerWriteKey(ssl),
		      *wi = wolfSSL_GetServerWriteIV(ssl);
	word64 rseq, wseq;
	struct tls_rec *t;

	/*
	 * wolfSSL reads each record by its exact length, so none of the
	 * agent's bytes wait inside it after the handshake; only decrypted
	 * data could (wolfSSL_pending).
	 */
	if ((cipher != wolfssl_aes_gcm && cipher != wolfssl_chacha) ||
	    (cipher == wolfssl_chacha && klen != 32) ||
	    (klen != 16 && klen != 32) || wolfSSL_GetIVSize(ssl) != TLS_IV ||
	    wolfSSL_GetAeadMacSize(ssl) != TLS_TAG || !rk || !ri || !wk ||
	    !wi || wolfSSL_pending(ssl))
		return -EPROTO;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	wolfSSL_GetPeerSequenceNumber(ssl, &rseq);
	wolfSSL_GetSequenceNumber(ssl, &wseq);
	t->aead = cipher;
	t->key_len = klen;
	memcpy(t->rkey, rk, klen);
	memcpy(t->riv, ri, TLS_IV);
	memcpy(t->wkey, wk, klen);
	memcpy(t->wiv, wi, TLS_IV);
	t->rseq = rseq;
	t->wseq = wseq;
	wolfSSL_free(ssl);
	s->ssl = NULL;
	s->rec = t;
	return 0;
}

int tls_handshake(struct session *s, uint32_t *events, char *reason, size_t len,
		  char *detail, size_t dlen)
{
	int ret, e;

	if (!s->ssl) {
		s->ssl = wolfSSL_new(tpd->tls);
		if (!s->ssl ||
		    wolfSSL_set_fd(s->ssl, s->ev.fd) != WOLFSSL_SUCCESS) {
			snprintf(reason, len, "out-of-memory");
			return -EPERM;
		}
		wolfSSL_set_using_nonblock(s->ssl, 1);
	}
	ret = wolfSSL_accept(s->ssl);
	if (ret != WOLFSSL_SUCCESS) {
		e = wolfSSL_get_error(s->ssl, ret);
		if (e == WOLFSSL_ERROR_WANT_READ) {
			*events = EPOLLIN;
			return -EAGAIN;
		}
		if (e == WOLFSSL_ERROR_WANT_WRITE) {
			*events = EPOLLOUT;
			return -EAGAIN;
		}
		snprintf(reason, len, "%s", handshake_reason(e));
		snprintf(detail, dlen, "wolfSSL error %d: %s", e,
			 wolfSSL_ERR_reason_error_string(e));
		return -EPERM;
	}
	if (wolfSSL_version(s->ssl) != TLS1_3_VERSION) {
		snprintf(reason, len, "tls-version");
		return -EPERM;
	}
	ret = verify_peer(s, reason, len, detail, dlen);
	if (ret)
		return ret;
	ret = establish(s);
	if (ret) {
		s->device_id = 0; /* never counted as a session */
		snprintf(reason, len, "%s",
			 ret == -ENOMEM ? "out-of-memory" : "tls-error");
		snprintf(detail, dlen, "no record protection for suite %s",
			 wolfSSL_get_cipher_name(s->ssl));
		return -EPERM;
	}
	return 0;
}

void tls_session_free(struct session *s)
{
	wolfSSL_free(s->ssl); /* zeroes its keys */
	s->ssl = NULL;
	wipe_free(s->rec);
	s->rec = NULL;
}

static int seal(struct tls_rec *t, uint8_t type, const uint8_t *in, size_t len,
		uint8_t *out, size_t cap)
{
	uint8_t n[TLS_IV];
	size_t clen = len + 1 + TLS_TAG;

	if (len > TLS_PLAIN_MAX || cap < TLS_HDR + clen)
		return -EMSGSIZE;
	if (t->wseq == UINT64_MAX)
		return -EOVERFLOW; /* RFC 8446 5.3: never wrap */
	out[0] = TLS_CT_APPDATA;
	out[1] = 3;
	out[2] = 3;
	out[3] = clen >> 8;
	out[4] = clen & 0xff;
	memmove(out + TLS_HDR, in, len);
	out[TLS_HDR + len] = type;
	nonce(t->wiv, t->wseq, n);
	if (aead(t, true, t->wkey, n, out, out + TLS_HDR, len + 1,
		 out + TLS_HDR + len + 1))
		return -EIO;
	t->wseq++;
	return TLS_HDR + clen;
}

int tls_seal(struct session *s, const uint8_t *in, size_t len, uint8_t *out,
	     size_t cap)
{
	static const uint8_t close_notify[2] = {1, TLS_ALERT_CLOSE_NOTIFY};

	if (!s->rec)
		return -ENOTCONN;
	return in ? seal(s->rec, TLS_CT_APPDATA, in, len, out, cap)
		  : seal(s->rec, TLS_CT_ALERT, close_notify, 2, out, cap);
}

/* A fatal alert, when no queued output would be cut by it; then err. */
static int fail(struct session *s, uint8_t desc, int err)
{
	uint8_t alert[2] = {2, desc}, rec[TLS_HDR + 2 + 1 + TLS_TAG];
	int len;

	if (!s->out) {
		len = seal(s->rec, TLS_CT_ALERT, alert, 2, rec, sizeof(rec));
		if (len > 0 &&
		    send(s->ev.fd, rec, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("fd %d: alert %u not sent: %s", s->ev.fd,
				  desc, strerror(errno));
	}
	return err;
}

/* Open the record in rec[0..TLS_HDR + clen) in place. */
static int open_record(struct session *s, uint8_t *rec, uint32_t clen,
		       uint8_t **data)
{
	struct tls_rec *t = s->rec;
	uint8_t n[TLS_IV], *p = rec + TLS_HDR;
	uint32_t len = clen - TLS_TAG;

	if (t->rseq == UINT64_MAX)
		return fail(s, TLS_ALERT_UNEXPECTED, -EOVERFLOW);
	nonce(t->riv, t->rseq, n);
	if (aead(t, false, t->rkey, n, rec, p, len, p + len))
		return fail(s, TLS_ALERT_BAD_MAC, -EBADMSG);
	t->rseq++;
	/* RFC 8446 5.4: the content type is the last byte that is not 0 */
	while (len && !p[len - 1])
		len--;
	if (!len)
		return fail(s, TLS_ALERT_UNEXPECTED, -EPROTO);
	len--;
	if (len > TLS_PLAIN_MAX)
		return fail(s, TLS_ALERT_OVERFLOW, -EMSGSIZE);
	switch (p[len]) {
	case TLS_CT_APPDATA:
		*data = p;
		return len;
	case TLS_CT_ALERT:
		if (len != 2)
			return fail(s, TLS_ALERT_DECODE, -EPROTO);
		return p[1] == TLS_ALERT_CLOSE_NOTIFY ? -ESHUTDOWN
						      : -ECONNRESET;
	}
	/*
	 * A post-handshake message: a KeyUpdate would need the traffic
	 * secret, which wolfSSL does not hand out; tp-agent sends none.
	 */
	log_debug("fd %d: TLS content type %u after the handshake", s->ev.fd,
		  p[len]);
	return fail(s, TLS_ALERT_UNEXPECTED, -EPROTO);
}

int tls_recv(struct session *s, uint8_t *rec, uint8_t **data)
{
	struct tls_rec *t = s->rec;
	uint32_t have = 0, need = TLS_HDR, clen = 0;
	ssize_t n;

	if (!t)
		return -ENOTCONN;
	if (t->part) {
		memcpy(rec, t->part, t->part_len);
		have = t->part_len;
		free(t->part);
		t->part = NULL;
		t->part_len = 0;
	}
	for (;;) {
		if (have >= TLS_HDR && !clen) {
			clen = (uint32_t)rec[3] << 8 | rec[4];
			if (rec[0] != TLS_CT_APPDATA)
				return fail(s, TLS_ALERT_UNEXPECTED, -EPROTO);
			if (rec[1] != 3 || rec[2] != 3 || clen <= TLS_TAG)
				return fail(s, TLS_ALERT_DECODE, -EPROTO);
			if (clen > TLS_RECORD_MAX - TLS_HDR)
				return fail(s, TLS_ALERT_OVERFLOW, -EMSGSIZE);
			need = TLS_HDR + clen;
		}
		if (have == need)
			return open_record(s, rec, clen, data);
		/* exactly what this record lacks: the next stays queued */
		n = recv(s->ev.fd, rec + have, need - have, 0);
		if (n > 0) {
			have += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (n == 0)
			return -ECONNRESET; /* no close_notify */
		if (have) {
			/* only while a record is half in: idle costs nothing */
			t->part = malloc(have);
			if (!t->part)
				return -ENOMEM;
			memcpy(t->part, rec, have);
			t->part_len = have;
		}
		return -EAGAIN;
	}
}
