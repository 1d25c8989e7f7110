// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_lab.c - the lab the trustpointd end-to-end tests share (see
 * daemon_lab.h). The daemon and the agents are children of the test,
 * started through `nsenter --net` (which execs in place, so the pid is the
 * program's), with PR_SET_PDEATHSIG so that a test that dies takes them
 * along. Their logs are appended to, so offsets taken before a restart stay
 * valid and a restart's lines follow the first run's.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon_lab.h"
#include "test_progs.h"

#define READY_MS 10000
#define POLL_MS 100

struct dlab dl;

long dlab_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

void dlab_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int vtp(struct cmd_result *r, const char *ns, const char *fmt,
	       va_list ap)
{
	char args[4096];

	vsnprintf(args, sizeof(args), fmt, ap);
	return tpctl(r, ns, "%s %s", dl.tp, args);
}

int dlab_tp(struct cmd_result *r, const char *ns, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vtp(r, ns, fmt, ap);
	va_end(ap);
	return ret;
}

/* A tpctl call that must succeed; prints its stderr when it does not. */
static bool __attribute__((format(printf, 3, 4)))
tp_ok(const char *what, const char *ns, const char *fmt, ...)
{
	struct cmd_result r;
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	vtp(&r, ns, fmt, ap);
	va_end(ap);
	ok = ASSERT_OK(r.status, what);
	if (!ok)
		fprintf(stderr, "%s: stdout '%s' stderr '%s'\n", what, r.out,
			r.err);
	cmd_free(&r);
	return ok;
}

json_object *dlab_json(const struct cmd_result *r, const char *what)
{
	json_object *o = json_tokener_parse(r->out);

	if (!o)
		CHECK_FAIL_(what, "not JSON: '%.300s' (stderr '%.300s')",
			    r->out, r->err);
	return o;
}

const char *dlab_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

long long dlab_jint(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(text, f) >= 0;

	if (f && fclose(f))
		ok = false;
	return ASSERT_TRUE(ok, path);
}

static bool write_config(const struct dlab_opts *o)
{
	char text[8192];

	snprintf(text, sizeof(text),
		 "# written by selftests/daemon_lab.c\n"
		 "[paths]\nstate_dir = %s\nbpffs = %s\n"
		 "[daemon]\nlisten = 0.0.0.0:%d\nlisten = [::]:%d\n"
		 "lan_interfaces = " LAB_GW_LAN "\n"
		 "lease = %u\nheartbeat = %u\ngrace = %u\n"
		 "handshake_timeout = %u\ncontrol_socket = %s\n",
		 dl.state, dl.pin, DLAB_PORT, DLAB_PORT,
		 o && o->lease_s ? o->lease_s : 30,
		 o && o->heartbeat_s ? o->heartbeat_s : 2,
		 o && o->grace_s ? o->grace_s : 2,
		 o && o->handshake_timeout_ms ? o->handshake_timeout_ms : 5000,
		 dl.sock);
	return write_file(dl.conf, text);
}

/* Enroll devN by CSR: DIR/devN.key stays ours, DIR/devN.pem is signed. */
static bool enroll(int n)
{
	struct cmd_result r;
	json_object *o;
	bool ok;

	if (!tp_ok("device add", NULL, "device add dev%d owner alice", n))
		return false;
	ok = !cmd_run(
		&r, 30,
		"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/dev%d.key -subj /CN=dev%d -out %s/dev%d.csr",
		dl.dir, n, n, dl.dir, n);
	ASSERT_TRUE(ok, "openssl req");
	cmd_free(&r);
	if (!ok)
		return false;
	dlab_tp(&r, NULL,
		"-j device enroll dev%d csr %s/dev%d.csr out %s/dev%d.pem", n,
		dl.dir, n, dl.dir, n);
	o = ASSERT_OK(r.status, "device enroll") ? dlab_json(&r, "enroll")
						 : NULL;
	if (o && dlab_jstr(o, "serial"))
		snprintf(dl.dev_serial[n], sizeof(dl.dev_serial[n]), "%s",
			 dlab_jstr(o, "serial"));
	json_object_put(o);
	cmd_free(&r);
	dlab_tp(&r, NULL, "-j device show dev%d", n);
	o = dlab_json(&r, "device show");
	dl.dev_id[n] = dlab_jint(o, "id");
	json_object_put(o);
	cmd_free(&r);
	snprintf(dl.agent_log[n], sizeof(dl.agent_log[n]), "%s/agent-dev%d.log",
		 dl.dir, n);
	return ASSERT_GT(dl.dev_id[n], 0, "device id") &&
	       ASSERT_TRUE(dl.dev_serial[n][0], "device serial");
}

bool dlab_up(const char *tag, const struct dlab_opts *o)
{
	char posture[512], path[PATH_MAX + 32];

	memset(&dl, 0, sizeof(dl));
	LAB_NS(dl.gw, LAB_GW);
	LAB_NS(dl.dev[1], LAB_DEV1);
	LAB_NS(dl.dev[2], LAB_DEV2);
	LAB_NS(dl.rogue, LAB_ROGUE);
	LAB_NS(dl.srv, LAB_SRV);
	snprintf(dl.pin, sizeof(dl.pin), "/sys/fs/bpf/tp-d-%s", env.suffix);
	snprintf(dl.dir, sizeof(dl.dir), "/tmp/tp-%s-%s-XXXXXX", tag,
		 env.suffix);
	if (!ASSERT_OK_PTR(mkdtemp(dl.dir), "mkdtemp")) {
		dl.dir[0] = 0;
		return false;
	}
	snprintf(dl.state, sizeof(dl.state), "%s/state", dl.dir);
	snprintf(dl.sock, sizeof(dl.sock), "%s/run/control.sock", dl.dir);
	snprintf(dl.conf, sizeof(dl.conf), "%s/trustpoint.conf", dl.dir);
	snprintf(dl.log, sizeof(dl.log), "%s/trustpointd.log", dl.dir);
	snprintf(dl.ca, sizeof(dl.ca), "%s/ca/ca.pem", dl.state);
	snprintf(dl.tp, sizeof(dl.tp), "-c %s -S %s -B %s -s %s", dl.conf,
		 dl.state, dl.pin, dl.sock);
	if (!write_config(o))
		return false;
	for (int n = 1; n < DLAB_DEVS; n++) {
		snprintf(posture, sizeof(posture),
			 "os=debian\nos_version=12\nmodel=lab-node\n"
			 "manufacturer=\"trustpoint selftests\"\n"
			 "serial_number=SN-DEV%d\n",
			 n);
		snprintf(path, sizeof(path), "%s/posture-dev%d", dl.dir, n);
		if (!write_file(path, posture))
			return false;
	}

	if (SYS_NOFAIL(
		    "mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf"))
		return ASSERT_TRUE(false, "bpffs mounted");
	dl.lab_up = true; /* down runs even when up fails half way */
	if (!ASSERT_OK(
		    SYS_NOFAIL("%s/" LAB_SH " up %s", env.src_dir, env.suffix),
		    "lab up"))
		return false;
	if (!tp_ok("ca init", NULL, "ca init subject 'CN=trustpoint lab CA'") ||
	    !tp_ok("user add", NULL, "user add alice") || !enroll(1) ||
	    !enroll(2) ||
	    !tp_ok("cert issue-server", NULL,
		   "cert issue-server gw san %s san %s", LAB_GW_LAN_IP4,
		   LAB_GW_LAN_IP6) ||
	    !tp_ok("gate attach", dl.gw, "gate attach dev %s", LAB_GW_LAN))
		return false;
	/*
	 * Conntrack tracks a namespace's flows only once some rule needs
	 * it; a gateway doing NAT or filtering has such rules, the bare lab
	 * has none.
	 */
	if (o && o->conntrack &&
	    !ASSERT_OK(
		    SYS_NOFAIL(
			    "nsenter --net=/run/netns/%s nft -f - <<'EOF'\n"
			    "table inet tp-ct {\n"
			    "  chain tpfwd { type filter hook forward priority 0; policy accept;\n"
			    "    ct state established,related counter accept\n  }\n"
			    "}\nEOF",
			    dl.gw),
		    "nft ct rule in gw"))
		return false;
	return true;
}

static pid_t spawn(const char *log, char *const argv[])
{
	pid_t parent = getpid(), pid;
	int fd, in;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	in = open("/dev/null", O_RDONLY);
	if (fd < 0 || in < 0)
		_exit(127);
	dup2(in, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	execvp(argv[0], argv);
	_exit(127);
}

/* Reap pid if it exited; its wait status, or -1 while it runs. */
static int reaped(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, WNOHANG) == pid ? st : -1;
}

static void stop_pid(pid_t *pid, int sig, int grace_ms)
{
	long end = dlab_now_ms() + grace_ms;

	if (*pid <= 0)
		return;
	kill(*pid, sig);
	while (dlab_now_ms() < end && reaped(*pid) < 0)
		dlab_sleep_ms(20);
	if (!kill(*pid, 0)) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

pid_t dlab_spawn_sh(const char *ns, const char *log, const char *script)
{
	char netns[128];

	snprintf(netns, sizeof(netns), "--net=/run/netns/%s", ns ? ns : "");
	if (!ns)
		return spawn(log, (char *const[]){"/bin/sh", "-c",
						  (char *)script, NULL});
	return spawn(log, (char *const[]){"nsenter", netns, "/bin/sh", "-c",
					  (char *)script, NULL});
}

int dlab_pid_wait(pid_t pid, int timeout_ms)
{
	long end = dlab_now_ms() + timeout_ms;
	int st;

	do {
		st = reaped(pid);
		if (st >= 0)
			return st;
		dlab_sleep_ms(20);
	} while (dlab_now_ms() < end);
	return -1;
}

void dlab_pid_stop(pid_t *pid, int grace_ms)
{
	stop_pid(pid, SIGTERM, grace_ms);
}

long dlab_log_offset(void)
{
	struct stat st;

	return stat(dl.log, &st) ? 0 : (long)st.st_size;
}

bool dlab_daemon_start(void)
{
	char netns[128], bin[PATH_MAX];
	long off = dlab_log_offset(), end = dlab_now_ms() + READY_MS;
	struct stat st;
	int status;

	snprintf(netns, sizeof(netns), "--net=/run/netns/%s", dl.gw);
	snprintf(bin, sizeof(bin), "%s/trustpointd", env.build_dir);
	dl.daemon = spawn(dl.log,
			  (char *const[]){"nsenter", netns, bin, "-c", dl.conf,
					  "-S", dl.state, "-B", dl.pin, "-s",
					  dl.sock, "--foreground", "-v", NULL});
	if (!ASSERT_GT(dl.daemon, 0, "fork trustpointd"))
		return false;
	while (dlab_now_ms() < end) {
		if (!stat(dl.sock, &st) && dlab_log_count(off, "ready:") > 0)
			return true;
		status = reaped(dl.daemon);
		if (status >= 0) {
			CHECK_FAIL_("trustpointd ready", "exited, status 0x%x",
				    status);
			dl.daemon = 0;
			dlab_log_dump("trustpointd exited");
			return false;
		}
		dlab_sleep_ms(POLL_MS);
	}
	CHECK_FAIL_("trustpointd ready", "not ready after %d ms", READY_MS);
	dlab_log_dump("trustpointd not ready");
	return false;
}

void dlab_daemon_stop(void)
{
	stop_pid(&dl.daemon, SIGTERM, 5000);
}

void dlab_daemon_kill9(void)
{
	stop_pid(&dl.daemon, SIGKILL, 2000);
}

bool dlab_agent_start(int n, const char *extra)
{
	char netns[128], bin[PATH_MAX], gw[64], cert[PATH_MAX + 16],
		key[PATH_MAX + 16], posture[PATH_MAX + 16];
	char *argv[20] = {"nsenter", netns,    bin,   "--gateway",
			  gw,	     "--cert", cert,  "--key",
			  key,	     "--ca",   dl.ca, "--posture-file",
			  posture,   "-v"};
	int argc = 14;

	snprintf(netns, sizeof(netns), "--net=/run/netns/%s", dl.dev[n]);
	snprintf(bin, sizeof(bin), "%s/tp-agent", env.build_dir);
	snprintf(gw, sizeof(gw), "%s:%d", LAB_GW_LAN_IP4, DLAB_PORT);
	snprintf(cert, sizeof(cert), "%s/dev%d.pem", dl.dir, n);
	snprintf(key, sizeof(key), "%s/dev%d.key", dl.dir, n);
	snprintf(posture, sizeof(posture), "%s/posture-dev%d", dl.dir, n);
	if (extra)
		argv[argc++] = (char *)extra;
	argv[argc] = NULL;
	dl.agent[n] = spawn(dl.agent_log[n], argv);
	return ASSERT_GT(dl.agent[n], 0, "fork tp-agent");
}

int dlab_agent_wait(int n, int timeout_ms)
{
	int st = dl.agent[n] > 0 ? dlab_pid_wait(dl.agent[n], timeout_ms) : -1;

	if (st >= 0)
		dl.agent[n] = 0;
	return st;
}

void dlab_agent_stop(int n)
{
	stop_pid(&dl.agent[n], SIGTERM, 3000);
}

int dlab_identity_count(long long device, const char *ip)
{
	return dlab_identity_count_in(dl.gw, dl.tp, device, ip);
}

int dlab_identity_count_in(const char *ns, const char *tp_opts,
			   long long device, const char *ip)
{
	struct cmd_result r;
	json_object *arr, *o;
	int n = 0;

	/* 126/127: tpctl could not be run (a rebuild replacing it) */
	for (int tries = 0;
	     tpctl(&r, ns, "%s -j identity list", tp_opts) >= 126 &&
	     r.status <= 127 && tries < 3;
	     tries++) {
		cmd_free(&r);
		dlab_sleep_ms(500);
	}
	if (r.status) {
		fprintf(stderr, "identity list: status %d: %s\n", r.status,
			r.err);
		cmd_free(&r);
		return -1;
	}
	arr = json_tokener_parse(r.out);
	cmd_free(&r);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if ((device < 0 || dlab_jint(o, "device") == device) &&
		    (!ip || !strcmp(dlab_jstr(o, "ip") ?: "", ip)))
			n++;
	}
	json_object_put(arr);
	return n;
}

int dlab_identity_wait(long long device, const char *ip, int want,
		       int timeout_ms)
{
	long end = dlab_now_ms() + timeout_ms;
	int n;

	for (;;) {
		n = dlab_identity_count(device, ip);
		if ((want > 0 && n >= want) || (want == 0 && n == 0) ||
		    dlab_now_ms() >= end)
			return n;
		dlab_sleep_ms(POLL_MS);
	}
}

json_object *dlab_sessions(void)
{
	struct cmd_result r;
	json_object *arr;

	if (dlab_tp(&r, NULL, "-j session list")) {
		fprintf(stderr, "session list: %s%s\n", r.out, r.err);
		cmd_free(&r);
		return NULL;
	}
	arr = json_tokener_parse(r.out);
	cmd_free(&r);
	if (arr && !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		arr = NULL;
	}
	return arr;
}

json_object *dlab_session_of(json_object *arr, const char *name)
{
	json_object *o;

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (!strcmp(dlab_jstr(o, "name") ?: "", name))
			return o;
	}
	return NULL;
}

bool dlab_session_wait(const char *name, int timeout_ms)
{
	long end = dlab_now_ms() + timeout_ms;
	json_object *arr;
	bool found;

	do {
		arr = dlab_sessions();
		found = dlab_session_of(arr, name) != NULL;
		json_object_put(arr);
		if (found)
			return true;
		dlab_sleep_ms(POLL_MS);
	} while (dlab_now_ms() < end);
	return false;
}

/* Each line of the log after offset, to fn until it returns true. */
static bool log_scan(long offset, bool (*fn)(const char *line, void *ctx),
		     void *ctx)
{
	FILE *f = fopen(dl.log, "r");
	char *line = NULL;
	size_t cap = 0;
	bool hit = false;

	if (!f)
		return false;
	if (!fseek(f, offset, SEEK_SET))
		while (!hit && getline(&line, &cap, f) > 0)
			hit = fn(line, ctx);
	free(line);
	fclose(f);
	return hit;
}

/* A member by dotted path ("event.action"), or NULL. */
static json_object *jpath(json_object *o, const char *path)
{
	char key[64];
	size_t n;

	while (o && *path) {
		n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *jpath_str(json_object *o, const char *path)
{
	json_object *v = jpath(o, path);

	return v && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Is o an event of kind about who? Fills *reason when it is. */
static bool event_is(json_object *o, enum dlab_ev kind, const char *who,
		     const char **reason)
{
	static const char *const flat[] = {
		"handshake.refused", "device.revoked", "device.quarantined"};
	static const char *const ecs[] = {"handshake", "device-revoked",
					  "device-quarantined"};
	const char *name = jpath_str(o, "event"), *subject;

	if (name) { /* flat */
		if (!streq(name, flat[kind]))
			return false;
		subject =
			jpath_str(o, kind == DLAB_EV_REFUSED ? "peer" : "name");
		*reason = jpath_str(o, "reason");
	} else {
		if (!streq(jpath_str(o, "event.action"), ecs[kind]) ||
		    (kind == DLAB_EV_REFUSED &&
		     !streq(jpath_str(o, "event.outcome"), "failure")))
			return false;
		subject = jpath_str(o, kind == DLAB_EV_REFUSED ? "source.ip"
							       : "host.name");
		*reason = jpath_str(o, "event.reason");
	}
	return !who || streq(subject, who);
}

struct event_match {
	enum dlab_ev kind;
	const char *who, *reason; /* reason: NULL matches any */
	char *found;		  /* the first match's reason */
	int n;
	bool first_only;
};

static bool event_line(const char *line, void *ctx)
{
	struct event_match *m = ctx;
	const char *why = NULL;
	json_object *o;
	bool hit;

	if (line[0] != '{')
		return false;
	o = json_tokener_parse(line);
	hit = o && event_is(o, m->kind, m->who, &why) &&
	      (!m->reason || streq(why, m->reason));
	if (hit) {
		m->n++;
		if (!m->found)
			m->found = strdup(why ? why : "");
	}
	json_object_put(o);
	return hit && m->first_only;
}

char *dlab_log_event(long offset, enum dlab_ev kind, const char *who,
		     int timeout_ms)
{
	struct event_match m = {.kind = kind, .who = who, .first_only = true};
	long end = dlab_now_ms() + timeout_ms;

	for (;;) {
		if (log_scan(offset, event_line, &m))
			return m.found;
		if (dlab_now_ms() >= end)
			return NULL;
		dlab_sleep_ms(50);
	}
}

int dlab_log_events(long offset, enum dlab_ev kind, const char *who,
		    const char *reason)
{
	struct event_match m = {.kind = kind, .who = who, .reason = reason};

	log_scan(offset, event_line, &m);
	free(m.found);
	return m.n;
}

struct count_ctx {
	const char *text;
	int n;
};

static bool count_line(const char *line, void *ctx)
{
	struct count_ctx *c = ctx;

	if (strstr(line, c->text))
		c->n++;
	return false;
}

int dlab_log_count(long offset, const char *text)
{
	struct count_ctx c = {text, 0};

	log_scan(offset, count_line, &c);
	return c.n;
}

void dlab_log_dump(const char *why)
{
	struct cmd_result r;

	fprintf(stderr, "---- %s: trustpointd log (last 60 lines) ----\n", why);
	cmd_run(&r, 5, "tail -n 60 %s >&2", dl.log);
	cmd_free(&r);
}

bool dlab_file_has(const char *path, const char *text)
{
	struct cmd_result r;
	bool yes = !cmd_run(&r, 5, "grep -qF -- '%s' %s", text, path);

	cmd_free(&r);
	return yes;
}

void dlab_down(void)
{
	struct cmd_result r;

	for (int n = 1; n < DLAB_DEVS; n++)
		dlab_agent_stop(n);
	dlab_daemon_stop();
	if (env.verbose && dl.dir[0]) {
		dlab_log_dump("teardown");
		for (int n = 1; n < DLAB_DEVS; n++)
			if (dl.agent_log[n][0]) {
				fprintf(stderr, "---- agent dev%d ----\n", n);
				cmd_run(&r, 5, "tail -n 20 %s >&2",
					dl.agent_log[n]);
				cmd_free(&r);
			}
	}
	if (dl.lab_up) {
		dlab_tp(&r, dl.gw, "gate detach all");
		cmd_free(&r);
		SYS_NOFAIL("rm -rf %s", dl.pin);
		SYS_NOFAIL("%s/" LAB_SH " down %s", env.src_dir, env.suffix);
		dl.lab_up = false;
	}
	if (dl.dir[0])
		SYS_NOFAIL("rm -rf %s", dl.dir);
	dl.dir[0] = 0;
}
