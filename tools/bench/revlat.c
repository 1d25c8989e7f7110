// SPDX-License-Identifier: GPL-2.0-only
/*
 * revlat.c - revocation latency: revoke -> entry gone, through
 * trustpointd's control socket, at N live identities.
 *
 *   revlat prepare --state DIR --pin-dir DIR --devices R --identities N
 *     before the daemon starts: R active devices (rev-1..rev-R, owner
 *     "bench", each with a placeholder certificate record) in
 *     DIR/registry.db, and the gate's maps pinned under the
 *     pin dir, sized for N + R entries (no program attached anywhere).
 *   revlat run --pin-dir DIR --socket PATH --devices R --identities N
 *     once the daemon runs (its start-up reconciliation removes entries of
 *     devices it does not know, so the filler goes in after): N filler
 *     identities (devices 100000+i), one static identity per rev-device,
 *     then R times: send {"cmd":"device.revoke"}, poll the pinned map with
 *     bpf_map_lookup_elem in a tight loop until that device's entry is
 *     gone (gone_us), then read the answer (rtt_us). One JSON line.
 *
 * The daemon evicts before it answers, so gone_us <= rtt_us; both include
 * the registry write (SQLite, one transaction) that comes first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "lib/control.h"
#include "lib/gate.h"
#include "lib/registry.h"
#include "fill.h"

#include "stats.h"

#define TARGET_BASE 0x0a800001U /* 10.128.0.1 + i: map keys only */
#define GONE_TIMEOUT_S 5.0

struct opts {
	const char *state, *pin, *sock;
	long devices, identities;
};

static int prepare(const struct opts *o)
{
	struct gate_opts go = {.identity_max = o->identities + o->devices + 64};
	struct reg_user u = {.account = "bench"};
	struct gate_bpf *skel = NULL;
	struct registry *reg = NULL;
	char path[PATH_MAX];
	int64_t first = 0;
	int err;

	snprintf(path, sizeof(path), "%s/registry.db", o->state);
	err = reg_open(path, &reg);
	if (!err) {
		err = reg_user_add(reg, &u, "bench");
		err = err == -EEXIST ? 0 : err; /* the state dir's own owner */
	}
	err = err ?: reg_begin(reg);
	for (long i = 1; !err && i <= o->devices; i++) {
		char name[32];
		struct reg_device d = {.name = name, .owner = "bench"};

		/*
		 * a certificate record makes the device active, and its
		 * revocation part of the registry write; the bytes are a
		 * placeholder, nothing here parses them
		 */
		static uint8_t der[] = {0x30, 0x00};
		struct reg_cert c = {.issuer = "CN=revlat",
				     .kind = REG_CERT_DEVICE,
				     .subject = name,
				     .der = der,
				     .der_len = sizeof(der)};

		snprintf(name, sizeof(name), "rev-%ld", i);
		err = reg_device_add(reg, &d, "bench");
		c.device_id = d.id;
		c.not_before = time(NULL) - 60;
		c.not_after = c.not_before + 86400 * 365;
		snprintf(c.serial, sizeof(c.serial), "7e%014lx", i);
		err = err ?: reg_cert_add(reg, &c, "bench");
		if (!first)
			first = d.id;
	}
	err = err ?: reg_commit(reg);
	if (err)
		fprintf(stderr, "revlat: registry: %s (%s)\n", strerror(-err),
			reg ? reg_errmsg(reg) : "");
	reg_close(reg);
	err = err ?: gate_bpffs_prepare(o->pin);
	err = err ?: gate_load(o->pin, &go, &skel);
	if (err) {
		fprintf(stderr, "revlat: gate: %s\n", strerror(-err));
		return 1;
	}
	gate_unload(skel); /* the maps stay pinned */
	printf("{\"first_device\":%lld}\n", (long long)first);
	return 0;
}

static int ctl_connect(const char *sock)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The daemon's answer on fd; true when it says ok. */
static bool ctl_answer(int fd)
{
	struct control_reader r = {};
	uint8_t buf[4096];
	size_t used, off;
	ssize_t got;
	int ret = 0;
	json_object *o, *ok;
	bool good = false;

	while (ret == 0 && (got = read(fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < (size_t)got && ret == 0; off += used)
			ret = control_feed(&r, buf + off, got - off, &used);
	if (ret == 1) {
		o = control_parse(r.body, r.len);
		good = o && json_object_object_get_ex(o, "ok", &ok) &&
		       json_object_get_boolean(ok);
		if (!good)
			fprintf(stderr, "revlat: answer %s\n", r.body);
		json_object_put(o);
	}
	control_reader_reset(&r);
	return good;
}

static int run(const struct opts *o, long first)
{
	long n = o->devices, done = 0, fails = 0;
	double *gone = calloc(n, sizeof(double)),
	       *rtt = calloc(n, sizeof(double));
	struct tp_identity_key k = {.ifindex = 1, .family = TP_AF_INET};
	struct tp_identity v = {.flags = TP_IDF_STATIC, .mac = {2, 0, 0x5e}};
	struct tp_identity cur;
	struct tp_gate *g = NULL;
	char path[PATH_MAX + 16];
	int mfd, err;

	snprintf(path, sizeof(path), "%s/tp_identity", o->pin);
	mfd = bpf_obj_get(path);
	err = mfd < 0 ? -errno : gate_open(o->pin, &g);
	err = err ?: fill_gate(mfd, 1, o->identities);
	v.expires_ns = gate_now_ns() + 3600ULL * 1000000000ULL;
	for (long i = 0; !err && i < n; i++) {
		__u32 a = htonl(TARGET_BASE + i);

		memcpy(k.addr, &a, 4);
		v.device_id = first + i;
		err = gate_identity_add(g, &k, &v);
	}
	if (err || !gone || !rtt) {
		fprintf(stderr, "revlat: filling the gate: %s\n",
			strerror(-err));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		json_object *req = json_object_new_object();
		__u32 a = htonl(TARGET_BASE + i);
		uint8_t *msg;
		size_t len;
		double t0, t1 = 0, t2;
		char id[24];
		int fd = ctl_connect(o->sock);

		snprintf(id, sizeof(id), "%ld", first + i);
		json_object_object_add(req, "cmd",
				       json_object_new_string("device.revoke"));
		json_object_object_add(req, "device",
				       json_object_new_string(id));
		json_object_object_add(req, "reason",
				       json_object_new_string("keyCompromise"));
		json_object_object_add(req, "actor",
				       json_object_new_string("bench:revlat"));
		err = control_encode(req, &msg, &len);
		json_object_put(req);
		memcpy(k.addr, &a, 4);
		if (fd < 0 || err) {
			fprintf(stderr, "revlat: %s: %s\n", o->sock,
				fd < 0 ? strerror(errno) : "encoding");
			fails++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		t0 = now_s();
		if (write(fd, msg, len) != (ssize_t)len) {
			fails++;
			free(msg);
			close(fd);
			continue;
		}
		/* tight loop on the pinned map: the entry's last moment */
		while (!bpf_map_lookup_elem(mfd, &k, &cur)) {
			t1 = now_s();
			if (t1 - t0 > GONE_TIMEOUT_S)
				break;
		}
		t1 = now_s();
		if (!ctl_answer(fd) || t1 - t0 > GONE_TIMEOUT_S) {
			if (t1 - t0 > GONE_TIMEOUT_S)
				fprintf(stderr,
					"revlat: device %s: entry still there after %.0f s\n",
					id, GONE_TIMEOUT_S);
			fails++;
		} else {
			t2 = now_s();
			gone[done] = (t1 - t0) * 1e6;
			rtt[done] = (t2 - t0) * 1e6;
			done++;
		}
		free(msg);
		close(fd);
	}
	qsort(gone, done, sizeof(double), cmp_double);
	qsort(rtt, done, sizeof(double), cmp_double);
	printf("{\"identities\":%ld,\"revocations\":%ld,\"failures\":%ld,"
	       "\"gone_p50_us\":%.1f,\"gone_p99_us\":%.1f,\"gone_max_us\":%.1f,"
	       "\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f}\n",
	       o->identities, done, fails, pct(gone, done, 0.5),
	       pct(gone, done, 0.99), done ? gone[done - 1] : 0,
	       pct(rtt, done, 0.5), pct(rtt, done, 0.99));
	gate_close(g);
	free(gone);
	free(rtt);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"state", 1, 0, 's'},
					   {"pin-dir", 1, 0, 'p'},
					   {"socket", 1, 0, 'S'},
					   {"devices", 1, 0, 'd'},
					   {"identities", 1, 0, 'n'},
					   {"first", 1, 0, 'f'},
					   {0}};
	struct opts o = {.devices = 1000, .identities = 1000};
	long first = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.state = optarg;
			break;
		case 'p':
			o.pin = optarg;
			break;
		case 'S':
			o.sock = optarg;
			break;
		case 'd':
			o.devices = strtol(optarg, NULL, 0);
			break;
		case 'n':
			o.identities = strtol(optarg, NULL, 0);
			break;
		case 'f':
			first = strtol(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || !o.pin || o.devices < 1 || o.identities < 0)
		goto usage;
	if (!strcmp(argv[optind], "prepare") && o.state)
		return prepare(&o);
	if (!strcmp(argv[optind], "run") && o.sock && first > 0)
		return run(&o, first);
usage:
	fprintf(stderr,
		"Usage: revlat prepare --state DIR --pin-dir DIR --devices R --identities N\n"
		"       revlat run --pin-dir DIR --socket PATH --devices R --identities N --first ID\n");
	return 2;
}
