/*
 * pop3_session.h: the TRANSACTION and UPDATE states of a POP3 session
 * (RFC 1939 5 and 6, RFC 2449 CAPA), as qmail-pop3d runs them.
 *
 * The caller has authenticated the user and opened the maildrop (struct
 * pop3_box); pop3_session_run writes the "+OK" that answers the login,
 * then reads one command line at a time from io (at most POP3_LINE_MAX
 * octets with CRLF; longer lines get -ERR and are discarded), answers
 * each, and flushes only when no further input is buffered (PIPELINING,
 * RFC 2449 6.6).  QUIT enters UPDATE: the marked messages are removed
 * (pop3_box_commit) and the session ends.  End of input, a timeout (the
 * bio's, set by the caller) or an I/O error ends the session without
 * removing anything.
 *
 * Results: POP3_SESSION_QUIT after QUIT, POP3_SESSION_DROPPED when the
 * client went away or timed out, POP3_SESSION_ERROR on an I/O error on
 * our side (errno set).  pop3_session_line handles one line (for tests).
 */
#ifndef QNG_POP3_SESSION_H
#define QNG_POP3_SESSION_H

#include <stddef.h>

#include "bio.h"
#include "pop3_maildir.h"

#define POP3_IDLE_TIMEOUT_MS (600u * 1000u) /* RFC 1939 3: at least 10 minutes */

enum pop3_session_result {
	POP3_SESSION_CONTINUE = 0,
	POP3_SESSION_QUIT,
	POP3_SESSION_DROPPED,
	POP3_SESSION_ERROR,
};

struct pop3_session {
	struct pop3_box *box;
	struct bio *io;
	size_t n_retr;
	size_t n_top;
	long n_removed; /* after QUIT */
};

void pop3_session_init(struct pop3_session *s, struct pop3_box *box, struct bio *io);
enum pop3_session_result pop3_session_line(struct pop3_session *s, const char *line, size_t len);
enum pop3_session_result pop3_session_run(struct pop3_session *s);
/* The CAPA list after login (each line CRLF-terminated, ends with "."). */
const char *pop3_session_capa(void);

#endif
