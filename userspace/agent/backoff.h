/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * backoff.h - how long tp-agent waits before reconnecting: exponential
 * backoff with full jitter, kept pure (the random word is an argument) so
 * the selftest can check its bounds without a clock or a gateway.
 */
#ifndef TP_AGENT_BACKOFF_H
#define TP_AGENT_BACKOFF_H

#include <stdint.h>

#define BACKOFF_BASE_MS 1000u
#define BACKOFF_CAP_MS 60000u

/* The ceiling of the n-th retry (0-based): base * 2^n, at most the cap. */
static inline uint32_t backoff_ceiling_ms(unsigned int attempt)
{
	/* 2^6 s already exceeds the cap; shifting further would overflow */
	if (attempt >= 6)
		return BACKOFF_CAP_MS;
	return BACKOFF_BASE_MS << attempt < BACKOFF_CAP_MS
		       ? BACKOFF_BASE_MS << attempt
		       : BACKOFF_CAP_MS;
}

/*
 * Full jitter: uniform in [0, ceiling], so agents that lost the gateway
 * together do not come back in lockstep.
 */
static inline uint32_t backoff_ms(unsigned int attempt, uint32_t rnd)
{
	return rnd % (backoff_ceiling_ms(attempt) + 1);
}

#endif /* TP_AGENT_BACKOFF_H */
