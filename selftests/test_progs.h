/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_progs.h - the selftest runner's API, after the kernel's
 * tools/testing/selftests/bpf/test_progs: a test is `void test_NAME(void)`
 * listed in tests.h, subtests are opened with test__start_subtest(), and
 * ASSERT_*() print `func:FAIL:what actual vs expected` and return bool.
 */
#ifndef TP_TEST_PROGS_H
#define TP_TEST_PROGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_env {
	const char *build_dir; /* where tpctl and friends are (build/) */
	const char *src_dir;   /* the checkout (tools/lab.sh lives here) */
	const char *suffix; /* unique per run: use it in every name you make */
	bool verbose;
};
extern struct test_env env;

/* Returns false when the subtest is filtered out: skip its body then. */
bool test__start_subtest(const char *name);
void test__fail(void);
/* Mark the current (sub)test skipped; a skip is reported, never a pass. */
void test__skip(const char *why);

/* A name unique to this run: "<prefix>-<suffix>". Static buffer per call site
 */
const char *test__name(char *buf, size_t len, const char *prefix);

/* Run a shell command, printing it with -v; returns its exit status. */
int test__sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SYS(goto_label, fmt, ...)                                       \
	({                                                              \
		int ___r = test__sys(fmt, ##__VA_ARGS__);               \
		if (___r) {                                             \
			fprintf(stderr, "%s:%d:FAIL:SYS(%s) exit %d\n", \
				__func__, __LINE__, #fmt, ___r);        \
			test__fail();                                   \
			goto goto_label;                                \
		}                                                       \
	})
#define SYS_NOFAIL(fmt, ...) test__sys(fmt, ##__VA_ARGS__)

#define CHECK_FAIL_(name, fmt, ...)                                            \
	do {                                                                   \
		fprintf(stderr, "%s:%d:FAIL:%s " fmt "\n", __func__, __LINE__, \
			name, ##__VA_ARGS__);                                  \
		test__fail();                                                  \
	} while (0)

#define ASSERT_TRUE(a, name)                                   \
	({                                                     \
		bool ___ok = !!(a);                            \
		if (!___ok)                                    \
			CHECK_FAIL_(name, "unexpected false"); \
		___ok;                                         \
	})
#define ASSERT_FALSE(a, name)                                 \
	({                                                    \
		bool ___ok = !(a);                            \
		if (!___ok)                                   \
			CHECK_FAIL_(name, "unexpected true"); \
		___ok;                                        \
	})
#define ASSERT_CMP_(a, b, op, name)                                            \
	({                                                                     \
		long long ___a = (long long)(a), ___b = (long long)(b);        \
		bool ___ok = ___a op ___b;                                     \
		if (!___ok)                                                    \
			CHECK_FAIL_(name, "actual %lld " #op " expected %lld", \
				    ___a, ___b);                               \
		___ok;                                                         \
	})
#define ASSERT_EQ(a, b, name) ASSERT_CMP_(a, b, ==, name)
#define ASSERT_NEQ(a, b, name) ASSERT_CMP_(a, b, !=, name)
#define ASSERT_LT(a, b, name) ASSERT_CMP_(a, b, <, name)
#define ASSERT_LE(a, b, name) ASSERT_CMP_(a, b, <=, name)
#define ASSERT_GT(a, b, name) ASSERT_CMP_(a, b, >, name)
#define ASSERT_GE(a, b, name) ASSERT_CMP_(a, b, >=, name)
#define ASSERT_OK(res, name)                                                   \
	({                                                                     \
		long long ___r = (long long)(res);                             \
		bool ___ok = ___r == 0;                                        \
		if (!___ok)                                                    \
			CHECK_FAIL_(name, "unexpected error: %lld (errno %d)", \
				    ___r, errno);                              \
		___ok;                                                         \
	})
#define ASSERT_ERR(res, name)                                                \
	({                                                                   \
		long long ___r = (long long)(res);                           \
		bool ___ok = ___r < 0;                                       \
		if (!___ok)                                                  \
			CHECK_FAIL_(name, "unexpected success: %lld", ___r); \
		___ok;                                                       \
	})
#define ASSERT_OK_PTR(p, name)                                          \
	({                                                              \
		const void *___p = (p);                                 \
		bool ___ok = ___p != NULL;                              \
		if (!___ok)                                             \
			CHECK_FAIL_(name, "unexpected NULL (errno %d)", \
				    errno);                             \
		___ok;                                                  \
	})
#define ASSERT_STREQ(a, b, name)                                          \
	({                                                                \
		const char *___a = (a), *___b = (b);                      \
		bool ___ok = ___a && ___b && !strcmp(___a, ___b);         \
		if (!___ok)                                               \
			CHECK_FAIL_(name, "actual '%s' != expected '%s'", \
				    ___a ? ___a : "(null)",               \
				    ___b ? ___b : "(null)");              \
		___ok;                                                    \
	})
#define ASSERT_HAS_SUBSTR(str, sub, name)                                     \
	({                                                                    \
		const char *___s = (str), *___u = (sub);                      \
		bool ___ok = ___s && strstr(___s, ___u);                      \
		if (!___ok)                                                   \
			CHECK_FAIL_(name, "'%s' not found in '%.400s'", ___u, \
				    ___s ? ___s : "(null)");                  \
		___ok;                                                        \
	})

#endif /* TP_TEST_PROGS_H */
