// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_offload.c - keep VLAN tags where the gate can read them.
 *
 * A NIC that parses VLAN tags in hardware (rx-vlan-hw-parse,
 * rx-vlan-stag-hw-parse) strips them into metadata before XDP runs, and
 * the gate would then take a tagged frame for an untagged one. Attaching
 * the gate turns those receive offloads off on the LAN interface, through
 * the ethtool ioctl (features by name, so no driver-specific numbers).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "lib/gate.h"

static const char *const vlan_rx_features[] = {
	"rx-vlan-hw-parse",
	"rx-vlan-stag-hw-parse",
};
#define NFEAT (sizeof(vlan_rx_features) / sizeof(vlan_rx_features[0]))

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* Index of each feature name in the device's feature string set. */
static int feature_indices(int fd, const char *ifname, int idx[NFEAT])
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} ss = {.hdr = {.cmd = ETHTOOL_GSSET_INFO,
			.sset_mask = 1ULL << ETH_SS_FEATURES}};
	struct ethtool_gstrings *gs;
	__u32 n;
	int err;

	err = ethtool(fd, ifname, &ss);
	if (err)
		return err;
	n = ss.hdr.sset_mask ? ss.len : 0;
	if (n == 0 || n > 4096)
		return -EOPNOTSUPP;
	gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	if (!gs)
		return -ENOMEM;
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	err = ethtool(fd, ifname, gs);
	for (size_t f = 0; f < NFEAT; f++) {
		idx[f] = -1;
		for (__u32 i = 0; !err && i < n; i++)
			if (!strncmp((char *)gs->data + i * ETH_GSTRING_LEN,
				     vlan_rx_features[f], ETH_GSTRING_LEN))
				idx[f] = i;
	}
	free(gs);
	return err;
}

int gate_vlan_offload_off(int ifindex, bool *changed)
{
	char ifname[IF_NAMESIZE];
	int idx[NFEAT], fd, err;
	__u32 blocks;
	struct ethtool_gfeatures *gf = NULL;
	struct ethtool_sfeatures *sf = NULL;

	*changed = false;
	if (!if_indextoname(ifindex, ifname))
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = feature_indices(fd, ifname, idx);
	if (err)
		goto out;
	blocks = 0;
	for (size_t f = 0; f < NFEAT; f++)
		if (idx[f] >= 0 && (__u32)idx[f] / 32 + 1 > blocks)
			blocks = idx[f] / 32 + 1;
	if (!blocks)
		goto out; /* the device knows neither feature */
	gf = calloc(1, sizeof(*gf) + blocks * sizeof(gf->features[0]));
	sf = calloc(1, sizeof(*sf) + blocks * sizeof(sf->features[0]));
	if (!gf || !sf) {
		err = -ENOMEM;
		goto out;
	}
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = blocks;
	err = ethtool(fd, ifname, gf);
	if (err)
		goto out;
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = blocks;
	for (size_t f = 0; f < NFEAT; f++) {
		__u32 b, bit;

		if (idx[f] < 0)
			continue;
		b = idx[f] / 32;
		bit = 1U << (idx[f] % 32);
		if (!(gf->features[b].active & bit))
			continue;
		if (gf->features[b].never_changed & bit) {
			err = -EOPNOTSUPP; /* fixed on: tags stay hidden */
			goto out;
		}
		sf->features[b].valid |= bit;
		*changed = true;
	}
	if (*changed)
		err = ethtool(fd, ifname, sf);
	/* a positive return only says other features moved along */
	if (err > 0)
		err = 0;
out:
	free(gf);
	free(sf);
	close(fd);
	return err;
}
