/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * frame.h - the buffering both framed channels share (the agent channel,
 * proto.c, and the control socket, control.c): gather a fixed-size header,
 * then a body whose length the header gave, from bytes arriving in any
 * pieces. Each channel checks its own header between the two steps.
 */
#ifndef TP_LIB_FRAME_H
#define TP_LIB_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Move up to want - *have bytes from *data into buf + *have, advancing
 * *data, *len and *used. True once buf holds all want bytes.
 */
static inline bool frame_fill(void *buf, size_t *have, size_t want,
			      const uint8_t **data, size_t *len, size_t *used)
{
	size_t n = want - *have;

	if (n > *len)
		n = *len;
	memcpy((uint8_t *)buf + *have, *data, n);
	*have += n;
	*data += n;
	*len -= n;
	*used += n;
	return *have == want;
}

/* A big-endian 32-bit length at p. */
static inline uint32_t frame_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

#endif /* TP_LIB_FRAME_H */
