/*
 * unbound_dl.h: libunbound, loaded the first time a lookup is made.
 *
 * Why: linking libunbound pulls libevent, nettle, hogweed and gmp into
 * every exec, and their start-up costs about 1.5 ms, paid per SMTP
 * connection by qmail-smtpd even when no DNS check is configured (measured:
 * docs/INTERNALS.md, "Costs per message").  Programs call unbound_dl_load
 * before the first ub_* call and then use the function pointers in ubdl.
 * Returns 0, or -1 with a reason in err when the library is not there.
 */
#ifndef QNG_UNBOUND_DL_H
#define QNG_UNBOUND_DL_H

#include <unbound.h>

#include "sbuf.h"

struct unbound_api {
	struct ub_ctx *(*ctx_create)(void);
	void (*ctx_delete)(struct ub_ctx *);
	int (*ctx_set_option)(struct ub_ctx *, const char *, const char *);
	int (*ctx_set_fwd)(struct ub_ctx *, const char *);
	int (*ctx_resolvconf)(struct ub_ctx *, const char *);
	int (*resolve)(struct ub_ctx *, const char *, int, int, struct ub_result **);
	void (*resolve_free)(struct ub_result *);
	const char *(*strerror)(int);
};

extern struct unbound_api ubdl;

int unbound_dl_load(struct sbuf *err);

/*
 * A resolver context as every qmail-ng lookup wants it: loads the library,
 * forwards to the control/dnsservers entries ("IP" or "IP@PORT") or else
 * uses /etc/resolv.conf, and may query servers on this host.  want_lan:
 * also let the reverse zones of private and documentation ranges through
 * to the resolver (PTR checks of clients on a LAN).  NULL with a reason.
 */
struct strlist;
struct ub_ctx *unbound_dl_context(const struct strlist *servers, int want_lan, struct sbuf *err);

#endif
