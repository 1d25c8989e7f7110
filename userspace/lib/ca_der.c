// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_der.c - the little DER the CA reads and writes itself: a strict TLV
 * reader (definite lengths, minimal encoding, no reads past the end),
 * header writing, X.509 times, and the key algorithm of a
 * SubjectPublicKeyInfo. wolfSSL makes and signs the certificates; this
 * only fills what its 5.5.4 API leaves out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/ca_int.h"

int der_get(struct der *d, int tag_want, int *tag, struct der *content)
{
	const uint8_t *p = d->p;
	size_t len, avail;
	int t, n;

	if (d->end - p < 2)
		return -EBADMSG;
	t = *p++;
	if ((t & 0x1f) == 0x1f) /* high tag numbers: never in what we read */
		return -EBADMSG;
	len = *p++;
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 4 || d->end - p < n)
			return -EBADMSG;
		if (*p == 0) /* not minimal */
			return -EBADMSG;
		for (len = 0; n; n--)
			len = len << 8 | *p++;
		if (len < 0x80)
			return -EBADMSG;
	}
	avail = d->end - p;
	if (len > avail)
		return -EBADMSG;
	if (tag_want >= 0 && t != tag_want)
		return -EBADMSG;
	if (tag)
		*tag = t;
	if (content) {
		content->p = p;
		content->end = p + len;
	}
	d->p = p + len;
	return 0;
}

bool der_peek(const struct der *d, int tag)
{
	return d->p < d->end && *d->p == tag;
}

size_t der_hdr(uint8_t *out, int tag, size_t len)
{
	size_t n = 0;

	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = len;
	} else if (len < 0x100) {
		out[n++] = 0x81;
		out[n++] = len;
	} else if (len < 0x10000) {
		out[n++] = 0x82;
		out[n++] = len >> 8;
		out[n++] = len;
	} else {
		out[n++] = 0x83;
		out[n++] = len >> 16;
		out[n++] = len >> 8;
		out[n++] = len;
	}
	return n;
}

static int digits(const uint8_t *p, int n)
{
	int v = 0;

	while (n--) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	return v;
}

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280). */
int der_time(const struct der *t, int tag, int64_t *unix_s)
{
	const uint8_t *p = t->p;
	size_t len = t->end - t->p;
	struct tm tm = {0};
	int year;

	if (tag == 0x17 && len == 13) {
		year = digits(p, 2);
		if (year < 0)
			return -EBADMSG;
		year += year < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == 0x18 && len == 15) {
		year = digits(p, 4);
		p += 4;
	} else {
		return -EBADMSG;
	}
	if (p[10] != 'Z')
		return -EBADMSG;
	tm.tm_year = year - 1900;
	tm.tm_mon = digits(p, 2) - 1;
	tm.tm_mday = digits(p + 2, 2);
	tm.tm_hour = digits(p + 4, 2);
	tm.tm_min = digits(p + 6, 2);
	tm.tm_sec = digits(p + 8, 2);
	if (year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -EBADMSG;
	*unix_s = timegm(&tm);
	return 0;
}

static bool oid_is(const struct der *o, const uint8_t *oid, size_t len)
{
	return (size_t)(o->end - o->p) == len && !memcmp(o->p, oid, len);
}

static const uint8_t oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 2, 1};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ed25519[] = {0x2b, 0x65, 0x70};
static const uint8_t oid_ed448[] = {0x2b, 0x65, 0x71};
static const uint8_t oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
				  0x0d, 0x01, 0x01, 0x01};

/* Bits in the RSA modulus inside the subjectPublicKey BIT STRING. */
static int rsa_bits(struct der bits)
{
	struct der rsa, seq, n;

	if (bits.p == bits.end || *bits.p++ != 0)
		return -EBADMSG;
	rsa = bits;
	if (der_get(&rsa, 0x30, NULL, &seq) || der_get(&seq, 0x02, NULL, &n))
		return -EBADMSG;
	while (n.p < n.end && *n.p == 0)
		n.p++;
	if (n.p == n.end)
		return -EBADMSG;
	return (n.end - n.p - 1) * 8 + 32 - __builtin_clz(*n.p);
}

int ca_spki_algo(const uint8_t *spki, size_t len, char name[16], int *type,
		 int *bits)
{
	struct der d = {spki, spki + len}, seq, alg, oid, param, bitstr;

	if (der_get(&d, 0x30, NULL, &seq) || d.p != d.end ||
	    der_get(&seq, 0x30, NULL, &alg) ||
	    der_get(&alg, 0x06, NULL, &oid) ||
	    der_get(&seq, 0x03, NULL, &bitstr))
		return -EBADMSG;
	*bits = 0;
	if (oid_is(&oid, oid_ec_pub, sizeof(oid_ec_pub))) {
		if (der_get(&alg, 0x06, NULL, &param))
			return -EBADMSG;
		*type = ECC_TYPE;
		if (oid_is(&param, oid_p256, sizeof(oid_p256)))
			*bits = 256;
		else if (oid_is(&param, oid_p384, sizeof(oid_p384)))
			*bits = 384;
		else if (oid_is(&param, oid_p521, sizeof(oid_p521)))
			*bits = 521;
		else
			return -EOPNOTSUPP;
		snprintf(name, 16, "ecdsa-p%d", *bits);
	} else if (oid_is(&oid, oid_ed25519, sizeof(oid_ed25519))) {
		*type = ED25519_TYPE;
		*bits = 256;
		snprintf(name, 16, "ed25519");
	} else if (oid_is(&oid, oid_ed448, sizeof(oid_ed448))) {
		*type = ED448_TYPE;
		*bits = 456;
		snprintf(name, 16, "ed448");
		return -EOPNOTSUPP;
	} else if (oid_is(&oid, oid_rsa, sizeof(oid_rsa))) {
		*type = RSA_TYPE;
		*bits = rsa_bits(bitstr);
		if (*bits < 0)
			return -EBADMSG;
		snprintf(name, 16, "rsa-%d", *bits);
	} else {
		snprintf(name, 16, "unknown");
		return -EOPNOTSUPP;
	}
	return 0;
}
