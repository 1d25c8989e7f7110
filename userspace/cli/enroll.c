// SPDX-License-Identifier: GPL-2.0-only
/*
 * enroll.c - tpctl device enroll and tpctl cert renew: a device
 * certificate from the device's CSR (its key never leaves it), or from a
 * key made here and handed out once. The registry records the certificate
 * before any file is written, and every output file is checked to be
 * writable before anything is issued, so nothing is half-applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/main.h"
#include "cli/device.h"
#include "lib/addr.h"
#include "lib/ca.h"
#include "lib/config.h"
#include "lib/registry.h"

#define CSR_MAX (64 * 1024)
#define PASSWORD_MAX 1024

/*
 * The certificate's CN: the device name, or its uuid when the name is
 * longer than a certificate name can be (63 bytes in wolfSSL); the SAN
 * URI carries the uuid either way.
 */
static const char *cert_cn(const struct reg_device *d)
{
	return strlen(d->name) <= 63 ? d->name : d->uuid;
}

/* Record an issued certificate of device d (turning it active). */
static int record_cert(struct registry *r, struct ca *ca,
		       const struct reg_device *d, const struct ca_issued *is)
{
	struct reg_cert c = {
		.issuer = (char *)ca_dn(ca),
		.device_id = d->id,
		.kind = REG_CERT_DEVICE,
		.subject = (char *)is->info.subject,
		.not_before = is->info.not_before,
		.not_after = is->info.not_after,
		.status = REG_CERT_GOOD,
		.der = is->der,
		.der_len = is->der_len,
	};
	int err;

	snprintf(c.serial, sizeof(c.serial), "%s", is->info.serial);
	err = reg_cert_add(r, &c, actor());
	if (err)
		p_err("cannot record the certificate of %s: %s", d->name,
		      err == -EPERM ? "the device is quarantined or revoked"
				    : strerror(-err));
	return err;
}

static void print_issued(const struct reg_device *d, const struct ca_issued *is,
			 const char *pem, const char *where)
{
	out_open_object(NULL);
	out_string("device", "issued a certificate for %s", d->name);
	out_string("serial", ": serial %s", is->info.serial);
	print_time("not_after", ", valid until ", is->info.not_after);
	out_string("file", where ? ", written to %s" : NULL, where);
	out_text("\n");
	if (!where)
		out_string("pem", "%s", pem);
	out_close_object();
	out_flush();
}

/* Refuse early when a file we will write exists or cannot be created. */
static int check_new_file(const char *path)
{
	struct stat st;

	if (!lstat(path, &st)) {
		p_err("%s exists: refusing to overwrite it", path);
		return -EEXIST;
	}
	if (errno != ENOENT) {
		p_err("cannot use %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int parse_days(const char *s, unsigned int *days)
{
	uint64_t v;

	*days = config()->device_days;
	if (!s)
		return 0;
	if (u64_parse(s, 1, 36500, &v)) {
		p_err("days must be 1..36500");
		return -EINVAL;
	}
	*days = v;
	return 0;
}

/* The CSR path: `csr FILE [days N] [out FILE]`. */
static int enroll_csr(struct registry *r, struct ca *ca, struct reg_device *d,
		      const char *csr_path, const char *days_s,
		      const char *out_path, struct ca_issued *is)
{
	struct ca_device_req req = {.name = cert_cn(d),
				    .uuid = d->uuid,
				    .ocsp_url = config()->ocsp_url};
	char err[CA_ERR_LEN] = "", *pem = NULL;
	unsigned char *csr = NULL;
	size_t csr_len, pem_len;
	int ret;

	if (parse_days(days_s, &req.days))
		return -EINVAL;
	if (out_path && check_new_file(out_path))
		return -EEXIST;
	ret = read_file(csr_path, CSR_MAX, &csr, &csr_len);
	if (ret) {
		p_err("cannot read CSR %.128s: %s", csr_path,
		      ret == -EFBIG ? "larger than 64 KiB" : strerror(-ret));
		return ret;
	}
	ret = ca_issue_from_csr(ca, &req, csr, csr_len, is, err);
	free(csr);
	if (ret) {
		p_err("CSR refused: %s", err[0] ? err : strerror(-ret));
		return ret;
	}
	ret = record_cert(r, ca, d, is);
	if (!ret)
		ret = ca_cert_pem(is->der, is->der_len, &pem, &pem_len);
	if (!ret && out_path) {
		ret = ca_write_file(out_path, pem, pem_len, 0644);
		if (ret)
			p_err("certificate %s recorded, but writing %s failed: %s",
			      is->info.serial, out_path, strerror(-ret));
	}
	if (!ret)
		print_issued(d, is, pem, out_path);
	free(pem);
	return ret;
}

/* Device names may hold anything; file names only a safe subset. */
static const char *file_base(const struct reg_device *d)
{
	for (const char *p = d->name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      (*p == '.' && p != d->name)))
			return d->uuid;
	return strlen(d->name) < 200 ? d->name : d->uuid;
}

/* Read the PKCS#12 password: the file's first line. */
static int read_password(const char *path, char **pw)
{
	unsigned char *buf;
	size_t len;
	int err = read_file(path, PASSWORD_MAX, &buf, &len);

	if (err) {
		p_err("cannot read password file %.128s: %s", path,
		      strerror(-err));
		return err;
	}
	buf[strcspn((char *)buf, "\r\n")] = 0;
	if (!buf[0]) {
		ca_wipe_free(buf, len);
		p_err("password file %.128s is empty", path);
		return -EINVAL;
	}
	*pw = (char *)buf;
	return 0;
}

/* The genkey path: key, certificate, CA and PKCS#12 written once. */
static int enroll_genkey(struct registry *r, struct ca *ca,
			 struct reg_device *d, const char *algo_s,
			 const char *days_s, const char *dir,
			 const char *p12_pwfile, struct ca_issued *is)
{
	struct ca_device_req req = {.name = cert_cn(d),
				    .uuid = d->uuid,
				    .ocsp_url = config()->ocsp_url};
	char key_path[PATH_MAX], crt_path[PATH_MAX], p12_path[PATH_MAX];
	char ca_path[PATH_MAX], err[CA_ERR_LEN] = "";
	char *key = NULL, *pem = NULL, *ca_pem = NULL, *pw = NULL;
	size_t key_len = 0, pem_len, ca_len, p12_len = 0, pwlen = 0;
	enum ca_algo algo = CA_ALGO_ECDSA_P256;
	const uint8_t *ca_der;
	uint8_t *p12 = NULL;
	int ret;

	if (parse_days(days_s, &req.days))
		return -EINVAL;
	if (algo_s && ca_algo_parse(algo_s, &algo)) {
		p_err("algo must be ecdsa-p256, ecdsa-p384 or ed25519");
		return -EINVAL;
	}
	snprintf(key_path, sizeof(key_path), "%s/%s.key", dir, file_base(d));
	snprintf(crt_path, sizeof(crt_path), "%s/%s.pem", dir, file_base(d));
	snprintf(p12_path, sizeof(p12_path), "%s/%s.p12", dir, file_base(d));
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	if (check_new_file(key_path) || check_new_file(crt_path) ||
	    (p12_pwfile && check_new_file(p12_path)))
		return -EEXIST;
	if (p12_pwfile) {
		ret = read_password(p12_pwfile, &pw);
		if (ret)
			return ret;
		pwlen = strlen(pw);
	}
	ret = ca_issue_with_key(ca, &req, algo, is, &key, &key_len, err);
	if (ret) {
		p_err("cannot make a key and certificate: %s",
		      err[0] ? err : strerror(-ret));
		goto out;
	}
	if (pw) {
		ret = ca_pkcs12(ca, key, key_len, is->der, is->der_len, pw,
				&p12, &p12_len, err);
		if (ret) {
			p_err("cannot make the PKCS#12 bundle: %s",
			      err[0] ? err : strerror(-ret));
			goto out;
		}
	}
	ret = record_cert(r, ca, d, is);
	if (ret)
		goto out;
	ret = ca_cert_pem(is->der, is->der_len, &pem, &pem_len);
	ca_der = ca_cert_der(ca, &ca_len);
	ret = ret ?: ca_cert_pem(ca_der, ca_len, &ca_pem, &ca_len);
	ret = ret ?: ca_write_file(key_path, key, key_len, 0600);
	ret = ret ?: ca_write_file(crt_path, pem, pem_len, 0644);
	if (!ret && p12)
		ret = ca_write_file(p12_path, p12, p12_len, 0600);
	if (!ret && access(ca_path, F_OK))
		ret = ca_write_file(ca_path, ca_pem, ca_len, 0644);
	if (ret) {
		p_err("certificate %s recorded, but writing files in %s failed: %s",
		      is->info.serial, dir, strerror(-ret));
		goto out;
	}
	print_issued(d, is, pem, crt_path);
	if (!out_json())
		printf("key %s (0600, no copy kept)%s%s\n", key_path,
		       p12 ? ", PKCS#12 " : "", p12 ? p12_path : "");
out:
	ca_wipe_free(key, key_len);
	ca_wipe_free(p12, p12_len);
	ca_wipe_free(pw, pwlen);
	free(pem);
	free(ca_pem);
	return ret;
}

int do_enroll(int argc, char **argv)
{
	struct kwarg kw[] = {{"csr"},  {"genkey", .flag = true},
			     {"days"}, {"out"},
			     {"algo"}, {"p12"}};
	struct reg_device d = {};
	struct ca_issued is = {};
	struct registry *r;
	struct ca *ca;
	int ret;

	if (argc < 2) {
		p_err("usage: device enroll DEV { csr FILE | genkey } ...");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 6))
		return 1;
	if (!kw[0].set == !kw[1].set) {
		p_err("give either 'csr FILE' or 'genkey'");
		return 1;
	}
	if (kw[0].set && (kw[4].set || kw[5].set)) {
		p_err("'algo' and 'p12' go with genkey: with a CSR the key is the device's");
		return 1;
	}
	if (open_registry(&r))
		return 1;
	ret = get_device(r, argv[0], &d);
	if (!ret &&
	    (d.status == REG_DEV_REVOKED || d.status == REG_DEV_QUARANTINED)) {
		p_err("%s is %s: no certificate is issued to it", d.name,
		      reg_dev_status_name(d.status));
		ret = -EPERM;
	}
	if (!ret)
		ret = open_ca(&ca);
	if (!ret) {
		if (kw[0].set)
			ret = enroll_csr(r, ca, &d, kw[0].val, kw[2].val,
					 kw[3].val, &is);
		else
			ret = enroll_genkey(r, ca, &d, kw[4].val, kw[2].val,
					    kw[3].val ? kw[3].val : ".",
					    kw[5].val, &is);
		ca_free(ca);
	}
	ca_issued_free(&is);
	reg_device_free(&d);
	reg_close(r);
	return ret ? 1 : 0;
}

struct old_certs {
	char serials[16][65];
	int n;
};

static int collect_good(const struct reg_cert *c, void *ctx)
{
	struct old_certs *o = ctx;

	if (c->status == REG_CERT_GOOD && o->n < 16)
		snprintf(o->serials[o->n++], 65, "%s", c->serial);
	return 0;
}

/*
 * cert renew DEV csr FILE [days N] [out FILE] [old { keep | revoke }]:
 * a new certificate with a new serial; the old ones stay good or are
 * revoked as superseded.
 */
int do_renew(int argc, char **argv)
{
	struct kwarg kw[] = {{"csr"}, {"days"}, {"out"}, {"old"}};
	struct old_certs old = {};
	struct reg_device d = {};
	struct ca_issued is = {};
	struct registry *r;
	bool revoke_old;
	struct ca *ca;
	int ret;

	if (argc < 3) {
		p_err("usage: cert renew DEV csr FILE [days N] [out FILE] [old keep|revoke]");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 4))
		return 1;
	if (!kw[0].val) {
		p_err("'csr FILE' is required: the device keeps its key");
		return 1;
	}
	if (kw[3].val && strcmp(kw[3].val, "keep") &&
	    strcmp(kw[3].val, "revoke")) {
		p_err("old must be keep or revoke");
		return 1;
	}
	revoke_old = kw[3].val && !strcmp(kw[3].val, "revoke");
	if (open_registry(&r))
		return 1;
	ret = get_device(r, argv[0], &d);
	if (!ret)
		ret = reg_cert_foreach(r, d.id, collect_good, &old);
	if (!ret)
		ret = open_ca(&ca);
	if (!ret) {
		ret = enroll_csr(r, ca, &d, kw[0].val, kw[1].val, kw[2].val,
				 &is);
		for (int i = 0; !ret && revoke_old && i < old.n; i++) {
			ret = reg_cert_revoke(r, ca_dn(ca), old.serials[i],
					      REG_REASON_SUPERSEDED, actor());
			if (ret)
				p_err("new certificate issued, but revoking %s failed: %s",
				      old.serials[i], strerror(-ret));
		}
		ca_free(ca);
	}
	ca_issued_free(&is);
	reg_device_free(&d);
	reg_close(r);
	return ret ? 1 : 0;
}
