/*
 * smtpd_config.h: everything qmail-smtpd reads at start (qmail-smtpd(8)).
 *
 * Control files (qmail-control(5)): me (default: the hostname),
 * smtpgreeting (default: me), defaultdomain (D-19, default: me),
 * localiphost (default: me), rcpthosts and morercpthosts.cdb (D-04: with
 * neither, nothing is accepted except from RELAYCLIENT), badmailfrom,
 * databytes (D-07: 0 or missing means DATABYTES_DEFAULT), timeoutsmtpd
 * (D-20: default SMTP_CMD_TIMEOUT); plus route_config (locals,
 * virtualdomains) for the RCPT check.
 * Environment: DATABYTES overrides databytes; RELAYCLIENT (set, possibly
 * empty) allows relaying and its value is appended to every recipient;
 * TCPREMOTEIP, TCPREMOTEHOST, TCPLOCALIP from the listener.
 * smtpd_config_load returns 0, or -1 with errno and the file's name in
 * *what (the caller answers 421 and exits 111).
 */
#ifndef QNG_SMTPD_CONFIG_H
#define QNG_SMTPD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "route.h"
#include "sbuf.h"
#include "users.h"

typedef enum deliverable (*smtpd_deliverable_fn)(const char *local, const char *domain);

struct smtpd_config {
	struct sbuf me;
	struct sbuf greeting;
	struct sbuf defaultdomain;
	struct sbuf localiphost;
	struct strlist rcpthosts;
	bool has_rcpthosts;  /* rcpthosts or morercpthosts.cdb exists */
	char *morercpthosts; /* path of morercpthosts.cdb */
	struct strlist badmailfrom;
	uint64_t databytes;
	unsigned timeout_s;
	bool is_relayclient;
	struct sbuf relay_suffix;
	struct sbuf remote_ip;
	struct sbuf remote_host;
	struct sbuf local_ip;
	struct route_config route;
	smtpd_deliverable_fn deliverable; /* users_deliverable; tests swap it */
};

int smtpd_config_load(struct smtpd_config *c, const char **what);
void smtpd_config_free(struct smtpd_config *c);

/* rcpthosts: exact domain, or an entry ".d" for every subdomain of d;
 * then morercpthosts.cdb with the same keys.  Case-insensitive.
 * -1 when the cdb could not be read (the caller answers 451). */
int smtpd_config_is_rcpthost(const struct smtpd_config *c, const char *domain);
/* badmailfrom: exact address, "@domain", or ".domain" for subdomains. */
bool smtpd_config_is_badmailfrom(const struct smtpd_config *c, const char *addr);

#endif
