// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_info.c - what a certificate says, read with our own strict DER
 * walker: subject and issuer (RFC 4514), serial, validity, key type, SKI,
 * CA flag, extended key usage clientAuth and the SHA-256 of the DER. The walker
 * refuses anything that is not a well-formed X.509 certificate, so this is also
 * the check applied to files handed to ca_import.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "lib/ca_int.h"

static void hex(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t i;

	out[0] = 0;
	for (i = 0; i < n && 2 * i + 2 < outlen; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static const uint8_t oid_ski[] = {0x55, 0x1d, 0x0e};
static const uint8_t oid_bc[] = {0x55, 0x1d, 0x13};
static const uint8_t oid_eku[] = {0x55, 0x1d, 0x25};
/* id-kp-clientAuth, 1.3.6.1.5.5.7.3.2 */
static const uint8_t oid_client_auth[] = {0x2b, 0x06, 0x01, 0x05,
					  0x05, 0x07, 0x03, 0x02};

/* ExtKeyUsageSyntax: SEQUENCE OF KeyPurposeId; is clientAuth among them? */
static int read_eku(struct der val, bool *client_auth)
{
	struct der seq, oid;

	if (der_get(&val, 0x30, NULL, &seq) || val.p != val.end)
		return -EBADMSG;
	while (seq.p < seq.end) {
		if (der_get(&seq, 0x06, NULL, &oid))
			return -EBADMSG;
		if (oid.end - oid.p == sizeof(oid_client_auth) &&
		    !memcmp(oid.p, oid_client_auth, sizeof(oid_client_auth)))
			*client_auth = true;
	}
	return 0;
}

static int read_extensions(struct der exts, struct ca_cert_info *i)
{
	struct der seq, ext, oid, val, inner, bc;

	if (der_get(&exts, 0x30, NULL, &seq) || exts.p != exts.end)
		return -EBADMSG;
	while (seq.p < seq.end) {
		if (der_get(&seq, 0x30, NULL, &ext) ||
		    der_get(&ext, 0x06, NULL, &oid))
			return -EBADMSG;
		if (der_peek(&ext, 0x01) && der_get(&ext, 0x01, NULL, NULL))
			return -EBADMSG;
		if (der_get(&ext, 0x04, NULL, &val) || ext.p != ext.end)
			return -EBADMSG;
		if (oid.end - oid.p != 3)
			continue;
		if (!memcmp(oid.p, oid_ski, 3)) {
			if (der_get(&val, 0x04, NULL, &inner) ||
			    inner.end - inner.p > 32)
				return -EBADMSG;
			hex(i->ski, sizeof(i->ski), inner.p,
			    inner.end - inner.p);
		} else if (!memcmp(oid.p, oid_bc, 3)) {
			if (der_get(&val, 0x30, NULL, &bc))
				return -EBADMSG;
			i->is_ca = bc.end - bc.p >= 3 && bc.p[0] == 0x01 &&
				   bc.p[1] == 1 && bc.p[2] != 0;
		} else if (!memcmp(oid.p, oid_eku, 3)) {
			if (read_eku(val, &i->client_auth))
				return -EBADMSG;
		}
	}
	return 0;
}

static int describe_der(const uint8_t *der, size_t len, struct ca_cert_info *i)
{
	struct der d = {der, der + len}, cert, tbs, serial, name, validity, t1,
		   t2, spki, ext;
	const uint8_t *name_p, *spki_p;
	int tag1, tag2, type, bits, ret;

	if (der_get(&d, 0x30, NULL, &cert) || d.p != d.end ||
	    der_get(&cert, 0x30, NULL, &tbs) ||
	    der_get(&cert, 0x30, NULL, NULL) ||
	    der_get(&cert, 0x03, NULL, NULL) || cert.p != cert.end)
		return -EBADMSG;
	if (der_peek(&tbs, 0xa0) && der_get(&tbs, 0xa0, NULL, NULL))
		return -EBADMSG;
	if (der_get(&tbs, 0x02, NULL, &serial) || serial.p == serial.end ||
	    serial.end - serial.p > 32 || der_get(&tbs, 0x30, NULL, NULL))
		return -EBADMSG;
	/* Leading zero bytes are DER's sign padding, not part of the number. */
	while (serial.end - serial.p > 1 && serial.p[0] == 0)
		serial.p++;
	hex(i->serial, sizeof(i->serial), serial.p, serial.end - serial.p);

	name_p = tbs.p;
	if (der_get(&tbs, 0x30, NULL, &name) ||
	    ca_name_format(name_p, tbs.p - name_p, i->issuer,
			   sizeof(i->issuer)))
		return -EBADMSG;
	if (der_get(&tbs, 0x30, NULL, &validity) ||
	    der_get(&validity, -1, &tag1, &t1) ||
	    der_get(&validity, -1, &tag2, &t2) || validity.p != validity.end ||
	    der_time(&t1, tag1, &i->not_before) ||
	    der_time(&t2, tag2, &i->not_after))
		return -EBADMSG;
	name_p = tbs.p;
	if (der_get(&tbs, 0x30, NULL, &name) ||
	    ca_name_format(name_p, tbs.p - name_p, i->subject,
			   sizeof(i->subject)))
		return -EBADMSG;
	spki_p = tbs.p;
	if (der_get(&tbs, 0x30, NULL, &spki))
		return -EBADMSG;
	ret = ca_spki_algo(spki_p, tbs.p - spki_p, i->key_algo, &type, &bits);
	if (ret && ret != -EOPNOTSUPP)
		return ret;
	/* issuerUniqueID, subjectUniqueID: skipped; extensions: read. */
	while (tbs.p < tbs.end) {
		int tag;

		if (der_get(&tbs, -1, &tag, &ext))
			return -EBADMSG;
		if (tag == 0xa3 && read_extensions(ext, i))
			return -EBADMSG;
	}
	return 0;
}

int ca_cert_describe(const uint8_t *cert, size_t len, struct ca_cert_info *i,
		     char err[CA_ERR_LEN])
{
	uint8_t *der = NULL, digest[WC_SHA256_DIGEST_SIZE];
	char label[32] = "";
	size_t der_len = len;
	int ret;

	memset(i, 0, sizeof(*i));
	if (!cert || !len) {
		ca_errf(err, "empty certificate");
		return -EINVAL;
	}
	if (ca_is_pem(cert, len)) {
		ret = ca_pem_decode(cert, len, "CERTIFICATE", &der, &der_len,
				    label);
		if (ret == -ENOENT) {
			if (!ca_pem_decode(cert, len, NULL, &der, &der_len,
					   label))
				ca_wipe_free(der, der_len);
			ca_errf(err, "expected a PEM CERTIFICATE, found %s",
				label[0] ? label : "none");
			return -EINVAL;
		}
		if (ret) {
			ca_errf(err, "malformed PEM certificate");
			return ret;
		}
		cert = der;
	}
	ret = describe_der(cert, der_len, i);
	if (ret) {
		ca_errf(err, "not a well-formed X.509 certificate");
		memset(i, 0, sizeof(*i));
		goto out;
	}
	if (wc_Sha256Hash(cert, der_len, digest)) {
		ret = -EIO;
		goto out;
	}
	hex(i->sha256, sizeof(i->sha256), digest, sizeof(digest));
out:
	free(der);
	return ret;
}
