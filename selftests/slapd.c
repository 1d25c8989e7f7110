// SPDX-License-Identifier: GPL-2.0-only
/*
 * slapd.c - start and stop a throwaway slapd for the LDAP import tests.
 * The data is loaded offline with slapadd before slapd starts, so the
 * server holds it from its first answer; slapd runs in the foreground
 * (-d 0) as our child, dies with us (PR_SET_PDEATHSIG), and listens on
 * loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "netns.h"
#include "slapd.h"
#include "test_progs.h"

#define SLAPD_BIN "/usr/sbin/slapd"
#define SLAPADD_BIN "/usr/sbin/slapadd"
#define SLAPD_SCHEMA "/etc/ldap/schema"
#define SLAPD_MODULES "/usr/lib/ldap"
#define SLAPD_START_TRIES 5
#define SLAPD_READY_MS 10000

const struct slapd_user slapd_users[] = {
	{"alice", "Alice Liddell", "alice@example.org"},
	{"bob", "Robert \"Bob\" O'Brien; Jr., \\esq", "bob@example.org"},
	{"zoe", "Zoë \"Zed\" Ångström – 日本語 'q'", "zoe@example.org"},
	{"carol", "Carol", NULL},
	{NULL, "Printer Service", "printer@example.org"},
};
const size_t slapd_nusers = sizeof(slapd_users) / sizeof(slapd_users[0]);

static void b64(FILE *f, const char *s)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i;
	unsigned int v;

	for (i = 0; i + 2 < n; i += 3) {
		v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		fprintf(f, "%c%c%c%c", tbl[v >> 18], tbl[(v >> 12) & 63],
			tbl[(v >> 6) & 63], tbl[v & 63]);
	}
	if (n - i == 1) {
		v = p[i] << 16;
		fprintf(f, "%c%c==", tbl[v >> 18], tbl[(v >> 12) & 63]);
	} else if (n - i == 2) {
		v = p[i] << 16 | p[i + 1] << 8;
		fprintf(f, "%c%c%c=", tbl[v >> 18], tbl[(v >> 12) & 63],
			tbl[(v >> 6) & 63]);
	}
}

static int write_file(const char *dir, const char *name, const char *text,
		      mode_t mode)
{
	char path[256];
	int fd, n = strlen(text);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != n) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

static int write_conf(struct slapd *s)
{
	char conf[2048];

	snprintf(
		conf, sizeof(conf),
		"include %1$s/core.schema\n"
		"include %1$s/cosine.schema\n"
		"include %1$s/inetorgperson.schema\n"
		"pidfile %2$s/slapd.pid\n"
		"argsfile %2$s/slapd.args\n"
		"modulepath %3$s\n"
		"moduleload back_mdb\n"
		"database mdb\n"
		"suffix \"" SLAPD_BASE "\"\n"
		"rootdn \"" SLAPD_ADMIN_DN "\"\n"
		"rootpw \"" SLAPD_ADMIN_PW "\"\n"
		"directory %2$s/db\n"
		"maxsize 16777216\n"
		/* paging gets anonymous past 500; users stop at 100 */
		"limits anonymous size.soft=500 size.hard=500"
		" size.prtotal=unlimited\n"
		"limits users size.soft=%4$d size.hard=%4$d size.prtotal=%4$d\n"
		"access to attrs=userPassword by anonymous auth by * none\n"
		"access to * by * read\n",
		SLAPD_SCHEMA, s->dir, SLAPD_MODULES, SLAPD_USER_LIMIT);
	return write_file(s->dir, "slapd.conf", conf, 0600);
}

static int write_data(struct slapd *s)
{
	char path[256];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data.ldif", s->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "dn: " SLAPD_BASE "\nobjectClass: dcObject\n"
		   "objectClass: organization\ndc: example\no: Example\n\n"
		   "dn: " SLAPD_PEOPLE "\nobjectClass: organizationalUnit\n"
		   "ou: people\n\n");
	for (i = 0; i < slapd_nusers; i++) {
		const struct slapd_user *u = &slapd_users[i];

		/* base64 for every cn: LDIF plain values are ASCII only */
		if (u->uid)
			fprintf(f, "dn: uid=%s," SLAPD_PEOPLE "\nuid: %s\n",
				u->uid, u->uid);
		else
			fprintf(f, "dn: cn=%s," SLAPD_PEOPLE "\n", u->cn);
		fprintf(f, "objectClass: inetOrgPerson\ncn:: ");
		b64(f, u->cn);
		fprintf(f, "\nsn: %s\n", u->uid ? u->uid : "service");
		if (u->mail)
			fprintf(f, "mail: %s\n", u->mail);
		if (u->uid && !strcmp(u->uid, "alice"))
			fprintf(f, "userPassword: " SLAPD_ALICE_PW "\n");
		fprintf(f, "\n");
	}
	fprintf(f, "dn: " SLAPD_BULK_BASE "\nobjectClass: organizationalUnit\n"
		   "ou: bulk\n\n");
	for (i = 1; i <= SLAPD_BULK_USERS; i++)
		fprintf(f,
			"dn: uid=bulk-%04zu," SLAPD_BULK_BASE "\n"
			"objectClass: inetOrgPerson\nuid: bulk-%04zu\n"
			"cn: Bulk %04zu\nsn: bulk\n\n",
			i, i, i);
	return fclose(f) ? -errno : 0;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return ok;
}

static void print_log(struct slapd *s)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/slapd.log", s->dir);
	test__sys("sed 's/^/    slapd: /' '%s' >&2", path);
}

/* Fork slapd on s->port; 0 once it answers, -EADDRINUSE to try again. */
static int spawn(struct slapd *s)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	char conf[256], log[256], url[64];
	struct cmd_result r;
	int i, st, fd, ret;

	snprintf(conf, sizeof(conf), "%s/slapd.conf", s->dir);
	snprintf(log, sizeof(log), "%s/slapd.log", s->dir);
	snprintf(url, sizeof(url), "ldap://127.0.0.1:%d/", s->port);
	s->pid = fork();
	if (s->pid < 0) {
		s->pid = 0;
		return -errno;
	}
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(SLAPD_BIN, "slapd", "-f", conf, "-h", url, "-d", "0",
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < SLAPD_READY_MS / 50; i++) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			ret = test__sys("grep -q 'Address already in use' '%s'",
					log);
			return ret ? -EIO : -EADDRINUSE;
		}
		if (port_open(s->port))
			break;
		nanosleep(&ts, NULL);
	}
	if (i == SLAPD_READY_MS / 50)
		return -ETIMEDOUT;
	/* listening is not serving yet: wait for a real answer */
	ret = cmd_run(&r, 10,
		      "ldapsearch -x -LLL -H '%s' -b '" SLAPD_BASE
		      "' -s base dn",
		      s->uri);
	cmd_free(&r);
	return ret ? -EIO : 0;
}

int slapd_start(struct slapd *s)
{
	char tmpl[128], pw[64];
	struct cmd_result r;
	int ret, tries;

	memset(s, 0, sizeof(*s));
	if (access(SLAPD_BIN, X_OK) || access(SLAPADD_BIN, X_OK))
		return -ENOENT;
	snprintf(tmpl, sizeof(tmpl), "/tmp/tp-slapd-%s-XXXXXX", env.suffix);
	if (!mkdtemp(tmpl))
		return -errno;
	snprintf(s->dir, sizeof(s->dir), "%s", tmpl);
	snprintf(s->pw_file, sizeof(s->pw_file), "%s/admin.pw", s->dir);
	snprintf(pw, sizeof(pw), "%s\n", SLAPD_ADMIN_PW);
	/* ldapmodify -y takes the whole file, so it gets one without \n */
	ret = write_conf(s) ?: write_data(s) ?:
	      write_file(s->dir, "admin.pw", pw, 0600) ?:
	      write_file(s->dir, "admin.pw.raw", SLAPD_ADMIN_PW, 0600) ?:
	      test__sys("mkdir -m 0700 '%s/db'", s->dir);
	if (ret)
		goto fail;
	ret = cmd_run(&r, 30,
		      SLAPADD_BIN " -q -f '%s/slapd.conf' -l '%s/data.ldif'",
		      s->dir, s->dir);
	if (ret)
		fprintf(stderr, "    slapadd: %s%s", r.out, r.err);
	cmd_free(&r);
	if (ret) {
		ret = -EIO;
		goto fail;
	}
	for (tries = 0; tries < SLAPD_START_TRIES; tries++) {
		s->port = loopback_port(NULL);
		if (s->port < 0) {
			ret = -EADDRNOTAVAIL;
			goto fail;
		}
		snprintf(s->uri, sizeof(s->uri), "ldap://127.0.0.1:%d",
			 s->port);
		ret = spawn(s);
		if (ret != -EADDRINUSE)
			break;
	}
	if (!ret)
		return 0;
fail:
	fprintf(stderr, "slapd_start: %s\n", strerror(-ret));
	print_log(s);
	slapd_stop(s);
	return ret;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

void slapd_stop(struct slapd *s)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int i;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (i = 0; i < 250; i++) {
			if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
				break;
			nanosleep(&ts, NULL);
		}
		if (i == 250) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		s->pid = 0;
	}
	if (s->dir[0])
		nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = '\0';
}

int slapd_modify(struct slapd *s, const char *ldif)
{
	struct cmd_result r;
	int ret;

	if (write_file(s->dir, "modify.ldif", ldif, 0600))
		return -1;
	ret = cmd_run(&r, 30,
		      "ldapmodify -x -H '%s' -D '" SLAPD_ADMIN_DN
		      "' -y '%s/admin.pw.raw' -f '%s/modify.ldif'",
		      s->uri, s->dir, s->dir);
	if (ret)
		fprintf(stderr, "    ldapmodify: %s%s", r.out, r.err);
	cmd_free(&r);
	return ret ? -1 : 0;
}
