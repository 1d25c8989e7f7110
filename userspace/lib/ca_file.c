// SPDX-License-Identifier: GPL-2.0-only
/*
 * ca_file.c - files and PEM for the CA: reading bounded files, writing
 * them to a fresh temporary name beside the target and renaming it over
 * the target (a reader sees the old file or the new one, never half of
 * one; a symlink planted at the target is refused rather than followed),
 * PEM armour in and out, and wiping buffers that held keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include "lib/ca_int.h"

void ca_wipe_free(void *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

int ca_read_file(const char *path, uint8_t **buf, size_t *len,
		 char err[CA_ERR_LEN])
{
	struct stat st;
	uint8_t *b = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ca_errf(err, "cannot open %.100s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > CA_FILE_MAX) {
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		ca_errf(err, "%.100s is %s", path,
			ret == -EFBIG ? "larger than 64 KiB" : "not a file");
		goto out;
	}
	/* One byte more than the content, so text can be NUL terminated. */
	b = malloc(st.st_size + 1);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, b + n, st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r ? -errno : -EIO;
			ca_errf(err, "cannot read %.100s", path);
			goto out;
		}
		n += r;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	b = NULL;
	ret = 0;
out:
	/* Key files pass through here: wipe what was read on any error. */
	ca_wipe_free(b, n);
	close(fd);
	return ret;
}

int ca_write_file(const char *path, const void *buf, size_t len, int mode)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const uint8_t *p = buf;
	struct stat st;
	uint8_t rnd[6];
	WC_RNG rng;
	int fd = -1, ret, i;
	ssize_t w;

	if (!lstat(path, &st) && !S_ISREG(st.st_mode))
		return S_ISLNK(st.st_mode) ? -ELOOP : -EEXIST;
	if (wc_InitRng(&rng))
		return -EIO;
	for (i = 0; i < 10 && fd < 0; i++) {
		if (wc_RNG_GenerateBlock(&rng, rnd, sizeof(rnd)))
			break;
		ret = snprintf(tmp, sizeof(tmp),
			       "%.*s.tmp-%02x%02x%02x%02x%02x%02x",
			       slash ? (int)(slash - path + 1) : 0, path,
			       rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		if (ret < 0 || (size_t)ret >= sizeof(tmp)) {
			wc_FreeRng(&rng);
			return -ENAMETOOLONG;
		}
		fd = open(tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  mode & 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	wc_FreeRng(&rng);
	if (fd < 0)
		return errno ? -errno : -EIO;
	/* Open 0600 at most, widen with fchmod: the umask must not matter
	 * and nobody else may read a key while it is being written. */
	if (fchmod(fd, mode & 07777)) {
		ret = -errno;
		goto fail;
	}
	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ret = w ? -errno : -EIO;
			goto fail;
		}
		p += w;
		len -= w;
	}
	if (fsync(fd)) {
		ret = -errno;
		goto fail;
	}
	close(fd);
	fd = -1;
	/* rename() replaces the name itself and never follows a link. */
	if (!lstat(path, &st) && !S_ISREG(st.st_mode)) {
		ret = S_ISLNK(st.st_mode) ? -ELOOP : -EEXIST;
		goto fail;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

bool ca_is_pem(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

int ca_pem_decode(const uint8_t *buf, size_t len, const char *label,
		  uint8_t **der, size_t *der_len, char found[32])
{
	const char *s = (const char *)buf, *end = s + len, *b, *l, *e, *body;
	char footer[64];
	uint8_t *clean = NULL, *out = NULL;
	size_t n = 0, ll;
	word32 out_len;
	int ret = -EBADMSG;

	for (b = s; (b = memmem(b, end - b, "-----BEGIN ", 11)); b = e) {
		l = b + 11;
		e = memmem(l, end - l, "-----", 5);
		if (!e || e - l >= 32)
			return -EBADMSG;
		ll = e - l;
		e += 5;
		if (!label || (strlen(label) == ll && !memcmp(label, l, ll)))
			break;
	}
	if (!b)
		return -ENOENT;
	if (found) {
		memcpy(found, l, ll);
		found[ll] = 0;
	}
	body = e;
	snprintf(footer, sizeof(footer), "-----END %.*s-----", (int)ll, l);
	e = memmem(body, end - body, footer, strlen(footer));
	if (!e)
		return -EBADMSG;
	clean = malloc(e - body + 1);
	out = malloc(e - body + 1);
	if (!clean || !out) {
		ret = -ENOMEM;
		goto out;
	}
	for (; body < e; body++) {
		if (*body == ':') /* RFC 1421 headers: encrypted, not ours */
			goto out;
		if (*body != ' ' && *body != '\t' && *body != '\r' &&
		    *body != '\n')
			clean[n++] = *body;
	}
	out_len = n + 1;
	if (n == 0 || Base64_Decode(clean, n, out, &out_len))
		goto out;
	*der = out;
	*der_len = out_len;
	out = NULL;
	ret = 0;
out:
	/* The body may be a private key: wipe both copies. */
	ca_wipe_free(clean, n);
	ca_wipe_free(out, n);
	return ret;
}

int ca_cert_pem(const uint8_t *der, size_t len, char **pem, size_t *pem_len)
{
	size_t cap = len * 4 / 3 + len / 48 + 128;
	char *out = malloc(cap);
	int ret;

	if (!out)
		return -ENOMEM;
	ret = wc_DerToPem(der, len, (byte *)out, cap - 1, CERT_TYPE);
	if (ret <= 0) {
		free(out);
		return ca_wc_err(ret ? ret : -1);
	}
	out[ret] = 0;
	*pem = out;
	*pem_len = ret;
	return 0;
}
