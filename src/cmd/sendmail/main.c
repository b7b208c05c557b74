/*
 * sendmail: the sendmail command-line interface over qmail-inject
 * (sendmail(8)); also mailq (-bp) and newaliases (-bi) by argv[0].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "inject_aliases.h"
#include "instance.h"
#include "sbuf.h"

enum sm_mode { SM_SEND, SM_SMTP, SM_QUEUE_LIST, SM_FLUSH, SM_NEWALIASES };

struct sm_args {
	enum sm_mode mode;
	bool from_headers;
	const char *sender;
	const char *fullname;
	char **rcpts;
	int nrcpts;
};

static void __attribute__((noreturn)) fail(int code, const char *msg)
{
	fprintf(stderr, "sendmail: %s\n", msg);
	exit(code);
}

/* The value of -fX / -f X style options; advances *i for the second form. */
static const char *opt_value(int argc, char **argv, int *i)
{
	if (argv[*i][2])
		return argv[*i] + 2;
	if (*i + 1 >= argc)
		fail(EXIT_PERM, "option requires an argument");
	return argv[++*i];
}

static int parse_b(const char *a, struct sm_args *s)
{
	if (strcmp(a, "-bs") == 0)
		s->mode = SM_SMTP;
	else if (strcmp(a, "-bp") == 0)
		s->mode = SM_QUEUE_LIST;
	else if (strcmp(a, "-bi") == 0)
		s->mode = SM_NEWALIASES;
	else if (strcmp(a, "-bm") != 0)
		return -1;
	return 0;
}

/* Flags Debian packages pass that change nothing here. */
static bool is_ignored(const char *a)
{
	return strcmp(a, "-i") == 0 || strcmp(a, "-v") == 0 || strncmp(a, "-o", 2) == 0 ||
	       strncmp(a, "-O", 2) == 0 || strcmp(a, "-m") == 0 || strcmp(a, "-U") == 0 ||
	       strncmp(a, "-d", 2) == 0 || strncmp(a, "-e", 2) == 0 || strncmp(a, "-R", 2) == 0 ||
	       strncmp(a, "-V", 2) == 0 || strncmp(a, "-X", 2) == 0;
}

static void parse_args(int argc, char **argv, struct sm_args *s)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-t") == 0)
			s->from_headers = true;
		else if (strncmp(a, "-f", 2) == 0 || strncmp(a, "-r", 2) == 0)
			s->sender = opt_value(argc, argv, &i);
		else if (strncmp(a, "-F", 2) == 0)
			s->fullname = opt_value(argc, argv, &i);
		else if (strncmp(a, "-N", 2) == 0 || strncmp(a, "-B", 2) == 0)
			(void)opt_value(argc, argv, &i);
		else if (strncmp(a, "-q", 2) == 0)
			s->mode = SM_FLUSH;
		else if (strcmp(a, "-I") == 0)
			s->mode = SM_NEWALIASES;
		else if (strncmp(a, "-b", 2) == 0 && parse_b(a, s) < 0)
			fail(EXIT_PERM, "unsupported -b mode");
		else if (strncmp(a, "-b", 2) != 0 && !is_ignored(a))
			fail(EXIT_PERM, "unsupported option");
	}
	s->rcpts = argv + i;
	s->nrcpts = argc - i;
}

static void __attribute__((noreturn)) run(const char *prog, char **argv)
{
	struct sbuf rel = SBUF_INIT;
	sbuf_printf(&rel, "bin/%s", prog);
	char *path = instance_path(rel.s);
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "sendmail: cannot run %s: %s\n", path, strerror(errno));
	exit(EXIT_TEMP);
}

static int newaliases(void)
{
	char *src = instance_path("alias/aliases");
	char *cdb = instance_path("alias/aliases.cdb");
	struct sbuf me = SBUF_INIT, err = SBUF_INIT;
	if (control_read_line("me", "localhost", &me) < 0)
		fail(EXIT_TEMP, "unable to read control/me");
	if (inject_aliases_compile(src, cdb, sbuf_cstr(&me), &err) < 0) {
		fprintf(stderr, "newaliases: %s: %s\n", src, sbuf_cstr(&err));
		return EXIT_TEMP;
	}
	return 0;
}

static void __attribute__((noreturn)) inject(const struct sm_args *s)
{
	size_t n = (size_t)s->nrcpts + 8;
	char **v = xcalloc(n, sizeof *v);
	size_t k = 1;
	if (!s->from_headers && s->nrcpts == 0)
		fail(EXIT_PERM, "no recipients given (use -t to read them from the header)");
	v[k++] = s->from_headers ? "-t" : "-a";
	if (s->sender) {
		v[k++] = "-f";
		v[k++] = (char *)s->sender;
	}
	if (s->fullname) {
		v[k++] = "-F";
		v[k++] = (char *)s->fullname;
	}
	v[k++] = "--";
	for (int i = 0; i < s->nrcpts; i++)
		v[k++] = s->rcpts[i];
	v[k] = NULL;
	run("qmail-inject", v);
}

int main(int argc, char **argv)
{
	struct sm_args s = {SM_SEND, false, NULL, NULL, NULL, 0};
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strcmp(base, "mailq") == 0)
		s.mode = SM_QUEUE_LIST;
	else if (strcmp(base, "newaliases") == 0)
		s.mode = SM_NEWALIASES;
	else
		parse_args(argc, argv, &s);
	char *none[] = {NULL, NULL, NULL};
	switch (s.mode) {
	case SM_SMTP:
		if (setenv("RELAYCLIENT", "", 1) < 0 || setenv("TCPREMOTEIP", "127.0.0.1", 1) < 0 ||
		    setenv("PROTO", "SMTP", 1) < 0)
			fail(EXIT_TEMP, "out of memory");
		run("qmail-smtpd", none);
	case SM_QUEUE_LIST:
		run("qmail-qread", none);
	case SM_FLUSH:
		none[1] = "flush";
		run("qmailctl", none);
	case SM_NEWALIASES:
		return newaliases();
	case SM_SEND:
		break;
	}
	inject(&s);
}
