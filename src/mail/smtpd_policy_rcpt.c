/*
 * smtpd_policy_rcpt.c: the RCPT hook of smtpd_policy.h: tarpit, a bounce
 * with several recipients, badrcptto, RCPTCHECK, greylisting.
 */
#include "smtpd_policy.h"

#include "addr.h"
#include "dnsbl.h"
#include "greylist.h"
#include "log.h"
#include "rcptcheck.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool is_postmaster(const char *rcpt)
{
	const char *at = strrchr(rcpt, '@');
	size_t n = at ? (size_t)(at - rcpt) : strlen(rcpt);
	return n == 10 && strncasecmp(rcpt, "postmaster", 10) == 0;
}

static bool greylist_exempt(const struct smtpd_session *s, const char *rcpt)
{
	const struct smtpd_policy *p = s->policy;
	return p->greylist_delay == 0 || smtpd_policy_is_exempt(s) || s->sender.len == 0 ||
	       is_postmaster(rcpt) || (p->has_spf && p->spf == SPF_PASS) ||
	       getenv("NOGREYLIST") != NULL || s->cfg->remote_ip.len == 0 ||
	       dnsbl_ip_listed(&p->greylistallow, s->cfg->remote_ip.s);
}

/* D-14; a store error fails open. */
static bool greylist_allows(struct smtpd_session *s, const char *rcpt)
{
	struct smtpd_policy *p = s->policy;
	struct sbuf triple = SBUF_INIT;
	if (greylist_exempt(s, rcpt) ||
	    !greylist_triple(s->cfg->remote_ip.s, sbuf_cstr(&s->sender), rcpt, &triple)) {
		sbuf_free(&triple);
		return true;
	}
	(void)mkdir(p->greylist_dir, 0700);
	enum greylist_verdict v =
	    greylist_check(p->greylist_dir, triple.s, (uint64_t)time(NULL), p->greylist_delay);
	if (v == GREYLIST_ERROR)
		log_kv(LOG_LEVEL_WARN, "greylist", "session", s->id, "error",
		       "store failed, accepting", "dir", p->greylist_dir, (char *)NULL);
	else
		log_kv(LOG_LEVEL_INFO, "greylist", "session", s->id, "triple", triple.s, "result",
		       v == GREYLIST_PASS ? "pass" : "wait", (char *)NULL);
	sbuf_free(&triple);
	return v != GREYLIST_WAIT;
}

static enum smtpd_verdict refuse(struct smtpd_session *s, const char *rcpt, const char *why,
                                 enum smtpd_verdict v, struct sbuf *reply)
{
	log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "rcpt", rcpt, "reason", why, "reply",
	       reply->s, (char *)NULL);
	return v;
}

enum smtpd_verdict smtpd_policy_rcpt_hook(struct smtpd_session *s, const char *rcpt,
                                          struct sbuf *reply)
{
	struct smtpd_policy *p = s->policy;
	if (p->tarpit_count > 0 && s->rcpts.n >= p->tarpit_count)
		sleep((unsigned)p->tarpit_delay);
	if (s->sender.len == 0 && s->rcpts.n >= 1) {
		sbuf_set_str(reply, "550 5.5.3 sorry, a bounce message has only one recipient");
		return refuse(s, rcpt, "bounce-rcpts", SMTPD_REJECT, reply);
	}
	if (smtpd_policy_addr_listed(&p->badrcptto, rcpt)) {
		sbuf_set_str(reply, "553 5.7.1 sorry, your envelope recipient is in my badrcptto list");
		return refuse(s, rcpt, "badrcptto", SMTPD_REJECT, reply);
	}
	if (p->rcptcheck) {
		enum rcptcheck_verdict v = rcptcheck_run(p->rcptcheck, sbuf_cstr(&s->sender), rcpt,
		                                         RCPTCHECK_TIMEOUT_S, reply);
		if (v != RCPTCHECK_ACCEPT)
			return refuse(s, rcpt, "rcptcheck",
			              v == RCPTCHECK_REJECT ? SMTPD_REJECT : SMTPD_DEFER, reply);
	}
	if (!greylist_allows(s, rcpt)) {
		sbuf_set_str(reply, "451 4.7.1 greylisted, please try again later");
		return refuse(s, rcpt, "greylist", SMTPD_DEFER, reply);
	}
	return SMTPD_ACCEPT;
}
