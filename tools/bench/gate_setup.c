// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_setup.c - put trustpoint's gate on a receiving veth for the rate
 * benchmarks: attach it (native XDP, pinned link under DIR) through the
 * library like trustpointd does, bind one authorized source, add N - 1
 * filler identities and the handshake endpoint. The pinned link keeps the
 * gate in place after this exits; removing DIR (or the veth) ends it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "lib/gate.h"
#include "frame.h"
#include "fill.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gate_setup --pin-dir DIR --dev IF --identities N --ip ADDR --mac MAC\n"
		"                  [--bootstrap IPV4:PORT]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pin-dir", 1, 0, 'd'},	   {"dev", 1, 0, 'i'},
		{"identities", 1, 0, 'n'}, {"ip", 1, 0, 'a'},
		{"mac", 1, 0, 'm'},	   {"bootstrap", 1, 0, 'b'},
		{"help", 0, 0, 'h'},	   {0}};
	const char *dir = NULL, *dev = NULL, *ip = NULL, *mac = NULL,
		   *boot = NULL;
	struct tp_identity_key k = {.family = TP_AF_INET};
	struct tp_identity v = {.device_id = 1};
	struct tp_gate *g = NULL;
	struct gate_link link;
	struct gate_opts o = {};
	char path[PATH_MAX + 32];
	__u32 n = 0;
	int c, err, fd, ifindex;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			dev = optarg;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			ip = optarg;
			break;
		case 'm':
			mac = optarg;
			break;
		case 'b':
			boot = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dir || !dev || !ip || !mac || n < 1 ||
	    inet_pton(AF_INET, ip, k.addr) != 1 || parse_mac(mac, v.mac)) {
		usage(stderr);
		return 2;
	}
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "Error: no device %s\n", dev);
		return 1;
	}
	o.identity_max = n;
	err = gate_attach(dir, &ifindex, 1, GATE_MODE_NATIVE, &o, &link);
	err = err ?: gate_open(dir, &g);
	if (err)
		goto out;
	k.ifindex = ifindex;
	v.expires_ns = gate_now_ns() + 3600ULL * 1000000000ULL;
	err = gate_identity_add(g, &k, &v);
	if (!err && boot) {
		struct tp_bootstrap_key bk = {.family = TP_AF_INET,
					      .proto = IPPROTO_TCP};
		char addr[INET_ADDRSTRLEN];
		unsigned int port;

		if (sscanf(boot, "%15[0-9.]:%u", addr, &port) != 2 ||
		    inet_pton(AF_INET, addr, bk.addr) != 1 || port > 65535) {
			err = -EINVAL;
			goto out;
		}
		bk.port = port;
		err = gate_bootstrap_add(g, &bk);
	}
	if (err || n == 1)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, TP_MAP_IDENTITY);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = fill_gate(fd, ifindex, n - 1);
	close(fd);
out:
	gate_close(g);
	if (err) {
		fprintf(stderr, "Error: gate_setup on %s: %s\n", dev,
			strerror(-err));
		return 1;
	}
	printf("{\"ifname\":\"%s\",\"ifindex\":%d,\"mode\":\"%s\",\"prog_id\":%u,\"link_id\":%u}\n",
	       dev, ifindex, gate_mode_name(link.mode), link.prog_id,
	       link.link_id);
	return 0;
}
