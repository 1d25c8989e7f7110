// SPDX-License-Identifier: GPL-2.0-only
/*
 * import_util.c - the folder, registry and snapshot helpers test_import
 * and test_import_inventory share: see import_util.h.
 */
#include <stdio.h>

#include "import_util.h"
#include "test_progs.h"

static char tmpdir[128];
static int db_seq;

bool imptest_dir_make(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tp-imp-%s-XXXXXX", env.suffix);
	return ASSERT_OK_PTR(mkdtemp(tmpdir), "mkdtemp");
}

void imptest_dir_remove(void)
{
	SYS_NOFAIL("rm -rf '%s'", tmpdir);
}

const char *imptest_dir(void)
{
	return tmpdir;
}

void on_record(const char *kind, const char *name, int changed, void *ctx)
{
	struct seen *s = ctx;

	s->records++;
	if (changed == 1)
		s->created++;
	else if (changed == 2)
		s->updated++;
	else if (changed == 0)
		s->unchanged++;
	else {
		s->skipped++;
		snprintf(s->last_skipped, sizeof(s->last_skipped), "%s", name);
	}
}

/* A new registry file for one subtest. */
struct registry *new_registry(void)
{
	struct registry *r = NULL;
	char path[192];

	snprintf(path, sizeof(path), "%s/reg%d.db", tmpdir, ++db_seq);
	if (!ASSERT_OK(reg_open(path, &r), "reg_open"))
		return NULL;
	return r;
}

const char *write_text(const char *name, const char *text)
{
	static char path[4][192];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	if (!ASSERT_OK_PTR(f, "fopen"))
		return p;
	fputs(text, f);
	fclose(f);
	return p;
}

/* ---- the whole registry as text, to prove a dry run wrote nothing ---- */

static int snap_user(const struct reg_user *u, void *ctx)
{
	fprintf(ctx, "user %lld [%s] [%s] [%s] src=%d dis=%d %lld %lld\n",
		(long long)u->id, u->account,
		u->display_name ? u->display_name : "(null)",
		u->email ? u->email : "(null)", u->source, u->disabled,
		(long long)u->created, (long long)u->updated);
	return 0;
}

static int snap_device(const struct reg_device *d, void *ctx)
{
	size_t i;

	fprintf(ctx, "device %lld %s [%s] [%s] [%s] st=%d tr=%d %lld %lld\n",
		(long long)d->id, d->uuid, d->name, d->owner,
		d->group ? d->group : "(null)", d->status, d->trust,
		(long long)d->created, (long long)d->updated);
	for (i = 0; i < d->nprops; i++)
		fprintf(ctx, "  [%s]=[%s]\n", d->props[i].key,
			d->props[i].value);
	return 0;
}

static int snap_audit(const struct reg_audit *a, void *ctx)
{
	fprintf(ctx, "audit %lld %s %s %s %s\n", (long long)a->id, a->actor,
		a->action, a->object, a->detail ? a->detail : "");
	return 0;
}

char *snapshot(struct registry *r)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	reg_user_foreach(r, snap_user, f);
	reg_device_foreach(r, snap_device, f);
	reg_audit_foreach(r, 0, snap_audit, f);
	fclose(f);
	return buf;
}

/* Equal up to the audit trail, which every real run extends. */
bool same_before_audit(const char *a, const char *b)
{
	const char *ea = a ? strstr(a, "audit ") : NULL;
	const char *eb = b ? strstr(b, "audit ") : NULL;

	if (!a || !b)
		return false;
	ea = ea ? ea : a + strlen(a);
	eb = eb ? eb : b + strlen(b);
	return ea - a == eb - b && !memcmp(a, b, ea - a);
}

static int count_cb(const void *x, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

int n_users(struct registry *r)
{
	int n = 0;

	reg_user_foreach(r, (reg_user_cb)count_cb, &n);
	return n;
}

int n_devices(struct registry *r)
{
	int n = 0;

	reg_device_foreach(r, (reg_device_cb)count_cb, &n);
	return n;
}

bool stats_eq(const struct import_stats *st, unsigned int c, unsigned int u,
	      unsigned int same, const char *what)
{
	bool ok = ASSERT_EQ(st->created, c, what) &
		  ASSERT_EQ(st->updated, u, what) &
		  ASSERT_EQ(st->unchanged, same, what);

	return ok;
}
