/* qmailctl doctor: one line per configuration problem; exit 1 if any. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "exitcode.h"
#include "inject_maps.h"
#include "inject_svc.h"
#include "sbuf.h"

struct doctor {
	int problems;
};

static void problem(struct doctor *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct doctor *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	d->problems++;
}

static bool exists(const char *rel)
{
	char *p = instance_path(rel);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static void check_control(struct doctor *d)
{
	if (!exists("control/me"))
		problem(d, "control/me: missing (qmail-send and qmail-smtpd need a host name)");
	if (!exists("control/rcpthosts"))
		problem(d, "control/rcpthosts: missing; all mail from non-relay clients is "
		           "refused (fail closed, POLICY D-04)");
	if (!exists("control/locals"))
		problem(d, "control/locals: missing; only control/me is local");
	char *cert = instance_path("control/servercert.pem");
	int fd = open(cert, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		problem(d, "control/servercert.pem: %s; STARTTLS and AUTH are unavailable",
		        strerror(errno));
	else
		close(fd);
	free(cert);
}

static void check_map(struct doctor *d, const char *src, const char *cdb)
{
	char *s = instance_path(src), *c = instance_path(cdb);
	if (access(s, F_OK) == 0 && access(c, F_OK) != 0)
		problem(d, "%s: not compiled (qmailctl cdb)", cdb);
	else if (inject_maps_stale(s, c))
		problem(d, "%s: older than %s (qmailctl cdb)", cdb, src);
	free(s);
	free(c);
}

static void check_maps(struct doctor *d)
{
	check_map(d, "users/assign", "users/cdb");
	check_map(d, "users/vpasswd", "users/vpasswd.cdb");
	check_map(d, "alias/aliases", "alias/aliases.cdb");
	check_map(d, "control/tcprules/smtp", "control/tcprules/smtp.cdb");
}

struct owner_spec {
	const char *rel;
	enum role owner; /* ROLE_COUNT: root */
	mode_t mode;
};

static const struct owner_spec owners[] = {
    {"queue", ROLE_QUEUE, 0750},
    {"queue/tmp", ROLE_QUEUE, 0700},
    {"queue/mess", ROLE_QUEUE, 0750},
    {"queue/todo", ROLE_QUEUE, 0770},
    {"queue/env", ROLE_QUEUE, 0770},
    {"queue/bounce", ROLE_SEND, 0700},
    {"queue/lock/trigger", ROLE_SEND, 0622},
    {"users/vpasswd", ROLE_COUNT, 0600},
    {"users/vpasswd.cdb", ROLE_TLS, 0600},
    {"users/scramkey", ROLE_TLS, 0600},
    {"control", ROLE_COUNT, 0755},
    {"domains", ROLE_VMAIL, 0755},
    {"greylist", ROLE_SMTPD, 0700},
    {"ratelimit", ROLE_SMTPD, 0700},
};

static void check_owners(struct doctor *d)
{
	for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
		struct stat st;
		struct role_id id = {0, 0, "root"};
		char *p = instance_path(owners[i].rel);
		if (owners[i].owner != ROLE_COUNT && instance_role(owners[i].owner, &id) < 0)
			problem(d, "user %s: missing", instance_role_name(owners[i].owner));
		else if (stat(p, &st) < 0)
			problem(d, "%s: %s", owners[i].rel, strerror(errno));
		else if (instance_is_root_mode() && st.st_uid != id.uid)
			problem(d, "%s: owner uid %lu, expected %s", owners[i].rel,
			        (unsigned long)st.st_uid, id.name);
		else if ((st.st_mode & 07777) != owners[i].mode)
			problem(d, "%s: mode %04o, expected %04o", owners[i].rel,
			        (unsigned)(st.st_mode & 07777), (unsigned)owners[i].mode);
		free(p);
	}
}

static void check_programs(struct doctor *d)
{
	static const char *const progs[] = {"qmail-super",    "qmail-start", "qmail-listen",
	                                    "qmail-smtpd",    "qmail-queue", "qmail-newu",
	                                    "qmail-tcprules", NULL};
	struct svc_table t;
	char *svc = instance_path("etc/services");
	if (inject_svc_load(svc, &t) < 0)
		problem(d, "etc/services: %s", strerror(errno));
	free(svc);
	for (size_t i = 0; progs[i]; i++) {
		struct sbuf rel = SBUF_INIT;
		sbuf_printf(&rel, "bin/%s", progs[i]);
		char *p = instance_path(rel.s);
		if (access(p, X_OK) != 0)
			problem(d, "%s: missing (qmailctl bin)", rel.s);
		free(p);
		sbuf_free(&rel);
	}
}

int ctl_doctor(int argc, char **argv)
{
	(void)argv;
	struct doctor d = {0};
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl doctor");
	if (!exists("etc/mode"))
		problem(&d, "%s: not an instance (qmailctl init)", instance_home());
	check_control(&d);
	check_maps(&d);
	check_owners(&d);
	check_programs(&d);
	return d.problems ? 1 : 0;
}
