/*
 * qmail-rcptcheck-badrcptto: an RCPTCHECK program that refuses a recipient
 * listed in control/badrcptto or control/morebadrcptto.cdb
 * (qmail-rcptcheck-badrcptto(8)).  The recipient comes from $RECIPIENT,
 * or from the first argument.
 *
 * control/badrcptto is matched by qmail-smtpd's own matcher
 * (smtpd_policy_addr_listed: the address, "@domain", or ".suffix" for any
 * subdomain; case-insensitive).  control/morebadrcptto.cdb, if present, is
 * a cdb whose keys are such entries in lower case (values ignored); it is
 * asked for the lowercased address, "@domain", then ".suffix" for every
 * parent domain, so both files mean the same.
 *
 * Exit 0: not listed; 100: listed (a 553 line on stdout); 111: a control
 * file could not be read (a 451 line); 112: no recipient given.
 */
#include "cdbmap.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "smtpd_policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 found, 0 not (or no such file), -1 error with errno. */
static int cdb_has(const char *path, const char *key, size_t len)
{
	struct sbuf val = SBUF_INIT;
	int r = cdbmap_lookup(path, key, len, &val);
	int e = errno;
	sbuf_free(&val);
	if (r < 0 && e == ENOENT)
		return 0;
	errno = e;
	return r;
}

/* The lowercased address, "@domain", ".suffix" for each parent domain. */
static int cdb_listed(const char *path, const char *addr)
{
	struct sbuf key = SBUF_INIT;
	for (const char *p = addr; *p; p++)
		sbuf_append_char(&key, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
	int r = cdb_has(path, key.s, key.len);
	const char *at = strrchr(key.s, '@');
	if (r == 0 && at && at[1] != '\0')
		r = cdb_has(path, at, key.len - (size_t)(at - key.s));
	for (const char *d = at ? at + 2 : NULL; r == 0 && d && *d; d++) {
		if (*d == '.')
			r = cdb_has(path, d, key.len - (size_t)(d - key.s));
	}
	sbuf_free(&key);
	return r;
}

static int answer(int code, const char *line)
{
	puts(line);
	return fflush(stdout) == 0 ? code : EXIT_TEMP;
}

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : getenv("RECIPIENT");
	log_set_ident("qmail-rcptcheck-badrcptto");
	if (!addr || !*addr || strchr(addr, '\n') || strchr(addr, '\r')) {
		fputs("usage: qmail-rcptcheck-badrcptto [ADDRESS] (or $RECIPIENT)\n", stderr);
		return EXIT_USAGE;
	}
	struct strlist bad = {0};
	if (control_read_lines("badrcptto", &bad) < 0) {
		log_kv(LOG_LEVEL_ERROR, "config", "file", "badrcptto", "error", strerror(errno),
		       (char *)NULL);
		return answer(EXIT_TEMP, "451 4.3.0 unable to read control/badrcptto");
	}
	int r = smtpd_policy_addr_listed(&bad, addr) ? 1 : 0;
	strlist_free(&bad);
	struct sbuf path = SBUF_INIT;
	sbuf_printf(&path, "%s/morebadrcptto.cdb", control_dir());
	if (r == 0)
		r = cdb_listed(path.s, addr);
	if (r < 0)
		log_kv(LOG_LEVEL_ERROR, "config", "file", path.s, "error", strerror(errno),
		       (char *)NULL);
	sbuf_free(&path);
	if (r < 0)
		return answer(EXIT_TEMP, "451 4.3.0 unable to read control/morebadrcptto.cdb");
	if (r > 0)
		return answer(EXIT_PERM,
		              "553 5.7.1 sorry, your envelope recipient is in my badrcptto list");
	return EXIT_OK_CODE;
}
