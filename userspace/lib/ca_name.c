// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_name.c - distinguished names between text and DER. Text is RFC 4514
 * ("CN=x,O=y", last RDN first) with OpenSSL's attribute names, so that
 * what we print matches `openssl x509 -nameopt RFC2253`, and the issuer
 * string is a stable key for the registry.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/ca_int.h"

struct attr {
	const char *name;  /* OpenSSL's short name */
	const char *alias; /* also accepted when parsing */
	uint8_t oid[10];
	uint8_t oid_len;
};

static const struct attr attrs[] = {
	{"CN", NULL, {0x55, 4, 3}, 3},
	{"SN", "surname", {0x55, 4, 4}, 3},
	{"serialNumber", NULL, {0x55, 4, 5}, 3},
	{"C", NULL, {0x55, 4, 6}, 3},
	{"L", NULL, {0x55, 4, 7}, 3},
	{"ST", NULL, {0x55, 4, 8}, 3},
	{"street", "STREET", {0x55, 4, 9}, 3},
	{"O", NULL, {0x55, 4, 10}, 3},
	{"OU", NULL, {0x55, 4, 11}, 3},
	{"title", NULL, {0x55, 4, 12}, 3},
	{"postalCode", NULL, {0x55, 4, 17}, 3},
	{"name", NULL, {0x55, 4, 41}, 3},
	{"GN", "givenName", {0x55, 4, 42}, 3},
	{"initials", NULL, {0x55, 4, 43}, 3},
	{"dnQualifier", NULL, {0x55, 4, 46}, 3},
	{"emailAddress",
	 "E",
	 {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01},
	 9},
	{"UID",
	 "userId",
	 {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01},
	 10},
	{"DC",
	 NULL,
	 {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19},
	 10},
};
#define N_ATTRS (int)(sizeof(attrs) / sizeof(attrs[0]))

/* Where in a CertName each parseable attribute goes. */
static char *name_field(CertName *n, const char *key, char **enc)
{
	static const struct {
		const char *key;
		size_t off, enc_off;
	} map[] = {
#define F(k, f) {k, offsetof(CertName, f), offsetof(CertName, f##Enc)}
		F("CN", commonName),
		F("SN", sur),
		F("serialNumber", serialDev),
		F("C", country),
		F("L", locality),
		F("ST", state),
		F("street", street),
		F("O", org),
		F("OU", unit),
		F("postalCode", postalCode),
		F("UID", userId),
		F("GN", givenName),
		F("initials", initials),
		F("dnQualifier", dnQualifier),
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].key, key))
			continue;
		*enc = (char *)n + map[i].enc_off;
		return (char *)n + map[i].off;
	}
	if (!strcmp(key, "emailAddress")) {
		*enc = NULL; /* wolfSSL encodes it as IA5String itself */
		return n->email;
	}
	return NULL;
}

static const struct attr *attr_by_name(const char *s, size_t len)
{
	int i;

	for (i = 0; i < N_ATTRS; i++) {
		const struct attr *a = &attrs[i];

		if ((strlen(a->name) == len && !strncasecmp(a->name, s, len)) ||
		    (a->alias && strlen(a->alias) == len &&
		     !strncasecmp(a->alias, s, len)))
			return a;
	}
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One RFC 4514 value up to an unescaped ',' (or the end), unescaped. */
static int parse_value(const char **sp, char *out, size_t outlen,
		       char err[CA_ERR_LEN])
{
	const char *s = *sp;
	size_t n = 0;
	int c, h, l;

	while (*s && *s != ',') {
		c = (unsigned char)*s++;
		if (c == '+') {
			ca_errf(err,
				"multi-valued RDNs ('+') are not supported");
			return -EINVAL;
		}
		if (c == '\\') {
			if (!*s)
				goto bad_escape;
			h = hexval(s[0]);
			l = h >= 0 && s[1] ? hexval(s[1]) : -1;
			if (h >= 0 && l >= 0) {
				c = h << 4 | l;
				s += 2;
			} else if (strchr(",+\"\\<>;=# ", *s)) {
				c = (unsigned char)*s++;
			} else {
				goto bad_escape;
			}
		}
		if (!c || n + 1 >= outlen) {
			ca_errf(err, "a name value is longer than %zu bytes",
				outlen - 1);
			return -ENAMETOOLONG;
		}
		out[n++] = c;
	}
	out[n] = 0;
	*sp = s;
	return 0;
bad_escape:
	ca_errf(err, "bad escape in a name value");
	return -EINVAL;
}

int ca_name_parse(const char *s, CertName *n, char err[CA_ERR_LEN])
{
	const struct attr *a;
	const char *eq;
	char *field, *enc;
	int ret;

	memset(n, 0, sizeof(*n));
	if (!s || !*s) {
		ca_errf(err, "empty subject");
		return -EINVAL;
	}
	if (!strchr(s, '=')) { /* a bare common name */
		if (strlen(s) >= sizeof(n->commonName)) {
			ca_errf(err, "common name longer than %zu bytes",
				sizeof(n->commonName) - 1);
			return -ENAMETOOLONG;
		}
		strcpy(n->commonName, s);
		n->commonNameEnc = CTC_UTF8;
		return 0;
	}
	while (*s) {
		while (*s == ' ')
			s++;
		eq = strchr(s, '=');
		if (!eq) {
			ca_errf(err, "'%.40s' is not ATTRIBUTE=VALUE", s);
			return -EINVAL;
		}
		a = attr_by_name(s, eq - s);
		field = a ? name_field(n, a->name, &enc) : NULL;
		if (!field) {
			ca_errf(err, "unsupported name attribute '%.*s'",
				(int)(eq - s) > 32 ? 32 : (int)(eq - s), s);
			return -EINVAL;
		}
		if (*field) {
			ca_errf(err, "attribute %s given twice", a->name);
			return -EINVAL;
		}
		s = eq + 1;
		ret = parse_value(&s, field, CTC_NAME_SIZE, err);
		if (ret)
			return ret;
		if (!*field) {
			ca_errf(err, "empty value for %s", a->name);
			return -EINVAL;
		}
		if (enc)
			*enc = CTC_UTF8;
		if (!strcmp(a->name, "C")) {
			if (strlen(field) != 2) {
				ca_errf(err, "country must be two letters");
				return -EINVAL;
			}
			*enc = CTC_PRINTABLE;
		}
		if (*s == ',' && !*++s) {
			ca_errf(err, "subject ends with ','");
			return -EINVAL;
		}
	}
	return 0;
}

struct sbuf {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->overflow = true;
	else
		b->len += n;
}

static void put_oid(struct sbuf *b, const struct der *oid)
{
	const uint8_t *p = oid->p;
	unsigned long v = 0;
	bool first = true;

	for (; p < oid->end; p++) {
		v = v << 7 | (*p & 0x7f);
		if (*p & 0x80)
			continue;
		if (first) {
			put(b, "%lu.%lu", v < 80 ? v / 40 : 2,
			    v < 80 ? v % 40 : v - 80);
			first = false;
		} else {
			put(b, ".%lu", v);
		}
		v = 0;
	}
}

/* One code point, escaped as RFC 4514 and OpenSSL's RFC2253 mode want. */
static void put_char(struct sbuf *b, unsigned int c, bool first, bool last)
{
	char u[5];

	if (c < 0x20 || c == 0x7f) {
		put(b, "\\%02X", c);
	} else if (strchr(",+\"\\<>;", c) ||
		   (first && (c == '#' || c == ' ')) || (last && c == ' ')) {
		put(b, "\\%c", c);
	} else if (c < 0x80) {
		put(b, "%c", c);
	} else { /* UTF-8 as is */
		if (c < 0x800) {
			u[0] = 0xc0 | c >> 6;
			u[1] = 0x80 | (c & 0x3f);
			u[2] = 0;
		} else if (c < 0x10000) {
			u[0] = 0xe0 | c >> 12;
			u[1] = 0x80 | (c >> 6 & 0x3f);
			u[2] = 0x80 | (c & 0x3f);
			u[3] = 0;
		} else {
			u[0] = 0xf0 | c >> 18;
			u[1] = 0x80 | (c >> 12 & 0x3f);
			u[2] = 0x80 | (c >> 6 & 0x3f);
			u[3] = 0x80 | (c & 0x3f);
			u[4] = 0;
		}
		put(b, "%s", u);
	}
}

/* Decode the next code point of a string of type tag; -1 when malformed. */
static long next_char(int tag, const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	long c;
	int n, i;

	if (tag == 0x1e) { /* BMPString: UTF-16BE, no surrogates in names */
		if (end - p < 2)
			return -1;
		*pp = p + 2;
		return p[0] << 8 | p[1];
	}
	c = *p++;
	if (tag != 0x0c || c < 0x80) { /* Printable, IA5, Teletex as Latin-1 */
		*pp = p;
		return c;
	}
	if ((c & 0xe0) == 0xc0)
		n = 1, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 2, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 3, c &= 0x07;
	else
		return -1;
	if (end - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	*pp = p + n;
	return c;
}

static void put_value(struct sbuf *b, const uint8_t *tlv, int tag,
		      const struct der *v)
{
	const uint8_t *p = v->p;
	long c;

	if (tag == 0x0c || tag == 0x13 || tag == 0x16 || tag == 0x14 ||
	    tag == 0x1e) {
		while (p < v->end) {
			const uint8_t *start = p;

			c = next_char(tag, &p, v->end);
			if (c < 0)
				goto hex;
			put_char(b, c, start == v->p, p == v->end);
		}
		return;
	}
hex: /* anything else: '#' and the hex of the whole TLV, as RFC 4514 says */
	put(b, "#");
	for (p = tlv; p < v->end; p++)
		put(b, "%02X", *p);
}

static void put_atv(struct sbuf *b, const struct der *oid, const uint8_t *tlv,
		    int tag, const struct der *val)
{
	int k;

	for (k = 0; k < N_ATTRS; k++) {
		if (oid->end - oid->p == attrs[k].oid_len &&
		    !memcmp(oid->p, attrs[k].oid, attrs[k].oid_len)) {
			put(b, "%s=", attrs[k].name);
			put_value(b, tlv, tag, val);
			return;
		}
	}
	put_oid(b, oid); /* unknown attributes: dotted OID and hex value */
	put(b, "=");
	put_value(b, tlv, -1, val);
}

int ca_name_format(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	struct der d = {der, der + len}, name, rdn, set, atv, oid, val;
	const uint8_t *rdns[64];
	struct sbuf b = {out, 0, outlen, false};
	int n = 0, i, j, tag;

	if (!outlen)
		return -ENOSPC;
	out[0] = 0;
	if (der_get(&d, 0x30, NULL, &name))
		return -EBADMSG;
	for (rdn = name; rdn.p < rdn.end; n++) {
		if (n == 64)
			return -E2BIG;
		rdns[n] = rdn.p;
		if (der_get(&rdn, 0x31, NULL, NULL))
			return -EBADMSG;
	}
	for (i = n - 1; i >= 0; i--) {
		rdn.p = rdns[i];
		rdn.end = name.end;
		der_get(&rdn, 0x31, NULL, &set);
		if (i != n - 1)
			put(&b, ",");
		for (j = 0; set.p < set.end; j++) {
			const uint8_t *tlv;

			if (der_get(&set, 0x30, NULL, &atv) ||
			    der_get(&atv, 0x06, NULL, &oid))
				return -EBADMSG;
			tlv = atv.p;
			if (der_get(&atv, -1, &tag, &val))
				return -EBADMSG;
			if (j)
				put(&b, "+");
			put_atv(&b, &oid, tlv, tag, &val);
		}
	}
	if (b.overflow) {
		out[0] = 0;
		return -ENAMETOOLONG;
	}
	return 0;
}
