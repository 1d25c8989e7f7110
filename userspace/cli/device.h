/* SPDX-License-Identifier: GPL-2.0-only */
/* device.h - what device.c, enroll.c and cert.c share: printers, lookups. */
#ifndef TP_CLI_DEVICE_H
#define TP_CLI_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/registry.h"

/* A UTC timestamp field: ISO 8601 in text and JSON. */
void print_time(const char *key, const char *label, int64_t t);
/* One device; with details the object is left open for more fields. */
void print_device(const struct reg_device *d, bool details);
/* reg_cert_foreach callback printing one certificate. */
int print_cert_cb(const struct reg_cert *c, void *ctx);
/* Look a device up by name, uuid or id, reporting a clear error. */
int get_device(struct registry *r, const char *ref, struct reg_device *d);
int do_enroll(int argc, char **argv);
int do_renew(int argc, char **argv);

#endif /* TP_CLI_DEVICE_H */
