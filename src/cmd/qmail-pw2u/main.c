/*
 * qmail-pw2u: passwd lines on stdin, users/assign lines on stdout
 * (qmail-pw2u(8) basics).  For each account with uid != 0 and a lower-case
 * name: "=name:name:uid:gid:home:::" and "+name-:name:uid:gid:home:-::";
 * then ".".  Malformed lines are skipped with a warning.
 */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "scan.h"

#define PW2U_LINE_MAX 4096

static int convert(char *line, size_t lineno)
{
	char *f[7];
	size_t n = 0;
	char *rest = line;
	while (n < 7 && (f[n] = strsep(&rest, ":")) != NULL)
		n++;
	uint64_t uid, gid;
	if (n < 7 || !scan_u64_str(f[2], 4294967294u, &uid)
	    || !scan_u64_str(f[3], 4294967294u, &gid) || f[5][0] != '/' || !f[0][0]) {
		fprintf(stderr, "qmail-pw2u: warning: skipping malformed line %zu\n", lineno);
		return 0;
	}
	for (const char *c = f[0]; *c; c++)
		if ((*c >= 'A' && *c <= 'Z') || *c == ':')
			return 0;
	if (uid == 0 || strchr(f[5], ':'))
		return 0;
	return printf("=%s:%s:%s:%s:%s:::\n+%s-:%s:%s:%s:%s:-::\n", f[0], f[0], f[2], f[3],
	              f[5], f[0], f[0], f[2], f[3], f[5]) < 0 ? -1 : 0;
}

int main(void)
{
	char line[PW2U_LINE_MAX + 2];
	size_t lineno = 0;
	while (fgets(line, sizeof line, stdin)) {
		lineno++;
		size_t len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(stdin)) {
			fprintf(stderr, "qmail-pw2u: fatal: line %zu too long\n", lineno);
			return EXIT_TEMP;
		}
		if (len > 0 && convert(line, lineno) != 0)
			return EXIT_TEMP;
	}
	if (ferror(stdin) || puts(".") < 0 || fflush(stdout) != 0)
		return EXIT_TEMP;
	return 0;
}
