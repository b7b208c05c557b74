/*
 * dsn.h: builds qmail-send's bounce message, an RFC 3464 delivery status
 * notification (multipart/report; report-type=delivery-status).
 *
 * Part 1 (text/plain) keeps qmail's wording ("Hi. This is the qmail-send
 * program at ME. ..."), part 2 (message/delivery-status) has Reporting-MTA,
 * Arrival-Date and per recipient Final-Recipient, Action: failed, Status
 * and, when the text holds an SMTP reply, Diagnostic-Code (RFC 3464 2.3).
 * Part 3 is the original message (message/rfc822) when it is at most
 * DSN_ORIG_MAX bytes, else its header section (text/rfc822-headers), cut
 * at DSN_ORIG_MAX.  The output uses LF line endings, as the queue does.
 * Pure: no I/O, no clock.
 */
#ifndef QNG_DSN_H
#define QNG_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define DSN_ORIG_MAX (100u * 1024u)
#define DSN_STATUS_MAX 16

struct dsn_rcpt {
	const char *addr;
	const char *text;   /* the failure text from the delivery report */
};

struct dsn_msg {
	const char *me;             /* Reporting-MTA, greeting */
	const char *from;           /* From:, e.g. "MAILER-DAEMON@example.com" */
	const char *to;             /* who receives the bounce */
	const char *unique;         /* makes boundary and Message-ID unique */
	int64_t arrival;            /* birth of the failed message */
	int64_t now;
	bool is_double;             /* the failed message was itself a bounce */
	const struct dsn_rcpt *rcpt;
	size_t n_rcpt;
	const char *orig;           /* the failed message, LF line endings */
	size_t orig_len;
};

void dsn_build(const struct dsn_msg *m, struct sbuf *out);

/* The enhanced status code in text (RFC 3463 "c.sss.ddd", class forced to
 * 5), or "5.0.0" when there is none.  out holds DSN_STATUS_MAX bytes. */
void dsn_status(const char *text, char out[DSN_STATUS_MAX]);

/* Start of an SMTP reply ("550 ..." or "550-...") in text, or NULL. */
const char *dsn_smtp_reply(const char *text);

#endif
