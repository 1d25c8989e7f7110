// SPDX-License-Identifier: GPL-2.0-only
/* json_util.c - parse a command's JSON output in the tests, strictly. */
#include <stdio.h>
#include <string.h>

#include "selftests/json_util.h"

/* The whole string is exactly one JSON value, else NULL. */
json_object *parse_one(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(s), end = 0;
	json_object *o = tok ? json_tokener_parse_ex(tok, s, len) : NULL;

	if (o && json_tokener_get_error(tok) == json_tokener_success)
		end = json_tokener_get_parse_end(tok);
	while (o && end < len && strchr(" \t\r\n", s[end]))
		end++;
	if (o && end != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o)
		fprintf(stderr, "not one JSON value: '%.400s'\n", s);
	return o;
}
