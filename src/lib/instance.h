/*
 * instance.h: where the instance lives and who runs what.
 *
 * QMAILHOME is taken from the environment, else /var/qmail (CONTRACT.md).
 * An instance is privilege-separated ("root mode") when the file
 * $QMAILHOME/etc/mode says "root"; otherwise every program runs as the
 * instance owner ("user mode").  In root mode the role accounts below are
 * system users created by `qmailctl init`.
 */
#ifndef QNG_INSTANCE_H
#define QNG_INSTANCE_H

#include <stdbool.h>
#include <sys/types.h>

enum role {
	ROLE_SMTPD,     /* qmaild: qmail-smtpd, listener children, qmail-popup */
	ROLE_LOG,       /* qmaill: log writers */
	ROLE_GETPW,     /* qmailp: qmail-getpw fallback */
	ROLE_QUEUE,     /* qmailq: qmail-queue (setuid), qmail-clean */
	ROLE_REMOTE,    /* qmailr: qmail-rspawn, qmail-remote */
	ROLE_SEND,      /* qmails: qmail-send */
	ROLE_ALIAS,     /* alias: ~alias/.qmail-* deliveries */
	ROLE_VMAIL,     /* qmailv: owner of virtual mailboxes */
	ROLE_TLS,       /* qmailt: TLS proxies and the password check; holds keys */
	ROLE_COUNT
};

struct role_id {
	uid_t uid;
	gid_t gid;
	const char *name;
};

const char *instance_home(void);          /* $QMAILHOME or /var/qmail */
void instance_set_home(const char *dir);  /* -d DIR */
bool instance_is_root_mode(void);
/* Fills *out for the role: in user mode the instance owner's ids. 0 / -1. */
int instance_role(enum role r, struct role_id *out);
const char *instance_role_name(enum role r);   /* "qmaild", ... */
/* "$QMAILHOME/<rel>" into a static-per-call-free buffer owned by caller. */
char *instance_path(const char *rel);          /* xmalloc'd */

#endif
