// SPDX-License-Identifier: GPL-2.0-only
/*
 * import_inventory.c - devices from an inventory file into the registry.
 * The file is CSV (RFC 4180, a header line naming the columns) or JSON (an
 * array of objects), told apart by its first byte. Every record is parsed
 * and checked before anything is written, then all are written in one
 * transaction: a bad line anywhere imports nothing. A dry run writes and
 * rolls back, so it reports exactly what a real run would do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/import.h"

#define INV_MAX_BYTES (64u << 20)
#define INV_KEY_MAX 64
#define INV_JSON_DEPTH 8

struct inv_rec {
	unsigned int where; /* CSV: line the record starts on; JSON: index+1 */
	char *name, *owner, *group;
	struct reg_prop *props;
	size_t nprops;
	int changed;
};

struct inventory {
	bool json;
	struct inv_rec *v;
	size_t n, cap;
	char *err; /* IMPORT_ERR_LEN */
};

static const char *where_kind(const struct inventory *inv)
{
	return inv->json ? "record" : "line";
}

static int __attribute__((format(printf, 4, 5)))
inv_err(struct inventory *inv, unsigned int where, int ret, const char *fmt,
	...)
{
	int n = 0;
	va_list ap;

	if (where)
		n = snprintf(inv->err, IMPORT_ERR_LEN,
			     "%s %u: ", where_kind(inv), where);
	va_start(ap, fmt);
	vsnprintf(inv->err + n, IMPORT_ERR_LEN - n, fmt, ap);
	va_end(ap);
	return ret;
}

static void rec_free(struct inv_rec *rec)
{
	size_t i;

	free(rec->name);
	free(rec->owner);
	free(rec->group);
	for (i = 0; i < rec->nprops; i++) {
		free(rec->props[i].key);
		free(rec->props[i].value);
	}
	free(rec->props);
}

static void inv_free(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		rec_free(&inv->v[i]);
	free(inv->v);
}

static struct inv_rec *inv_new_rec(struct inventory *inv, unsigned int where)
{
	void *p;

	if (inv->n == inv->cap) {
		p = reallocarray(inv->v, inv->cap ? inv->cap * 2 : 64,
				 sizeof(*inv->v));
		if (!p)
			return NULL;
		inv->v = p;
		inv->cap = inv->cap ? inv->cap * 2 : 64;
	}
	inv->v[inv->n] = (struct inv_rec){.where = where};
	return &inv->v[inv->n++];
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned int c, min, need;

	while (p < end) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, c &= 0x07;
		else
			return false;
		if ((size_t)(end - p) < need)
			return false;
		while (need--) {
			if ((*p & 0xc0) != 0x80)
				return false;
			c = c << 6 | (*p++ & 0x3f);
		}
		if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return false;
	}
	return true;
}

static bool prop_key_valid(const char *k)
{
	size_t n = strlen(k);

	return n >= 1 && n <= INV_KEY_MAX &&
	       strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* A value as the registry will hold it; len is its length in the file. */
static int check_value(struct inventory *inv, unsigned int where,
		       const char *what, const char *s, size_t len)
{
	if (len > REG_STR_MAX)
		return inv_err(inv, where, -EINVAL,
			       "%s is %zu bytes, more than %d", what, len,
			       REG_STR_MAX);
	if (memchr(s, '\0', len))
		return inv_err(inv, where, -EINVAL, "%s holds a NUL byte",
			       what);
	if (!utf8_valid(s, len))
		return inv_err(inv, where, -EINVAL, "%s is not valid UTF-8",
			       what);
	return 0;
}

/*
 * Set one field of rec from a column or JSON key. Empty values are not
 * stored: an empty property is no property, an empty group no group.
 */
static int rec_set(struct inventory *inv, struct inv_rec *rec, const char *key,
		   const char *val, size_t len)
{
	char what[INV_KEY_MAX + 16];
	char **dst = NULL, *copy, *kcopy;
	void *p;
	int ret;

	if (!strcmp(key, "name"))
		dst = &rec->name;
	else if (!strcmp(key, "owner"))
		dst = &rec->owner;
	else if (!strcmp(key, "group"))
		dst = &rec->group;
	snprintf(what, sizeof(what), "%s%s", dst ? "" : "property ", key);
	ret = check_value(inv, rec->where, what, val, len);
	if (ret || !len)
		return ret;
	copy = strndup(val, len);
	if (!copy)
		return -ENOMEM;
	if (dst) {
		free(*dst);
		*dst = copy;
		return 0;
	}
	p = reallocarray(rec->props, rec->nprops + 1, sizeof(*rec->props));
	if (p)
		rec->props = p;
	kcopy = strdup(key);
	if (!p || !kcopy) {
		free(copy);
		free(kcopy);
		return -ENOMEM;
	}
	rec->props[rec->nprops++] = (struct reg_prop){kcopy, copy};
	return 0;
}

static int cmp_prop(const void *a, const void *b)
{
	return strcmp(((const struct reg_prop *)a)->key,
		      ((const struct reg_prop *)b)->key);
}

/* What holds for every record, whatever the format. */
static int rec_finish(struct inventory *inv, struct inv_rec *rec)
{
	if (!rec->name)
		return inv_err(inv, rec->where, -EINVAL, "no device name");
	if (!rec->owner)
		return inv_err(inv, rec->where, -EINVAL,
			       "device %.64s has no owner", rec->name);
	if (rec->nprops)
		qsort(rec->props, rec->nprops, sizeof(*rec->props), cmp_prop);
	return 0;
}

/* ---- CSV (RFC 4180) ---- */

struct csv {
	const char *p, *end;
	unsigned int line; /* of p */
	char **f; /* fields of the current record, NUL terminated copies */
	size_t *flen;
	size_t nf, cap;
	bool blank; /* the record was an empty line */
};

static void csv_clear(struct csv *c)
{
	size_t i;

	for (i = 0; i < c->nf; i++)
		free(c->f[i]);
	c->nf = 0;
}

static int csv_push(struct csv *c, const char *buf, size_t len)
{
	void *p;

	if (c->nf == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		p = reallocarray(c->f, c->cap, sizeof(*c->f));
		if (!p)
			return -ENOMEM;
		c->f = p;
		p = reallocarray(c->flen, c->cap, sizeof(*c->flen));
		if (!p)
			return -ENOMEM;
		c->flen = p;
	}
	/* memdup, not strndup: the length must survive an embedded NUL */
	c->f[c->nf] = malloc(len + 1);
	if (!c->f[c->nf])
		return -ENOMEM;
	memcpy(c->f[c->nf], buf, len);
	c->f[c->nf][len] = '\0';
	c->flen[c->nf++] = len;
	return 0;
}

static bool at_line_end(const struct csv *c)
{
	return c->p < c->end &&
	       (*c->p == '\n' ||
		(*c->p == '\r' && c->end - c->p > 1 && c->p[1] == '\n'));
}

static int buf_add(char **buf, size_t *len, size_t *cap, char ch)
{
	char *p;

	if (*len + 1 >= *cap) {
		p = realloc(*buf, *cap ? *cap * 2 : 256);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = *cap ? *cap * 2 : 256;
	}
	(*buf)[(*len)++] = ch;
	return 0;
}

/* The field at c->p, up to (not over) its ',' or line end, into c->f. */
static int csv_field(struct inventory *inv, struct csv *c, bool *quoted)
{
	unsigned int qline = c->line;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int ret = 0;

	*quoted = c->p < c->end && *c->p == '"';
	if (!*quoted) {
		while (!ret && c->p < c->end && *c->p != ',' &&
		       !at_line_end(c)) {
			if (*c->p == '"')
				ret = inv_err(
					inv, c->line, -EINVAL,
					"quote inside unquoted field %zu (quote the whole field)",
					c->nf + 1);
			else
				ret = buf_add(&buf, &len, &cap, *c->p++);
		}
		goto out;
	}
	for (c->p++;; c->p++) {
		if (c->p == c->end) {
			ret = inv_err(inv, qline, -EINVAL,
				      "unterminated quoted field %zu",
				      c->nf + 1);
			goto out;
		}
		if (*c->p == '"' && !(c->end - c->p > 1 && c->p[1] == '"'))
			break;
		if (*c->p == '"')
			c->p++; /* "" is one quote */
		else if (*c->p == '\n')
			c->line++;
		ret = buf_add(&buf, &len, &cap, *c->p);
		if (ret)
			goto out;
	}
	c->p++;
	if (c->p < c->end && *c->p != ',' && !at_line_end(c))
		ret = inv_err(inv, c->line, -EINVAL,
			      "text after the closing quote of field %zu",
			      c->nf + 1);
out:
	if (!ret)
		ret = csv_push(c, buf ? buf : "", len);
	free(buf);
	return ret;
}

/* Read one record at c->p into c->f; its first line is *start. */
static int csv_record(struct inventory *inv, struct csv *c, unsigned int *start)
{
	bool quoted, any = false;
	int ret;

	csv_clear(c);
	*start = c->line;
	for (;;) {
		ret = csv_field(inv, c, &quoted);
		if (ret)
			return ret;
		any = any || quoted || c->flen[c->nf - 1];
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			any = true;
			continue;
		}
		break;
	}
	/* end of record: CRLF, LF or the end of the file */
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->line++;
	}
	c->blank = !any;
	return 0;
}

/* Columns: lower-cased, trimmed, each once, name and owner required. */
static int csv_header(struct inventory *inv, struct csv *c, char ***cols,
		      size_t *ncols)
{
	unsigned int start;
	size_t i, j;
	char *s, *e;
	int ret;

	do {
		if (c->p == c->end)
			return inv_err(inv, 0, -EINVAL,
				       "empty file: a header line is needed");
		ret = csv_record(inv, c, &start);
		if (ret)
			return ret;
	} while (c->blank);
	for (i = 0; i < c->nf; i++) {
		for (s = c->f[i]; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s);
		     e > s && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		memmove(c->f[i], s, e - s + 1);
		for (s = c->f[i]; *s; s++)
			if (*s >= 'A' && *s <= 'Z')
				*s += 'a' - 'A';
		if (!prop_key_valid(c->f[i]))
			return inv_err(
				inv, start, -EINVAL,
				"column %zu: bad name \"%.64s\" (want [a-z0-9_.-], 1 to %d)",
				i + 1, c->f[i], INV_KEY_MAX);
		for (j = 0; j < i; j++)
			if (!strcmp(c->f[i], c->f[j]))
				return inv_err(inv, start, -EINVAL,
					       "column \"%s\" appears twice",
					       c->f[i]);
	}
	for (i = 0; i < 2; i++) {
		const char *need = i ? "owner" : "name";

		for (j = 0; j < c->nf && strcmp(c->f[j], need); j++)
			;
		if (j == c->nf)
			return inv_err(inv, start, -EINVAL,
				       "no \"%s\" column in the header", need);
	}
	/* the header's fields become the column names */
	*cols = c->f;
	*ncols = c->nf;
	free(c->flen);
	c->f = NULL;
	c->flen = NULL;
	c->nf = c->cap = 0;
	return 0;
}

static int parse_csv(struct inventory *inv, const char *data, size_t len)
{
	struct csv c = {.p = data, .end = data + len, .line = 1};
	char **cols = NULL;
	size_t ncols = 0, i;
	struct inv_rec *rec;
	unsigned int start;
	int ret;

	ret = csv_header(inv, &c, &cols, &ncols);
	while (!ret && c.p < c.end) {
		ret = csv_record(inv, &c, &start);
		if (ret || c.blank)
			continue;
		if (c.nf != ncols) {
			ret = inv_err(inv, start, -EINVAL,
				      "%zu fields, the header has %zu", c.nf,
				      ncols);
			break;
		}
		rec = inv_new_rec(inv, start);
		if (!rec) {
			ret = -ENOMEM;
			break;
		}
		for (i = 0; i < ncols && !ret; i++)
			ret = rec_set(inv, rec, cols[i], c.f[i], c.flen[i]);
		if (!ret)
			ret = rec_finish(inv, rec);
	}
	csv_clear(&c);
	free(c.f);
	free(c.flen);
	for (i = 0; i < ncols; i++)
		free(cols[i]);
	free(cols);
	return ret;
}

/* ---- JSON ---- */

static unsigned int line_of(const char *data, size_t off)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

/* A string, or null (not stored); anything else is refused. */
static int json_field(struct inventory *inv, struct inv_rec *rec,
		      const char *key, struct json_object *v)
{
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return inv_err(inv, rec->where, -EINVAL,
			       "\"%.64s\" must be a string", key);
	return rec_set(inv, rec, key, json_object_get_string(v),
		       json_object_get_string_len(v));
}

static int json_record(struct inventory *inv, struct json_object *o,
		       unsigned int where)
{
	struct inv_rec *rec = inv_new_rec(inv, where);
	int ret = 0;

	if (!rec)
		return -ENOMEM;
	if (!json_object_is_type(o, json_type_object))
		return inv_err(inv, where, -EINVAL, "not a JSON object");
	json_object_object_foreach(o, key, v)
	{
		if (!strcmp(key, "name") || !strcmp(key, "owner") ||
		    !strcmp(key, "group")) {
			ret = json_field(inv, rec, key, v);
		} else if (!strcmp(key, "properties")) {
			if (v && !json_object_is_type(v, json_type_object))
				return inv_err(
					inv, where, -EINVAL,
					"\"properties\" must be an object");
			if (!v)
				continue;
			json_object_object_foreach(v, pk, pv)
			{
				if (!prop_key_valid(pk) ||
				    !strcmp(pk, "name") ||
				    !strcmp(pk, "owner") ||
				    !strcmp(pk, "group"))
					return inv_err(
						inv, where, -EINVAL,
						"bad property key \"%.64s\" (want [a-z0-9_.-], 1 to %d)",
						pk, INV_KEY_MAX);
				ret = json_field(inv, rec, pk, pv);
				if (ret)
					return ret;
			}
		} else {
			/* a typo ("onwer") must not pass silently */
			return inv_err(inv, where, -EINVAL,
				       "unknown key \"%.64s\"", key);
		}
		if (ret)
			return ret;
	}
	return rec_finish(inv, rec);
}

static int parse_json(struct inventory *inv, const char *data, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(INV_JSON_DEPTH);
	enum json_tokener_error jerr;
	struct json_object *root;
	size_t end, i, n;
	int ret = 0;

	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, data, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		ret = inv_err(
			inv, 0, -EINVAL,
			"invalid JSON: the file ends inside a value (line %u)",
			line_of(data, len));
		goto out;
	}
	if (jerr != json_tokener_success || !root) {
		ret = inv_err(inv, 0, -EINVAL, "invalid JSON at line %u: %s",
			      line_of(data, end),
			      json_tokener_error_desc(jerr));
		goto out;
	}
	for (i = end; i < len; i++)
		if (!strchr(" \t\r\n", data[i])) {
			ret = inv_err(
				inv, 0, -EINVAL,
				"invalid JSON at line %u: text after the end",
				line_of(data, i));
			goto out;
		}
	if (json_object_is_type(root, json_type_object)) {
		ret = json_record(inv, root, 1);
		goto out;
	}
	n = json_object_array_length(root);
	for (i = 0; i < n && !ret; i++)
		ret = json_record(inv, json_object_array_get_idx(root, i),
				  i + 1);
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

/* ---- checks across records, and the write ---- */

static int cmp_rec_name(const void *a, const void *b)
{
	const struct inv_rec *x = *(struct inv_rec *const *)a;
	const struct inv_rec *y = *(struct inv_rec *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->where > y->where) - (x->where < y->where);
}

static int check_duplicates(struct inventory *inv)
{
	struct inv_rec **by_name;
	size_t i;
	int ret = 0;

	if (inv->n < 2)
		return 0;
	by_name = calloc(inv->n, sizeof(*by_name));
	if (!by_name)
		return -ENOMEM;
	for (i = 0; i < inv->n; i++)
		by_name[i] = &inv->v[i];
	qsort(by_name, inv->n, sizeof(*by_name), cmp_rec_name);
	for (i = 1; i < inv->n && !ret; i++)
		if (!strcmp(by_name[i - 1]->name, by_name[i]->name))
			ret = inv_err(
				inv, by_name[i]->where, -EEXIST,
				"device name \"%.64s\" already used on %s %u",
				by_name[i]->name, where_kind(inv),
				by_name[i - 1]->where);
	free(by_name);
	return ret;
}

static int store_devices(struct registry *r, struct inventory *inv,
			 const char *path, bool dry_run, const char *actor,
			 struct import_stats *st)
{
	struct reg_user u;
	char detail[160];
	size_t i;
	int ret;

	ret = reg_begin(r);
	if (ret)
		return inv_err(inv, 0, ret, "registry: %s", reg_errmsg(r));
	for (i = 0; i < inv->n; i++) {
		struct inv_rec *rec = &inv->v[i];
		struct reg_device d = {
			.name = rec->name,
			.owner = rec->owner,
			.group = rec->group,
			.props = rec->props,
			.nprops = rec->nprops,
		};

		/* checked here, not left to the upsert, to name the line */
		ret = reg_user_get(r, rec->owner, &u);
		if (ret == -ENOENT) {
			inv_err(inv, rec->where, ret,
				"owner \"%.64s\" of %.64s is not a user",
				rec->owner, rec->name);
			goto fail;
		}
		if (!ret)
			reg_user_free(&u);
		if (!ret)
			ret = reg_device_upsert(r, &d, actor, &rec->changed);
		if (ret) {
			inv_err(inv, rec->where, ret, "cannot store %.64s: %s",
				rec->name, reg_errmsg(r));
			goto fail;
		}
		if (rec->changed == 1)
			st->created++;
		else if (rec->changed == 2)
			st->updated++;
		else
			st->unchanged++;
	}
	if (dry_run) {
		reg_rollback(r);
		return 0;
	}
	snprintf(detail, sizeof(detail), "created %u, updated %u, unchanged %u",
		 st->created, st->updated, st->unchanged);
	ret = reg_audit(r, actor, "device.import", path, detail);
	if (!ret)
		ret = reg_commit(r);
	if (ret) {
		inv_err(inv, 0, ret, "registry: %s", reg_errmsg(r));
		goto fail;
	}
	return 0;
fail:
	reg_rollback(r);
	*st = (struct import_stats){0};
	return ret;
}

static int read_file(const char *path, char **data, size_t *len,
		     char err[IMPORT_ERR_LEN])
{
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	int fd, ret = 0;

	*data = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &sb)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (size_t)sb.st_size > INV_MAX_BYTES) {
		ret = S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
		snprintf(err, IMPORT_ERR_LEN, "%s: %s", path,
			 ret == -EFBIG ? "larger than 64 MiB"
				       : "not a regular file");
		goto out;
	}
	*data = malloc(sb.st_size + 1);
	if (!*data) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, *data + got, sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += n;
	}
	(*data)[got] = '\0';
	*len = got;
out:
	if (ret && !err[0])
		snprintf(err, IMPORT_ERR_LEN, "cannot read %s: %s", path,
			 strerror(-ret));
	if (ret) {
		free(*data);
		*data = NULL;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

int import_inventory(struct registry *r, const char *path, bool dry_run,
		     const char *actor, import_cb cb, void *ctx,
		     struct import_stats *st, char err[IMPORT_ERR_LEN])
{
	struct inventory inv = {.err = err};
	const char *body, *p;
	size_t len = 0, blen, i;
	char *data;
	int ret;

	err[0] = '\0';
	*st = (struct import_stats){0};
	ret = read_file(path, &data, &len, err);
	if (ret)
		return ret;
	/* spreadsheets like to start CSV files with a byte order mark */
	body = data;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		body += 3;
	blen = len - (body - data);
	p = body + strspn(body, " \t\r\n");
	inv.json = *p == '[' || *p == '{';
	if (inv.json)
		ret = parse_json(&inv, body, blen);
	else
		ret = parse_csv(&inv, body, blen);
	free(data);
	if (!ret)
		ret = check_duplicates(&inv);
	if (!ret)
		ret = store_devices(r, &inv, path, dry_run, actor, st);
	if (ret == -ENOMEM && !err[0])
		snprintf(err, IMPORT_ERR_LEN, "out of memory");
	if (!ret && cb)
		for (i = 0; i < inv.n; i++)
			cb("device", inv.v[i].name, inv.v[i].changed, ctx);
	inv_free(&inv);
	return ret;
}
