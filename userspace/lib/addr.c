// SPDX-License-Identifier: GPL-2.0-only
/* addr.c - parse and print MACs, IP addresses, bounded numbers, ifnames. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && p[2] != ':' && p[2] != '-')
			return -EINVAL;
		m[i] = hi << 4 | lo;
	}
	memcpy(mac, m, 6);
	return 0;
}

void mac_format(const uint8_t mac[6], char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int ip_parse(const char *s, uint8_t *family, uint8_t addr[16])
{
	uint8_t a[16] = {};

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = AF_INET;
	} else if (inet_pton(AF_INET6, s, a) == 1) {
		*family = AF_INET6;
	} else {
		return -EINVAL;
	}
	memcpy(addr, a, 16);
	return 0;
}

void ip_format(uint8_t family, const uint8_t addr[16], char buf[IP_STRLEN])
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf,
		       IP_STRLEN))
		snprintf(buf, IP_STRLEN, "?");
}

int u64_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 20)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int ifname_parse(const char *s, int *ifindex)
{
	unsigned int idx;

	if (!s || !*s || strlen(s) >= IF_NAMESIZE)
		return -ENODEV;
	idx = if_nametoindex(s);
	if (!idx)
		return -ENODEV;
	*ifindex = idx;
	return 0;
}
