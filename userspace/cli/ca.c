// SPDX-License-Identifier: GPL-2.0-only
/* ca.c - tpctl ca { show | init | import }: the CA that device identities hang
 * on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/main.h"
#include "cli/device.h"
#include "lib/addr.h"
#include "lib/ca.h"

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s ca show\n"
		"       %1$s ca init [algo { ecdsa-p256 | ecdsa-p384 | ed25519 }] [subject DN]\n"
		"                    [days N] [force]\n"
		"       %1$s ca import cert FILE key FILE [chain FILE] [force]\n"
		"\n"
		"       The CA lives in <state-dir>/ca (key 0600). init and import refuse to\n"
		"       replace an existing CA unless 'force' is given: every certificate\n"
		"       issued by the old one stops verifying.\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

static int do_show(int argc, char **argv)
{
	char err[CA_ERR_LEN] = "";
	struct ca_cert_info i;
	const uint8_t *der;
	struct ca *ca;
	size_t len;
	int ret;

	if (argc) {
		p_err("unexpected argument '%.64s'", argv[0]);
		return 1;
	}
	if (open_ca(&ca))
		return 1;
	der = ca_cert_der(ca, &len);
	ret = ca_cert_describe(der, len, &i, err);
	ca_free(ca);
	if (ret) {
		p_err("cannot read the CA certificate: %s", err);
		return 1;
	}
	out_open_object(NULL);
	out_string("subject", "subject %s\n", i.subject);
	out_string("issuer", "issuer %s\n", i.issuer);
	out_string("serial", "serial %s\n", i.serial);
	out_string("key", "key %s\n", i.key_algo);
	print_time("not_before", "valid ", i.not_before);
	print_time("not_after", " .. ", i.not_after);
	out_string("ski", "\nski %s\n", i.ski);
	out_string("sha256", "sha256 %s\n", i.sha256);
	out_string("dir", "dir %s\n", ca_dir());
	out_close_object();
	out_flush();
	return 0;
}

static int do_init(int argc, char **argv)
{
	struct kwarg kw[] = {
		{"algo"}, {"subject"}, {"days"}, {"force", .flag = true}};
	enum ca_algo algo = CA_ALGO_ECDSA_P256;
	char err[CA_ERR_LEN] = "";
	uint64_t days = CA_DAYS_DEFAULT;
	int ret;

	if (kw_parse(argc, argv, kw, 4))
		return 1;
	if (kw[0].val && ca_algo_parse(kw[0].val, &algo)) {
		p_err("algo must be ecdsa-p256, ecdsa-p384 or ed25519");
		return 1;
	}
	if (kw[2].val && u64_parse(kw[2].val, 1, 36500, &days)) {
		p_err("days must be 1..36500");
		return 1;
	}
	if (mkdir_state())
		return 1;
	ret = ca_init(ca_dir(), algo,
		      kw[1].val ? kw[1].val : "CN=trustpoint CA", days,
		      kw[3].set, err);
	if (ret) {
		p_err("%s",
		      ret == -EEXIST
			      ? "a CA exists: 'force' replaces it (certificates it issued stop verifying)"
		      : err[0] ? err
			       : strerror(-ret));
		return 1;
	}
	return do_show(0, argv);
}

static int do_import(int argc, char **argv)
{
	struct kwarg kw[] = {
		{"cert"}, {"key"}, {"chain"}, {"force", .flag = true}};
	char err[CA_ERR_LEN] = "";
	int ret;

	if (kw_parse(argc, argv, kw, 4))
		return 1;
	if (!kw[0].val || !kw[1].val) {
		p_err("'cert FILE' and 'key FILE' are required");
		return 1;
	}
	if (mkdir_state())
		return 1;
	ret = ca_import(ca_dir(), kw[0].val, kw[1].val, kw[2].val, kw[3].set,
			err);
	if (ret) {
		p_err("%s", ret == -EEXIST ? "a CA exists: 'force' replaces it"
			    : err[0]	   ? err
					   : strerror(-ret));
		return 1;
	}
	return do_show(0, argv);
}

int do_ca(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"show", do_show},
		{"init", do_init},
		{"import", do_import},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
