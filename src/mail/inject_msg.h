/*
 * inject_msg.h: what qmail-inject does to a message (qmail-inject(8)).
 *
 * - Line endings (D-17): CRLF becomes LF, a lone CR becomes a space, and a
 *   missing final LF is added.
 * - Header completion: Bcc, Resent-Bcc, Return-Path and Content-Length
 *   are removed; From, Date and Message-ID are added when missing.
 * - Recipients (-t/-h): the Resent-To/Cc/Bcc fields when any Resent-
 *   field is present, else To/Cc/Bcc.
 * - Addresses: addr_normalize with the default host (control/defaulthost,
 *   else control/me); then a domain the address itself names, without a
 *   dot, gets ".defaultdomain"
 *   (unless it is "localhost") and a domain ending in '+' gets the '+'
 *   replaced by ".plusdomain" (qmail-inject's rules).
 */
#ifndef QNG_INJECT_MSG_H
#define QNG_INJECT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "control.h"
#include "hdr822.h"
#include "sbuf.h"

struct inject_cfg {
	const char *defaulthost;
	const char *defaultdomain; /* "" none */
	const char *plusdomain;    /* "" none */
	const char *idhost;
	const char *user; /* From: local part */
	const char *host; /* From: domain */
	const char *name; /* From: display name, "" none */
};

void inject_msg_normalize(const char *in, size_t len, struct sbuf *out);
/* Normalises one address into out ("" for the null address only when
 * allow_null); 0 ok, -1 invalid. */
int inject_msg_address(const struct inject_cfg *c, const char *a, size_t len, bool allow_null,
                       struct sbuf *out);
/* Appends the header recipients, normalised; 0 or -1 (bad address list). */
int inject_msg_recipients(const struct hdr_list *h, const struct inject_cfg *c,
                          struct strlist *out);
/* Deletes fields and writes the fields to add into added (with LFs). */
void inject_msg_complete(struct hdr_list *h, const struct inject_cfg *c, time_t now, pid_t pid,
                         struct sbuf *added);

#endif
