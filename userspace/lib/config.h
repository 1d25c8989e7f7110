/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config.h - trustpoint.conf, the one INI file trustpointd and tpctl read
 * (inih). Unknown sections or keys and bad values are errors that name
 * the line, so a typo never silently falls back to a default.
 */
#ifndef TP_LIB_CONFIG_H
#define TP_LIB_CONFIG_H

#include <stdbool.h>

#define TP_CONFIG_DEFAULT "/etc/trustpoint/trustpoint.conf"
#define TP_STATE_DIR_DEFAULT "/var/lib/trustpoint"

struct tp_config {
	char *state_dir; /* [paths] state_dir */
	char *bpffs; /* [paths] bpffs */
	char *ocsp_url; /* [ca] ocsp_url: AIA of issued certificates */
	unsigned int device_days; /* [ca] device_days */
};

/* Defaults, then path when it exists (or must exist, when required). */
int config_load(const char *path, bool required, struct tp_config *c,
		char *err, int errlen);
void config_free(struct tp_config *c);

#endif /* TP_LIB_CONFIG_H */
