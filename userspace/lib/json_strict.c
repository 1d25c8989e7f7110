// SPDX-License-Identifier: GPL-2.0-only
/*
 * json_strict.c - one JSON object per frame body, as json_strict.h says.
 */
#include <string.h>

#include "lib/json_strict.h"

struct json_object *json_strict_object(const char *s, size_t len, size_t max,
				       int depth)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (len > max || memchr(s, 0, len))
		return NULL;
	tok = json_tokener_new_ex(depth);
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, s, len);
	/* trailing bytes after the object are a malformed frame */
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}
