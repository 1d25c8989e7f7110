// SPDX-License-Identifier: GPL-2.0-only
/*
 * posture.c - what the device says about itself: OS and version from
 * os-release, model, vendor and serial number from DMI, each overridable
 * by a posture file. Every value is bounded and printable before it can
 * reach the gateway.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * Unquote an os-release value in place: 'single', "double" with \" \\ \$
 * \` escapes, or bare. Anything after a closing quote is an error, as is
 * an unterminated quote; os-release is never run through a shell.
 */
static int unquote(char *v)
{
	char *w = v, q = *v;

	if (q != '"' && q != '\'')
		return strpbrk(v, "\"'\\`$ \t") ? -EINVAL : 0;
	for (char *r = v + 1; *r; r++) {
		if (*r == q) {
			*w = 0;
			return r[1] ? -EINVAL : 0;
		}
		if (q == '"' && *r == '\\' && r[1] && strchr("\"\\$`", r[1]))
			r++;
		*w++ = *r;
	}
	return -EINVAL;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = 0;
}

static int key_index(const char *const keys[], const char *k)
{
	for (int i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return i;
	return -1;
}

int posture_parse_file(const char *path, const char *const keys[],
		       char *const dst[], bool strict, char *err, size_t errlen)
{
	char line[1024], *k, *v, *eq;
	int lineno = 0, ret = 0, i;
	FILE *f = fopen(path, "re");

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			/* longer than any value we accept */
			if (strict) {
				snprintf(err, errlen, "%s line %d: too long",
					 path, lineno);
				ret = -EINVAL;
				break;
			}
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		trim_end(line);
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (eq)
			*eq = 0;
		if (!eq || !*k ||
		    strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "abcdefghijklmnopqrstuvwxyz"
			      "0123456789_") != strlen(k)) {
			if (!strict)
				continue;
			snprintf(err, errlen, "%s line %d: not KEY=VALUE", path,
				 lineno);
			ret = -EINVAL;
			break;
		}
		i = key_index(keys, k);
		if (i < 0) {
			if (!strict)
				continue;
			snprintf(err, errlen, "%s line %d: unknown key '%.64s'",
				 path, lineno, k);
			ret = -EINVAL;
			break;
		}
		v = eq + 1;
		if (unquote(v) || !printable(v) || strlen(v) >= PROTO_STR_MAX) {
			snprintf(err, errlen, "%s line %d: value of %s is %s",
				 path, lineno, k,
				 strlen(v) >= PROTO_STR_MAX ? "too long"
				 : !printable(v)	    ? "not printable"
							    : "badly quoted");
			ret = -EINVAL;
			break;
		}
		memcpy(dst[i], v, strlen(v) + 1);
	}
	fclose(f);
	return ret;
}

/* First line of a sysfs attribute; empty when missing or not fit to send. */
static void read_dmi(const char *root, const char *attr, char *dst)
{
	char path[512], buf[PROTO_STR_MAX + 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/class/dmi/id/%s", root, attr);
	f = fopen(path, "re");
	if (!f)
		return; /* no DMI (VMs, ARM boards) or not root: fine */
	if (fgets(buf, sizeof(buf), f)) {
		trim_end(buf);
		if (printable(buf) && strlen(buf) < PROTO_STR_MAX)
			memcpy(dst, buf, strlen(buf) + 1);
		else
			agent_log("warning: ignoring %s: not a printable "
				  "value of at most %d bytes",
				  path, PROTO_STR_MAX - 1);
	}
	fclose(f);
}

int posture_collect(const char *root, const char *file, struct proto_posture *p,
		    char *err, size_t errlen)
{
	static const char *const os_keys[] = {"ID", "VERSION_ID", NULL};
	static const char *const keys[] = {
		"os",		"os_version",	 "model",
		"manufacturer", "serial_number", NULL};
	char *const dst[] = {p->os, p->os_version, p->model, p->manufacturer,
			     p->serial_number};
	struct proto_posture osr = {};
	char *const os_dst[] = {osr.os, osr.os_version};
	char path[512];
	int err_os;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "%s/etc/os-release", root);
	err_os = posture_parse_file(path, os_keys, os_dst, false, err, errlen);
	if (err_os == -ENOENT) {
		/* the fallback the os-release spec names */
		snprintf(path, sizeof(path), "%s/usr/lib/os-release", root);
		err_os = posture_parse_file(path, os_keys, os_dst, false, err,
					    errlen);
	}
	if (!err_os) {
		memcpy(p->os, osr.os, sizeof(p->os));
		memcpy(p->os_version, osr.os_version, sizeof(p->os_version));
	} else if (err_os != -ENOENT) {
		agent_log("warning: os and os_version not reported: %s", err);
	}
	read_dmi(root, "product_name", p->model);
	read_dmi(root, "sys_vendor", p->manufacturer);
	read_dmi(root, "product_serial", p->serial_number);
	err[0] = 0;
	if (file)
		return posture_parse_file(file, keys, dst, true, err, errlen);
	return 0;
}
