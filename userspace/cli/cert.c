// SPDX-License-Identifier: GPL-2.0-only
/*
 * cert.c - tpctl cert { list | show | revoke | renew | issue-server }:
 * certificates by serial; status is kept per issuer + serial.
 */
#include <errno.h>
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
#include "lib/registry.h"

#define MAX_SANS 32

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s cert list [device DEV]\n"
		"       %1$s cert show SERIAL [pem]\n"
		"       %1$s cert revoke SERIAL [reason REASON]\n"
		"       %1$s cert renew DEV csr FILE [days N] [out FILE] [old { keep | revoke }]\n"
		"       %1$s cert issue-server NAME san NAME-OR-IP [san ...] [days N]\n"
		"                              [algo ALGO] [out DIR]\n"
		"\n"
		"       issue-server makes the gateway's TLS certificate (EKU serverAuth)\n"
		"       and its key (0600) in DIR (default <state-dir>/server).\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

int print_cert_cb(const struct reg_cert *c, void *ctx)
{
	bool pem = ctx && *(bool *)ctx;

	out_open_object(NULL);
	out_string("serial", "    %s", c->serial);
	out_string("kind", "  %s",
		   c->kind == REG_CERT_SERVER ? "server" : "device");
	out_int("device_id", c->device_id ? "  device %" PRId64 : NULL,
		c->device_id);
	out_string("status", "  %s",
		   c->status == REG_CERT_GOOD ? "good" : "revoked");
	if (c->status == REG_CERT_REVOKED) {
		print_time("revoked_at", " at ", c->revoked_at);
		out_string("reason", " (%s)", reg_reason_name(c->reason));
	}
	print_time("not_before", "  valid ", c->not_before);
	print_time("not_after", " .. ", c->not_after);
	out_string("subject", "\n      subject %s", c->subject);
	out_string("issuer", "  issuer %s\n", c->issuer);
	if (pem) {
		char *p;
		size_t len;

		if (!ca_cert_pem(c->der, c->der_len, &p, &len)) {
			out_string("pem", "%s", p);
			free(p);
		}
	}
	out_close_object();
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct kwarg kw[] = {{"device"}};
	struct reg_device d = {};
	struct registry *r;
	int err = 0;

	if (kw_parse(argc, argv, kw, 1) || open_registry(&r))
		return 1;
	if (kw[0].val)
		err = get_device(r, kw[0].val, &d);
	if (!err) {
		out_open_array(NULL);
		err = reg_cert_foreach(r, d.id, print_cert_cb, NULL);
		out_close_array();
		if (err)
			p_err("cannot list certificates: %s", strerror(-err));
	}
	reg_device_free(&d);
	reg_close(r);
	if (err)
		return 1;
	out_flush();
	return 0;
}

static int get_cert(struct registry *r, const char *serial, struct reg_cert *c)
{
	char norm[65];
	size_t i, n = strlen(serial);
	int ret;

	/* accept what openssl prints: upper case, colons, a 0x prefix */
	if (n > 2 && serial[0] == '0' && (serial[1] == 'x' || serial[1] == 'X'))
		serial += 2;
	for (i = 0, n = 0; serial[i] && n < sizeof(norm) - 1; i++) {
		char ch = serial[i];

		if (ch == ':')
			continue;
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F'))) {
			p_err("'%.80s' is not a hex serial", serial);
			return -EINVAL;
		}
		norm[n++] = ch | 0x20;
	}
	norm[n] = 0;
	if (!n || serial[i]) {
		p_err("'%.80s' is not a hex serial", serial);
		return -EINVAL;
	}
	ret = reg_cert_get_serial(r, norm, c);
	if (ret == -ENOENT)
		p_err("no certificate with serial %s", norm);
	else if (ret)
		p_err("cannot read certificate %s: %s", norm, strerror(-ret));
	return ret;
}

static int do_show(int argc, char **argv)
{
	struct reg_cert c = {};
	struct registry *r;
	bool pem;
	int err;

	if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "pem"))) {
		p_err("usage: cert show SERIAL [pem]");
		return 1;
	}
	pem = argc == 2;
	if (open_registry(&r))
		return 1;
	err = get_cert(r, argv[0], &c);
	reg_close(r);
	if (err)
		return 1;
	print_cert_cb(&c, &pem);
	reg_cert_free(&c);
	out_flush();
	return 0;
}

static int do_revoke(int argc, char **argv)
{
	struct kwarg kw[] = {{"reason"}};
	int reason = REG_REASON_UNSPECIFIED, err, evicted = 0;
	struct reg_cert c = {};
	struct registry *r;

	if (argc < 1) {
		p_err("usage: cert revoke SERIAL [reason REASON]");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 1))
		return 1;
	if (kw[0].val && reg_reason_parse(kw[0].val, &reason)) {
		p_err("'%.64s' is not an RFC 5280 reason", kw[0].val);
		return 1;
	}
	if (open_registry(&r))
		return 1;
	err = get_cert(r, argv[0], &c);
	if (!err && c.status == REG_CERT_REVOKED) {
		p_err("certificate %s is already revoked", c.serial);
		err = -EALREADY;
	}
	if (!err) {
		err = reg_cert_revoke(r, c.issuer, c.serial, reason, actor());
		if (err)
			p_err("cannot revoke %s: %s", c.serial, strerror(-err));
	}
	reg_close(r);
	/* the device's sessions rest on this certificate: cut them */
	if (!err && c.device_id) {
		evicted = evict_device(c.device_id);
		if (evicted < 0) {
			p_err("revoked, but evicting the gate entries failed: %s",
			      strerror(-evicted));
			err = evicted;
		}
	}
	if (!err) {
		out_open_object(NULL);
		out_string("serial", "revoked %s", c.serial);
		out_string("reason", " (%s)", reg_reason_name(reason));
		out_int("evicted", "; %" PRId64 " gate entries evicted\n",
			evicted);
		out_close_object();
		out_flush();
	}
	reg_cert_free(&c);
	return err ? 1 : 0;
}

static int do_issue_server(int argc, char **argv)
{
	const char *sans[MAX_SANS];
	struct kwarg kw[] = {{"san", .vals = sans, .max = MAX_SANS},
			     {"days"},
			     {"algo"},
			     {"out"}};
	char key_path[PATH_MAX], crt_path[PATH_MAX], dir[PATH_MAX - 32];
	char err[CA_ERR_LEN] = "", *key = NULL, *pem = NULL;
	enum ca_algo algo = CA_ALGO_ECDSA_P256;
	size_t key_len = 0, pem_len;
	struct ca_issued is = {};
	struct registry *r = NULL;
	uint64_t days = 825;
	struct ca *ca = NULL;
	int ret;

	if (argc < 1 || !argv[0][0]) {
		p_err("usage: cert issue-server NAME san NAME-OR-IP ...");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 4))
		return 1;
	if (kw[1].val && u64_parse(kw[1].val, 1, 3650, &days)) {
		p_err("days must be 1..3650");
		return 1;
	}
	if (kw[2].val && ca_algo_parse(kw[2].val, &algo)) {
		p_err("algo must be ecdsa-p256, ecdsa-p384 or ed25519");
		return 1;
	}
	if (kw[3].val)
		snprintf(dir, sizeof(dir), "%s", kw[3].val);
	else
		snprintf(dir, sizeof(dir), "%s/server", opts.state_dir);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		p_err("cannot create %s: %s", dir, strerror(errno));
		return 1;
	}
	snprintf(key_path, sizeof(key_path), "%s/server.key", dir);
	snprintf(crt_path, sizeof(crt_path), "%s/server.pem", dir);
	if (!access(key_path, F_OK) || !access(crt_path, F_OK)) {
		p_err("%s already holds a server certificate: move it away first",
		      dir);
		return 1;
	}
	ret = open_registry(&r);
	ret = ret ?: open_ca(&ca);
	if (!ret) {
		ret = ca_issue_server(ca, argv[0], sans, kw[0].nvals, days,
				      algo, &is, &key, &key_len, err);
		if (ret)
			p_err("cannot issue: %s",
			      err[0] ? err : strerror(-ret));
	}
	if (!ret) {
		struct reg_cert c = {
			.issuer = (char *)ca_dn(ca),
			.kind = REG_CERT_SERVER,
			.subject = is.info.subject,
			.not_before = is.info.not_before,
			.not_after = is.info.not_after,
			.der = is.der,
			.der_len = is.der_len,
		};

		snprintf(c.serial, sizeof(c.serial), "%s", is.info.serial);
		ret = reg_cert_add(r, &c, actor());
		if (ret)
			p_err("cannot record the certificate: %s",
			      strerror(-ret));
	}
	ret = ret ?: ca_cert_pem(is.der, is.der_len, &pem, &pem_len);
	ret = ret ?: ca_write_file(key_path, key, key_len, 0600);
	ret = ret ?: ca_write_file(crt_path, pem, pem_len, 0644);
	if (!ret) {
		out_open_object(NULL);
		out_string("serial", "issued server certificate %s",
			   is.info.serial);
		out_string("cert", "\n  certificate %s", crt_path);
		out_string("key", "\n  key %s (0600)\n", key_path);
		out_close_object();
		out_flush();
	}
	ca_wipe_free(key, key_len);
	free(pem);
	ca_issued_free(&is);
	ca_free(ca);
	reg_close(r);
	return ret ? 1 : 0;
}

int do_cert(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", do_list},
		{"show", do_show},
		{"revoke", do_revoke},
		{"renew", do_renew},
		{"issue-server", do_issue_server},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
