/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output.h - one call per field serves both text and JSON output, in the
 * manner of iproute2's print_*(PRINT_ANY, ...). In JSON mode the calls
 * build a json-c tree that out_flush() prints; in text mode each call
 * prints its text format at once. A NULL text format prints nothing in
 * text mode (a JSON-only field).
 */
#ifndef TP_LIB_OUTPUT_H
#define TP_LIB_OUTPUT_H

#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>

void out_init(bool json, bool pretty);
bool out_json(void);

/* key is NULL for a member of an array or for the top-level value. */
void out_open_object(const char *key);
void out_close_object(void);
void out_open_array(const char *key);
void out_close_array(void);

void out_string(const char *key, const char *fmt, const char *val);
void out_uint(const char *key, const char *fmt, uint64_t val);
void out_int(const char *key, const char *fmt, int64_t val);
void out_bool(const char *key, const char *fmt, bool val);
void out_null(const char *key, const char *fmt);
/* Text mode only (labels, newlines); nothing in JSON mode. */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the finished JSON value (one line, or indented with pretty). */
void out_flush(void);

/* "Error: ..." on stderr, or {"error": "..."} on stdout in JSON mode. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "Warning: ..." on stderr in either mode. */
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* TP_LIB_OUTPUT_H */
