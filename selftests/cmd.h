/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cmd.h - run a command for a test and capture what it printed and how
 * it exited, bounded in time. Tests use it to drive tpctl and tools.
 */
#ifndef TP_TEST_CMD_H
#define TP_TEST_CMD_H

#include <stddef.h>

struct cmd_result {
	int status; /* exit status; 128+signal when killed; -1 on error */
	char *out;  /* stdout, NUL terminated (never NULL after cmd_run) */
	char *err;  /* stderr */
	size_t out_len, err_len;
};

/*
 * Run "/bin/sh -c CMD" with a time limit (seconds; the process group is
 * killed when it runs out). Returns r->status. Free with cmd_free().
 */
int cmd_run(struct cmd_result *r, int timeout_s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cmd_free(struct cmd_result *r);

/*
 * Run build/tpctl with the given arguments (a printf format), in the
 * network namespace NS when ns is not NULL (nsenter --net keeps the mount
 * namespace, so bpffs pins stay shared). 30 s limit.
 */
int tpctl(struct cmd_result *r, const char *ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The whole file at path, NUL-terminated (it may hold NULs of its own),
 * its size in *len (len may be NULL). A missing or unreadable file reads as
 * empty; NULL only when memory runs out. The caller frees it.
 */
char *file_slurp(const char *path, size_t *len);

#endif /* TP_TEST_CMD_H */
