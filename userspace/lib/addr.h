/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * addr.h - the one parser and printer of the address, number and name
 * formats that cross trustpoint's boundaries (CLI words, config values).
 */
#ifndef TP_LIB_ADDR_H
#define TP_LIB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_STRLEN 18 /* "xx:xx:xx:xx:xx:xx" + NUL */
#define IP_STRLEN 46  /* INET6_ADDRSTRLEN */

/* "02:00:00:00:00:11" (also '-' separated); -EINVAL otherwise. */
int mac_parse(const char *s, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char buf[MAC_STRLEN]);

/* IPv4 or IPv6 literal into addr[16] (IPv4 in the first 4 bytes). */
int ip_parse(const char *s, uint8_t *family, uint8_t addr[16]);
void ip_format(uint8_t family, const uint8_t addr[16], char buf[IP_STRLEN]);

/* Decimal number in [min, max], no sign, no trailing garbage. */
int u64_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Interface name to ifindex; -ENODEV when there is none. */
int ifname_parse(const char *s, int *ifindex);

#endif /* TP_LIB_ADDR_H */
