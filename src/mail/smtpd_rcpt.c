/*
 * smtpd_rcpt.c: RCPT TO checks (see smtpd_rcpt.h).
 */
#include "smtpd_rcpt.h"

#include "addr.h"
#include "proto_limits.h"
#include "route.h"
#include "smtp_cmd.h"
#include "smtpd_session.h"

#include <string.h>

/* "local@[TCPLOCALIP]" → "local@localiphost" (qmail-smtpd(8)). */
static void rewrite_localip(const struct smtpd_config *c, struct sbuf *addr)
{
	const char *dom = addr_domain(addr->s);
	size_t n = strlen(dom);
	if (c->local_ip.len == 0 || n != c->local_ip.len + 2 || dom[0] != '[' ||
	    memcmp(dom + 1, c->local_ip.s, c->local_ip.len) != 0 || dom[n - 1] != ']')
		return;
	sbuf_truncate(addr, (size_t)(dom - addr->s));
	sbuf_append(addr, c->localiphost.s, c->localiphost.len);
}

/* D-05: a local recipient must have somewhere to go. */
static enum deliverable check_local(const struct smtpd_config *c, const char *addr)
{
	struct sbuf routed = SBUF_INIT, local = SBUF_INIT, domain = SBUF_INIT;
	enum deliverable d = DELIV_YES;
	if (route_classify(&c->route, addr, &routed) == ROUTE_LOCAL) {
		addr_split(sbuf_cstr(&routed), &local, &domain);
		for (size_t i = 0; i < local.len; i++) {
			if (local.s[i] >= 'A' && local.s[i] <= 'Z')
				local.s[i] = (char)(local.s[i] - 'A' + 'a');
		}
		d = c->deliverable(sbuf_cstr(&local), sbuf_cstr(&domain));
	}
	sbuf_free(&routed);
	sbuf_free(&local);
	sbuf_free(&domain);
	return d;
}

/* Returns NULL when accepted, else the reply. */
static const char *check_rcpt(struct smtpd_session *s, const char *addr, const char **why)
{
	int r = smtpd_config_is_rcpthost(s->cfg, addr_domain(addr));
	if (r < 0) {
		*why = "morercpthosts";
		return "451 4.3.0 temporary failure reading morercpthosts.cdb";
	}
	if (r == 0 && !s->cfg->is_relayclient) {
		*why = "relaying";
		return "553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts";
	}
	if (r == 1 && check_local(s->cfg, addr) == DELIV_NO) {
		*why = "no-such-user";
		return "550 5.1.1 sorry, no mailbox here by that name";
	}
	return NULL;
}

void smtpd_rcpt_handle(struct smtpd_session *s, const char *arg, size_t len)
{
	struct smtp_rcpt_args a = {SBUF_INIT};
	const char *why = NULL, *reply = NULL;
	if (s->rcpts.n >= RCPT_MAX) {
		smtpd_reply(s, "452 4.5.3 too many recipients");
		return;
	}
	enum smtp_arg_status st =
	    smtp_cmd_parse_rcpt(arg, len, sbuf_cstr(&s->cfg->defaultdomain), &a);
	if (st != SMTP_ARG_OK) {
		smtpd_reply(s, smtp_arg_reply(st, true));
		smtp_rcpt_args_free(&a);
		return;
	}
	rewrite_localip(s->cfg, &a.rcpt);
	reply = check_rcpt(s, a.rcpt.s, &why);
	if (reply != NULL) {
		smtpd_reply(s, reply);
		log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "rcpt", a.rcpt.s, "reason", why,
		       (char *)NULL);
	} else {
		struct sbuf hook_reply = SBUF_INIT;
		if (smtpd_run_hooks(s, SMTPD_HOOK_RCPT, a.rcpt.s, &hook_reply) != SMTPD_ACCEPT) {
			smtpd_reply(s, hook_reply.s);
		} else {
			if (s->cfg->is_relayclient)
				sbuf_append(&a.rcpt, s->cfg->relay_suffix.s,
				            s->cfg->relay_suffix.len);
			strlist_add(&s->rcpts, a.rcpt.s, a.rcpt.len);
			s->state = SMTPD_RCPT;
			smtpd_reply(s, "250 2.1.5 ok");
		}
		sbuf_free(&hook_reply);
	}
	smtp_rcpt_args_free(&a);
}
