/*
 * remote.h: qmail-remote's private modules.
 *   remote_conf.c  control files (qmail-remote-control(5))
 *   remote_plan.c  where to connect: smtproutes, MX, addresses
 *   remote_conn.c  TCP connect with timeoutconnect, bindroutes and outgoingip
 *   remote_tls.c   TLS policy and the STARTTLS hook
 *   remote_deliver.c  one delivery over the plan, and the session kept
 *                  for the next one (connection reuse)
 */
#ifndef QNG_REMOTE_H
#define QNG_REMOTE_H

#include <stdbool.h>

#include "bindroutes.h"
#include "control.h"
#include "dns.h"
#include "sbuf.h"
#include "smtp_client.h"
#include "smtproutes.h"

#define REMOTE_TARGETS_MAX 64
#define REMOTE_PORT_SMTP 25
#define REMOTE_PORT_SMTPS 465

struct remote_conf {
	struct sbuf helo;
	unsigned timeout_connect;   /* seconds */
	unsigned timeout_remote;
	struct strlist routes;      /* smtproutes */
	struct strlist tlsdest;     /* tlsdestinations, "key:cafile" */
	struct strlist outgoing;    /* outgoingip */
	struct bindroutes bind4;    /* bindroutes: local IPv4 address per route */
	struct bindroutes bind6;    /* bindroutes6 */
	struct strlist dnsservers;
	char *clientcert;           /* path when the file exists */
	char *control;              /* control directory */
};

struct remote_target {
	char name[ADDR_DOMAIN_MAX + 1];
	struct dns_addr addr;
	unsigned port;
};

struct remote_plan {
	struct remote_target v[REMOTE_TARGETS_MAX];
	size_t n;
	struct smtproute route;
	bool has_route;
};

/* Exit-style status of a step that ends qmail-remote early. */
enum remote_status { REMOTE_GO, REMOTE_DEFER, REMOTE_FAIL };

int remote_conf_load(struct remote_conf *c, struct sbuf *err);

/* Fills plan for the domain; on DEFER/FAIL, text says why. */
enum remote_status remote_plan_make(const struct remote_conf *c, const char *domain,
                                    struct remote_plan *plan, struct sbuf *text);

/* Connected, non-blocking socket, or with text set -1 (the connection
 * failed) or -2 (a local failure: no socket, or the local address cannot
 * be bound; not noted in the backoff table).  The local address is the one
 * bindroutes/bindroutes6 give for the target's address and the recipient
 * domain, else the first outgoingip of the family, else the kernel's.
 * Either way the caller tries the next host. */
int remote_conn_open(const struct remote_conf *c, const struct remote_target *t,
                     const char *domain, bool *is_timeout, struct sbuf *text);
/* The target for texts: "name[ip] (local LOCALIP)", the socket's local
 * address whoever chose it (just "name[ip]" if it cannot be read). */
void remote_conn_describe(int fd, const struct remote_target *t, struct sbuf *out);

struct remote_tls {
	const struct remote_conf *conf;
	enum smtp_tls_mode mode;
	const char *cafile;         /* NULL: system store */
	bool want_verify;
	const char *name;           /* expected certificate name, SNI */
	struct tls_client *conn;    /* after a handshake */
	int fd;
	unsigned timeout_ms;
};

/* The policy for a target: notlshosts/, tlshosts/NAME.pem, tlsdestinations. */
void remote_tls_policy(struct remote_tls *t, const struct remote_conf *c, const char *domain,
                       const struct remote_target *tg, const struct smtproute *route);
/* smtp_hooks.starttls. */
int remote_tls_starttls(void *ctx, struct bio *b, struct sbuf *info, struct sbuf *err);
void remote_tls_done(struct remote_tls *t);

/* What one qmail-remote run (or one reuse of its session) delivers. */
struct remote_delivery {
	const char *domain;
	const char *sender;
	const char *const *rcpts;
	size_t n_rcpt;
	struct sbuf msg;
	bool has_8bit;
	struct remote_conf conf;
	struct remote_plan plan;
	char *tcpto_path;
};

/*
 * remote_deliver: tries the plan's addresses in order (tcpto backoff,
 * TLS then plaintext when opportunistic TLS fails); true with the outcome
 * in res, false when no address could be reached (res->text says why).
 * The session stays open afterwards (remote_live_*).
 * remote_deliver_again: the next transaction on the open session; false
 * (session closed) when there is none or it turned out stale: then call
 * remote_deliver.
 * remote_live_keep: true when the session may serve another delivery
 * (younger than max_age_secs, nothing unread, RSET accepted after a
 * failure); otherwise it is closed.  remote_live_fd: its socket, or -1.
 * remote_live_close: QUIT and close (no-op without a session).
 */
bool remote_deliver(struct remote_delivery *d, struct smtp_result *res);
bool remote_deliver_again(struct remote_delivery *d, struct smtp_result *res);
bool remote_live_keep(unsigned max_age_secs);
int remote_live_fd(void);
void remote_live_close(void);

#endif
