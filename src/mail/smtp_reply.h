/*
 * smtp_reply.h: strict, bounded parser for SMTP replies (RFC 5321 4.2),
 * used by the SMTP client (qmail-remote).
 *
 * A reply is one or more lines "NNN-text" ended by "NNN text" or "NNN"
 * (4.2.1), all with the same code; the first digit is 2..5, the second
 * 0..5.  Feed lines one at a time (without CRLF) to smtp_reply_feed; it
 * answers REPLY_MORE, REPLY_DONE or REPLY_BAD (fail closed: a malformed
 * line, a code change, a line over SMTP_REPLY_LINE_MAX or more than
 * SMTP_REPLY_LINES_MAX lines).
 *
 * Text is sanitised as it is stored: bytes outside 0x20..0x7e become '_',
 * so reply text never carries NUL, CR or LF into a report or a log.  The
 * lines' texts are kept (for EHLO keywords) and joined with " / " in text.
 * An RFC 3463 enhanced status code at the start of the first line is
 * copied into enh (ENHANCEDSTATUSCODES) when its class matches the code.
 */
#ifndef QNG_SMTP_REPLY_H
#define QNG_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"
#include "sbuf.h"

#define SMTP_REPLY_LINE_MAX 4096
#define SMTP_REPLY_LINES_MAX 100
#define SMTP_REPLY_ENH_MAX 16

enum smtp_reply_status { REPLY_MORE, REPLY_DONE, REPLY_BAD };

struct smtp_reply {
	int code;                   /* 200..559; 0 before the first line */
	char enh[SMTP_REPLY_ENH_MAX];   /* "" when none */
	struct strlist lines;       /* sanitised text of each line */
	struct sbuf text;           /* lines joined with " / " */
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_reset(struct smtp_reply *r);
void smtp_reply_free(struct smtp_reply *r);

enum smtp_reply_status smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len);

/* Appends s[0..n) to out with bytes outside 0x20..0x7e turned into '_'. */
void smtp_reply_sanitize(struct sbuf *out, const char *s, size_t n);

/* Leading "c.sss.ddd" (RFC 3463) of s; copies it to out (NUL-terminated)
 * and returns its length, or 0 when there is none. */
size_t smtp_reply_enhanced(const char *s, size_t n, char out[SMTP_REPLY_ENH_MAX]);

/* For EHLO replies: true when a line's first word is kw (case-insensitive);
 * *args then points at the rest of the line (may be ""). */
bool smtp_reply_has_keyword(const struct smtp_reply *r, const char *kw, const char **args);

#endif
