// SPDX-License-Identifier: GPL-2.0-only
/*
 * output.c - text and JSON output through one call per field. JSON values
 * are collected in a json-c tree and printed by out_flush(), so a command
 * that fails half-way prints an error instead of half a document.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "lib/output.h"

#define OUT_DEPTH 16

static bool json_mode, pretty_mode;
static struct json_object *stack[OUT_DEPTH];
static int depth;
static struct json_object *root;

void out_init(bool json, bool pretty)
{
	json_mode = json || pretty;
	pretty_mode = pretty;
}

bool out_json(void)
{
	return json_mode;
}

/* Put v under key in the innermost container, or make it the root. */
static void attach(const char *key, struct json_object *v)
{
	struct json_object *top = depth ? stack[depth - 1] : NULL;

	if (!top) {
		json_object_put(root);
		root = v;
	} else if (json_object_is_type(top, json_type_array)) {
		json_object_array_add(top, v);
	} else {
		json_object_object_add(top, key ? key : "", v);
	}
}

static void open_container(const char *key, struct json_object *c)
{
	if (!json_mode)
		return;
	if (depth == OUT_DEPTH) {
		json_object_put(c);
		return;
	}
	attach(key, c);
	stack[depth++] = c;
}

void out_open_object(const char *key)
{
	if (json_mode)
		open_container(key, json_object_new_object());
}

void out_open_array(const char *key)
{
	if (json_mode)
		open_container(key, json_object_new_array());
}

void out_close_object(void)
{
	if (json_mode && depth)
		depth--;
}

void out_close_array(void)
{
	out_close_object();
}

void out_string(const char *key, const char *fmt, const char *val)
{
	if (json_mode)
		attach(key, val ? json_object_new_string(val) : NULL);
	else if (fmt)
		printf(fmt, val ? val : "");
}

void out_uint(const char *key, const char *fmt, uint64_t val)
{
	if (json_mode)
		attach(key, json_object_new_uint64(val));
	else if (fmt)
		printf(fmt, val);
}

void out_int(const char *key, const char *fmt, int64_t val)
{
	if (json_mode)
		attach(key, json_object_new_int64(val));
	else if (fmt)
		printf(fmt, val);
}

void out_bool(const char *key, const char *fmt, bool val)
{
	if (json_mode)
		attach(key, json_object_new_boolean(val));
	else if (fmt)
		printf(fmt, val ? "true" : "false");
}

void out_null(const char *key, const char *fmt)
{
	if (json_mode)
		attach(key, NULL);
	else if (fmt)
		printf("%s", fmt);
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_flush(void)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (!json_mode) {
		fflush(stdout);
		return;
	}
	flags |= pretty_mode ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;
	printf("%s\n", json_object_to_json_string_ext(root, flags));
	fflush(stdout);
	json_object_put(root);
	root = NULL;
	depth = 0;
}

void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_mode) {
		struct json_object *o = json_object_new_object();

		/* an error replaces whatever was being built */
		json_object_put(root);
		root = NULL;
		depth = 0;
		json_object_object_add(o, "error", json_object_new_string(msg));
		printf("%s\n",
		       json_object_to_json_string_ext(
			       o, pretty_mode ? JSON_C_TO_STRING_PRETTY
					      : JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		fflush(stdout);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
}

void p_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "Warning: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}
