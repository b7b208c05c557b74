/*
 * smtpd_session.h: one qmail-smtpd session (RFC 5321, RFC 1870 SIZE,
 * RFC 2920 PIPELINING, RFC 6152 8BITMIME, RFC 2034 enhanced codes).
 *
 * The session reads commands from rfd and writes replies to wfd through a
 * struct bio (deadlines: timeoutsmtpd per command, D-20; a minimum rate in
 * DATA).  Replies are buffered and flushed whenever the session is about
 * to wait for input, so pipelined commands get their replies in one write.
 * Verbs are a table (verb, handler, allowed states, reply when not
 * allowed) in smtpd_session.c; EHLO keywords are a table too.  DATA is in
 * smtpd_data.c.  Every reply carries an enhanced status code except the
 * 220 greeting, the HELO/EHLO replies and 354 (RFC 2034 3).
 *
 * Hooks (SPF, DNSBL, RCPTCHECK, plugins): a list of functions called at
 * connect, HELO, MAIL, RCPT and DATA; each returns accept, reject or defer
 * and may put its own reply line (no CRLF) into *reply.  The first
 * non-accept verdict wins.  A reject/defer at connect answers every later
 * command with that reply (except QUIT), as qmail's rblsmtpd did.
 *
 * D-13 (early talkers, input after DATA) applies when the input is a
 * socket; "sendmail -bs" feeds a pipe and may write its whole script at
 * once, as it could with qmail.
 *
 * TLS and AUTH (smtpd_tls.c, smtpd_auth.c; docs/INTERNALS.md "TLS and
 * AUTH"): qmail-listen's TLS proxy holds the keys; this process talks to
 * it over the control channel TLSCTLFD (tlsctl.h).  STARTTLS hands the
 * client socket to the proxy and continues on a plaintext socketpair; on
 * implicit-TLS ports the session starts after the proxy's handshake.
 * AUTH PLAIN/LOGIN (and CRAM-MD5 where SMTPAUTH="+cram") only under TLS
 * (D-10); passwords are checked by the proxy (D-11).  SUBMISSION
 * (environment) requires AUTH before MAIL.
 */
#ifndef QNG_SMTPD_SESSION_H
#define QNG_SMTPD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "bio.h"
#include "control.h"
#include "log.h"
#include "sbuf.h"
#include "smtpd_config.h"
#include "tlsctl.h"

enum smtpd_state {
	SMTPD_START = 1 << 0, /* no HELO/EHLO yet */
	SMTPD_READY = 1 << 1, /* greeted, no transaction */
	SMTPD_MAIL = 1 << 2,  /* MAIL accepted */
	SMTPD_RCPT = 1 << 3,  /* at least one RCPT accepted */
};

enum smtpd_hook_point {
	SMTPD_HOOK_CONNECT,
	SMTPD_HOOK_HELO,
	SMTPD_HOOK_MAIL,
	SMTPD_HOOK_RCPT,
	SMTPD_HOOK_DATA,
	SMTPD_HOOK_AUTH, /* after a successful password check, before 235 */
};

enum smtpd_verdict { SMTPD_ACCEPT, SMTPD_REJECT, SMTPD_DEFER };

struct smtpd_session;
struct smtpd_policy;

struct smtpd_hook {
	enum smtpd_hook_point point;
	/* arg: the HELO name, sender, recipient, or the user at AUTH; "" at
	 * connect and DATA. */
	enum smtpd_verdict (*fn)(struct smtpd_session *s, const char *arg, struct sbuf *reply);
};

struct smtpd_session {
	struct smtpd_config *cfg;
	struct bio bio;
	enum smtpd_state state;
	char id[LOG_SESSION_ID_LEN + 1];
	struct sbuf line;
	struct sbuf helo;
	bool is_esmtp;
	struct sbuf sender;
	struct strlist rcpts;
	const struct smtpd_hook *hooks;
	size_t n_hooks;
	struct sbuf connect_reply; /* set when a connect hook refused */
	bool want_close;
	unsigned greet_wait_ms; /* D-13: wait for early talkers */
	bool want_sync_check;   /* D-13 applies: input is a socket */
	uint64_t n_messages;
	/* TLS and AUTH */
	int tls_ctl;               /* TLSCTLFD, -1: no TLS proxy */
	bool is_tls;
	struct tlsctl_info tls;
	struct sbuf auth_user;     /* empty: not authenticated */
	unsigned n_auth_failures;
	bool is_submission;
	bool want_sender_check;    /* control/submission_sender_check */
	bool want_cram;            /* SMTPAUTH "+cram": offer AUTH CRAM-MD5 */
	bool want_scram;           /* SMTPAUTH "+scram": offer AUTH SCRAM-SHA-256 */
	/* Anti-abuse (smtpd_policy.h): its state, and header fields a hook
	 * adds to the current message (LF-terminated lines, e.g. Received-SPF),
	 * written above our Received field; cleared with the transaction. */
	struct smtpd_policy *policy;
	struct sbuf add_headers;
};

/* The caller keeps cfg alive; hooks may be NULL. */
void smtpd_session_init(struct smtpd_session *s, struct smtpd_config *cfg, int rfd, int wfd);
void smtpd_session_set_hooks(struct smtpd_session *s, const struct smtpd_hook *hooks, size_t n);
void smtpd_session_free(struct smtpd_session *s);
/* Runs the session to its end; returns an exit code (exitcode.h). */
int smtpd_session_run(struct smtpd_session *s);

/* Used by the session's modules. */
void smtpd_reply(struct smtpd_session *s, const char *line);
void smtpd_reset_transaction(struct smtpd_session *s);
enum smtpd_verdict smtpd_run_hooks(struct smtpd_session *s, enum smtpd_hook_point pt,
                                   const char *arg, struct sbuf *reply);
/* TLS (smtpd_tls.c). */
void smtpd_tls_init(struct smtpd_session *s);
bool smtpd_tls_implicit_wait(struct smtpd_session *s); /* false: close */
void smtpd_tls_starttls(struct smtpd_session *s, const char *arg, size_t len);
/* Password check through the proxy: one of TLSCTL_AUTH_*.  third: the
 * checkpassword timestamp field (a CRAM-MD5 challenge), NULL for a stamp. */
char smtpd_tls_check_password(struct smtpd_session *s, const char *user, const char *pass,
                              const char *third);
/* A SCRAM-SHA-256 step through the proxy (tlsctl.h "C"): auth_msg and
 * proof64 NULL to ask for the salt.  One of TLSCTL_AUTH_*; answer gets the
 * answer line ("ITER,SALT64" or the server signature) after an OK. */
char smtpd_tls_scram(struct smtpd_session *s, const char *user, const char *auth_msg,
                     const char *proof64, struct sbuf *answer);
/* AUTH (smtpd_auth.c, smtpd_scram.c). */
void smtpd_auth_init(struct smtpd_session *s);
void smtpd_auth_handle(struct smtpd_session *s, const char *arg, size_t len);
/* Submission rules at MAIL: NULL, or the reply refusing sender. */
const char *smtpd_auth_mail_check(const struct smtpd_session *s, const char *sender);
/* "ESMTP", "ESMTPS", "ESMTPA" or "ESMTPSA" (RFC 3848). */
const char *smtpd_auth_protocol(const struct smtpd_session *s);
/* The SCRAM-SHA-256 exchange: 0 and the user name (as the client gave
 * it) in user when the proof was right, -1 when a reply was sent already
 * (cancelled, closed, temporary failure), -2 for an undecodable response,
 * -3 for a failed step (code: one of TLSCTL_AUTH_*; t0: when the
 * response it failed on arrived, for D-11's pause). */
struct sasl_auth_arg;
int smtpd_scram_exchange(struct smtpd_session *s, const struct sasl_auth_arg *a,
                         struct sbuf *user, char *code, uint64_t *t0);
/* Sends a 334 prompt and reads the response (smtpd_auth.c); false when
 * the exchange ended (cancelled, closed, too long: answered already). */
bool smtpd_auth_challenge(struct smtpd_session *s, const char *prompt, struct sbuf *resp);
/* DATA (smtpd_data.c). */
void smtpd_data_handle(struct smtpd_session *s);

#endif
