/*
 * smtp_auth.h: client side of SMTP AUTH (RFC 4954) with PLAIN (RFC 4616),
 * LOGIN and CRAM-MD5 (RFC 2195), and the base64 (RFC 4648) they use.
 * The mechanism is picked from the peer's EHLO AUTH list: CRAM-MD5 (when
 * an HMAC-MD5 hook exists), then PLAIN, then LOGIN.  Credentials are
 * never sent in plaintext unless the route allows it (smtproutes.h), and
 * never logged.  A failed AUTH is a temporary failure: the credentials
 * are local configuration, so the message waits instead of bouncing.
 */
#ifndef QNG_SMTP_AUTH_H
#define QNG_SMTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

void smtp_auth_base64_encode(const void *p, size_t n, struct sbuf *out);
/* Strict: no whitespace, correct padding.  false when invalid. */
bool smtp_auth_base64_decode(const char *s, size_t n, struct sbuf *out);

#endif
