/*
 * smtpd_policy.h: qmail-smtpd's anti-abuse checks, as session hooks
 * (smtpd_session.h).  Read once at start by smtpd_policy_load:
 *
 *   control/badhelo      HELO names refused (exact, ".suffix" for every
 *                        subdomain); a HELO naming us (control/me, our IP
 *                        or "[our IP]") is refused too.           550 5.7.1
 *   control/badrcptto    recipients refused (exact, "@domain",
 *                        ".suffix").                               553 5.7.1
 *   control/dnsbl        DNS blocklists (dnsbl.h), looked up at connect;
 *                        a listed client is refused at MAIL (554 5.7.1
 *                        with the list's text) unless it authenticates.
 *                        control/dnsblallow: addresses never checked.
 *                        $RBLSMTPD (rblsmtpd): empty = skip the lists;
 *                        text = refuse with it (451, or 554 with "-").
 *   control/spfbehavior  SPF level 0-6 (default 1), $SPFBEHAVIOR
 *                        overrides; see qmail-smtpd(8) and D-15.
 *   control/greylist     greylisting delay in seconds (D-14; absent:
 *                        off); control/greylistallow, $NOGREYLIST exempt.
 *   control/smtpplugins  qmail-spp plugins (spp.h), run after the checks
 *                        above at each point (smtpd_spp.c).
 *   $RCPTCHECK           a program run per recipient (rcptcheck.h).
 *   $TARPITCOUNT, $TARPITDELAY  after that many recipients, each RCPT
 *                        reply waits TARPITDELAY seconds (default 5).
 *   control/ratelimit_ip, control/ratelimit_auth  message and recipient
 *                        rates (ratelimit.h; absent: no limits).  MAIL
 *                        counts a message, an accepted RCPT a recipient,
 *                        both checked after every other hook accepted;
 *                        over the limit: 451 4.7.1.  An authenticated
 *                        client is counted by its user name against
 *                        ratelimit_auth only; any other client with an
 *                        address (RELAYCLIENT too) by its address against
 *                        ratelimit_ip unless $NORATELIMIT is set.  State
 *                        in $QMAILHOME/ratelimit; a store error accepts
 *                        and is logged.
 * RELAYCLIENT and authenticated clients skip DNSBL, SPF, greylisting and
 * the HELO checks.  Without a client address (sendmail -bs) the DNS-based
 * checks and greylisting are skipped.  Every refusal is logged.
 */
#ifndef QNG_SMTPD_POLICY_H
#define QNG_SMTPD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "dnscache.h"
#include "ratelimit.h"
#include "sbuf.h"
#include "smtpd_session.h"
#include "spf.h"
#include "spp.h"

#define SPF_BEHAVIOR_MAX 6
#define TARPIT_DELAY_MAX 60
#define TARPIT_DELAY_DEFAULT 5

struct smtpd_policy {
	struct strlist badhelo, badrcptto, dnsbl, dnsblallow, greylistallow, dnsservers;
	unsigned spf_level;
	uint64_t greylist_delay; /* 0: off */
	char *greylist_dir;
	const char *rcptcheck;   /* NULL: off */
	uint64_t tarpit_count, tarpit_delay;
	struct spf_dns *dns;     /* the resolver, opened on first use */
	bool has_dns_failed;
	struct dnscache_dns cached; /* in front of dns when .cache is set (the zygote made one) */
	struct spp_config spp;
	struct ratelimit_rules ratelimit_ip, ratelimit_auth;
	char *ratelimit_dir;
	bool is_ratelimit_off;   /* $NORATELIMIT: no per-address limits */
	/* per session */
	bool has_ratelimit_swept;
	struct sbuf dnsbl_reply; /* non-empty: refuse at MAIL */
	enum spf_result spf;
	bool has_spf;
};

/* 0, or -1 with errno and the control file's name in *what. */
int smtpd_policy_load(struct smtpd_policy *p, const char **what);
void smtpd_policy_free(struct smtpd_policy *p);
/* Registers the hooks on s (and s->policy = p). */
void smtpd_policy_attach(struct smtpd_policy *p, struct smtpd_session *s);

/* Pure helpers (unit-tested). */
bool smtpd_policy_host_listed(const struct strlist *l, const char *name);
bool smtpd_policy_addr_listed(const struct strlist *l, const char *addr);
/* The refusal for an SPF result at a level, or NULL to accept. */
const char *smtpd_policy_spf_reply(unsigned level, enum spf_result r);

/* Used by the hooks (smtpd_policy_rcpt.c). */
bool smtpd_policy_is_exempt(const struct smtpd_session *s);
/* The DNS for SPF and DNSBL lookups (the shared cache in front of the
 * resolver, when there is one), or NULL when no resolver could be made. */
const struct spf_dns *smtpd_policy_dns(struct smtpd_policy *p);
/* In qmail-smtpd's zygote, after each configuration load: a resolver for
 * p's dnsservers made ready once (spf_dns_warm) when SPF or a DNSBL is on,
 * taken over by the first smtpd_policy_dns of a session with the same
 * servers; dropped when neither is on any more.  Also a fresh shared DNS
 * cache (dnscache.h) when SPF or a DNSBL is on; the previous one is
 * unmapped (running sessions keep theirs).  Sessions of a qmail-smtpd
 * started without a zygote have no cache. */
void smtpd_policy_prepare_dns(const struct smtpd_policy *p);
/* qmail-spp hooks (smtpd_spp.c). */
enum smtpd_verdict smtpd_spp_connect(struct smtpd_session *s, const char *a, struct sbuf *r);
enum smtpd_verdict smtpd_spp_helo(struct smtpd_session *s, const char *a, struct sbuf *r);
enum smtpd_verdict smtpd_spp_mail(struct smtpd_session *s, const char *a, struct sbuf *r);
enum smtpd_verdict smtpd_spp_rcpt(struct smtpd_session *s, const char *a, struct sbuf *r);
enum smtpd_verdict smtpd_spp_data(struct smtpd_session *s, const char *a, struct sbuf *r);
enum smtpd_verdict smtpd_spp_auth(struct smtpd_session *s, const char *a, struct sbuf *r);
enum smtpd_verdict smtpd_policy_rcpt_hook(struct smtpd_session *s, const char *rcpt,
                                          struct sbuf *reply);

#endif
