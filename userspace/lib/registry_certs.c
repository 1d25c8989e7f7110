// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry_certs.c - issued certificates and their status, keyed on
 * issuer + serial (what an OCSP request and a TLS peer both carry), never
 * on a hash of the certificate bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/registry_int.h"

#define CERT_DER_MAX (1 << 20)
#define CERT_COLS                                                   \
	"id, issuer, serial, device_id, kind, subject, not_before," \
	" not_after, status, revoked_at, reason, der FROM certs"

void reg_cert_free(struct reg_cert *c)
{
	if (!c)
		return;
	free(c->issuer);
	free(c->subject);
	free(c->der);
	c->issuer = c->subject = NULL;
	c->der = NULL;
	c->der_len = 0;
}

static const char *const reason_names[] = {
	[REG_REASON_UNSPECIFIED] = "unspecified",
	[REG_REASON_KEY_COMPROMISE] = "keyCompromise",
	[REG_REASON_CA_COMPROMISE] = "cACompromise",
	[REG_REASON_AFFILIATION_CHANGED] = "affiliationChanged",
	[REG_REASON_SUPERSEDED] = "superseded",
	[REG_REASON_CESSATION] = "cessationOfOperation",
	[REG_REASON_CERTIFICATE_HOLD] = "certificateHold",
	[REG_REASON_REMOVE_FROM_CRL] = "removeFromCRL",
	[REG_REASON_PRIVILEGE_WITHDRAWN] = "privilegeWithdrawn",
	[REG_REASON_AA_COMPROMISE] = "aACompromise",
};
#define N_REASONS (int)(sizeof(reason_names) / sizeof(reason_names[0]))

const char *reg_reason_name(int reason)
{
	if (reason < 0 || reason >= N_REASONS)
		return NULL;
	return reason_names[reason]; /* NULL for 7 */
}

int reg_reason_parse(const char *s, int *reason)
{
	char *end;
	long v;
	int i;

	if (!s || !*s)
		return -EINVAL;
	for (i = 0; i < N_REASONS; i++) {
		if (reason_names[i] && !strcasecmp(s, reason_names[i])) {
			*reason = i;
			return 0;
		}
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9' || v >= N_REASONS ||
	    !reason_names[v])
		return -EINVAL;
	*reason = v;
	return 0;
}

/*
 * Serials arrive as the CA prints them, as OpenSSL does (upper case) or
 * with a DER sign byte; all of them name the same certificate, so every
 * entry point keys on one form.
 */
static int serial_norm(const char *in, char out[65])
{
	size_t len, i, skip = 0, o = 0;
	char buf[65]; /* in and out may be the same buffer */

	if (!in)
		return -EINVAL;
	len = strnlen(in, 65);
	if (!len || len > 64)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!((in[i] >= '0' && in[i] <= '9') ||
		      (in[i] >= 'a' && in[i] <= 'f') ||
		      (in[i] >= 'A' && in[i] <= 'F')))
			return -EINVAL;
	}
	while (skip < len - 1 && in[skip] == '0')
		skip++;
	if ((len - skip) % 2)
		buf[o++] = '0';
	for (i = skip; i < len && o < sizeof(buf) - 1; i++)
		buf[o++] = in[i] | 0x20; /* digits stay, letters lower */
	buf[o] = 0;
	memcpy(out, buf, o + 1);
	return 0;
}

static int cert_from_row(sqlite3_stmt *st, struct reg_cert *c)
{
	const unsigned char *serial;
	const void *der;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->issuer = reg_col_str(st, 1, &err);
	serial = sqlite3_column_text(st, 2);
	if (serial)
		strncpy(c->serial, (const char *)serial, sizeof(c->serial) - 1);
	c->device_id = sqlite3_column_int64(st, 3); /* NULL reads as 0 */
	c->kind = sqlite3_column_int(st, 4);
	c->subject = reg_col_str(st, 5, &err);
	c->not_before = sqlite3_column_int64(st, 6);
	c->not_after = sqlite3_column_int64(st, 7);
	c->status = sqlite3_column_int(st, 8);
	c->revoked_at = sqlite3_column_int64(st, 9);
	c->reason = sqlite3_column_int(st, 10);
	der = sqlite3_column_blob(st, 11);
	c->der_len = sqlite3_column_bytes(st, 11);
	if (der && c->der_len) {
		c->der = malloc(c->der_len);
		if (c->der)
			memcpy(c->der, der, c->der_len);
		else
			err = -ENOMEM;
	}
	if (err)
		reg_cert_free(c);
	return err;
}

static int cert_query(struct registry *r, struct reg_cert *c, const char *sql,
		      const char *issuer, const char *serial)
{
	sqlite3_stmt *st;
	int ret;

	ret = issuer ? reg_prepare(r, &st, sql, "tt", issuer, serial)
		     : reg_prepare(r, &st, sql, "t", serial);
	if (ret)
		return ret;
	ret = reg_step(r, st);
	if (ret == 1)
		ret = cert_from_row(st, c);
	else if (ret == 0)
		ret = reg_fail(r, -ENOENT, "no certificate with serial %s",
			       serial);
	reg_finish(r, st);
	return ret;
}

static int check_serial(struct registry *r, const char *in, char out[65])
{
	if (serial_norm(in, out))
		return reg_fail(r, -EINVAL, "'%.70s' is not a hex serial",
				in ? in : "");
	return 0;
}

static int check_reason(struct registry *r, int reason)
{
	/* removeFromCRL only ever undoes a hold in a delta CRL */
	if (!reg_reason_name(reason) || reason == REG_REASON_REMOVE_FROM_CRL)
		return reg_fail(r, -EINVAL, "%d is no revocation reason",
				reason);
	return 0;
}

int reg_cert_get(struct registry *r, const char *issuer, const char *serial,
		 struct reg_cert *c)
{
	char ser[65];
	int ret;

	memset(c, 0, sizeof(*c));
	ret = reg_check_str(r, "issuer", issuer, false, false)
		      ?: check_serial(r, serial, ser);
	if (ret)
		return ret;
	return cert_query(
		r, c, "SELECT " CERT_COLS " WHERE issuer = ? AND serial = ?",
		issuer, ser);
}

int reg_cert_get_serial(struct registry *r, const char *serial,
			struct reg_cert *c)
{
	char ser[65];
	int ret;

	memset(c, 0, sizeof(*c));
	ret = check_serial(r, serial, ser);
	if (ret)
		return ret;
	return cert_query(r, c,
			  "SELECT " CERT_COLS
			  " WHERE serial = ? ORDER BY id DESC LIMIT 1",
			  NULL, ser);
}

int reg_cert_foreach(struct registry *r, int64_t device_id, reg_cert_cb cb,
		     void *ctx)
{
	struct reg_cert c;
	sqlite3_stmt *st;
	int ret;

	ret = reg_prepare(r, &st,
			  "SELECT " CERT_COLS
			  " WHERE ?1 = 0 OR device_id = ?1 ORDER BY id",
			  "I", device_id);
	if (ret)
		return ret;
	while ((ret = reg_step(r, st)) == 1) {
		ret = cert_from_row(st, &c);
		if (ret)
			break;
		ret = cb(&c, ctx);
		reg_cert_free(&c);
		if (ret)
			break;
	}
	reg_finish(r, st);
	return ret;
}

static int check_cert(struct registry *r, struct reg_cert *c)
{
	int ret;

	ret = reg_check_str(r, "issuer", c->issuer, false, false)	  ?:
		      reg_check_str(r, "subject", c->subject, true, true) ?:
		      check_serial(r, c->serial, c->serial);
	if (ret)
		return ret;
	if (!strcmp(c->serial, "00"))
		return reg_fail(r, -EINVAL, "a serial must be positive");
	if (c->kind == REG_CERT_DEVICE
		    ? c->device_id <= 0
		    : c->kind != REG_CERT_SERVER || c->device_id != 0)
		return reg_fail(
			r, -EINVAL,
			"a device certificate needs a device, a server certificate none");
	if (c->not_after <= c->not_before)
		return reg_fail(r, -EINVAL, "the validity period is empty");
	if (!c->der || !c->der_len || c->der_len > CERT_DER_MAX)
		return reg_fail(r, -EINVAL, "no certificate DER");
	return 0;
}

/* A device may get a certificate unless it is set aside or revoked. */
static int device_takes_cert(struct registry *r, int64_t id)
{
	int64_t status;
	int ret;

	ret = reg_query_i64(r, &status,
			    "SELECT status FROM devices WHERE id = ?", "I", id);
	if (ret == -ENOENT)
		return reg_fail(r, ret, "no device with id %lld",
				(long long)id);
	if (ret)
		return ret;
	if (status == REG_DEV_REVOKED || status == REG_DEV_QUARANTINED)
		return reg_fail(r, -EPERM, "the device is %s",
				reg_dev_status_name(status));
	return 0;
}

int reg_cert_add(struct registry *r, struct reg_cert *c, const char *actor)
{
	bool nested, dev = c->kind == REG_CERT_DEVICE;
	int ret;

	ret = check_cert(r, c) ?: reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	if (dev)
		ret = device_takes_cert(r, c->device_id);
	/* a server certificate has no device: NULL, which no key violates */
	if (!ret)
		ret = reg_exec(
			r,
			"INSERT INTO certs (issuer, serial, device_id, kind,"
			" subject, not_before, not_after, status, der)"
			" VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?)",
			"ttIitIIib", c->issuer, c->serial,
			dev ? c->device_id : (int64_t)0, (int)c->kind,
			c->subject, c->not_before, c->not_after,
			(int)REG_CERT_GOOD, c->der, c->der_len);
	if (ret == -EEXIST)
		ret = reg_fail(r, ret, "certificate %s of that issuer exists",
			       c->serial);
	if (ret >= 0) {
		c->id = sqlite3_last_insert_rowid(r->db);
		c->status = REG_CERT_GOOD;
		c->revoked_at = 0;
		c->reason = 0;
		ret = 0;
	}
	if (ret >= 0 && dev)
		ret = reg_exec(r,
			       "UPDATE devices SET status = ?, updated = ?"
			       " WHERE id = ? AND status = ?",
			       "iIIi", (int)REG_DEV_ACTIVE, reg_now(),
			       c->device_id, (int)REG_DEV_PENDING);
	if (ret >= 0)
		ret = reg_auditf(r, actor, "cert.add", c->serial,
				 "issuer=%s kind=%s device=%lld", c->issuer,
				 dev ? "device" : "server",
				 (long long)c->device_id);
	return reg_tx_end(r, nested, ret);
}

/*
 * Revoke one certificate. A certificate already revoked keeps its first
 * time and reason (0, nothing recorded). An active device left without a
 * good certificate goes back to pending.
 */
int reg_cert_revoke(struct registry *r, const char *issuer, const char *serial,
		    int reason, const char *actor)
{
	struct reg_cert c = {};
	char ser[65];
	bool nested;
	int ret;

	ret = reg_check_str(r, "issuer", issuer, false, false) ?:
		      check_serial(r, serial, ser)	       ?:
		      check_reason(r, reason)		       ?:
		      reg_tx_begin(r, &nested);
	if (ret)
		return ret;
	ret = cert_query(r, &c,
			 "SELECT " CERT_COLS " WHERE issuer = ? AND serial = ?",
			 issuer, ser);
	if (ret || c.status == REG_CERT_REVOKED)
		goto out;
	ret = reg_exec(r,
		       "UPDATE certs SET status = ?, revoked_at = ?, reason = ?"
		       " WHERE id = ?",
		       "iIiI", (int)REG_CERT_REVOKED, reg_now(), reason, c.id);
	if (ret >= 0 && c.device_id)
		ret = reg_exec(r,
			       "UPDATE devices SET status = ?1, updated = ?2"
			       " WHERE id = ?3 AND status = ?4 AND NOT EXISTS"
			       " (SELECT 1 FROM certs WHERE device_id = ?3"
			       "  AND status = ?5)",
			       "iIIii", (int)REG_DEV_PENDING, reg_now(),
			       c.device_id, (int)REG_DEV_ACTIVE,
			       (int)REG_CERT_GOOD);
	if (ret >= 0)
		ret = reg_auditf(r, actor, "cert.revoke", ser,
				 "issuer=%s reason=%s device=%lld", issuer,
				 reg_reason_name(reason),
				 (long long)c.device_id);
out:
	reg_cert_free(&c);
	return reg_tx_end(r, nested, ret);
}
