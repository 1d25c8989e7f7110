/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli_util.h - what test_cli and test_cli_args share: a namespace with a
 * veth pair and the gate attached, tpctl run in it with this run's pin
 * dir, the JSON accessors and the error contract every bad call meets.
 */
#ifndef TP_TEST_CLI_UTIL_H
#define TP_TEST_CLI_UTIL_H

#include <stdbool.h>

#include <json-c/json.h>

#include "cmd.h"
#include "json_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* cli0 carries the gate; cli1 is its peer and the source of test frames. */
#define IF_GATE "cli0"
#define IF_PEER "cli1"
#define PEER_IP "192.0.2.2"
#define PEER_MAC "02:00:00:00:00:02"
#define SINK_IP \
	"192.0.2.99" /* static neighbour: frames leave, nobody answers */
#define SINK_MAC "02:00:00:00:00:99"

/* A valid add, and its parts, to get one thing wrong at a time. */
#define ADD "identity add dev " IF_GATE
#define IPMAC " ip 192.0.2.21 mac 02:00:00:00:00:21"
#define ADD5 ADD IPMAC " device 5"

/* Set up by cli_setup(): the namespace and the pin dir of this test. */
extern char cli_ns[64], cli_dir[128];

/*
 * Make the namespace "tp<tag>-<suffix>" with the veth pair, and attach the
 * gate to IF_GATE with pins in /sys/fs/bpf/tp-<tag>-<suffix>; false (the
 * test has failed) when that did not work. The attach's JSON output goes
 * to *attach_out when given (free it). cli_teardown() undoes it all, also
 * after a failed setup.
 */
bool cli_setup(const char *tag, char **attach_out);
void cli_teardown(void);

int run(struct cmd_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
json_object *jget(json_object *o, const char *key);
const char *jstr(json_object *o, const char *key);
long long jint(json_object *o, const char *key);
int jbool(json_object *o, const char *key);
int jlen(json_object *arr);
json_object *jidx(json_object *arr, int i);
json_object *jfind(json_object *arr, const char *key, const char *val);
json_object *run_json(const char *args);
bool run_ok(struct cmd_result *r, const char *args);
bool tp_ok(const char *args);
void expect_error(bool json, const char *args);
char *plain(json_object *o);
char *identity_plain(const char *args, long long *lease, int *n);

#endif /* TP_TEST_CLI_UTIL_H */
