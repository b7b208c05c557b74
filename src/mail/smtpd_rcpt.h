/*
 * smtpd_rcpt.h: RCPT TO for qmail-smtpd.
 *
 * Order of checks: D-08 at most RCPT_MAX recipients (452 4.5.3); syntax
 * (smtp_cmd_parse_rcpt, default domain D-19); "user@[our IP]" becomes
 * "user@localiphost"; a domain in rcpthosts/morercpthosts is accepted,
 * and if it routes local (route_classify) the user must exist (D-05:
 * users_deliverable DELIV_NO → 550 5.1.1); any other domain needs
 * RELAYCLIENT (else 553 5.7.1, D-04); then the RCPT hooks.  With
 * RELAYCLIENT set its value is appended to the recipient (qmail).
 */
#ifndef QNG_SMTPD_RCPT_H
#define QNG_SMTPD_RCPT_H

#include <stddef.h>

struct smtpd_session;

void smtpd_rcpt_handle(struct smtpd_session *s, const char *arg, size_t len);

#endif
