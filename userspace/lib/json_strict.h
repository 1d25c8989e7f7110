/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json_strict.h - the one parser of a framed channel's JSON body (the
 * agent channel and the control socket): exactly one object, nothing
 * after it, no NUL byte, bounded in size and nesting.
 */
#ifndef TP_LIB_JSON_STRICT_H
#define TP_LIB_JSON_STRICT_H

#include <stddef.h>
#include <json-c/json.h>

/* The object in s[0..len), or NULL when it is anything else. */
struct json_object *json_strict_object(const char *s, size_t len, size_t max,
				       int depth);

#endif /* TP_LIB_JSON_STRICT_H */
