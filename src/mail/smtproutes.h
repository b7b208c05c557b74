/*
 * smtproutes.h: control/smtproutes (qmail-control(5) with the port and
 * remote-AUTH extensions) and domain-keyed control lists like it.
 *
 * Lines are "key:value".  smtproutes_find picks, for a domain, the value of
 * the first line whose key equals the domain, else the longest ".suffix"
 * key that matches it (".example.com" matches "a.example.com"), else the
 * "" key (a line ":value").  Keys compare case-insensitively.
 *
 * A route value is "[host[:port]] [user password] [plaintext]":
 *   host      a name, or "[1.2.3.4]" / "[2001:db8::1]" (literal address);
 *             empty means "look up the domain's MX as usual";
 *   port      1..65535 (default 25; 465 means implicit TLS, SMTPS);
 *   user password  credentials for SMTP AUTH to this smarthost;
 *   plaintext allows AUTH without TLS (otherwise AUTH needs TLS).
 * smtproutes_parse returns 0, or -1 for anything else (fail closed).
 */
#ifndef QNG_SMTPROUTES_H
#define QNG_SMTPROUTES_H

#include <stdbool.h>

#include "control.h"
#include "proto_limits.h"

#define SMTPROUTE_CRED_MAX 512

struct smtproute {
	char host[ADDR_DOMAIN_MAX + 1];   /* "" : use MX */
	bool is_literal;
	unsigned port;                    /* 0: default */
	char user[SMTPROUTE_CRED_MAX + 1];   /* "" : no AUTH */
	char pass[SMTPROUTE_CRED_MAX + 1];
	bool allow_plain_auth;
};

const char *smtproutes_find(const struct strlist *lines, const char *domain);
int smtproutes_parse(const char *value, struct smtproute *out);

#endif
