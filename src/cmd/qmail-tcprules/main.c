/*
 * qmail-tcprules: compile tcprules(1) source on stdin into a cdb.
 *
 *     qmail-tcprules rules.cdb rules.tmp < rules
 *
 * Exactly like ucspi-tcp's tcprules: the new database is written to
 * rules.tmp and renamed over rules.cdb only when complete.  Exit 0 ok,
 * 100 syntax error or usage, 111 temporary failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "fdio.h"
#include "sbuf.h"
#include "tcprules.h"

#define RULES_SOURCE_MAX (64u * 1024u * 1024u)

static void print_bad_line(const struct sbuf *src, size_t lineno)
{
	const char *p = sbuf_cstr(src);
	const char *end = p + src->len;
	for (size_t i = 1; i < lineno && p < end; i++) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		p = lf ? lf + 1 : end;
	}
	const char *lf = memchr(p, '\n', (size_t)(end - p));
	int n = (int)((lf ? lf : end) - p);
	fprintf(stderr, "qmail-tcprules: fatal: unable to parse this line: %.*s\n",
	        n > 200 ? 200 : n, p);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "qmail-tcprules: usage: qmail-tcprules rules.cdb rules.tmp\n");
		return EXIT_PERM;
	}
	struct sbuf src = SBUF_INIT;
	if (fd_read_all(0, &src, RULES_SOURCE_MAX) < 0) {
		fprintf(stderr, "qmail-tcprules: fatal: unable to read input: %s\n",
		        strerror(errno));
		return EXIT_TEMP;
	}
	struct tcprules_set set = { 0 };
	size_t bad = 0;
	const char *err = "";
	if (tcprules_parse(sbuf_cstr(&src), src.len, &set, &bad, &err) < 0) {
		print_bad_line(&src, bad);
		fprintf(stderr, "qmail-tcprules: line %zu: %s\n", bad, err);
		return EXIT_PERM;
	}
	if (tcprules_compile(&set, argv[1], argv[2]) < 0) {
		fprintf(stderr, "qmail-tcprules: fatal: unable to create %s: %s\n",
		        argv[1], strerror(errno));
		return EXIT_TEMP;
	}
	tcprules_set_free(&set);
	sbuf_free(&src);
	return EXIT_OK_CODE;
}
