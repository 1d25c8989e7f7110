// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import_inventory.c - inventory imports into a real registry file:
 * devices from CSV and JSON files. Each import must create, then find
 * everything unchanged, then update what changed, never duplicate; a dry
 * run must leave the registry byte for byte as it was; every bad file
 * must be refused with a clear error and nothing imported.
 */
#include <stdio.h>

#include "import_util.h"
#include "test_progs.h"

/* A registry with the owners the inventories name. */
static struct registry *inventory_registry(void)
{
	static const char *const owners[] = {"alice", "bob"};
	struct registry *r = new_registry();
	struct reg_user u = {0};
	size_t i;

	for (i = 0; r && i < 2; i++) {
		u.account = (char *)owners[i];
		if (!ASSERT_OK(reg_user_add(r, &u, "test"), owners[i])) {
			reg_close(r);
			return NULL;
		}
	}
	return r;
}

static const char *prop(const struct reg_device *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nprops; i++)
		if (!strcmp(d->props[i].key, key))
			return d->props[i].value;
	return NULL;
}

/*
 * Check one stored device: owner, group (NULL: none) and exactly the
 * properties in kv ("key", "value", ..., NULL).
 */
static void check_device(struct registry *r, const char *name,
			 const char *owner, const char *group,
			 const char *const *kv)
{
	struct reg_device d;
	size_t n = 0;

	if (!ASSERT_OK(reg_device_get(r, name, &d), name))
		return;
	ASSERT_STREQ(d.name, name, "name exact");
	ASSERT_STREQ(d.owner, owner, "owner");
	if (group)
		ASSERT_STREQ(d.group, group, "group");
	else
		ASSERT_TRUE(d.group == NULL, "no group");
	for (; *kv; kv += 2, n++)
		ASSERT_STREQ(prop(&d, kv[0]), kv[1], kv[0]);
	ASSERT_EQ(d.nprops, n, "no other properties (empty cells not stored)");
	reg_device_free(&d);
}

static const char csv_v1[] =
	"Name,owner,group,serial_number,model,os,os_version,mac,location\r\n"
	"laptop-1,alice,eng,SN-001,\"ThinkPad X1, Gen 9\",debian,12,"
	"02:00:00:00:00:11,\"Desk \"\"A\"\", by the window\"\r\n"
	"phone-1,bob,,SN-002,Pixel 7,android,14,,\r\n"
	"\"sensor \"\"β\"\" ; DROP TABLE devices;--\",alice,iot,SN-003,"
	"\"multi\r\nline\",,,,\r\n";

static const char *const laptop_v1[] = {"serial_number",
					"SN-001",
					"model",
					"ThinkPad X1, Gen 9",
					"os",
					"debian",
					"os_version",
					"12",
					"mac",
					"02:00:00:00:00:11",
					"location",
					"Desk \"A\", by the window",
					NULL};
static const char *const phone_v1[] = {"serial_number", "SN-002", "model",
				       "Pixel 7",	"os",	  "android",
				       "os_version",	"14",	  NULL};
static const char *const sensor_v1[] = {"serial_number", "SN-003", "model",
					"multi\r\nline", NULL};
#define SENSOR "sensor \"β\" ; DROP TABLE devices;--"

/* laptop-1 gets os_version 13, phone-1 a group; the sensor stays. */
static const char csv_v2[] =
	"name,owner,group,serial_number,model,os,os_version,mac,location\n"
	"laptop-1,alice,eng,SN-001,\"ThinkPad X1, Gen 9\",debian,13,"
	"02:00:00:00:00:11,\"Desk \"\"A\"\", by the window\"\n"
	"phone-1,bob,mobile,SN-002,Pixel 7,android,14,,\n"
	"\"sensor \"\"β\"\" ; DROP TABLE devices;--\",alice,iot,SN-003,"
	"\"multi\r\nline\",,,,\n"
	"\n";

static void subtest_inventory_csv(void)
{
	static const char *const laptop_v2[] = {"serial_number",
						"SN-001",
						"model",
						"ThinkPad X1, Gen 9",
						"os",
						"debian",
						"os_version",
						"13",
						"mac",
						"02:00:00:00:00:11",
						"location",
						"Desk \"A\", by the window",
						NULL};
	char err[IMPORT_ERR_LEN] = "", *before, *after;
	struct registry *r = inventory_registry();
	struct seen seen = {0};
	struct import_stats st;
	struct reg_device d;
	int64_t laptop_id = 0;
	const char *path;

	if (!r)
		return;
	path = write_text("inv.csv", csv_v1);
	if (!ASSERT_OK(import_inventory(r, path, false, "test", on_record,
					&seen, &st, err),
		       "csv import"))
		fprintf(stderr, "    err: %s\n", err);
	stats_eq(&st, 3, 0, 0, "csv created");
	ASSERT_EQ(seen.created, 3, "callback per device");
	check_device(r, "laptop-1", "alice", "eng", laptop_v1);
	check_device(r, "phone-1", "bob", NULL, phone_v1);
	check_device(r, SENSOR, "alice", "iot", sensor_v1);
	if (ASSERT_OK(reg_device_get(r, "laptop-1", &d), "laptop-1")) {
		laptop_id = d.id;
		ASSERT_EQ(d.status, REG_DEV_PENDING, "imported as pending");
		reg_device_free(&d);
	}

	before = snapshot(r);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"csv re-import");
	stats_eq(&st, 0, 0, 3, "csv re-import unchanged");
	after = snapshot(r);
	ASSERT_TRUE(same_before_audit(before, after),
		    "re-import left users and devices alone");
	free(before);
	free(after);

	path = write_text("inv.csv", csv_v2);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"csv modified");
	stats_eq(&st, 0, 2, 1, "csv modified: two updates");
	ASSERT_EQ(n_devices(r), 3, "never duplicated");
	check_device(r, "laptop-1", "alice", "eng", laptop_v2);
	check_device(r, "phone-1", "bob", "mobile", phone_v1);
	check_device(r, SENSOR, "alice", "iot", sensor_v1);
	if (ASSERT_OK(reg_device_get(r, "laptop-1", &d), "laptop-1")) {
		ASSERT_EQ(d.id, laptop_id, "same device id after update");
		reg_device_free(&d);
	}
	reg_close(r);
}

static const char json_v1[] =
	"  [\n"
	"  {\"name\": \"tablet-ü\", \"owner\": \"bob\", \"group\": \"field\",\n"
	"   \"properties\": {\"serial_number\": \"T-1\", \"model\": \"Tab \\\"S\\\", 9\",\n"
	"                  \"os\": \"android\", \"asset.tag\": \"A-77\", \"mac\": \"\"}},\n"
	"  {\"name\": \"printer-2\", \"owner\": \"alice\", \"group\": null,\n"
	"   \"properties\": {\"manufacturer\": \"HP\"}},\n"
	"  {\"name\": \"bare\", \"owner\": \"alice\"}\n"
	"]\n";

static void subtest_inventory_json(void)
{
	static const char *const tablet_v1[] = {
		"asset.tag",	 "A-77", "model",
		"Tab \"S\", 9",	 "os",	 "android",
		"serial_number", "T-1",	 NULL};
	static const char *const tablet_v2[] = {
		"asset.tag",	 "A-78", "model",
		"Tab \"S\", 9",	 "os",	 "android",
		"serial_number", "T-1",	 NULL};
	static const char *const printer[] = {"manufacturer", "HP", NULL};
	static const char *const none[] = {NULL};
	char err[IMPORT_ERR_LEN] = "", *v2;
	struct registry *r = inventory_registry();
	struct import_stats st;
	const char *path;

	if (!r)
		return;
	path = write_text("inv.json", json_v1);
	if (!ASSERT_OK(import_inventory(r, path, false, "test", NULL, NULL, &st,
					err),
		       "json import"))
		fprintf(stderr, "    err: %s\n", err);
	stats_eq(&st, 3, 0, 0, "json created");
	check_device(r, "tablet-ü", "bob", "field", tablet_v1);
	check_device(r, "printer-2", "alice", NULL, printer);
	check_device(r, "bare", "alice", NULL, none);

	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"json re-import");
	stats_eq(&st, 0, 0, 3, "json re-import unchanged");

	/* a changed property and a new owner */
	v2 = strdup(json_v1);
	if (!ASSERT_OK_PTR(v2, "strdup"))
		goto out;
	memcpy(strstr(v2, "A-77"), "A-78", 4);
	memcpy(strstr(v2, "\"owner\": \"alice\"}"), "\"owner\": \"bob\"  }",
	       17);
	path = write_text("inv.json", v2);
	free(v2);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"json modified");
	stats_eq(&st, 0, 2, 1, "json modified: two updates");
	ASSERT_EQ(n_devices(r), 3, "never duplicated");
	check_device(r, "tablet-ü", "bob", "field", tablet_v2);
	check_device(r, "bare", "bob", NULL, none);
out:
	reg_close(r);
}

static void subtest_inventory_dry_run(void)
{
	static const char *const laptop_new[] = {"serial_number", "SN-900",
						 NULL};
	char err[IMPORT_ERR_LEN] = "", *before, *after, csv[1024];
	struct registry *r = inventory_registry();
	struct seen seen = {0};
	struct import_stats st;
	struct reg_device d;
	const char *path;

	if (!r)
		return;
	path = write_text("dry.csv", csv_v1);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"import");
	/* v2 (two updates) plus one new device */
	snprintf(csv, sizeof(csv), "%slaptop-new,bob,,SN-900,,,,,\n", csv_v2);
	path = write_text("dry.csv", csv);

	before = snapshot(r);
	if (!ASSERT_OK(import_inventory(r, path, true, "test", on_record, &seen,
					&st, err),
		       "csv dry run"))
		fprintf(stderr, "    err: %s\n", err);
	after = snapshot(r);
	stats_eq(&st, 1, 2, 1, "dry run reports what would change");
	ASSERT_EQ(seen.records, 4, "dry run callbacks");
	ASSERT_STREQ(after, before, "csv dry run changed nothing");
	ASSERT_EQ(reg_device_get(r, "laptop-new", &d), -ENOENT,
		  "no device from the dry run");
	free(after);
	free(before);

	/* JSON too, into an empty device table */
	path = write_text("dry.json", json_v1);
	before = snapshot(r);
	ASSERT_OK(import_inventory(r, path, true, "test", NULL, NULL, &st, err),
		  "json dry run");
	after = snapshot(r);
	stats_eq(&st, 3, 0, 0, "json dry run would create three");
	ASSERT_STREQ(after, before, "json dry run changed nothing");
	free(after);
	free(before);

	path = write_text("dry.csv", csv);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"real run");
	stats_eq(&st, 1, 2, 1, "real run does what the dry run said");
	check_device(r, "laptop-new", "bob", NULL, laptop_new);
	reg_close(r);
}

struct bad_file {
	const char *what, *name, *text;
	const char *want[3]; /* substrings of the error */
};

static void subtest_inventory_bad(void)
{
	static char long_csv[REG_STR_MAX + 256];
	const struct bad_file bad[] = {
		{"unknown owner",
		 "owner.csv",
		 "name,owner\nok-1,alice\nbad-1,mallory\n",
		 {"line 3", "\"mallory\""}},
		{"no name column",
		 "noname.csv",
		 "host,owner,model\nok-1,alice,x\n",
		 {"line 1", "no \"name\" column"}},
		{"no owner column",
		 "noowner.csv",
		 "name,model\nok-1,x\n",
		 {"no \"owner\" column"}},
		{"unterminated quote",
		 "quote.csv",
		 "name,owner,model\nok-1,alice,x\nok-2,alice,\"open\nstill open\n",
		 {"line 3", "unterminated"}},
		{"text after quote",
		 "after.csv",
		 "name,owner,model\nok-1,alice,\"x\"y\n",
		 {"line 2", "after the closing quote"}},
		{"stray quote",
		 "stray.csv",
		 "name,owner,model\nok-1,alice,15\" screen\n",
		 {"line 2", "quote inside unquoted field 3"}},
		{"field count",
		 "count.csv",
		 "name,owner,model\nok-1,alice,x\nok-2,alice\n",
		 {"line 3", "2 fields, the header has 3"}},
		{"duplicate name csv",
		 "dup.csv",
		 "name,owner\r\ndev-a,alice\r\ndev-b,bob\r\ndev-a,bob\r\n",
		 {"line 4", "line 2"}},
		{"bad column name",
		 "col.csv",
		 "name,owner,Serial Number\nok-1,alice,1\n",
		 {"line 1", "column 3"}},
		{"duplicate column",
		 "dupcol.csv",
		 "name,owner,model,Model\nok-1,alice,a,b\n",
		 {"\"model\" appears twice"}},
		{"empty name",
		 "emptyname.csv",
		 "name,owner\nok-1,alice\n,alice\n",
		 {"line 3", "no device name"}},
		{"bad utf-8",
		 "utf8.csv",
		 "name,owner\nok-1,alice\nbad\xc3(,alice\n",
		 {"line 3", "UTF-8"}},
		{"too long",
		 "long.csv",
		 long_csv,
		 {"line 3", "more than 4096"}},
		{"empty file", "empty.csv", "", {"header"}},
		{"invalid json",
		 "bad.json",
		 "[\n {\"name\": \"ok-1\", \"owner\": \"alice\"},\n"
		 " {\"name\": \"b\" \"owner\": \"alice\"}\n]\n",
		 {"invalid JSON", "line 3"}},
		{"truncated json",
		 "trunc.json",
		 "[{\"name\": \"ok-1\", \"owner\": \"alice\"},\n",
		 {"invalid JSON"}},
		{"json missing name",
		 "noname.json",
		 "[{\"name\": \"ok-1\", \"owner\": \"alice\"},"
		 " {\"owner\": \"alice\"}]",
		 {"record 2", "no device name"}},
		{"json duplicate",
		 "dup.json",
		 "[{\"name\": \"x\", \"owner\": \"alice\"},"
		 " {\"name\": \"y\", \"owner\": \"alice\"},"
		 " {\"name\": \"x\", \"owner\": \"bob\"}]",
		 {"record 3", "record 1"}},
		{"json unknown owner",
		 "owner.json",
		 "[{\"name\": \"ok-1\", \"owner\": \"alice\"},"
		 " {\"name\": \"z\", \"owner\": \"mallory\"}]",
		 {"record 2", "\"mallory\""}},
		{"json typo key",
		 "typo.json",
		 "[{\"name\": \"ok-1\", \"onwer\": \"alice\"}]",
		 {"record 1", "unknown key \"onwer\""}},
		{"json non-string",
		 "num.json",
		 "[{\"name\": \"ok-1\", \"owner\": \"alice\","
		 " \"properties\": {\"os_version\": 12}}]",
		 {"record 1", "must be a string"}},
		{"json bad key",
		 "key.json",
		 "[{\"name\": \"ok-1\", \"owner\": \"alice\","
		 " \"properties\": {\"Bad Key\": \"v\"}}]",
		 {"record 1", "bad property key"}},
		{"json not an object",
		 "arr.json",
		 "[{\"name\": \"ok-1\", \"owner\": \"alice\"}, 7]",
		 {"record 2", "not a JSON object"}},
		{"missing file", NULL, NULL, {"cannot read", "No such file"}},
	};
	char err[IMPORT_ERR_LEN], *before, *after, path_buf[192];
	struct registry *r = inventory_registry();
	struct import_stats st;
	const char *path;
	size_t i, j, n;
	int ret;

	if (!r)
		return;
	/* a 4097-byte model on line 3, after a good line 2 */
	n = snprintf(long_csv, sizeof(long_csv),
		     "name,owner,model\nok-1,alice,x\nlong,alice,");
	memset(long_csv + n, 'm', REG_STR_MAX + 1);
	strcpy(long_csv + n + REG_STR_MAX + 1, "\n");

	/* something there already, so "nothing imported" means something */
	path = write_text("base.csv", csv_v1);
	ASSERT_OK(
		import_inventory(r, path, false, "test", NULL, NULL, &st, err),
		"base import");
	before = snapshot(r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].name) {
			path = write_text(bad[i].name, bad[i].text);
		} else {
			snprintf(path_buf, sizeof(path_buf), "%s/missing.csv",
				 imptest_dir());
			path = path_buf;
		}
		err[0] = '\0';
		ret = import_inventory(r, path, false, "test", NULL, NULL, &st,
				       err);
		ASSERT_LT(ret, 0, bad[i].what);
		for (j = 0; j < 3 && bad[i].want[j]; j++)
			ASSERT_HAS_SUBSTR(err, bad[i].want[j], bad[i].what);
		ASSERT_EQ(st.created + st.updated + st.unchanged, 0,
			  "no stats on failure");
		after = snapshot(r);
		ASSERT_STREQ(after, before, bad[i].what);
		free(after);
		if (env.verbose)
			fprintf(stderr, "    %-20s %s\n", bad[i].what, err);
	}
	ASSERT_EQ(reg_device_get(r, "ok-1", &(struct reg_device){0}), -ENOENT,
		  "no ok-1 from any bad file");
	free(before);
	reg_close(r);
}

void test_import_inventory(void)
{
	if (!imptest_dir_make())
		return;
	if (test__start_subtest("inventory_csv"))
		subtest_inventory_csv();
	if (test__start_subtest("inventory_json"))
		subtest_inventory_json();
	if (test__start_subtest("inventory_dry_run"))
		subtest_inventory_dry_run();
	if (test__start_subtest("inventory_bad"))
		subtest_inventory_bad();
	imptest_dir_remove();
}
