/*
 * addr.h: the one address parser and normaliser (POLICY.md D-19).
 *
 * Every component that checks or routes an address uses these functions,
 * so checking and routing can never disagree (the qmail-verify/percent-hack
 * class of bug).  Addresses are stored as "local@domain" or "" (the null
 * sender).  An address without '@' gets the default domain appended; the
 * domain is lower-cased; the local part is kept as given (qmail lower-cases
 * it only for lookups).  Quoted local parts are accepted and unquoted when
 * the result is unambiguous; source routes ("@a,@b:user@d") are stripped
 * (RFC 5321 4.1.2, C.).  NUL, CR, LF, and other control characters are
 * rejected.  Limits: RFC 5321 4.5.3.1 (proto_limits.h).
 */
#ifndef QNG_ADDR_H
#define QNG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

enum addr_status {
	ADDR_OK = 0,
	ADDR_SYNTAX,        /* not a valid path */
	ADDR_TOO_LONG,      /* over a RFC 5321 limit */
	ADDR_BAD_CHAR,      /* control character, NUL, CR or LF */
};

/*
 * Parses an SMTP path argument as it follows "FROM:" or "TO:", i.e. text
 * starting with '<' (a missing '<'/'>' pair is tolerated, as qmail did).
 * *consumed is set to the bytes used, so ESMTP parameters can follow.
 * allow_null: "<>" is valid (MAIL FROM).  defdomain: appended when the
 * address has no '@' (NULL: such an address is ADDR_SYNTAX).
 */
enum addr_status addr_parse_path(const char *s, size_t len, bool allow_null,
                                 const char *defdomain, struct sbuf *out,
                                 size_t *consumed);

/* Normalises a bare address (no angle brackets), e.g. from an envelope
 * or a .qmail forward line: the same rules as addr_parse_path. */
enum addr_status addr_normalize(const char *s, size_t len, const char *defdomain,
                                struct sbuf *out);

/* Splits "local@domain" at the last '@'. domain is "" if there is none. */
void addr_split(const char *addr, struct sbuf *local, struct sbuf *domain);
/* Domain part (after the last '@'), or "" */
const char *addr_domain(const char *addr);
const char *addr_status_str(enum addr_status st);

#endif
