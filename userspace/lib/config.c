// SPDX-License-Identifier: GPL-2.0-only
/* config.c - read trustpoint.conf with inih into struct tp_config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "lib/addr.h"
#include "lib/config.h"

struct parse_ctx {
	struct tp_config *c;
	char *err;
	int errlen;
};

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int on_entry(void *user, const char *section, const char *name,
		    const char *value)
{
	struct parse_ctx *p = user;
	struct tp_config *c = p->c;
	uint64_t v;

	if (!strcmp(section, "paths") && !strcmp(name, "state_dir") &&
	    value[0] == '/')
		return !set_str(&c->state_dir, value);
	if (!strcmp(section, "paths") && !strcmp(name, "bpffs") &&
	    value[0] == '/')
		return !set_str(&c->bpffs, value);
	if (!strcmp(section, "ca") && !strcmp(name, "ocsp_url") &&
	    (!strncmp(value, "http://", 7) || !strncmp(value, "https://", 8)))
		return !set_str(&c->ocsp_url, value);
	if (!strcmp(section, "ca") && !strcmp(name, "device_days") &&
	    !u64_parse(value, 1, 36500, &v)) {
		c->device_days = v;
		return 1;
	}
	/* inih's return value supplies the line number */
	snprintf(p->err, p->errlen, "[%s] %s = '%.64s' is %s", section, name,
		 value,
		 (!strcmp(section, "paths") &&
		  (!strcmp(name, "state_dir") || !strcmp(name, "bpffs"))) ||
				 (!strcmp(section, "ca") &&
				  (!strcmp(name, "ocsp_url") ||
				   !strcmp(name, "device_days"))) ?
			 "not a valid value" :
			 "not a known setting");
	return 0;
}

int config_load(const char *path, bool required, struct tp_config *c,
		char *err, int errlen)
{
	struct parse_ctx p = { .c = c, .err = err, .errlen = errlen };
	FILE *f;
	int ret;

	memset(c, 0, sizeof(*c));
	err[0] = 0;
	if (set_str(&c->state_dir, TP_STATE_DIR_DEFAULT))
		return -ENOMEM;
	c->device_days = 365;
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	ret = ini_parse_file(f, on_entry, &p);
	fclose(f);
	if (ret) {
		char what[200];

		snprintf(what, sizeof(what), "%s", err[0] ? err : "syntax error");
		snprintf(err, errlen, "%s line %d: %s", path, ret, what);
		config_free(c);
		return -EINVAL;
	}
	return 0;
}

void config_free(struct tp_config *c)
{
	free(c->state_dir);
	free(c->bpffs);
	free(c->ocsp_url);
	memset(c, 0, sizeof(*c));
}
