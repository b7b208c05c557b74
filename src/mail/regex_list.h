/*
 * regex_list.h: a list of POSIX extended regular expressions matched
 * against an address, as the qregex patch reads control/badmailfrom and
 * control/badmailto (qmail-ng: control/badmailfromregex and
 * control/badmailtoregex, see qmail-rcptcheck-qregex(8)).
 *
 * Each line is one pattern, compiled with REG_EXTENDED | REG_ICASE |
 * REG_NOSUB.  A line starting with '!' is negated: it matches an address
 * that the rest of the line does NOT match.  The lines come from
 * control_read_lines (empty and '#' lines already dropped).
 *
 * regex_list_compile fails closed: at most REGEX_LIST_MAX lines, each at
 * most REGEX_LIST_LINE_MAX bytes (E2BIG otherwise); an empty pattern ("!"
 * alone) or one regcomp refuses is EINVAL.  On failure it returns -1 with
 * errno, *bad_line the 1-based index of the offending line (0 for the
 * count limit), err the reason, and *out empty; nothing is half applied.
 * regex_list_match returns the 1-based index of the first line that
 * matches, 0 if none does.  The list owns its compiled patterns.
 */
#ifndef QNG_REGEX_LIST_H
#define QNG_REGEX_LIST_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "sbuf.h"

#define REGEX_LIST_MAX 1000
#define REGEX_LIST_LINE_MAX 1024

struct regex_entry {
	regex_t re;
	bool is_negated;
};

struct regex_list {
	struct regex_entry *v;
	size_t n;
};

int regex_list_compile(const struct strlist *lines, struct regex_list *out, size_t *bad_line,
                       struct sbuf *err);
size_t regex_list_match(const struct regex_list *l, const char *s);
void regex_list_free(struct regex_list *l);

#endif
