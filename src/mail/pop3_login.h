/*
 * pop3_login.h: the AUTHORIZATION state of POP3 (RFC 1939 4 and 7 USER/PASS,
 * RFC 2449 CAPA, RFC 5034 AUTH with SASL PLAIN, RFC 4616), as qmail-popup
 * runs it before anyone is authenticated.
 *
 * Pure: pop3_login_line takes one command line and fills reply (CRLF
 * included) and says what the caller does next:
 *   POP3_LOGIN_REPLY  send reply, read the next line
 *   POP3_LOGIN_QUIT   send reply, close the connection
 *   POP3_LOGIN_CHECK  credentials complete: pop3_login_blob gives the
 *                     checkpassword input; report a failure with
 *                     pop3_login_failed (the caller pauses first)
 *   POP3_LOGIN_STLS   STLS accepted (RFC 2595 4): drop buffered input, send
 *                     reply, start TLS, then call pop3_login_tls_started;
 *                     if TLS fails, close the connection
 * STLS is offered (CAPA, and accepted) only when tls_offered is set and
 * TLS is not active yet; a second STLS is refused.  With tls_required,
 * USER, PASS and AUTH are refused until TLS is active, and CAPA does not
 * list USER or SASL before it.
 * A continuation line of AUTH PLAIN may be POP3_AUTH_LINE_MAX octets
 * (pop3_login_line_max says which limit applies now).  User names and
 * passwords are at most POP3_LOGIN_FIELD_MAX octets and never hold NUL.
 * AUTH PLAIN with an authorization identity other than the
 * authentication identity is refused.  The third failure in a session
 * ends it (as D-11 for SMTP).  Unknown users and wrong passwords get the
 * same reply: the caller cannot tell them apart and neither can we.
 */
#ifndef QNG_POP3_LOGIN_H
#define QNG_POP3_LOGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define POP3_LOGIN_FIELD_MAX 512
#define POP3_LOGIN_FAILURES_MAX 3
#define POP3_LOGIN_BLOB_MAX (2 * POP3_LOGIN_FIELD_MAX + 128)

enum pop3_login_action {
	POP3_LOGIN_REPLY,
	POP3_LOGIN_QUIT,
	POP3_LOGIN_CHECK,
	POP3_LOGIN_STLS,
};

struct pop3_login {
	struct sbuf user;
	struct sbuf pass;
	bool has_user;
	bool in_auth;      /* waiting for the AUTH PLAIN response line */
	bool tls_offered;  /* set by the caller: a TLS proxy is there */
	bool tls_required; /* set by the caller: control/pop3requiretls */
	bool is_tls;       /* set by pop3_login_tls_started */
	unsigned failures;
};

void pop3_login_init(struct pop3_login *l);
void pop3_login_free(struct pop3_login *l); /* wipes the password */
size_t pop3_login_line_max(const struct pop3_login *l);
enum pop3_login_action pop3_login_line(struct pop3_login *l, const char *line, size_t len,
                                       struct sbuf *reply);
/* "user NUL password NUL stamp NUL" into out; wipes the password. */
void pop3_login_blob(struct pop3_login *l, const char *stamp, struct sbuf *out);
/* After a rejected CHECK: the reply, and QUIT on the last allowed failure. */
enum pop3_login_action pop3_login_failed(struct pop3_login *l, struct sbuf *reply);
/* TLS is up: forget USER and any half-done AUTH (RFC 2595 4). */
void pop3_login_tls_started(struct pop3_login *l);
/* The CAPA reply before login without TLS (no STLS line); the reply to
 * CAPA itself depends on the TLS fields above. */
const char *pop3_login_capa(void);

#endif
