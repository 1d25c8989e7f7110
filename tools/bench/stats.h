/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stats.h - the few numbers every bench tool needs: a monotonic clock in
 * seconds, a qsort comparator for doubles, and a percentile of a sorted
 * sample.
 */
#ifndef TP_BENCH_STATS_H
#define TP_BENCH_STATS_H

#include <time.h>

static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th (0..1) percentile of n sorted values; 0 when there are none. */
static inline double pct(const double *v, long n, double p)
{
	long i = (long)(p * (n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

#endif /* TP_BENCH_STATS_H */
