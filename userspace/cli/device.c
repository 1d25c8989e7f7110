// SPDX-License-Identifier: GPL-2.0-only
/*
 * device.c - tpctl device { list | show | add | set | activate |
 * quarantine | revoke | delete | import }: the registry's devices and the
 * changes of their status. Enrollment lives in enroll.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "cli/main.h"
#include "cli/device.h"
#include "lib/addr.h"
#include "lib/import.h"
#include "lib/registry.h"

#define MAX_PROPS 64

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s device list [owner USER] [status STATUS]\n"
		"       %1$s device show DEV\n"
		"       %1$s device add NAME owner USER [group GROUP] [prop KEY=VALUE]...\n"
		"       %1$s device set DEV [owner USER] [group GROUP] [trust 0..100]\n"
		"                           [prop KEY=VALUE]... [unset KEY]...\n"
		"       %1$s device enroll DEV csr FILE [days N] [out FILE]\n"
		"       %1$s device enroll DEV genkey [algo ALGO] [days N] [out DIR]\n"
		"                                     [p12 PASSWORD-FILE]\n"
		"       %1$s device activate DEV\n"
		"       %1$s device quarantine DEV [reason TEXT]\n"
		"       %1$s device revoke DEV [reason REASON]\n"
		"       %1$s device delete DEV\n"
		"       %1$s device import FILE [dry-run]\n"
		"\n"
		"       DEV := { NAME | UUID | ID }\n"
		"       STATUS := { pending | active | quarantined | revoked }\n"
		"       ALGO := { ecdsa-p256 | ecdsa-p384 | ed25519 }\n"
		"       REASON := { unspecified | keyCompromise | affiliationChanged |\n"
		"                   superseded | cessationOfOperation | privilegeWithdrawn | ... }\n"
		"       Well-known properties: serial_number model manufacturer os os_version mac.\n"
		"       revoke and quarantine evict the device's gate entries at once.\n"
		"       A certificate's CN is the device name, or its uuid when the name is\n"
		"       longer than 63 bytes. PKCS#12 bundles hold ECDSA keys only.\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

void print_time(const char *key, const char *label, int64_t t)
{
	char buf[32] = "-";
	struct tm tm;
	time_t tt = t;

	if (t && gmtime_r(&tt, &tm))
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (out_json()) {
		out_string(key, NULL, buf);
		return;
	}
	out_text("%s%s", label, buf);
}

void print_device(const struct reg_device *d, bool details)
{
	out_open_object(NULL);
	out_int("id", "%" PRId64 ": ", d->id);
	out_string("name", "%s", d->name);
	out_string("uuid", details ? "\n  uuid %s" : NULL, d->uuid);
	out_string("owner", details ? "\n  owner %s" : "  owner %s", d->owner);
	out_string("group", d->group ? "  group %s" : NULL, d->group);
	out_string("status", "  status %s", reg_dev_status_name(d->status));
	out_int("trust", "  trust %" PRId64, d->trust);
	if (details) {
		print_time("created", "\n  created ", d->created);
		print_time("updated", "  updated ", d->updated);
	}
	out_open_object("properties");
	for (size_t i = 0; i < d->nprops; i++) {
		if (out_json()) {
			out_string(d->props[i].key, NULL, d->props[i].value);
			continue;
		}
		out_text(details ? "\n  %s = %s" : "  %s=%s", d->props[i].key,
			 d->props[i].value);
	}
	out_close_object();
	if (!details) {
		out_text("\n");
		out_close_object();
	}
}

struct list_filter {
	const char *owner;
	bool by_status;
	enum reg_dev_status status;
};

static int list_cb(const struct reg_device *d, void *ctx)
{
	const struct list_filter *f = ctx;

	if (f->owner && strcmp(d->owner, f->owner))
		return 0;
	if (f->by_status && d->status != f->status)
		return 0;
	print_device(d, false);
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct kwarg kw[] = {{"owner"}, {"status"}};
	struct list_filter f = {};
	struct registry *r;
	int err;

	if (kw_parse(argc, argv, kw, 2))
		return 1;
	f.owner = kw[0].val;
	if (kw[1].val) {
		if (reg_dev_status_parse(kw[1].val, &f.status)) {
			p_err("status must be pending, active, quarantined or revoked");
			return 1;
		}
		f.by_status = true;
	}
	if (open_registry(&r))
		return 1;
	out_open_array(NULL);
	err = reg_device_foreach(r, list_cb, &f);
	out_close_array();
	reg_close(r);
	if (err) {
		p_err("cannot list devices: %s", strerror(-err));
		return 1;
	}
	out_flush();
	return 0;
}

int get_device(struct registry *r, const char *ref, struct reg_device *d)
{
	int err = reg_device_get(r, ref, d);

	if (err == -ENOENT)
		p_err("no device '%.128s'", ref);
	else if (err)
		p_err("cannot read device '%.128s': %s", ref, strerror(-err));
	return err;
}

static int do_show(int argc, char **argv)
{
	struct reg_device d = {};
	struct registry *r;
	int err;

	if (argc != 1) {
		p_err("usage: device show DEV");
		return 1;
	}
	if (open_registry(&r))
		return 1;
	err = get_device(r, argv[0], &d);
	if (err) {
		reg_close(r);
		return 1;
	}
	print_device(&d, true);
	out_text("\n  certificates:\n");
	out_open_array("certificates");
	err = reg_cert_foreach(r, d.id, print_cert_cb, NULL);
	out_close_array();
	out_close_object();
	reg_close(r);
	reg_device_free(&d);
	if (err) {
		p_err("cannot list certificates: %s", strerror(-err));
		return 1;
	}
	out_flush();
	return 0;
}

/* KEY=VALUE into a property; the registry validates the key's form. */
static int parse_prop(const char *s, struct reg_prop *p)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s) {
		p_err("property must be KEY=VALUE, not '%.64s'", s);
		return -EINVAL;
	}
	p->key = strndup(s, eq - s);
	p->value = strdup(eq + 1);
	if (!p->key || !p->value)
		return -ENOMEM;
	return 0;
}

static void free_props(struct reg_prop *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
}

static const char *reg_strerror(int err)
{
	switch (err) {
	case -EEXIST:
		return "the name is taken";
	case -ENOENT:
		return "no such owner";
	case -EINVAL:
		return "invalid value (too long, empty, or a bad property key)";
	case -EBUSY:
		return "the registry is busy";
	}
	return strerror(-err);
}

static int do_add(int argc, char **argv)
{
	const char *propv[MAX_PROPS];
	struct kwarg kw[] = {{"owner"},
			     {"group"},
			     {"prop", .vals = propv, .max = MAX_PROPS}};
	struct reg_prop props[MAX_PROPS] = {};
	struct reg_device d = {};
	struct registry *r;
	int err = 0;

	if (argc < 1 || !argv[0][0]) {
		p_err("usage: device add NAME owner USER ...");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 3))
		return 1;
	if (!kw[0].val) {
		p_err("'owner USER' is required");
		return 1;
	}
	for (int i = 0; i < kw[2].nvals && !err; i++)
		err = parse_prop(propv[i], &props[i]);
	if (err) {
		free_props(props, kw[2].nvals);
		return 1;
	}
	d.name = argv[0];
	d.owner = (char *)kw[0].val;
	d.group = (char *)kw[1].val;
	d.props = props;
	d.nprops = kw[2].nvals;
	err = open_registry(&r);
	if (!err) {
		err = reg_device_add(r, &d, actor());
		reg_close(r);
		if (err)
			p_err("cannot add device '%.128s': %s", argv[0],
			      reg_strerror(err));
	}
	free_props(props, kw[2].nvals);
	if (err)
		return 1;
	out_open_object(NULL);
	out_int("id", "added device %" PRId64, d.id);
	out_string("uuid", " uuid %s\n", d.uuid);
	out_close_object();
	out_flush();
	return 0;
}

static int do_set(int argc, char **argv)
{
	const char *propv[MAX_PROPS], *unsetv[MAX_PROPS];
	struct kwarg kw[] = {{"owner"},
			     {"group"},
			     {"trust"},
			     {"prop", .vals = propv, .max = MAX_PROPS},
			     {"unset", .vals = unsetv, .max = MAX_PROPS}};
	struct reg_prop props[2 * MAX_PROPS] = {};
	struct reg_device d = {};
	struct registry *r;
	uint64_t trust = 0;
	size_t n = 0;
	int err = 0;

	if (argc < 2) {
		p_err("usage: device set DEV [owner USER] [group G] [trust N] [prop K=V]... [unset K]...");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 5))
		return 1;
	if (kw[2].val && u64_parse(kw[2].val, 0, 100, &trust)) {
		p_err("trust must be 0..100");
		return 1;
	}
	for (int i = 0; i < kw[3].nvals && !err; i++)
		err = parse_prop(propv[i], &props[n++]);
	for (int i = 0; i < kw[4].nvals && !err; i++) {
		props[n].key = strdup(unsetv[i]);
		err = props[n++].key ? 0 : -ENOMEM;
	}
	if (!err)
		err = open_registry(&r);
	if (!err) {
		err = get_device(r, argv[0], &d);
		if (!err) {
			err = reg_device_update(r, d.id, kw[0].val, kw[1].val,
						kw[2].val ? (int)trust : -1,
						props, n, actor());
			if (err)
				p_err("cannot change device: %s",
				      reg_strerror(err));
		}
		reg_close(r);
	}
	free_props(props, n);
	reg_device_free(&d);
	if (err)
		return 1;
	print_done("updated");
	return 0;
}

static const char *const status_cmd[] = {
	[REG_DEV_ACTIVE] = "device.activate",
	[REG_DEV_QUARANTINED] = "device.quarantine",
	[REG_DEV_REVOKED] = "device.revoke",
};

/*
 * When trustpointd runs, it makes the change: it is the one writer of the
 * maps, and it also closes the device's TLS session and its conntrack
 * flows. Returns 1 when no daemon listens (take the direct path).
 */
static int change_status_daemon(const char *ref, enum reg_dev_status to,
				int reason, const char *detail)
{
	struct json_object *req = json_object_new_object(), *resp, *v;
	int err;

	json_object_object_add(req, "cmd",
			       json_object_new_string(status_cmd[to]));
	json_object_object_add(req, "device", json_object_new_string(ref));
	json_object_object_add(
		req, "reason",
		json_object_new_string(to == REG_DEV_REVOKED
					       ? reg_reason_name(reason)
					       : detail));
	err = daemon_call(req, &resp);
	if (err)
		return err;
	out_open_object(NULL);
	out_string("device", "%s",
		   json_object_object_get_ex(resp, "name", &v)
			   ? json_object_get_string(v)
			   : ref);
	out_string("status", " is %s", reg_dev_status_name(to));
	out_int("evicted", "; %" PRId64 " gate entries evicted",
		json_object_object_get_ex(resp, "evicted", &v)
			? json_object_get_int64(v)
			: 0);
	out_int("flows", ", %" PRId64 " flows cut",
		json_object_object_get_ex(resp, "flows", &v)
			? json_object_get_int64(v)
			: 0);
	out_bool("daemon", " (by trustpointd)\n", true);
	out_close_object();
	out_flush();
	json_object_put(resp);
	return 0;
}

/*
 * A status change: registry first, then the gate's entries, so no
 * interleaving leaves an entry of a device the registry no longer trusts.
 */
static int change_status(const char *ref, enum reg_dev_status to, int reason,
			 const char *detail)
{
	struct reg_device d = {};
	struct registry *r;
	int err, evicted = 0;

	err = change_status_daemon(ref, to, reason, detail);
	if (err <= 0)
		return err ? 1 : 0;
	if (open_registry(&r))
		return 1;
	err = get_device(r, ref, &d);
	if (!err) {
		err = reg_device_set_status(r, d.id, to, reason, actor(),
					    detail);
		if (err)
			p_err("cannot set %s to %s: %s", d.name,
			      reg_dev_status_name(to),
			      err == -EPERM ? "not allowed from its status"
					    : reg_strerror(err));
	}
	reg_close(r);
	if (!err && to != REG_DEV_ACTIVE) {
		evicted = evict_device(d.id);
		if (evicted < 0) {
			p_err("%s is %s in the registry, but evicting its gate entries failed: %s",
			      d.name, reg_dev_status_name(to),
			      strerror(-evicted));
			err = evicted;
		}
	}
	if (!err) {
		out_open_object(NULL);
		out_string("device", "%s", d.name);
		out_string("status", " is %s", reg_dev_status_name(to));
		out_int("evicted", "; %" PRId64 " gate entries evicted\n",
			evicted);
		out_bool("daemon", NULL, false);
		out_close_object();
		out_flush();
	}
	reg_device_free(&d);
	return err ? 1 : 0;
}

static int do_activate(int argc, char **argv)
{
	if (argc != 1) {
		p_err("usage: device activate DEV");
		return 1;
	}
	return change_status(argv[0], REG_DEV_ACTIVE, 0, "activated");
}

static int do_quarantine(int argc, char **argv)
{
	struct kwarg kw[] = {{"reason"}};

	if (argc < 1 || kw_parse(argc - 1, argv + 1, kw, 1)) {
		if (argc < 1)
			p_err("usage: device quarantine DEV [reason TEXT]");
		return 1;
	}
	return change_status(argv[0], REG_DEV_QUARANTINED, 0,
			     kw[0].val ? kw[0].val : "quarantined");
}

static int do_revoke(int argc, char **argv)
{
	struct kwarg kw[] = {{"reason"}};
	int reason = REG_REASON_UNSPECIFIED;

	if (argc < 1 || kw_parse(argc - 1, argv + 1, kw, 1)) {
		if (argc < 1)
			p_err("usage: device revoke DEV [reason REASON]");
		return 1;
	}
	if (kw[0].val && reg_reason_parse(kw[0].val, &reason)) {
		p_err("'%.64s' is not an RFC 5280 reason", kw[0].val);
		return 1;
	}
	return change_status(argv[0], REG_DEV_REVOKED, reason,
			     reg_reason_name(reason));
}

static int do_delete(int argc, char **argv)
{
	struct reg_device d = {};
	struct registry *r;
	int err;

	if (argc != 1) {
		p_err("usage: device delete DEV");
		return 1;
	}
	if (open_registry(&r))
		return 1;
	err = get_device(r, argv[0], &d);
	if (!err) {
		err = reg_device_delete(r, d.id, actor());
		if (err)
			p_err("cannot delete %s: %s", d.name,
			      err == -EPERM
				      ? "it has good certificates: revoke it first"
				      : reg_strerror(err));
	}
	reg_close(r);
	if (!err && evict_device(d.id) < 0)
		p_warn("%s deleted, but its gate entries could not be evicted",
		       d.name);
	reg_device_free(&d);
	if (err)
		return 1;
	print_done("deleted");
	return 0;
}

static void on_record(const char *kind, const char *name, int changed,
		      void *ctx)
{
	out_open_object(NULL);
	out_string("name", "  %s", name);
	out_string("change", ": %s\n", import_change_name(changed));
	out_close_object();
}

static int do_import(int argc, char **argv)
{
	struct kwarg kw[] = {{"dry-run", .flag = true}};
	struct import_stats st = {};
	char err[IMPORT_ERR_LEN] = "";
	struct registry *r;
	int ret;

	if (argc < 1 || kw_parse(argc - 1, argv + 1, kw, 1)) {
		if (argc < 1)
			p_err("usage: device import FILE [dry-run]");
		return 1;
	}
	if (open_registry(&r))
		return 1;
	out_open_object(NULL);
	out_open_array("records");
	ret = import_inventory(r, argv[0], kw[0].set, actor(), on_record, NULL,
			       &st, err);
	reg_close(r);
	if (ret) {
		p_err("import of %.128s failed: %s", argv[0],
		      err[0] ? err : strerror(-ret));
		return 1;
	}
	print_import_stats(&st, kw[0].set);
	return 0;
}

int do_device(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", do_list},
		{"show", do_show},
		{"add", do_add},
		{"set", do_set},
		{"enroll", do_enroll},
		{"activate", do_activate},
		{"quarantine", do_quarantine},
		{"revoke", do_revoke},
		{"delete", do_delete},
		{"import", do_import},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
