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
};

struct pop3_login {
	struct sbuf user;
	struct sbuf pass;
	bool has_user;
	bool in_auth; /* waiting for the AUTH PLAIN response line */
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
/* The CAPA reply before login. */
const char *pop3_login_capa(void);

#endif
