// SPDX-License-Identifier: GPL-2.0-only
/*
 * frame.c - test frames and small helpers for the bench tools.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <netinet/in.h>

#include "frame.h"

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (__u32)p[0] << 8 | p[1];
	if (len)
		sum += (__u32)p[0] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

int frame_build(const struct frame_spec *s, __u8 *buf)
{
	size_t l3 = sizeof(struct ethhdr);
	size_t iplen = s->family == AF_INET6 ? sizeof(struct ipv6hdr)
					     : sizeof(struct iphdr);
	size_t l4len = s->proto == IPPROTO_TCP ? sizeof(struct tcphdr)
					       : sizeof(struct udphdr);
	size_t alen = s->family == AF_INET6 ? 16 : 4;
	size_t len = s->len, plen;
	struct ethhdr *eth = (void *)buf;
	__u8 *l4 = buf + l3 + iplen;
	__u32 sum;

	if (len < l3 + iplen + l4len)
		len = l3 + iplen + l4len;
	if (len < 60) /* the shortest Ethernet frame without FCS */
		len = 60;
	if (len > FRAME_MAX)
		return -EINVAL;
	plen = len - l3 - iplen; /* the L4 segment fills the frame */
	memset(buf, 0, len);
	memcpy(eth->h_dest, s->dmac, 6);
	memcpy(eth->h_source, s->smac, 6);

	if (s->family == AF_INET6) {
		struct ipv6hdr *ip6 = (void *)(buf + l3);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons(plen);
		ip6->nexthdr = s->proto;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, s->saddr, 16);
		memcpy(&ip6->daddr, s->daddr, 16);
	} else if (s->family == AF_INET) {
		struct iphdr *iph = (void *)(buf + l3);

		eth->h_proto = htons(ETH_P_IP);
		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons(iplen + plen);
		iph->ttl = 64;
		iph->protocol = s->proto;
		memcpy(&iph->saddr, s->saddr, 4);
		memcpy(&iph->daddr, s->daddr, 4);
		iph->check = csum_fold(csum_add(0, iph, sizeof(*iph)));
	} else {
		return -EINVAL;
	}

	if (s->proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->seq = htonl(1);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(64240);
	} else if (s->proto == IPPROTO_UDP) {
		struct udphdr *uh = (void *)l4;

		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->len = htons(plen);
	} else {
		return -EINVAL;
	}
	/* pseudo-header, then the segment */
	sum = csum_add(0, s->saddr, alen);
	sum = csum_add(sum, s->daddr, alen);
	sum += s->proto + (__u32)plen;
	sum = csum_add(sum, l4, plen);
	if (s->proto == IPPROTO_TCP)
		((struct tcphdr *)l4)->check = csum_fold(sum);
	else
		((struct udphdr *)l4)->check = csum_fold(sum) ?: 0xffff;
	return len;
}

int parse_mac(const char *str, __u8 mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(str, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

int parse_addr(const char *str, int *family, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, str, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, str, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
