// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca.c - the CA directory: making a CA (ca_init), taking an existing one
 * (ca_import) and loading it (ca_load), which checks that the key is
 * private to its owner and belongs to the certificate. ca.key is written
 * before ca.pem, each atomically (ca_file.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "lib/ca_int.h"

static const char *const algo_names[] = {
	[CA_ALGO_ECDSA_P256] = "ecdsa-p256",
	[CA_ALGO_ECDSA_P384] = "ecdsa-p384",
	[CA_ALGO_ED25519] = "ed25519",
};

const char *ca_algo_name(enum ca_algo a)
{
	if ((unsigned int)a >= sizeof(algo_names) / sizeof(algo_names[0]))
		return "unknown";
	return algo_names[a];
}

int ca_algo_parse(const char *s, enum ca_algo *a)
{
	unsigned int i;

	for (i = 0; s && i < sizeof(algo_names) / sizeof(algo_names[0]); i++) {
		if (!strcmp(s, algo_names[i])) {
			*a = i;
			return 0;
		}
	}
	return -EINVAL;
}

void ca_errf(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, CA_ERR_LEN, fmt, ap);
	va_end(ap);
}

int ca_wc_err(int ret)
{
	switch (ret) {
	case MEMORY_E:
		return -ENOMEM;
	case BAD_FUNC_ARG:
		return -EINVAL;
	case BUFFER_E:
		return -ENOBUFS;
	default:
		return ret < 0 ? -EIO : ret;
	}
}

/* A certificate from PEM ("CERTIFICATE") or DER, as DER. */
static int cert_der(const uint8_t *buf, size_t len, uint8_t **der,
		    size_t *der_len, char err[CA_ERR_LEN])
{
	char label[32] = "";
	int ret;

	if (!ca_is_pem(buf, len)) {
		*der = malloc(len ? len : 1);
		if (!*der)
			return -ENOMEM;
		memcpy(*der, buf, len);
		*der_len = len;
		return 0;
	}
	ret = ca_pem_decode(buf, len, "CERTIFICATE", der, der_len, label);
	if (ret == -ENOENT) {
		uint8_t *other = NULL;
		size_t other_len = 0;

		if (!ca_pem_decode(buf, len, NULL, &other, &other_len, label))
			ca_wipe_free(other, other_len);
		ca_errf(err, "expected a CERTIFICATE, found %s",
			label[0] ? label : "no PEM block");
		return -EINVAL;
	}
	if (ret)
		ca_errf(err, "malformed PEM certificate");
	return ret;
}

static void path_in(char *out, const char *dir, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

/* Make dir (and missing parents); the CA directory itself is 0700. */
static int make_dir(const char *dir, char err[CA_ERR_LEN])
{
	char p[PATH_MAX];
	struct stat st;
	size_t i;

	if (strlen(dir) >= sizeof(p) - 16) {
		ca_errf(err, "directory name too long");
		return -ENAMETOOLONG;
	}
	strcpy(p, dir);
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = 0;
		if (mkdir(p, 0755) && errno != EEXIST) {
			ca_errf(err, "cannot create %.100s: %s", p,
				strerror(errno));
			return -errno;
		}
		p[i] = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ca_errf(err, "cannot create %.100s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		ca_errf(err, "%.100s is not a directory", dir);
		return -ENOTDIR;
	}
	if ((st.st_mode & 077) && chmod(dir, 0700)) {
		ca_errf(err, "cannot make %.100s private: %s", dir,
			strerror(errno));
		return -errno;
	}
	return 0;
}

static bool ca_exists(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	path_in(p, dir, "ca.pem");
	if (!lstat(p, &st))
		return true;
	path_in(p, dir, "ca.key");
	return !lstat(p, &st);
}

/* Write key, then certificate; drop a chain that belonged to a former CA. */
static int store(const char *dir, struct ca_key *key, const uint8_t *der,
		 size_t der_len, const char *chain, size_t chain_len,
		 char err[CA_ERR_LEN])
{
	char p[PATH_MAX], *key_pem = NULL, *pem = NULL;
	size_t key_len = 0, pem_len;
	int ret;

	ret = ca_key_pkcs8_pem(key, &key_pem, &key_len);
	ret = ret ?: ca_cert_pem(der, der_len, &pem, &pem_len);
	if (ret) {
		ca_errf(err, "cannot encode the CA: %s", strerror(-ret));
		goto out;
	}
	path_in(p, dir, "ca.key");
	ret = ca_write_file(p, key_pem, key_len, 0600);
	if (!ret) {
		path_in(p, dir, "ca.pem");
		ret = ca_write_file(p, pem, pem_len, 0644);
	}
	if (!ret) {
		path_in(p, dir, "chain.pem");
		if (chain)
			ret = ca_write_file(p, chain, chain_len, 0644);
		else if (unlink(p) && errno != ENOENT)
			ret = -errno;
	}
	if (ret)
		ca_errf(err, "cannot write %.100s: %s", p, strerror(-ret));
out:
	ca_wipe_free(key_pem, key_len);
	free(pem);
	return ret;
}

int ca_init(const char *dir, enum ca_algo algo, const char *subject,
	    unsigned int days, bool force, char err[CA_ERR_LEN])
{
	struct ca_key key = {0};
	uint8_t *der = NULL;
	size_t der_len;
	Cert *cert = NULL;
	WC_RNG rng;
	int ret;

	if ((unsigned int)algo > CA_ALGO_ED25519) {
		ca_errf(err, "unknown key algorithm");
		return -EINVAL;
	}
	if (days > 36500) {
		ca_errf(err, "days must be at most 36500");
		return -EINVAL;
	}
	cert = wc_CertNew(NULL);
	if (!cert)
		return -ENOMEM;
	ret = ca_name_parse(subject && *subject ? subject : "trustpoint CA",
			    &cert->subject, err);
	if (ret)
		goto out_cert;
	ret = make_dir(dir, err);
	if (ret)
		goto out_cert;
	if (!force && ca_exists(dir)) {
		ca_errf(err,
			"a CA already exists in %.100s (force replaces it)",
			dir);
		ret = -EEXIST;
		goto out_cert;
	}
	if (wc_InitRng(&rng)) {
		ret = -EIO;
		goto out_cert;
	}
	ret = ca_key_generate(&key, algo, &rng);
	if (ret) {
		ca_errf(err, "cannot make a %s key", ca_algo_name(algo));
		goto out;
	}
	cert->daysValid = days ? days : CA_DAYS_DEFAULT;
	ret = ca_self_sign(&key, cert, &rng, &der, &der_len, err);
	if (!ret)
		ret = store(dir, &key, der, der_len, NULL, 0, err);
out:
	ca_key_free(&key);
	wc_FreeRng(&rng);
	free(der);
out_cert:
	wc_CertFree(cert);
	return ret;
}

bool ca_key_matches_cert(struct ca_key *key, const uint8_t *cert,
			 size_t cert_len)
{
	struct der d = {cert, cert + cert_len}, c, tbs, spki;
	uint8_t pub[1200];
	size_t pub_len = sizeof(pub);
	int i;

	if (der_get(&d, 0x30, NULL, &c) || der_get(&c, 0x30, NULL, &tbs))
		return false;
	if (der_peek(&tbs, 0xa0))
		der_get(&tbs, 0xa0, NULL, NULL);
	for (i = 0; i < 5;
	     i++) /* serial, signature, issuer, validity, subject */
		if (der_get(&tbs, -1, NULL, NULL))
			return false;
	spki.p = tbs.p;
	if (der_get(&tbs, 0x30, NULL, NULL))
		return false;
	spki.end = tbs.p;
	if (ca_key_spki(key, pub, &pub_len))
		return false;
	return pub_len == (size_t)(spki.end - spki.p) &&
	       !memcmp(pub, spki.p, pub_len);
}

/* Each certificate of a PEM chain file, checked and written back clean. */
static int read_chain(const char *path, char **chain, size_t *chain_len,
		      char err[CA_ERR_LEN])
{
	uint8_t *buf = NULL, *der;
	size_t len, der_len, pem_len, off = 0, total = 0;
	struct ca_cert_info info;
	char *pem, *out = NULL, *tmp;
	const char *p;
	int ret, n = 0;

	ret = ca_read_file(path, &buf, &len, err);
	if (ret)
		return ret;
	for (p = (char *)buf; (p = strstr(p, "-----BEGIN CERTIFICATE-----"));
	     p += 27, n++) {
		off = p - (char *)buf;
		ret = ca_pem_decode(buf + off, len - off, "CERTIFICATE", &der,
				    &der_len, NULL);
		ret = ret ?: ca_cert_describe(der, der_len, &info, err);
		if (ret) {
			if (!err[0])
				ca_errf(err,
					"chain certificate %d is malformed",
					n + 1);
			free(der);
			goto fail;
		}
		ret = ca_cert_pem(der, der_len, &pem, &pem_len);
		free(der);
		if (ret)
			goto fail;
		tmp = realloc(out, total + pem_len + 1);
		if (!tmp) {
			free(pem);
			ret = -ENOMEM;
			goto fail;
		}
		out = tmp;
		memcpy(out + total, pem, pem_len + 1);
		total += pem_len;
		free(pem);
	}
	if (!n) {
		ca_errf(err, "%.100s holds no PEM certificate", path);
		ret = -EINVAL;
		goto fail;
	}
	free(buf);
	*chain = out;
	*chain_len = total;
	return 0;
fail:
	free(buf);
	free(out);
	return ret;
}

int ca_import(const char *dir, const char *cert_file, const char *key_file,
	      const char *chain_file, bool force, char err[CA_ERR_LEN])
{
	uint8_t *buf = NULL, *der = NULL;
	size_t len = 0, der_len = 0, chain_len = 0;
	struct ca_cert_info info;
	struct ca_key key = {0};
	char *chain = NULL;
	int ret;

	ret = ca_read_file(cert_file, &buf, &len, err);
	if (ret)
		return ret;
	ret = cert_der(buf, len, &der, &der_len, err);
	free(buf);
	buf = NULL;
	if (ret)
		return ret;
	ret = ca_cert_describe(der, der_len, &info, err);
	if (ret)
		goto out;
	if (!info.is_ca) {
		ca_errf(err,
			"%.100s is not a CA certificate (no basicConstraints "
			"CA:TRUE)",
			cert_file);
		ret = -EINVAL;
		goto out;
	}
	ret = ca_read_file(key_file, &buf, &len, err);
	if (ret)
		goto out;
	ret = ca_key_load(&key, buf, len, err);
	ca_wipe_free(buf, len);
	if (ret)
		goto out;
	if (!ca_key_matches_cert(&key, der, der_len)) {
		ca_errf(err, "the key does not belong to the certificate");
		ret = -EINVAL;
		goto out;
	}
	if (ca_key_sig_type(&key) < 0 ||
	    (key.type == RSA_TYPE &&
	     wc_RsaEncryptSize(&key.k.rsa) * 8 < CA_RSA_MIN_BITS)) {
		ca_errf(err, "cannot sign with a %s key", info.key_algo);
		ret = -EOPNOTSUPP;
		goto out;
	}
	if (chain_file) {
		ret = read_chain(chain_file, &chain, &chain_len, err);
		if (ret)
			goto out;
	}
	ret = make_dir(dir, err);
	if (ret)
		goto out;
	if (!force && ca_exists(dir)) {
		ca_errf(err,
			"a CA already exists in %.100s (force replaces it)",
			dir);
		ret = -EEXIST;
		goto out;
	}
	ret = store(dir, &key, der, der_len, chain, chain_len, err);
out:
	ca_key_free(&key);
	free(der);
	free(chain);
	return ret;
}

int ca_load(const char *dir, struct ca **cap, char err[CA_ERR_LEN])
{
	char p[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	struct ca *ca;
	int ret;

	*cap = NULL;
	path_in(p, dir, "ca.pem");
	if (stat(p, &st) && errno == ENOENT) {
		ca_errf(err, "no CA in %.100s (ca init or ca import makes one)",
			dir);
		return -ENOENT;
	}
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		return -ENOMEM;
	snprintf(ca->dir, sizeof(ca->dir), "%s", dir);
	ret = ca_read_file(p, &buf, &len, err);
	ret = ret ?: cert_der(buf, len, &ca->der, &ca->der_len, err);
	free(buf);
	buf = NULL;
	if (ret)
		goto fail;
	path_in(p, dir, "ca.key");
	if (stat(p, &st)) {
		ret = -errno;
		ca_errf(err, "cannot read %.100s: %s", p, strerror(-ret));
		goto fail;
	}
	if (st.st_mode & 077) {
		ca_errf(err,
			"%.100s is open to others (mode %04o): chmod 600 it", p,
			st.st_mode & 07777);
		ret = -EPERM;
		goto fail;
	}
	ret = ca_read_file(p, &buf, &len, err);
	ret = ret ?: ca_key_load(&ca->key, buf, len, err);
	ca_wipe_free(buf, len);
	if (ret)
		goto fail;
	if (!ca_key_matches_cert(&ca->key, ca->der, ca->der_len)) {
		ca_errf(err, "ca.key does not belong to ca.pem");
		ret = -EINVAL;
		goto fail;
	}
	{
		struct ca_cert_info info;

		ret = ca_cert_describe(ca->der, ca->der_len, &info, err);
		if (ret)
			goto fail;
		snprintf(ca->dn, sizeof(ca->dn), "%s", info.subject);
	}
	if (wc_InitRng(&ca->rng)) {
		ret = -EIO;
		goto fail;
	}
	ca->rng_ok = true;
	*cap = ca;
	return 0;
fail:
	ca_free(ca);
	return ret;
}

void ca_free(struct ca *ca)
{
	if (!ca)
		return;
	ca_key_free(&ca->key);
	if (ca->rng_ok)
		wc_FreeRng(&ca->rng);
	free(ca->der);
	explicit_bzero(ca, sizeof(*ca));
	free(ca);
}

const uint8_t *ca_cert_der(const struct ca *ca, size_t *len)
{
	*len = ca->der_len;
	return ca->der;
}

const char *ca_dn(const struct ca *ca)
{
	return ca->dn;
}
