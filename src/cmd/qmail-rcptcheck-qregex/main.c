/*
 * qmail-rcptcheck-qregex: an RCPTCHECK program that refuses a sender or a
 * recipient matching a regular expression, as the qregex patch does
 * (qmail-rcptcheck-qregex(8)).
 *
 * control/badmailfromregex is matched against $SENDER (the null sender as
 * the empty string), control/badmailtoregex against $RECIPIENT; one POSIX
 * extended regex a line, case-insensitive, '!' in front negates
 * (regex_list.h).  qregex kept them in badmailfrom and badmailto; ours
 * are literal lists, hence the names.
 *
 * Exit 0: no match; 100: a match (a 553 line on stdout); 111: a list
 * could not be read or holds an invalid pattern (logged with its index;
 * a 451 line): a broken configuration never refuses mail for good;
 * 112: neither SENDER nor RECIPIENT set.
 */
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "regex_list.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum verdict { PASS, MATCH, BROKEN };

static int answer(int code, const char *line)
{
	puts(line);
	return fflush(stdout) == 0 ? code : EXIT_TEMP;
}

static enum verdict broken(const char *file, size_t index, const char *why)
{
	char n[24];
	snprintf(n, sizeof n, "%zu", index);
	log_kv(LOG_LEVEL_ERROR, "config", "file", file, "pattern", index ? n : NULL, "error", why,
	       (char *)NULL);
	return BROKEN;
}

/* Matches addr against the list in control/file (missing: no match). */
static enum verdict check(const char *file, const char *addr, const char *what)
{
	struct strlist lines = {0};
	struct regex_list rl;
	struct sbuf err = SBUF_INIT;
	size_t bad = 0;
	enum verdict v = PASS;
	if (control_read_lines(file, &lines) < 0)
		v = broken(file, 0, strerror(errno));
	else if (regex_list_compile(&lines, &rl, &bad, &err) < 0)
		v = broken(file, bad, sbuf_cstr(&err));
	else {
		size_t hit = regex_list_match(&rl, addr);
		if (hit > 0) {
			char n[24];
			snprintf(n, sizeof n, "%zu", hit);
			log_kv(LOG_LEVEL_INFO, "match", "file", file, "pattern", n, what, addr,
			       (char *)NULL);
			v = MATCH;
		}
		regex_list_free(&rl);
	}
	strlist_free(&lines);
	sbuf_free(&err);
	return v;
}

int main(void)
{
	const char *sender = getenv("SENDER");
	const char *rcpt = getenv("RECIPIENT");
	log_set_ident("qmail-rcptcheck-qregex");
	if (!sender && !rcpt) {
		fputs("usage: SENDER=... RECIPIENT=... qmail-rcptcheck-qregex\n", stderr);
		return EXIT_USAGE;
	}
	enum verdict v = sender ? check("badmailfromregex", sender, "sender") : PASS;
	if (v == MATCH)
		return answer(EXIT_PERM, "553 5.7.1 sorry, your envelope sender has been denied");
	if (v == PASS && rcpt)
		v = check("badmailtoregex", rcpt, "rcpt");
	if (v == MATCH)
		return answer(EXIT_PERM,
		              "553 5.7.1 sorry, your envelope recipient has been denied");
	if (v == BROKEN)
		return answer(EXIT_TEMP, "451 4.3.0 temporary problem with the address checks");
	return EXIT_OK_CODE;
}
