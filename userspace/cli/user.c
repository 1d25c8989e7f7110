// SPDX-License-Identifier: GPL-2.0-only
/*
 * user.c - tpctl user { list | show | add | disable | enable | import }:
 * the accounts devices are bound to, local or from LDAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/main.h"
#include "lib/import.h"
#include "lib/addr.h"
#include "lib/registry.h"

static int do_help(int argc, char **argv)
{
	fprintf(stderr,
		"Usage: %1$s user list\n"
		"       %1$s user show ACCOUNT\n"
		"       %1$s user add ACCOUNT [name DISPLAY-NAME] [email ADDR]\n"
		"       %1$s user { disable | enable } ACCOUNT\n"
		"       %1$s user import ldap URI base DN [filter FILTER]\n"
		"                        [bind DN password-file FILE] [timeout SECS] [dry-run]\n"
		"\n"
		"       An LDAP import reads uid, cn and mail; it is idempotent and runs in\n"
		"       one transaction. dry-run reports what would change.\n" HELP_OPTIONS,
		bin_name);
	return 0;
}

static void print_user(const struct reg_user *u)
{
	out_open_object(NULL);
	out_string("account", "%s", u->account);
	out_string("name", u->display_name ? "  name \"%s\"" : NULL,
		   u->display_name);
	out_string("email", u->email ? "  email %s" : NULL, u->email);
	out_string("source", "  source %s",
		   u->source == REG_SRC_LDAP ? "ldap" : "local");
	out_bool("disabled", u->disabled ? "  disabled" : NULL, u->disabled);
	out_int("created", NULL, u->created);
	out_int("updated", NULL, u->updated);
	out_text("\n");
	out_close_object();
}

static int print_user_cb(const struct reg_user *u, void *ctx)
{
	print_user(u);
	return 0;
}

static int do_list(int argc, char **argv)
{
	struct registry *r;
	int err;

	if (argc) {
		p_err("unexpected argument '%.64s'", argv[0]);
		return 1;
	}
	if (open_registry(&r))
		return 1;
	out_open_array(NULL);
	err = reg_user_foreach(r, print_user_cb, NULL);
	out_close_array();
	reg_close(r);
	if (err) {
		p_err("cannot list users: %s", strerror(-err));
		return 1;
	}
	out_flush();
	return 0;
}

static int do_show(int argc, char **argv)
{
	struct reg_user u = {};
	struct registry *r;
	int err;

	if (argc != 1) {
		p_err("usage: user show ACCOUNT");
		return 1;
	}
	if (open_registry(&r))
		return 1;
	err = reg_user_get(r, argv[0], &u);
	reg_close(r);
	if (err) {
		p_err("cannot show user '%.128s': %s", argv[0],
		      err == -ENOENT ? "no such user" : strerror(-err));
		return 1;
	}
	print_user(&u);
	reg_user_free(&u);
	out_flush();
	return 0;
}

static int do_add(int argc, char **argv)
{
	struct kwarg kw[] = {{"name"}, {"email"}};
	struct reg_user u = {};
	struct registry *r;
	int err;

	if (argc < 1 || !argv[0][0]) {
		p_err("usage: user add ACCOUNT [name NAME] [email ADDR]");
		return 1;
	}
	if (kw_parse(argc - 1, argv + 1, kw, 2))
		return 1;
	u.account = argv[0];
	u.display_name = (char *)kw[0].val;
	u.email = (char *)kw[1].val;
	u.source = REG_SRC_LOCAL;
	if (open_registry(&r))
		return 1;
	err = reg_user_add(r, &u, actor());
	reg_close(r);
	if (err) {
		p_err("cannot add user '%.128s': %s", argv[0],
		      err == -EEXIST   ? "it exists"
		      : err == -EINVAL ? "invalid value"
				       : strerror(-err));
		return 1;
	}
	out_open_object(NULL);
	out_string("added", NULL, argv[0]);
	out_close_object();
	out_flush();
	return 0;
}

static int set_disabled(int argc, char **argv, bool disabled)
{
	struct registry *r;
	int err;

	if (argc != 1) {
		p_err("usage: user %s ACCOUNT",
		      disabled ? "disable" : "enable");
		return 1;
	}
	if (open_registry(&r))
		return 1;
	err = reg_user_set_disabled(r, argv[0], disabled, actor());
	reg_close(r);
	if (err) {
		p_err("cannot change user '%.128s': %s", argv[0],
		      err == -ENOENT ? "no such user" : strerror(-err));
		return 1;
	}
	out_open_object(NULL);
	out_bool("disabled", NULL, disabled);
	out_close_object();
	out_flush();
	return 0;
}

static int do_disable(int argc, char **argv)
{
	return set_disabled(argc, argv, true);
}

static int do_enable(int argc, char **argv)
{
	return set_disabled(argc, argv, false);
}

static const char *change_name(int changed)
{
	switch (changed) {
	case 1:
		return "create";
	case 2:
		return "update";
	case -1:
		return "skip";
	}
	return "unchanged";
}

static void on_record(const char *kind, const char *name, int changed,
		      void *ctx)
{
	out_open_object(NULL);
	out_string("kind", "  %s", kind);
	out_string("name", " %s", name);
	out_string("change", ": %s\n", change_name(changed));
	out_close_object();
}

const char *import_change_name(int changed)
{
	return change_name(changed);
}

void print_import_stats(const struct import_stats *st, bool dry_run)
{
	out_close_array();
	out_bool("dry_run", dry_run ? "dry run, nothing written: " : NULL,
		 dry_run);
	out_uint("created", "%" PRIu64 " created", st->created);
	out_uint("updated", ", %" PRIu64 " updated", st->updated);
	out_uint("unchanged", ", %" PRIu64 " unchanged", st->unchanged);
	out_uint("skipped", ", %" PRIu64 " skipped\n", st->skipped);
	out_close_object();
	out_flush();
}

static int do_import(int argc, char **argv)
{
	struct kwarg kw[] = {{"base"},	  {"filter"},
			     {"bind"},	  {"password-file"},
			     {"timeout"}, {"dry-run", .flag = true}};
	struct ldap_import o = {};
	struct import_stats st = {};
	char err[IMPORT_ERR_LEN] = "";
	struct registry *r;
	uint64_t t = 0;
	int ret;

	if (argc < 2 || strcmp(argv[0], "ldap")) {
		p_err("usage: user import ldap URI base DN ...");
		return 1;
	}
	if (kw_parse(argc - 2, argv + 2, kw, 6))
		return 1;
	o.uri = argv[1];
	o.base = kw[0].val;
	o.filter = kw[1].val;
	o.bind_dn = kw[2].val;
	o.password_file = kw[3].val;
	if (!o.base) {
		p_err("'base DN' is required");
		return 1;
	}
	if (!o.bind_dn != !o.password_file) {
		p_err("'bind DN' and 'password-file FILE' go together");
		return 1;
	}
	if (kw[4].val && u64_parse(kw[4].val, 1, 300, &t)) {
		p_err("timeout must be 1..300 seconds");
		return 1;
	}
	o.timeout_s = t;
	if (open_registry(&r))
		return 1;
	out_open_object(NULL);
	out_open_array("records");
	ret = import_ldap(r, &o, kw[5].set, actor(), on_record, NULL, &st, err);
	reg_close(r);
	if (ret) {
		p_err("LDAP import failed: %s", err[0] ? err : strerror(-ret));
		return 1;
	}
	print_import_stats(&st, kw[5].set);
	return 0;
}

int do_user(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{"list", do_list},
		{"show", do_show},
		{"add", do_add},
		{"disable", do_disable},
		{"enable", do_enable},
		{"import", do_import},
		{0},
	};

	return cmd_select(cmds, argc, argv, do_help);
}
