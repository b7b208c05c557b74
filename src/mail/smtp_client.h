/*
 * smtp_client.h: one ESMTP client transaction over a connected bio
 * (RFC 5321, 3207 STARTTLS, 4954 AUTH, 2920 PIPELINING, 1870 SIZE,
 * 6152 8BITMIME, 2034 ENHANCEDSTATUSCODES).  No process policy: the caller
 * connects, sets the bio's timeout, and supplies a STARTTLS hook.
 *
 * Sequence: greeting; EHLO (HELO when EHLO is refused); STARTTLS when
 * offered and job->tls is not SMTP_TLS_OFF (bytes that follow the 220 are
 * a protocol violation: abort), then EHLO again; AUTH when the job has
 * credentials (only over TLS unless allow_plain_auth); MAIL (SIZE=,
 * BODY=8BITMIME when offered), RCPT per recipient, DATA, the encoded
 * message (data_encode.h), QUIT.  With PIPELINING, MAIL, RCPTs and DATA
 * go in one write.  A message larger than the peer's SIZE is refused
 * before MAIL (permanent).
 *
 * Outcomes: SMTP_NEXT_HOST means nothing was attempted yet (connection
 * or greeting trouble, TLS required but failed): the caller may try the
 * next address; is_tls_failure then says an opportunistic TLS handshake
 * failed (the caller may retry the host in plaintext).  Otherwise
 * SMTP_OK / SMTP_TEMP / SMTP_PERM for the message, and rcpt_status[i] is
 * 'r' (delivered), 's' (temporary) or 'h' (permanent) for each
 * recipient, with rcpt_text[i].  Every text is sanitised printable ASCII
 * (smtp_reply.h) with "/" between lines.
 */
#ifndef QNG_SMTP_CLIENT_H
#define QNG_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "bio.h"
#include "sbuf.h"

enum smtp_tls_mode { SMTP_TLS_OFF, SMTP_TLS_OPPORTUNISTIC, SMTP_TLS_REQUIRED };
enum smtp_outcome { SMTP_OK, SMTP_TEMP, SMTP_PERM, SMTP_NEXT_HOST };

struct smtp_hooks {
	/* TLS handshake on the bio's fd; on success switch the bio's
	 * transport (bio_set_io) and fill info ("TLSv1.3 cipher"). 0 / -1. */
	int (*starttls)(void *ctx, struct bio *b, struct sbuf *info, struct sbuf *err);
	void *ctx;
};

struct smtp_job {
	const char *helo;
	const char *host_text;      /* "mx.example.com[192.0.2.1]" for texts */
	const char *sender;
	const char *const *rcpts;
	size_t n_rcpt;
	const char *msg;            /* the queued message, LF line endings */
	size_t msg_len;
	bool has_8bit;
	enum smtp_tls_mode tls;
	bool is_tls_active;         /* implicit TLS (SMTPS) already running */
	const char *tls_info;       /* for SMTPS: version and cipher */
	const char *auth_user;      /* NULL: no AUTH */
	const char *auth_pass;
	bool allow_plain_auth;
};

struct smtp_result {
	enum smtp_outcome outcome;
	bool is_tls_failure;
	bool is_stale;              /* a reused session was gone before any reply */
	bool used_tls;
	struct sbuf tls_info;
	struct sbuf text;
	char *rcpt_status;          /* n_rcpt bytes */
	struct sbuf *rcpt_text;     /* n_rcpt buffers */
	size_t n_rcpt;
};

void smtp_result_init(struct smtp_result *r, size_t n_rcpt);
void smtp_result_free(struct smtp_result *r);

/* One session, one transaction, QUIT: open, send and close below. */
void smtp_client_run(struct bio *b, const struct smtp_job *job, const struct smtp_hooks *h,
                     struct smtp_result *res);

/*
 * A session kept for more than one transaction (connection reuse).
 *   open: greeting, EHLO, STARTTLS and AUTH from job's session fields
 *     (helo, host_text, tls, auth_*); NULL when it failed (res says why,
 *     as smtp_client_run would; close the connection).  job and h must
 *     outlive the session; res only this call.
 *   send: one transaction with job's sender, recipients and message (its
 *     session fields are those given to open); res as for smtp_client_run.
 *     On a session that had been idle, a connection found closed before
 *     any reply sets res->is_stale: nothing reached the peer, so the caller
 *     may deliver again on a new connection.
 *   reusable: true when another transaction may follow: connected, no 421,
 *     and after a failed transaction an RSET was accepted.
 *   close: QUIT when connected (a short timeout), frees the session.
 */
struct smtp_sess;
struct smtp_sess *smtp_client_open(struct bio *b, const struct smtp_job *job,
                                   const struct smtp_hooks *h, struct smtp_result *res);
void smtp_client_send(struct smtp_sess *s, const struct smtp_job *job, struct smtp_result *res);
bool smtp_client_reusable(struct smtp_sess *s);
void smtp_client_close(struct smtp_sess *s);

#endif
