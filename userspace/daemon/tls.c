// SPDX-License-Identifier: GPL-2.0-only
/*
 * tls.c - the mutual-TLS side of trustpointd: a TLS 1.3-only wolfSSL
 * context that requires a client certificate chaining to the trustpoint
 * CA, non-blocking handshakes, and the checks that follow a handshake:
 * not a CA, EKU clientAuth, within validity, issuer + serial good in the
 * registry, device active. Every refusal is named by a short reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "daemon/daemon.h"
#include "lib/ca.h"
#include "lib/registry.h"

#define KEY_FILE_MAX (64 * 1024)

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

/* Does the certificate carry EKU clientAuth? */
static bool has_client_auth(const uint8_t *der, int len)
{
	DecodedCert dc;
	bool ok;

	wc_InitDecodedCert(&dc, der, len, NULL);
	ok = !wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL) &&
	     dc.extExtKeyUsageSet &&
	     (dc.extExtKeyUsage & EXTKEYUSE_CLIENT_AUTH);
	wc_FreeDecodedCert(&dc);
	return ok;
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
	if (!has_client_auth(der, dlen_der)) {
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
	return verify_peer(s, reason, len, detail, dlen);
}
