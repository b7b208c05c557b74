/*
 * qqerr.h: a queue program's own reply text (the qmail-queue-custom-error
 * convention of simscan, qmail-dkim and friends).
 *
 * A program run as qmail-queue ($QMAILQUEUE, a qmail-qfilter filter) gets
 * the write end of a pipe on fd QQERR_FD.  To refuse with its own text it
 * writes one message there, "D" (permanent) or "Z" (temporary) followed by
 * the text, and exits QQERR_EXIT.  The caller reads at most QQERR_RAW_MAX
 * bytes once the program has exited and parses them with qqerr_parse.
 *
 * qqerr_parse is pure and fails closed: it returns QQERR_NONE (invalid)
 * for an empty message, a first byte other than D/Z, more than
 * QQERR_RAW_MAX - 1 bytes, a CR, LF or NUL anywhere but in one trailing
 * "\n" or "\r\n", or a text that is empty once trimmed.  Otherwise the
 * text is sanitised: a tab becomes a space, any other byte outside
 * printable ASCII becomes '?', runs of spaces at either end are trimmed,
 * and it is cut to QQERR_TEXT_MAX bytes (then trimmed again), so that
 * "554 5.7.1 " + text + CRLF fits in one SMTP reply line (RFC 5321
 * 4.5.3.1.5, 512 octets).
 *
 * qqerr_format_reply makes the SMTP reply (no CRLF): "554 " for D, "451 "
 * for Z, then an RFC 3463 enhanced code, 5.7.1 / 4.7.1 unless the text
 * starts with one ("X.YYY.ZZZ "), whose class digit is then made to agree
 * with the reply (a "D4.7.1 x" answers "554 5.7.1 x").
 */
#ifndef QNG_QQERR_H
#define QNG_QQERR_H

#include <stddef.h>

#include "sbuf.h"

#define QQERR_FD 4
#define QQERR_EXIT 82
#define QQERR_RAW_MAX 1024
#define QQERR_TEXT_MAX 400

enum qqerr_kind { QQERR_NONE, QQERR_PERM, QQERR_TEMP };

struct qqerr {
	enum qqerr_kind kind;
	size_t len;
	char text[QQERR_TEXT_MAX + 1]; /* NUL-terminated, printable ASCII */
};

/* Parses raw[0..len); returns out->kind (QQERR_NONE: invalid). */
enum qqerr_kind qqerr_parse(const char *raw, size_t len, struct qqerr *out);
/* The SMTP reply for a parsed message (kind PERM or TEMP). */
void qqerr_format_reply(const struct qqerr *e, struct sbuf *out);
/* The raw form "D<text>" / "Z<text>" to pass the message on (qmail-qfilter). */
void qqerr_format_raw(const struct qqerr *e, struct sbuf *out);

#endif
