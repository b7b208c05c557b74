/*
 * route.h: where a recipient goes: local (after virtualdomains rewriting)
 * or remote.  The same function serves qmail-smtpd (rcpthosts / RCPT
 * checks), qmail-send (scheduling) and qmail-qread, so they agree.
 *
 * Rules (qmail-send(8)): a domain listed in control/locals is local, the
 * recipient unchanged.  Otherwise control/virtualdomains is searched for,
 * in order: "user@domain:prepend", "domain:prepend", then ".sub.domain:"
 * wildcards for each parent (".example.com" matches "a.b.example.com"),
 * then a bare ":prepend" default.  A match with an empty prepend is
 * remote; otherwise the recipient becomes "prepend-local@domain" and is
 * local.  Domains compare case-insensitively.  The percent hack applies
 * only when control/percenthack lists the domain.
 */
#ifndef QNG_ROUTE_H
#define QNG_ROUTE_H

#include "control.h"
#include "sbuf.h"

struct route_config {
	struct strlist locals;
	struct strlist virtualdomains;   /* raw lines "key:value" */
	struct strlist percenthack;
	struct sbuf me;
};

enum route_kind { ROUTE_LOCAL, ROUTE_REMOTE };

/* Loads locals (default: me), virtualdomains, percenthack, me. 0 / -1. */
int route_config_load(struct route_config *rc);
void route_config_free(struct route_config *rc);

/* Classifies addr ("local@domain"); out gets the rewritten address for
 * local delivery (the address itself when remote). */
enum route_kind route_classify(const struct route_config *rc, const char *addr,
                               struct sbuf *out);

#endif
