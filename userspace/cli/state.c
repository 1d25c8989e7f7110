// SPDX-License-Identifier: GPL-2.0-only
/*
 * state.c - what tpctl's registry-backed objects open: the configuration,
 * the registry under the state directory, the CA, and the gate for
 * evicting a device's entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli/main.h"
#include "lib/ca.h"
#include "lib/control.h"
#include "lib/config.h"
#include "lib/gate.h"
#include "lib/registry.h"

int mkdir_state(void)
{
	int err;

	if (mkdir(opts.state_dir, 0700) && errno != EEXIST) {
		err = -errno;
		p_err("cannot create %s: %s", opts.state_dir, strerror(errno));
		return err;
	}
	return 0;
}

int open_registry(struct registry **r)
{
	char path[PATH_MAX];
	int err;

	err = mkdir_state();
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/registry.db", opts.state_dir);
	err = reg_open(path, r);
	if (err)
		p_err("cannot open the registry %s: %s", path, strerror(-err));
	return err;
}

const char *ca_dir(void)
{
	static char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/ca", opts.state_dir);
	return dir;
}

int open_ca(struct ca **ca)
{
	char err[CA_ERR_LEN] = "";
	int ret = ca_load(ca_dir(), ca, err);

	if (ret == -ENOENT)
		p_err("no CA in %s: run '%s ca init' or '%s ca import' first",
		      ca_dir(), bin_name, bin_name);
	else if (ret)
		p_err("cannot load the CA: %s", err[0] ? err : strerror(-ret));
	return ret;
}

const char *actor(void)
{
	static char buf[64];
	struct passwd *pw;

	if (!buf[0]) {
		pw = getpwuid(getuid());
		if (pw)
			snprintf(buf, sizeof(buf), "tpctl:%s", pw->pw_name);
		else
			snprintf(buf, sizeof(buf), "tpctl:uid%u", getuid());
	}
	return buf;
}

int read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char *b;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	b = malloc(st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, b + got, st.st_size - got);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			free(b);
			close(fd);
			return err;
		}
		got += n;
	}
	close(fd);
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

int evict_device(long long device_id)
{
	__u64 id = device_id;
	unsigned int removed = 0;
	struct tp_gate *g;
	int err;

	err = gate_open(opts.bpffs, &g);
	if (err == -ENOENT)
		return 0; /* no gate on this host: nothing to evict */
	if (err)
		return err;
	err = gate_identity_flush(g, &id, &removed);
	gate_close(g);
	return err ? err : (int)removed;
}

int daemon_call(struct json_object *req, struct json_object **resp)
{
	struct json_object *v;
	int err;

	*resp = NULL;
	json_object_object_add(req, "actor", json_object_new_string(actor()));
	err = control_call(opts.socket, req, resp, 10000);
	json_object_put(req);
	if (err == -ENOENT || err == -ECONNREFUSED)
		return 1;
	if (err) {
		p_err("trustpointd at %s did not answer: %s", opts.socket,
		      strerror(-err));
		return -1;
	}
	if (json_object_object_get_ex(*resp, "error", &v)) {
		p_err("trustpointd: %s", json_object_get_string(v));
		json_object_put(*resp);
		*resp = NULL;
		return -1;
	}
	return 0;
}

int gate_change(struct json_object *req, struct json_object **resp,
		struct tp_gate **g)
{
	struct json_object *answer;
	int err = daemon_call(req, &answer);

	*g = NULL;
	if (err > 0)
		return open_gate(g) ? -1 : 0;
	if (resp && !err)
		*resp = answer;
	else
		json_object_put(answer);
	return err;
}
