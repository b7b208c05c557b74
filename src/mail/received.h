/*
 * received.h: the Received header field qmail-smtpd adds (RFC 5321 4.4).
 *
 *   Received: from HELO (HOST [IP])
 *           by ME (qmail-ng) with ESMTP id ID;
 *           21 Nov 2026 12:15:00 -0000
 *
 * HELO and HOST are client-supplied: every byte outside printable ASCII,
 * and "(", ")", "[", "]", "\\", ";", is written as '?', and each is cut at
 * RECEIVED_TEXT_MAX bytes, so nothing the client sends can end the field
 * early or add one.  A missing HELO or HOST prints as "unknown".  The
 * result uses LF line endings (the queue's format).
 */
#ifndef QNG_RECEIVED_H
#define QNG_RECEIVED_H

#include <time.h>

#include "sbuf.h"

#define RECEIVED_TEXT_MAX 255

struct received_info {
	const char *helo;
	const char *remote_host; /* TCPREMOTEHOST, may be NULL */
	const char *remote_ip;   /* TCPREMOTEIP, may be NULL */
	const char *me;
	const char *protocol; /* "ESMTP" or "SMTP" */
	const char *id;       /* session id */
	time_t when;
};

/* Appends the whole field, ending in LF, to out. */
void received_format(const struct received_info *ri, struct sbuf *out);

#endif
