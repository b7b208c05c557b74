/*
 * tcprules.h: tcprules(1) rules (ucspi-tcp format), compiled to a cdb.
 *
 * Source lines (one rule a line; empty lines and lines starting with '#'
 * are ignored; trailing blanks and CR are ignored):
 *     ADDRESS:allow[,VAR="value"|,VAR]...
 *     ADDRESS:deny[...]
 * ADDRESS is an IP address ("1.2.3.4", "::1", "[::1]"), a prefix ending at
 * a component boundary ("1.2.3.", "2001:db8:"), a range in one decimal
 * component ("10.0.0.1-50", "10.0.0-3."), "=host", "=.domain", "=" (any
 * host name) or empty (the default rule).  The separating ':' is the one
 * followed by "allow" or "deny", so IPv6 addresses need no brackets.  In
 * VAR=qvalueq the first character after '=' is the quote, the value runs
 * to its next occurrence (so ',' may appear inside); VAR without '=' means
 * "unset VAR".  Anything else is a syntax error (fail closed).
 *
 * The cdb uses ucspi-tcp's scheme, so files built by Debian's tcprules work
 * too: key = address text (ranges expanded), value = 'A' (allow) or 'D'
 * (deny) followed by "VAR=value\0" / "VAR\0" entries.  The first rule for a
 * key wins.
 *
 * Lookup order (as tcpserver): the full IP, "=host", the IP's prefixes
 * ending in '.' (IPv4) or ':' (IPv6), longest first, "=.domain" suffixes
 * of the host, "=", then "".  No rule matched: allow, no environment.
 */
#ifndef QNG_TCPRULES_H
#define QNG_TCPRULES_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "sbuf.h"

#define TCPRULES_RANGE_MAX 255

struct tcprules_rule {
	struct sbuf address;    /* as written, brackets removed */
	bool is_allow;
	struct strlist env;     /* "VAR=value" or "VAR" (unset) */
};

struct tcprules_set {
	struct tcprules_rule *v;
	size_t n, cap;
};

void tcprules_rule_free(struct tcprules_rule *r);
void tcprules_set_free(struct tcprules_set *s);

/* One line without its LF: 1 rule parsed, 0 blank or comment, -1 syntax
 * error (*err names the problem).  The rule is reset first. */
int tcprules_parse_line(const char *line, size_t len, struct tcprules_rule *out,
                        const char **err);
/* Whole file: 0 ok, -1 syntax error in line *bad_line (1-based). */
int tcprules_parse(const char *data, size_t len, struct tcprules_set *out,
                   size_t *bad_line, const char **err);
/* The cdb keys for one address (a range gives several): 0 ok, -1 EINVAL. */
int tcprules_keys(const char *address, struct strlist *keys);
/* The cdb value of a rule. */
void tcprules_encode(const struct tcprules_rule *r, struct sbuf *out);
/* Writes the cdb atomically via tmp (NULL: "<cdb>.tmp"). 0 / -1 errno. */
int tcprules_compile(const struct tcprules_set *s, const char *cdb, const char *tmp);

struct tcprules_result {
	bool is_allow;
	struct strlist env;     /* as in struct tcprules_rule */
	struct sbuf key;        /* the key that matched ("" default) */
};

void tcprules_result_free(struct tcprules_result *r);
/* Decodes a cdb value: 0 ok, -1 EINVAL (neither 'A' nor 'D', bad entry). */
int tcprules_decode(const char *data, size_t len, struct tcprules_result *out);
/* 1 a rule matched, 0 none (out says allow), -1 error (caller denies).
 * An edited file (renamed over the path) is seen by the next lookup. */
int tcprules_lookup(const char *cdb, const char *ip, const char *host,
                    struct tcprules_result *out);
/* tcprules_lookup keeps the last cdb open while the path names the same
 * file; this closes it (a process about to exec, or a test). */
void tcprules_forget(void);

#endif
