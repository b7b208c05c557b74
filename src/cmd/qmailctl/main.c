/*
 * qmailctl: create and control a qmail-ng instance (qmailctl(8)).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "exitcode.h"
#include "instance.h"
#include "sbuf.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct verb verbs[] = {
    {"init", ctl_init},     {"start", ctl_start},   {"stop", ctl_stop},   {"restart", ctl_restart},
    {"stat", ctl_stat},     {"reload", ctl_reload}, {"hup", ctl_reload},  {"flush", ctl_flush},
    {"alrm", ctl_flush},    {"queue", ctl_queue},   {"cdb", ctl_cdb},     {"doctor", ctl_doctor},
    {"domain", ctl_domain}, {"user", ctl_user},     {"alias", ctl_alias}, {"bin", ctl_bin},
};

/* -d DIR made absolute: qmail-super and the helpers change directory. */
static void set_home(const char *dir)
{
	char cwd[4096];
	if (dir[0] == '/' || !getcwd(cwd, sizeof cwd)) {
		instance_set_home(dir);
		return;
	}
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "%s/%s", cwd, dir);
	instance_set_home(b.s);
	sbuf_free(&b);
}

static int usage(void)
{
	fputs("usage: qmailctl [-d DIR] init|start|stop|restart|stat|reload|flush|"
	      "queue|cdb|doctor|bin|domain|user|alias ...\n",
	      stderr);
	return EXIT_PERM;
}

int main(int argc, char **argv)
{
	int i = 1;
	umask(022);
	signal(SIGPIPE, SIG_IGN);
	if (i + 1 < argc && strcmp(argv[i], "-d") == 0) {
		set_home(argv[i + 1]);
		i += 2;
	}
	if (i >= argc)
		return usage();
	if (setenv("QMAILHOME", instance_home(), 1) < 0)
		return ctl_fail(EXIT_TEMP, "cannot set QMAILHOME");
	for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++) {
		if (strcmp(argv[i], verbs[k].name) == 0)
			return verbs[k].fn(argc - i - 1, argv + i + 1);
	}
	return usage();
}
