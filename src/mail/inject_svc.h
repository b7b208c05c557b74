/*
 * inject_svc.h: the instance's service table, etc/services.
 *
 * One line per service, written by `qmailctl init`, read by qmail-super
 * and `qmailctl stat`:
 *     NAME ADDRESS PORT on|off
 * NAME is one of the CONTRACT.md services (smtp, submission, smtps, pop3,
 * pop3s, qmtp, qmqp).  ADDRESS is an IPv4 or IPv6 literal.  Lines that are
 * empty or start with '#' are ignored.  A service missing from the file is
 * off.  Parsers fail closed: any unknown name, bad port or extra field
 * makes the whole file invalid (-1).
 */
#ifndef QNG_INJECT_SVC_H
#define QNG_INJECT_SVC_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

enum svc_id {
	SVC_SMTP,
	SVC_SUBMISSION,
	SVC_SMTPS,
	SVC_POP3,
	SVC_POP3S,
	SVC_QMTP,
	SVC_QMQP,
	SVC_COUNT
};

#define SVC_ADDR_MAX 64

struct svc_def {
	const char *name;
	unsigned user_port;
	unsigned root_port;
	const char *program; /* run by qmail-listen for each connection */
	bool default_on;
};

struct svc_conf {
	char addr[SVC_ADDR_MAX];
	unsigned port;
	bool enabled;
};

struct svc_table {
	struct svc_conf v[SVC_COUNT];
};

const struct svc_def *inject_svc_def(enum svc_id id);
/* -1 when name is not a service. */
int inject_svc_lookup(const char *name);
/* Defaults: user mode 127.0.0.1 and 2525..., root mode 0.0.0.0 and 25... */
void inject_svc_defaults(struct svc_table *t, bool root_mode);
int inject_svc_parse(const char *data, size_t len, struct svc_table *t);
void inject_svc_format(const struct svc_table *t, struct sbuf *out);
/* Applies "SERVICE=ADDR:PORT", "SERVICE=[V6]:PORT" or "SERVICE=off". */
int inject_svc_apply_listen(struct svc_table *t, const char *spec);
/* Reads the file; 0 ok, -1 (errno; EINVAL for bad content). */
int inject_svc_load(const char *path, struct svc_table *t);

#endif
