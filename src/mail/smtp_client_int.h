/*
 * smtp_client_int.h: the state shared by smtp_client.c (connection,
 * greeting, EHLO, STARTTLS), smtp_auth.c (AUTH) and smtp_txn.c (MAIL,
 * RCPT, DATA, QUIT).  Private to those three files and their tests.
 */
#ifndef QNG_SMTP_CLIENT_INT_H
#define QNG_SMTP_CLIENT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "smtp_client.h"
#include "smtp_reply.h"

struct smtp_sess {
	struct bio *b;
	const struct smtp_job *job;
	const struct smtp_hooks *h;
	struct smtp_result *res;
	struct smtp_reply rep;
	struct sbuf line;
	struct sbuf auth_mechs;     /* the EHLO AUTH keyword's arguments */
	struct sbuf tls_info;       /* the session's TLS version and cipher */
	bool is_esmtp, is_tls, is_write_failed, is_dead;
	bool has_replied;           /* this transaction read a reply */
	bool needs_rset;            /* the last transaction failed */
	unsigned n_txn;             /* transactions started */
	bool has_pipelining, has_8bitmime, has_starttls, has_size;
	uint64_t size_max, size;
};

void smtp_client_fail(struct smtp_sess *s, enum smtp_outcome o, const char *what,
                      bool has_reply);
int smtp_client_reply(struct smtp_sess *s, enum smtp_outcome o);
void smtp_client_put(struct smtp_sess *s, const char *cmd);
bool smtp_client_flush(struct smtp_sess *s, enum smtp_outcome o);
int smtp_client_cmd(struct smtp_sess *s, const char *cmd, enum smtp_outcome o);

/* false when the session is over (outcome set). */
bool smtp_auth_run(struct smtp_sess *s);
void smtp_txn_run(struct smtp_sess *s);
/* Per-recipient results from the outcome. */
void smtp_txn_finish(struct smtp_sess *s);

#endif
