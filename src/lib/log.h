/*
 * log.h: one-line log records on stderr (or the fd set with log_set_fd).
 *
 * Every record is exactly one line written with one write(2) (atomic on a
 * pipe up to PIPE_BUF, so concurrent writers to one log never interleave
 * inside a record), at most LOG_LINE_MAX bytes; longer records are cut and
 * end in "...".  No CR, LF or other control byte ever reaches the log.
 *
 * Two styles:
 *   log_text   qmail-style free text; the caller composes qmail-send's
 *              vocabulary ("new msg 123", "delivery 4: success: ...").
 *              Control bytes (and bytes >= 0x7f) become '_'.
 *   log_kv     "[ident: ]level=info event=NAME k1=v1 k2=v2 ..."; the
 *              argument list is key/value string pairs ended by NULL.  A
 *              value that is empty or holds a space, '"', '\\', '=' or a
 *              byte outside 0x21..0x7e is quoted, with \" \\ \n \r \t and
 *              \xHH escapes.  Keys keep [A-Za-z0-9_.-]; other bytes
 *              become '_'.  A NULL value prints as "-".  Masking
 *              credentials is the caller's job.
 *
 * log_session_id fills a 16-hex-digit random id (getrandom, falling back to
 * time and pid) to key all records of one session.
 */
#ifndef QNG_LOG_H
#define QNG_LOG_H

#include <stddef.h>

#define LOG_LINE_MAX 4000
#define LOG_SESSION_ID_LEN 16

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

/* ident NULL: no prefix.  The string is copied. */
void log_set_ident(const char *ident);
void log_set_fd(int fd);
void log_set_min_level(enum log_level level);   /* log_kv below it: dropped */

void log_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_kv(enum log_level level, const char *event, ...)
	__attribute__((sentinel));

/* Escapes one value as log_kv does (appends to out). */
struct sbuf;
void log_escape_value(struct sbuf *out, const char *v);
void log_session_id(char out[LOG_SESSION_ID_LEN + 1]);

#endif
