/*
 * remote.h: qmail-remote's private modules.
 *   remote_conf.c  control files (qmail-remote-control(5))
 *   remote_plan.c  where to connect: smtproutes, MX, addresses
 *   remote_conn.c  TCP connect with timeoutconnect and outgoingip
 *   remote_tls.c   TLS policy and the STARTTLS hook
 */
#ifndef QNG_REMOTE_H
#define QNG_REMOTE_H

#include <stdbool.h>

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

/* Connected, non-blocking socket, or -1 with text set. */
int remote_conn_open(const struct remote_conf *c, const struct remote_target *t,
                     bool *is_timeout, struct sbuf *text);

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

#endif
