/* SPDX-License-Identifier: GPL-2.0-only */
/* json_util.h - strict parsing of tpctl's -j output for the tests. */
#ifndef TP_TEST_JSON_UTIL_H
#define TP_TEST_JSON_UTIL_H

#include <json-c/json.h>

/* The whole string is exactly one JSON value, else NULL (and a message). */
json_object *parse_one(const char *s);

#endif /* TP_TEST_JSON_UTIL_H */
