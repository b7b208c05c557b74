/*
 * dotqmail.h: the .qmail file parser (dot-qmail(5)); pure, fuzzed.
 *
 * Each line is one delivery instruction:
 *   "#..."            comment (also: an empty or all-blank line)
 *   "|command"        program: the rest of the line, run by sh -c
 *   "/path", "./path" mbox file; with a trailing '/', a Maildir
 *   "&address"        forward
 *   anything else     forward to the whole line as an address
 * Trailing spaces and tabs are removed except on program lines.  The last
 * line need not end with LF.  Limits: DOTQMAIL_FILE_MAX bytes,
 * DOTQMAIL_LINE_MAX bytes a line, DOTQMAIL_DELIVERIES_MAX instructions;
 * a NUL byte anywhere is an error.  On error nothing is returned.
 */
#ifndef QNG_DOTQMAIL_H
#define QNG_DOTQMAIL_H

#include <stddef.h>

#define DOTQMAIL_FILE_MAX (1024u * 1024u)
#define DOTQMAIL_LINE_MAX 4096
#define DOTQMAIL_DELIVERIES_MAX 1000

enum dotqmail_kind { DQ_PROGRAM, DQ_FORWARD, DQ_MBOX, DQ_MAILDIR };

struct dotqmail_line {
	enum dotqmail_kind kind;
	char *text;         /* command, address or path (NUL-terminated) */
	size_t lineno;      /* 1-based line number in the file */
};

struct dotqmail {
	struct dotqmail_line *v;
	size_t n;
	size_t cap;
};

enum dotqmail_status {
	DQ_OK = 0,
	DQ_TOO_BIG,         /* file, line or instruction count over a limit */
	DQ_BAD_CHAR,        /* a NUL byte */
	DQ_EMPTY_TARGET,    /* "&" or "|" with nothing after it */
};

enum dotqmail_status dotqmail_parse(const char *data, size_t len, struct dotqmail *out);
/* Classifies one line (no LF); returns 0 for a comment, 1 for an
 * instruction (*kind, and *start and *tlen the target), -1 invalid. */
int dotqmail_parse_line(const char *line, size_t len, enum dotqmail_kind *kind,
                        size_t *start, size_t *tlen);
void dotqmail_free(struct dotqmail *d);
const char *dotqmail_status_str(enum dotqmail_status st);

#endif
