// SPDX-License-Identifier: GPL-2.0-only
/*
 * log.c - tp-agent's messages: one line each on stderr, prefixed, so the
 * journal (or a test) can tell them apart. Paths may be logged; key
 * material never is.
 */
#include <stdarg.h>
#include <stdio.h>

#include "agent/agent.h"

bool agent_verbose;

static void vlog(const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "tp-agent: %s\n", line);
}

void agent_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void agent_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!agent_verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
