// SPDX-License-Identifier: GPL-2.0-only
/*
 * revlat.c - revocation latency at N live identities, against a
 * trustpointd whose gate is attached to one end of a veth pair:
 *
 *   revlat prepare --state DIR --pin-dir DIR --devices R --identities N
 *     before the daemon starts: R active devices (rev-1..rev-R, owner
 *     "bench", each with a placeholder certificate record) in
 *     DIR/registry.db, and the gate's maps pinned under the pin dir,
 *     sized for N + R entries. Prints {"first_device":ID}.
 *   revlat fill --pin-dir DIR --gate-dev IF --identities N
 *     once the daemon runs (its start-up reconciliation removes entries of
 *     devices it does not know, so the filler goes in after): N filler
 *     identities (devices 100000+i) written straight into the map. They
 *     are never revoked; they make the map as full as a live one.
 *   revlat run|stream --pin-dir DIR --socket PATH --gate-dev IF
 *       --sender-dev IF --first ID --devices R --identities N
 *     first binds devices ID..ID+R-1 (10.128.0.0 + id, the sender end's
 *     MAC) through the daemon's control socket (identity.add), so the
 *     daemon knows them as it knows any binding it made; then R
 *     revocations, one JSON line.
 *     run: revoke -> entry gone. Send {"cmd":"device.revoke"}, look up
 *     the device's entry in the pinned map every 10 us (bpf_map_lookup_elem)
 *     until it is gone (gone_us), then read the answer (rtt_us).
 *     stream [--trigger control|http --http 127.0.0.1:PORT --token-file F]
 *     [--gap-us 50] [--quiet-ms 2]: revoke -> first dropped packet of a
 *     running stream (revlat_stream.c).
 *
 * The daemon evicts before it answers, so gone_us <= rtt_us; both include
 * the registry write (SQLite, one transaction) that comes first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "lib/control.h"
#include "lib/control_gate.h"
#include "lib/gate.h"
#include "lib/registry.h"
#include "fill.h"
#include "revlat.h"

#include "stats.h"

#define GONE_TIMEOUT_S 5.0
#define CTL_TIMEOUT_MS 5000
#define POLL_NS 10000 /* between looks at the map: its resolution */

static int prepare(const struct revlat_opts *o)
{
	struct gate_opts go = {.identity_max = o->identities + o->devices + 64};
	struct reg_user u = {.account = "bench"};
	struct gate_bpf *skel = NULL;
	struct registry *reg = NULL;
	char path[PATH_MAX];
	int64_t first = 0, last = 0;
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
		last = d.id;
	}
	err = err ?: reg_commit(reg);
	if (err)
		fprintf(stderr, "revlat: registry: %s (%s)\n", strerror(-err),
			reg ? reg_errmsg(reg) : "");
	reg_close(reg);
	/* the runs take ids as a range, and the range as addresses */
	if (!err && (last - first + 1 != o->devices || last > TARGET_ID_MAX)) {
		fprintf(stderr,
			"revlat: device ids %lld..%lld: not %ld in a row below %d\n",
			(long long)first, (long long)last, o->devices,
			TARGET_ID_MAX);
		return 1;
	}
	err = err ?: gate_bpffs_prepare(o->pin);
	err = err ?: gate_load(o->pin, &go, &skel);
	if (err) {
		fprintf(stderr, "revlat: gate: %s\n", strerror(-err));
		return 1;
	}
	gate_unload(skel); /* the maps stay pinned; tpctl attaches */
	printf("{\"first_device\":%lld}\n", (long long)first);
	return 0;
}

/* ifindex and MAC of name, and its IPv4 address when addr is given. */
static int iface(const char *name, int *ifindex, __u8 mac[6], __u32 *addr)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	if (!name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	*ifindex = if_nametoindex(name);
	if (!*ifindex)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!err && addr) {
		if (ioctl(fd, SIOCGIFADDR, &ifr))
			err = -errno;
		else
			*addr = ((struct sockaddr_in *)&ifr.ifr_addr)
					->sin_addr.s_addr;
	}
	close(fd);
	return err;
}

void target_key(const struct revlat_opts *o, long id, struct tp_identity_key *k)
{
	__u32 a = htonl(TARGET_NET + id);

	memset(k, 0, sizeof(*k));
	k->ifindex = o->gate_ifindex;
	k->family = TP_AF_INET;
	memcpy(k->addr, &a, 4);
}

static bool answer_ok(json_object *resp)
{
	json_object *ok;

	return resp && json_object_object_get_ex(resp, "ok", &ok) &&
	       json_object_get_boolean(ok);
}

int targets_add(const struct revlat_opts *o)
{
	struct tp_identity v = {.flags = TP_IDF_STATIC};
	struct tp_identity_key k;
	int err = 0;

	memcpy(v.mac, o->sender_mac, 6);
	for (long id = o->first; !err && id < o->first + o->devices; id++) {
		json_object *req, *resp = NULL;

		target_key(o, id, &k);
		v.device_id = id;
		req = ctl_identity_req("identity.add", &k, &v, LEASE_S);
		err = control_call(o->sock, req, &resp, CTL_TIMEOUT_MS);
		if (!err && !answer_ok(resp)) {
			fprintf(stderr,
				"revlat: identity.add for device %ld: %s\n", id,
				json_object_to_json_string(resp));
			err = -EPROTO;
		} else if (err) {
			fprintf(stderr, "revlat: %s: %s\n", o->sock,
				strerror(-err));
		}
		json_object_put(req);
		json_object_put(resp);
	}
	return err;
}

int ctl_connect(const char *sock)
{
	int fd;

	return control_connect(sock, &fd) ? -1 : fd;
}

bool ctl_answer(int fd)
{
	json_object *o = NULL;
	int err = control_recv(fd, &o, CTL_TIMEOUT_MS);
	bool good = !err && answer_ok(o);

	if (!good)
		fprintf(stderr, "revlat: answer %s\n",
			err ? strerror(-err) : json_object_to_json_string(o));
	json_object_put(o);
	return good;
}

int ctl_revoke_msg(long id, __u8 **msg, size_t *len)
{
	json_object *req = json_object_new_object();
	char ref[24];
	int err;

	snprintf(ref, sizeof(ref), "%ld", id);
	json_object_object_add(req, "cmd",
			       json_object_new_string("device.revoke"));
	json_object_object_add(req, "device", json_object_new_string(ref));
	json_object_object_add(req, "reason",
			       json_object_new_string("keyCompromise"));
	json_object_object_add(req, "actor",
			       json_object_new_string("bench:revlat"));
	err = control_encode(req, msg, len);
	json_object_put(req);
	return err;
}

double share_below(const double *v, long n, double limit)
{
	long k = 0;

	for (long i = 0; i < n; i++)
		k += v[i] < limit;
	return n ? (double)k / n : 0;
}

long map_entries(int mfd)
{
	struct tp_identity_key k, next;
	void *prev = NULL;
	long n = 0;

	while (!bpf_map_get_next_key(mfd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static int open_identity_map(const char *pin)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/tp_identity", pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "revlat: %s: %s\n", path, strerror(errno));
	return fd;
}

static int fill(const struct revlat_opts *o)
{
	int mfd = open_identity_map(o->pin), err;

	if (mfd < 0)
		return 1;
	err = fill_gate(mfd, o->gate_ifindex, o->identities);
	if (err)
		fprintf(stderr, "revlat: filling the gate: %s\n",
			strerror(-err));
	else
		printf("{\"filled\":%ld,\"map_entries\":%ld}\n", o->identities,
		       map_entries(mfd));
	close(mfd);
	return err ? 1 : 0;
}

/* One revocation of device id; gone and rtt in us. false: a failure. */
static bool poll_one(const struct revlat_opts *o, int mfd, long id,
		     double *gone, double *rtt)
{
	struct tp_identity_key k;
	struct tp_identity cur;
	double t0, t1;
	size_t len;
	__u8 *msg;
	bool ok = false;
	int fd, err;

	target_key(o, id, &k);
	if (ctl_revoke_msg(id, &msg, &len))
		return false;
	fd = ctl_connect(o->sock);
	if (fd < 0) {
		fprintf(stderr, "revlat: %s: %s\n", o->sock, strerror(errno));
		free(msg);
		return false;
	}
	t0 = now_s();
	if (write(fd, msg, len) != (ssize_t)len)
		goto out;
	/*
	 * poll the pinned map for the entry's last moment, napping between
	 * looks: a tight loop would take a core from the daemon (2 here)
	 */
	do {
		nanosleep(&(struct timespec){.tv_nsec = POLL_NS}, NULL);
		err = bpf_map_lookup_elem(mfd, &k, &cur);
		t1 = now_s();
	} while (!err && t1 - t0 < GONE_TIMEOUT_S);
	if (t1 - t0 >= GONE_TIMEOUT_S) {
		fprintf(stderr,
			"revlat: device %ld: entry still there after %.0f s\n",
			id, GONE_TIMEOUT_S);
		goto out;
	}
	if (ctl_answer(fd)) {
		*gone = (t1 - t0) * 1e6;
		*rtt = (now_s() - t0) * 1e6;
		ok = true;
	}
out:
	free(msg);
	close(fd);
	return ok;
}

static int run(const struct revlat_opts *o)
{
	long n = o->devices, done = 0, fails = 0, entries;
	double *gone = calloc(n, sizeof(double)),
	       *rtt = calloc(n, sizeof(double));
	int mfd = open_identity_map(o->pin);

	if (mfd < 0 || !gone || !rtt || targets_add(o))
		return 1;
	prctl(PR_SET_TIMERSLACK, 1UL); /* naps of 10 us, not 60 */
	entries = map_entries(mfd);
	for (long i = 0; i < n; i++) {
		if (poll_one(o, mfd, o->first + i, &gone[done], &rtt[done]))
			done++;
		else
			fails++;
	}
	qsort(gone, done, sizeof(double), cmp_double);
	qsort(rtt, done, sizeof(double), cmp_double);
	printf("{\"measure\":\"entry_gone\",\"trigger\":\"control\",\"identities\":%ld,"
	       "\"map_entries\":%ld,\"revocations\":%ld,\"failures\":%ld,"
	       "\"gone_p50_us\":%.1f,\"gone_p99_us\":%.1f,\"gone_max_us\":%.1f,"
	       "\"gone_min_us\":%.1f,\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f,"
	       "\"rtt_max_us\":%.1f,\"poll_us\":%.1f,\"under_1ms\":%.4f}\n",
	       o->identities, entries, done, fails, pct(gone, done, 0.5),
	       pct(gone, done, 0.99), done ? gone[done - 1] : 0,
	       done ? gone[0] : 0, pct(rtt, done, 0.5), pct(rtt, done, 0.99),
	       done ? rtt[done - 1] : 0, POLL_NS / 1e3,
	       share_below(gone, done, 1000));
	close(mfd);
	free(gone);
	free(rtt);
	return fails ? 1 : 0;
}

static int ifaces(struct revlat_opts *o)
{
	int err = iface(o->gate_dev, &o->gate_ifindex, o->gate_mac,
			&o->gate_addr);

	if (err) {
		fprintf(stderr, "revlat: gate end %s: %s\n",
			o->gate_dev ? o->gate_dev : "(none)", strerror(-err));
		return err;
	}
	if (!o->sender_dev)
		return 0;
	err = iface(o->sender_dev, &o->sender_ifindex, o->sender_mac, NULL);
	if (err)
		fprintf(stderr, "revlat: sender end %s: %s\n", o->sender_dev,
			strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"state", 1, 0, 's'},	   {"pin-dir", 1, 0, 'p'},
		{"socket", 1, 0, 'S'},	   {"devices", 1, 0, 'd'},
		{"identities", 1, 0, 'n'}, {"first", 1, 0, 'f'},
		{"gate-dev", 1, 0, 'g'},   {"sender-dev", 1, 0, 'e'},
		{"trigger", 1, 0, 't'},	   {"http", 1, 0, 'H'},
		{"token-file", 1, 0, 'T'}, {"gap-us", 1, 0, 'G'},
		{"quiet-ms", 1, 0, 'q'},   {0}};
	struct revlat_opts o = {.devices = 1000,
				.identities = 1000,
				.gap_ns = 50000,
				.quiet_ms = 2,
				.warm = 20};
	const char *cmd;
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
			o.first = strtol(optarg, NULL, 0);
			break;
		case 'g':
			o.gate_dev = optarg;
			break;
		case 'e':
			o.sender_dev = optarg;
			break;
		case 't':
			if (!strcmp(optarg, "control"))
				o.trigger = TRIG_CONTROL;
			else if (!strcmp(optarg, "http"))
				o.trigger = TRIG_HTTP;
			else
				goto usage;
			break;
		case 'H':
			o.http = optarg;
			break;
		case 'T':
			o.token_file = optarg;
			break;
		case 'G':
			o.gap_ns = (long)(strtod(optarg, NULL) * 1000);
			break;
		case 'q':
			o.quiet_ms = strtol(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || !o.pin || o.devices < 1 || o.identities < 0 ||
	    o.gap_ns < 1000 || o.quiet_ms < 1)
		goto usage;
	cmd = argv[optind];
	if (!strcmp(cmd, "prepare") && o.state)
		return prepare(&o);
	if (strcmp(cmd, "fill") && strcmp(cmd, "run") && strcmp(cmd, "stream"))
		goto usage;
	if (ifaces(&o))
		return 1;
	if (!strcmp(cmd, "fill"))
		return fill(&o);
	if (!o.sock || !o.sender_dev || o.first < 1 ||
	    o.first + o.devices - 1 > TARGET_ID_MAX)
		goto usage;
	if (!strcmp(cmd, "run"))
		return run(&o);
	if (o.trigger == TRIG_HTTP && (!o.http || !o.token_file))
		goto usage;
	return stream_run(&o);
usage:
	fprintf(stderr,
		"Usage: revlat prepare --state DIR --pin-dir DIR --devices R --identities N\n"
		"       revlat fill --pin-dir DIR --gate-dev IF --identities N\n"
		"       revlat run --pin-dir DIR --socket PATH --gate-dev IF --sender-dev IF\n"
		"                  --first ID --devices R --identities N\n"
		"       revlat stream (run's options) [--trigger control|http]\n"
		"                  [--http 127.0.0.1:PORT --token-file FILE] [--gap-us US]\n"
		"                  [--quiet-ms MS]\n");
	return 2;
}
