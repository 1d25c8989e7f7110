// SPDX-License-Identifier: GPL-2.0-only
/*
 * ocsp.c - the OCSP wire format, ours because wolfSSL 5.5.4 has no
 * responder API: a strict DER decoder of OCSPRequest (RFC 6960 4.1),
 * the encoder of OCSPResponse/BasicOCSPResponse (4.2) and the GET form
 * of RFC 5019 (percent-encoded base64). It needs only libc, so
 * selftests/fuzz/fuzz_ocsp.c links it alone.
 *
 * Strict means: definite, minimal lengths; every length inside what
 * contains it; nothing after the outer SEQUENCE; no DEFAULT value
 * encoded (except an explicit version v1, which some clients write);
 * minimal INTEGERs; well-formed OIDs; BOOLEAN TRUE only as 0xff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ocsp.h"

/* ---- reading ---- */

struct rd {
	const uint8_t *p, *end;
};

/* One TLV of tag want (< 0: any); its content in *c. 0 or -EBADMSG. */
static int tlv(struct rd *d, int want, int *tag, struct rd *c)
{
	const uint8_t *p = d->p;
	size_t len;
	int t, n;

	if (d->end - p < 2)
		return -EBADMSG;
	t = *p++;
	if ((t & 0x1f) == 0x1f) /* high tag numbers: none in OCSP */
		return -EBADMSG;
	if (want >= 0 && t != want)
		return -EBADMSG;
	len = *p++;
	if (len & 0x80) {
		/* 0x80 is the indefinite form; more than 3 octets never fit */
		n = len & 0x7f;
		if (n == 0 || n > 3 || d->end - p < n || *p == 0)
			return -EBADMSG;
		for (len = 0; n; n--)
			len = len << 8 | *p++;
		if (len < 0x80) /* the short form was due */
			return -EBADMSG;
	}
	if (len > (size_t)(d->end - p))
		return -EBADMSG;
	if (tag)
		*tag = t;
	if (c) {
		c->p = p;
		c->end = p + len;
	}
	d->p = p + len;
	return 0;
}

static bool peek(const struct rd *d, int tag)
{
	return d->p < d->end && *d->p == tag;
}

static bool done(const struct rd *d)
{
	return d->p == d->end;
}

static size_t rd_len(const struct rd *d)
{
	return d->end - d->p;
}

/* Subidentifiers in base 128, each minimal, the last one complete. */
static int oid(struct rd *d, struct rd *o)
{
	const uint8_t *p;
	bool start = true;

	if (tlv(d, 0x06, NULL, o) || done(o))
		return -EBADMSG;
	for (p = o->p; p < o->end; p++) {
		if (start && *p == 0x80)
			return -EBADMSG;
		start = !(*p & 0x80);
	}
	return start ? 0 : -EBADMSG;
}

static bool oid_is(const struct rd *o, const uint8_t *v, size_t len)
{
	return rd_len(o) == len && !memcmp(o->p, v, len);
}

static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t oid_sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65,
				     0x03, 0x04, 0x02, 0x01};
static const uint8_t oid_nonce[] = {0x2b, 0x06, 0x01, 0x05, 0x05,
				    0x07, 0x30, 0x01, 0x02};
static const uint8_t oid_basic[] = {0x2b, 0x06, 0x01, 0x05, 0x05,
				    0x07, 0x30, 0x01, 0x01};

#define MAX_EXTS 16

/*
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, inside an EXPLICIT
 * wrapper w. Each extnID at most once; a critical one we do not know is
 * malformed (we cannot honour it). The nonce is returned when asked for.
 */
static int extensions(struct rd w, const uint8_t **nonce, size_t *nonce_len)
{
	struct rd seq, ext, id, crit, val, seen[MAX_EXTS];
	int n = 0, i;

	if (tlv(&w, 0x30, NULL, &seq) || !done(&w) || done(&seq))
		return -EBADMSG;
	while (!done(&seq)) {
		bool critical = false;

		if (n == MAX_EXTS || tlv(&seq, 0x30, NULL, &ext) ||
		    oid(&ext, &id))
			return -EBADMSG;
		if (peek(&ext, 0x01)) {
			/* DEFAULT FALSE: only TRUE may be written, as 0xff */
			if (tlv(&ext, 0x01, NULL, &crit) ||
			    rd_len(&crit) != 1 || *crit.p != 0xff)
				return -EBADMSG;
			critical = true;
		}
		if (tlv(&ext, 0x04, NULL, &val) || !done(&ext))
			return -EBADMSG;
		for (i = 0; i < n; i++)
			if (oid_is(&seen[i], id.p, rd_len(&id)))
				return -EBADMSG;
		seen[n++] = id;
		if (nonce && oid_is(&id, oid_nonce, sizeof(oid_nonce))) {
			if (done(&val) || rd_len(&val) > OCSP_NONCE_MAX)
				return -EBADMSG;
			*nonce = val.p;
			*nonce_len = rd_len(&val);
		} else if (critical) {
			return -EBADMSG;
		}
	}
	return 0;
}

/* AlgorithmIdentifier of SHA-1 or SHA-256, parameters NULL or absent. */
static int hash_algo(struct rd *d, enum ocsp_hash *h)
{
	struct rd alg, o, null;

	if (tlv(d, 0x30, NULL, &alg) || oid(&alg, &o))
		return -EBADMSG;
	if (!done(&alg) &&
	    (tlv(&alg, 0x05, NULL, &null) || !done(&null) || !done(&alg)))
		return -EBADMSG;
	if (oid_is(&o, oid_sha1, sizeof(oid_sha1)))
		*h = OCSP_HASH_SHA1;
	else if (oid_is(&o, oid_sha256, sizeof(oid_sha256)))
		*h = OCSP_HASH_SHA256;
	else
		return -EBADMSG;
	return 0;
}

/*
 * The serial as the registry keys it: lower-case hex of the INTEGER's
 * magnitude. Negative or over-long serials are valid DER but never ours:
 * "" makes them unknown without a lookup.
 */
static int serial_hex(struct rd *d, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct rd v;
	size_t i, n;

	if (tlv(d, 0x02, NULL, &v) || done(&v))
		return -EBADMSG;
	n = rd_len(&v);
	if (n > 1 && ((v.p[0] == 0x00 && !(v.p[1] & 0x80)) ||
		      (v.p[0] == 0xff && (v.p[1] & 0x80))))
		return -EBADMSG; /* not minimal */
	out[0] = 0;
	if (v.p[0] & 0x80)
		return 0;
	if (n > 1 && v.p[0] == 0) {
		v.p++;
		n--;
	}
	if (n > 32)
		return 0;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[v.p[i] >> 4];
		out[2 * i + 1] = hex[v.p[i] & 15];
	}
	out[2 * n] = 0;
	return 0;
}

/* Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] } */
static int one_request(struct rd *list, struct ocsp_cert_id *id)
{
	struct rd r, cid, name, key, w;
	size_t want;

	if (tlv(list, 0x30, NULL, &r))
		return -EBADMSG;
	id->der = r.p;
	if (tlv(&r, 0x30, NULL, &cid))
		return -EBADMSG;
	id->der_len = r.p - id->der;
	if (hash_algo(&cid, &id->hash) || tlv(&cid, 0x04, NULL, &name) ||
	    tlv(&cid, 0x04, NULL, &key) || serial_hex(&cid, id->serial) ||
	    !done(&cid))
		return -EBADMSG;
	want = id->hash == OCSP_HASH_SHA1 ? 20 : 32;
	if (rd_len(&name) != want || rd_len(&key) != want)
		return -EBADMSG;
	id->name_hash = name.p;
	id->key_hash = key.p;
	if (peek(&r, 0xa0) &&
	    (tlv(&r, 0xa0, NULL, &w) || extensions(w, NULL, NULL)))
		return -EBADMSG;
	return done(&r) ? 0 : -EBADMSG;
}

/* Signature ::= SEQUENCE { AlgorithmIdentifier, BIT STRING, [0] certs } */
static int signature(struct rd w)
{
	struct rd sig, alg, o;

	if (tlv(&w, 0x30, NULL, &sig) || !done(&w) ||
	    tlv(&sig, 0x30, NULL, &alg) || oid(&alg, &o) ||
	    tlv(&sig, 0x03, NULL, NULL))
		return -EBADMSG;
	if (peek(&sig, 0xa0) && tlv(&sig, 0xa0, NULL, NULL))
		return -EBADMSG;
	return done(&sig) ? 0 : -EBADMSG;
}

int ocsp_request_decode(const uint8_t *der, size_t len,
			struct ocsp_request *req)
{
	static const uint8_t v1[] = {0x02, 0x01, 0x00};
	struct rd d = {der, der + len}, top, tbs, w, list;
	int ret;

	memset(req, 0, sizeof(*req));
	if (!der || len > OCSP_REQUEST_MAX || tlv(&d, 0x30, NULL, &top) ||
	    !done(&d) || tlv(&top, 0x30, NULL, &tbs))
		return -EBADMSG;
	if (peek(&top, 0xa0)) {
		if (tlv(&top, 0xa0, NULL, &w) || signature(w))
			return -EBADMSG;
		req->has_signature = true;
	}
	if (!done(&top))
		return -EBADMSG;

	if (peek(&tbs, 0xa0) &&
	    (tlv(&tbs, 0xa0, NULL, &w) || rd_len(&w) != sizeof(v1) ||
	     memcmp(w.p, v1, sizeof(v1))))
		return -EBADMSG;
	/* requestorName [1] EXPLICIT GeneralName: one TLV, not looked at */
	if (peek(&tbs, 0xa1) &&
	    (tlv(&tbs, 0xa1, NULL, &w) || tlv(&w, -1, NULL, NULL) || !done(&w)))
		return -EBADMSG;
	if (tlv(&tbs, 0x30, NULL, &list) || done(&list))
		return -EBADMSG;
	while (!done(&list)) {
		if (req->n == OCSP_MAX_REQUESTS)
			return -E2BIG;
		ret = one_request(&list, &req->ids[req->n]);
		if (ret)
			return ret;
		req->n++;
	}
	if (peek(&tbs, 0xa2) && (tlv(&tbs, 0xa2, NULL, &w) ||
				 extensions(w, &req->nonce, &req->nonce_len)))
		return -EBADMSG;
	return done(&tbs) ? 0 : -EBADMSG;
}

/* ---- writing ---- */

/*
 * A growing buffer; nested TLVs are written content first and closed
 * with their header afterwards (a memmove; responses are small). The
 * first failure sticks in err and every later call does nothing.
 */
struct wr {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static bool reserve(struct wr *b, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (b->err)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 512;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put(struct wr *b, const void *s, size_t n)
{
	if (n && reserve(b, n)) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static size_t open_tlv(struct wr *b)
{
	return b->len;
}

/* Put the header of tag in front of everything written since start. */
static void close_tlv(struct wr *b, size_t start, int tag)
{
	size_t n = b->len - start, hl;
	uint8_t h[5];

	if (b->err)
		return;
	if (n > 0xffffff) {
		b->err = -E2BIG;
		return;
	}
	h[0] = tag;
	if (n < 0x80) {
		h[1] = n;
		hl = 2;
	} else if (n < 0x100) {
		h[1] = 0x81;
		h[2] = n;
		hl = 3;
	} else if (n < 0x10000) {
		h[1] = 0x82;
		h[2] = n >> 8;
		h[3] = n;
		hl = 4;
	} else {
		h[1] = 0x83;
		h[2] = n >> 16;
		h[3] = n >> 8;
		h[4] = n;
		hl = 5;
	}
	if (!reserve(b, hl))
		return;
	memmove(b->p + start + hl, b->p + start, n);
	memcpy(b->p + start, h, hl);
	b->len += hl;
}

static void put_tlv(struct wr *b, int tag, const void *s, size_t n)
{
	size_t at = open_tlv(b);

	put(b, s, n);
	close_tlv(b, at, tag);
}

/* GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5.2: UTC, no fraction). */
static void put_time(struct wr *b, int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = t;

	if (t < 0 || t > 253402300799LL /* 9999-12-31T23:59:59Z */ ||
	    !gmtime_r(&tt, &tm) ||
	    strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm) != 15) {
		if (!b->err)
			b->err = -ERANGE;
		return;
	}
	put_tlv(b, 0x18, s, 15);
}

static int finish(struct wr *b, uint8_t **der, size_t *len)
{
	if (b->err) {
		free(b->p);
		return b->err;
	}
	*der = b->p;
	*len = b->len;
	return 0;
}

/* RFC 5280 5.3.1: unspecified (0) is said by leaving the reason out. */
static bool reason_ok(int r)
{
	return r >= 1 && r <= 10 && r != 7;
}

static void single(struct wr *b, const struct ocsp_single *s,
		   const struct ocsp_tbs *t)
{
	static const uint8_t good[] = {0x80, 0x00}, unknown[] = {0x82, 0x00};
	size_t at = open_tlv(b), rev, w;

	put(b, s->id->der, s->id->der_len);
	if (s->status == OCSP_STATUS_GOOD) {
		put(b, good, sizeof(good));
	} else if (s->status == OCSP_STATUS_REVOKED) {
		rev = open_tlv(b);
		put_time(b, s->revoked_at);
		if (reason_ok(s->reason)) {
			uint8_t e[] = {0x0a, 0x01, s->reason};

			put_tlv(b, 0xa0, e, sizeof(e));
		}
		close_tlv(b, rev, 0xa1);
	} else {
		put(b, unknown, sizeof(unknown));
	}
	put_time(b, t->now);
	if (t->next_update_s) {
		w = open_tlv(b);
		put_time(b, t->now + t->next_update_s);
		close_tlv(b, w, 0xa0);
	}
	close_tlv(b, at, 0x30);
}

int ocsp_encode_tbs(const struct ocsp_tbs *t, uint8_t **der, size_t *len)
{
	struct wr b = {0};
	size_t data, w, list, exts, ext;
	unsigned int i;

	if (t->nonce_len > OCSP_NONCE_MAX)
		return -EINVAL;
	data = open_tlv(&b);
	w = open_tlv(&b); /* responderID byKey [2] EXPLICIT KeyHash */
	put_tlv(&b, 0x04, t->responder_key_hash, 20);
	close_tlv(&b, w, 0xa2);
	put_time(&b, t->now); /* producedAt */
	list = open_tlv(&b);
	for (i = 0; i < t->n; i++)
		single(&b, &t->single[i], t);
	close_tlv(&b, list, 0x30);
	if (t->nonce_len) {
		w = open_tlv(&b);
		exts = open_tlv(&b);
		ext = open_tlv(&b);
		put_tlv(&b, 0x06, oid_nonce, sizeof(oid_nonce));
		put_tlv(&b, 0x04, t->nonce, t->nonce_len);
		close_tlv(&b, ext, 0x30);
		close_tlv(&b, exts, 0x30);
		close_tlv(&b, w, 0xa1);
	}
	close_tlv(&b, data, 0x30);
	return finish(&b, der, len);
}

int ocsp_encode_basic(const uint8_t *tbs, size_t tbs_len, const uint8_t *sigalg,
		      size_t sigalg_len, const uint8_t *sig, size_t sig_len,
		      const uint8_t *cert, size_t cert_len, uint8_t **der,
		      size_t *len)
{
	static const uint8_t successful[] = {0x0a, 0x01, OCSP_RESP_SUCCESSFUL};
	struct wr b = {0};
	size_t top, w, rb, oct, basic, bits, certs, seq;

	top = open_tlv(&b);
	put(&b, successful, sizeof(successful));
	w = open_tlv(&b); /* responseBytes [0] EXPLICIT ResponseBytes */
	rb = open_tlv(&b);
	put_tlv(&b, 0x06, oid_basic, sizeof(oid_basic));
	oct = open_tlv(&b);
	basic = open_tlv(&b);
	put(&b, tbs, tbs_len);
	put(&b, sigalg, sigalg_len);
	bits = open_tlv(&b);
	put(&b, "", 1); /* no unused bits */
	put(&b, sig, sig_len);
	close_tlv(&b, bits, 0x03);
	if (cert_len) {
		certs = open_tlv(&b);
		seq = open_tlv(&b);
		put(&b, cert, cert_len);
		close_tlv(&b, seq, 0x30);
		close_tlv(&b, certs, 0xa0);
	}
	close_tlv(&b, basic, 0x30);
	close_tlv(&b, oct, 0x04);
	close_tlv(&b, rb, 0x30);
	close_tlv(&b, w, 0xa0);
	close_tlv(&b, top, 0x30);
	return finish(&b, der, len);
}

int ocsp_encode_error(enum ocsp_resp_status st, uint8_t **der, size_t *len)
{
	uint8_t *p = malloc(5);

	if (!p)
		return -ENOMEM;
	p[0] = 0x30;
	p[1] = 3;
	p[2] = 0x0a;
	p[3] = 1;
	p[4] = st;
	*der = p;
	*len = 5;
	return 0;
}

/* ---- GET ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Longest path we take: base64 of OCSP_REQUEST_MAX, all percent-encoded. */
#define GET_PATH_MAX ((OCSP_REQUEST_MAX + 2) / 3 * 4 * 3)

int ocsp_decode_get_path(const char *path, uint8_t **der, size_t *len)
{
	size_t plen, n = 0, i, out = 0, pad = 0;
	char *b64 = NULL;
	uint8_t *bin = NULL;
	int ret = -EBADMSG;

	*der = NULL;
	*len = 0;
	if (!path)
		return -EBADMSG;
	plen = strnlen(path, GET_PATH_MAX + 1);
	if (!plen || plen > GET_PATH_MAX)
		return -EBADMSG;
	b64 = malloc(plen + 1);
	if (!b64)
		return -ENOMEM;
	/* Percent-decoding; '+' '/' '=' may also come unencoded. */
	for (i = 0; i < plen; i++) {
		int c = (unsigned char)path[i];

		if (c == '%') {
			int hi = hexval(path[i + 1]), lo;

			lo = hi < 0 ? -1 : hexval(path[i + 2]);
			if (lo < 0)
				goto out;
			c = hi << 4 | lo;
			i += 2;
		}
		if (b64val(c) < 0 && c != '=')
			goto out;
		b64[n++] = c;
	}
	if (n % 4)
		goto out;
	while (pad < 2 && n - pad > 0 && b64[n - pad - 1] == '=')
		pad++;
	bin = malloc(n / 4 * 3 + 1);
	if (!bin) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i += 4) {
		int v[4], k;
		uint32_t w = 0;

		for (k = 0; k < 4; k++) {
			v[k] = b64val(b64[i + k]);
			/* '=' only as the padding at the very end */
			if (v[k] < 0 &&
			    !(b64[i + k] == '=' && i + k >= n - pad))
				goto out;
			w = w << 6 | (v[k] < 0 ? 0 : v[k]);
		}
		bin[out++] = w >> 16;
		if (i + 4 < n || pad < 2)
			bin[out++] = w >> 8;
		if (i + 4 < n || pad < 1)
			bin[out++] = w;
		/* canonical: the bits the padding drops are zero */
		if (i + 4 == n &&
		    ((pad == 2 && (w & 0xffff)) || (pad == 1 && (w & 0xff))))
			goto out;
	}
	if (!out)
		goto out;
	*der = bin;
	*len = out;
	bin = NULL;
	ret = 0;
out:
	free(b64);
	free(bin);
	return ret;
}
