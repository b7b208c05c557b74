/* qmailctl init: create an instance (qmailctl(8), CONTRACT.md). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "exitcode.h"
#include "fdio.h"
#include "inject_maps.h"
#include "inject_svc.h"
#include "sbuf.h"

struct init_opts {
	const char *me;
	struct svc_table svc;
};

struct dir_spec {
	const char *rel;
	mode_t mode;
	enum role owner; /* ROLE_COUNT: root */
	bool group_qmail;
};

/* Queue modes exactly as docs/INTERNALS.md. */
static const struct dir_spec dirs[] = {
    {"etc", 0755, ROLE_COUNT, false},
    {"bin", 0755, ROLE_COUNT, false},
    {"control", 0755, ROLE_COUNT, false},
    {"control/tcprules", 0755, ROLE_COUNT, false},
    {"users", 0755, ROLE_COUNT, false},
    {"alias", 02755, ROLE_ALIAS, true},
    {"alias/Maildir", 0700, ROLE_ALIAS, true},
    {"alias/Maildir/tmp", 0700, ROLE_ALIAS, true},
    {"alias/Maildir/new", 0700, ROLE_ALIAS, true},
    {"alias/Maildir/cur", 0700, ROLE_ALIAS, true},
    {"domains", 0755, ROLE_VMAIL, false},
    {"log", 0750, ROLE_COUNT, true},
    {"run", 0755, ROLE_COUNT, false},
    {"queue", 0750, ROLE_QUEUE, true},
    {"queue/tmp", 0700, ROLE_QUEUE, true},
    {"queue/mess", 0750, ROLE_QUEUE, true},
    {"queue/todo", 0770, ROLE_QUEUE, true},
    {"queue/env", 0770, ROLE_QUEUE, true},
    {"queue/bounce", 0700, ROLE_SEND, true},
    {"queue/lock", 0755, ROLE_SEND, true},
    {"greylist", 0700, ROLE_SMTPD, false},
    {"ratelimit", 0700, ROLE_SMTPD, false},
};

static int write_rel(const char *rel, const char *text, int mode)
{
	char *p = instance_path(rel);
	int rc = file_write_atomic(p, text, strlen(text), mode);
	if (rc < 0)
		ctl_warn("cannot write %s: %s", p, strerror(errno));
	free(p);
	return rc;
}

static char *default_me(void)
{
	char host[256];
	struct addrinfo hints, *res = NULL;
	if (gethostname(host, sizeof host - 1) < 0)
		return xstrdup("localhost");
	host[sizeof host - 1] = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_CANONNAME;
	char *me = NULL;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
	    strchr(res->ai_canonname, '.'))
		me = xstrdup(res->ai_canonname);
	if (res)
		freeaddrinfo(res);
	if (!me)
		me = xstrdup(host);
	for (char *c = me; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return me;
}

static bool host_ok(const char *h)
{
	if (!h[0] || strlen(h) > 255)
		return false;
	for (; *h; h++) {
		if (!isalnum((unsigned char)*h) && !strchr(".-_[]:", *h))
			return false;
	}
	return true;
}

static int run_sys(const char *prog, const char *const *args)
{
	char *argv[16];
	size_t n = 0;
	argv[n++] = (char *)prog;
	while (args[n - 1] && n < 15) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	return inject_maps_run(argv, NULL, -1);
}

static const char *find_prog(const char *name, char *buf, size_t cap)
{
	static const char *const path[] = {"/usr/sbin", "/usr/bin",       "/sbin",
	                                   "/bin",      "/usr/local/bin", NULL};
	for (size_t i = 0; path[i]; i++) {
		snprintf(buf, cap, "%s/%s", path[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

struct sys_user {
	const char *name;
	const char *group; /* NULL: own group */
	const char *home_rel;
};

static const struct sys_user sys_users[] = {
    {"alias", "nofiles", "alias"}, {"qmaild", "nofiles", ""},   {"qmaill", "nofiles", ""},
    {"qmailp", "nofiles", ""},     {"qmailq", "qmail", ""},     {"qmailr", "qmail", ""},
    {"qmails", "qmail", ""},       {"qmailv", NULL, "domains"},
    {"qmailt", NULL, ""},
};

static int ensure_group(const char *name)
{
	char buf[64];
	const char *ga = find_prog("groupadd", buf, sizeof buf);
	const char *args[] = {"--system", name, NULL};
	if (getgrnam(name))
		return 0;
	return ga && run_sys(ga, args) == 0 ? 0 : -1;
}

static int ensure_user(const struct sys_user *u)
{
	char buf[64], nologin[64];
	const char *ua = find_prog("useradd", buf, sizeof buf);
	const char *shell = find_prog("nologin", nologin, sizeof nologin);
	if (getpwnam(u->name))
		return 0;
	char *home = instance_path(u->home_rel);
	if (u->home_rel[0] == '\0')
		home[strlen(home) - 1] = '\0';
	const char *args[] = {"--system",
	                      "--no-create-home",
	                      "--home-dir",
	                      home,
	                      "--shell",
	                      shell ? shell : "/bin/false",
	                      u->group ? "--gid" : "--user-group",
	                      u->group ? u->group : u->name,
	                      u->group ? u->name : NULL,
	                      NULL};
	int rc = ua && run_sys(ua, args) == 0 ? 0 : -1;
	free(home);
	return rc;
}

static int make_accounts(void)
{
	if (ensure_group("qmail") < 0 || ensure_group("nofiles") < 0)
		return ctl_fail(-1, "cannot create the groups qmail and nofiles (groupadd)");
	for (size_t i = 0; i < sizeof sys_users / sizeof sys_users[0]; i++) {
		if (ensure_user(&sys_users[i]) < 0)
			return ctl_fail(-1, "cannot create the system user %s (useradd)",
			                sys_users[i].name);
	}
	return 0;
}

/* qmail-remote's per-host backoff table (qmail-tcpto), written by qmailr. */
static int make_tcpto(void)
{
	char *path = instance_path("queue/lock/tcpto");
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	int rc = fd < 0 ? -1 : 0;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = ctl_chown_role(path, ROLE_REMOTE);
	if (rc < 0)
		ctl_warn("%s: %s", path, strerror(errno));
	free(path);
	return rc;
}

static int make_dirs(void)
{
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (ctl_mkdir(dirs[i].rel, dirs[i].mode, dirs[i].owner, dirs[i].group_qmail) < 0)
			return -1;
	}
	char *fifo = instance_path("queue/lock/trigger");
	int rc = mkfifo(fifo, 0622);
	if (rc == 0)
		rc = chmod(fifo, 0622);
	if (rc == 0)
		rc = ctl_chown_role(fifo, ROLE_SEND);
	if (rc < 0)
		ctl_warn("%s: %s", fifo, strerror(errno));
	free(fifo);
	return rc < 0 ? rc : make_tcpto();
}

static int make_control(const char *me)
{
	struct sbuf line = SBUF_INIT;
	sbuf_printf(&line, "%s\n", me);
	int rc = write_rel("control/me", line.s, 0644);
	rc |= write_rel("control/locals", line.s, 0644);
	rc |= write_rel("control/rcpthosts", line.s, 0644);
	rc |= write_rel("control/concurrencylocal", "10\n", 0644);
	rc |= write_rel("control/concurrencyremote", "20\n", 0644);
	rc |= write_rel("control/defaultdelivery", "./Maildir/\n", 0644);
	rc |= write_rel("control/tcprules/smtp", "127.:allow,RELAYCLIENT=\"\"\n:allow\n", 0644);
	rc |= write_rel("users/assign", ".\n", 0644);
	rc |= write_rel("users/vpasswd", "", 0600);
	rc |=
	    write_rel("alias/aliases", "# newaliases(8) source: \"name: target, target\"\n", 0644);
	static const char *const dotq[] = {"alias/.qmail-postmaster", "alias/.qmail-mailer-daemon",
	                                   "alias/.qmail-root"};
	for (size_t i = 0; i < 3; i++)
		rc |= write_rel(dotq[i], "./Maildir/\n", 0644);
	sbuf_free(&line);
	return rc;
}

static int make_services(const struct svc_table *t)
{
	struct sbuf b = SBUF_INIT;
	inject_svc_format(t, &b);
	int rc = write_rel("etc/services", b.s, 0644);
	sbuf_free(&b);
	return rc;
}

/* control/servercert.pem: key and certificate in one file (qmail TLS patch). */
static void make_cert(const char *me)
{
	char buf[64];
	const char *ssl = find_prog("openssl", buf, sizeof buf);
	if (!ssl) {
		ctl_warn("openssl not found: no control/servercert.pem, TLS is off");
		return;
	}
	char *key = instance_path("control/servercert.key.tmp");
	char *crt = instance_path("control/servercert.crt.tmp");
	char *pem = instance_path("control/servercert.pem");
	struct sbuf subj = SBUF_INIT, all = SBUF_INIT;
	sbuf_printf(&subj, "/CN=%s", me);
	const char *args[] = {"req",   "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
	                      "-subj", subj.s,  "-keyout", key,        "-out",   crt,     NULL};
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int saved_err = dup(2);
	if (fd >= 0)
		(void)dup2(fd, 2);
	char *argv[16] = {(char *)ssl};
	for (size_t i = 0; args[i]; i++)
		argv[i + 1] = (char *)args[i];
	int rc = inject_maps_run(argv, NULL, fd);
	if (saved_err >= 0) {
		(void)dup2(saved_err, 2);
		close(saved_err);
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0 && file_read_all(key, &all, 1u << 20) == 0 &&
	    file_read_all(crt, &all, 1u << 20) == 0 &&
	    file_write_atomic(pem, all.s, all.len, 0600) == 0)
		rc = 0;
	else
		rc = -1;
	if (rc < 0)
		ctl_warn("openssl failed: no control/servercert.pem, TLS is off");
	unlink(key);
	unlink(crt);
	free(key);
	free(crt);
	free(pem);
	sbuf_free(&subj);
	sbuf_free(&all);
}

static int parse_opts(int argc, char **argv, struct init_opts *o, bool root)
{
	inject_svc_defaults(&o->svc, root);
	o->me = NULL;
	for (int i = 0; i < argc; i++) {
		if (i + 1 >= argc)
			return ctl_fail(
			    -1, "usage: qmailctl init [--me HOST] [--listen SERVICE=ADDR:PORT]...");
		if (strcmp(argv[i], "--me") == 0 && host_ok(argv[i + 1]))
			o->me = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0 &&
		         inject_svc_apply_listen(&o->svc, argv[i + 1]) == 0)
			i++;
		else
			return ctl_fail(-1, "bad init argument: %s %s", argv[i], argv[i + 1]);
	}
	return 0;
}

static bool instance_exists(void)
{
	static const char *const marks[] = {"control", "queue", "etc/mode"};
	for (size_t i = 0; i < 3; i++) {
		char *p = instance_path(marks[i]);
		bool there = access(p, F_OK) == 0;
		free(p);
		if (there)
			return true;
	}
	return false;
}

static int compile_all(void)
{
	int rc = 0;
	if (ctl_compile_users() < 0)
		rc = -1, ctl_warn("users/cdb not compiled (qmail-newu)");
	if (ctl_compile_tcprules(false) < 0)
		rc = -1, ctl_warn("control/tcprules not compiled (qmail-tcprules)");
	if (ctl_compile_vpasswd() < 0 || ctl_compile_aliases() < 0)
		rc = -1;
	return rc;
}

int ctl_init(int argc, char **argv)
{
	struct init_opts o;
	bool root = geteuid() == 0;
	if (parse_opts(argc, argv, &o, root) < 0)
		return EXIT_PERM;
	if (instance_exists())
		return ctl_fail(EXIT_PERM, "%s is already an instance; not overwriting",
		                instance_home());
	if (mkdir(instance_home(), 0755) < 0 && errno != EEXIST)
		return ctl_fail(EXIT_TEMP, "cannot create %s: %s", instance_home(),
		                strerror(errno));
	if (root && make_accounts() < 0)
		return EXIT_TEMP;
	char *me = o.me ? xstrdup(o.me) : default_me();
	/* etc/mode first: instance_is_root_mode() caches what it reads. */
	char *etc = instance_path("etc");
	if (mkdir(etc, 0755) < 0 && errno != EEXIST)
		ctl_warn("%s: %s", etc, strerror(errno));
	free(etc);
	if (write_rel("etc/mode", root ? "root\n" : "user\n", 0644) < 0 || make_dirs() < 0 ||
	    make_control(me) < 0 || make_services(&o.svc) < 0)
		return ctl_fail(EXIT_TEMP, "cannot create the instance in %s", instance_home());
	if (ctl_install_bin() < 0)
		ctl_warn("some programs were not copied into bin/");
	make_cert(me);
	int rc = compile_all();
	free(me);
	return rc < 0 ? ctl_fail(EXIT_TEMP, "instance created, but some maps are not compiled") : 0;
}
