/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enroll.h - helpers test_enroll.c shares with test_enroll_race.c: a
 * state directory per test, tpctl calls against it, JSON accessors, and
 * the CA/user/device setup most subtests start from.
 */
#ifndef TP_TEST_ENROLL_H
#define TP_TEST_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "selftests/cmd.h"
#include "selftests/json_util.h"

extern char enr_dir[256];
bool enr_mkstate(void);
void enr_rmstate(void);
int enr_tp(struct cmd_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool enr_tp_ok(struct cmd_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *enr_jstr(json_object *o, const char *key);
long long enr_jint(json_object *o, const char *key);
bool enr_base(const char *owner);
bool enr_csr(const char *name, const char *keyopts);
bool enr_device(const char *name, const char *csr, long long *id,
		char serial[65]);
bool enr_refused(const struct cmd_result *r, const char *what,
		 const char *const *words);
bool enr_dev_status_is(const char *dev, const char *want);
size_t enr_list_len(const char *obj);

#endif /* TP_TEST_ENROLL_H */
