/*
 * smtpd_spp.c: running qmail-spp plugins from qmail-smtpd's hooks
 * (spp.h, smtpd_policy.h).  [auth] runs after a successful password
 * check with SMTPAUTHUSER set (smtpd_auth.c decides what a refusal does
 * to the session); "H" lines are kept only at [mail], [rcpt] and [data],
 * where there is a message to add them to.
 */
#include "smtpd_policy.h"

#include "alloc.h"
#include "instance.h"
#include "log.h"
#include "rcptcheck.h"

#include <stdlib.h>
#include <string.h>

static const char *const point_names[SPP_N] = {"connection", "helo", "mail",
                                               "rcpt",       "data", "auth"};

/* The plugin's environment additions. */
static void plugin_env(const struct smtpd_session *s, enum spp_point pt, const char *arg,
                       struct sbuf env[5])
{
	sbuf_printf(&env[0], "SMTPHELOHOST=%s", sbuf_cstr(&s->helo));
	sbuf_printf(&env[1], "SMTPMAILFROM=%s", pt == SPP_MAIL ? arg : sbuf_cstr(&s->sender));
	sbuf_printf(&env[2], "SMTPRCPTTO=%s", pt == SPP_RCPT ? arg : "");
	sbuf_printf(&env[3], "SMTPRCPTCOUNT=%zu", s->rcpts.n);
	sbuf_printf(&env[4], "SMTPAUTHUSER=%s", sbuf_cstr(&s->auth_user));
}

static void apply_side_effects(struct smtpd_session *s, enum spp_point pt, const char *prog,
                               const struct spp_result *r)
{
	for (size_t i = 0; i < r->setenv.n; i++) {
		char *kv = xstrdup(r->setenv.v[i]);
		char *eq = strchr(kv, '=');
		*eq = '\0';
		(void)setenv(kv, eq + 1, 1);
		free(kv);
	}
	for (size_t i = 0; i < r->unsetenv.n; i++)
		(void)unsetenv(r->unsetenv.v[i]);
	for (size_t i = 0; i < r->logs.n; i++)
		log_kv(LOG_LEVEL_INFO, "plugin", "session", s->id, "plugin", prog, "log",
		       r->logs.v[i], (char *)NULL);
	if (pt == SPP_MAIL || pt == SPP_RCPT || pt == SPP_DATA)
		sbuf_append(&s->add_headers, r->headers.s ? r->headers.s : "", r->headers.len);
}

/* Runs one plugin; returns its action (reply set on a refusal). */
static enum spp_action run_plugin(struct smtpd_session *s, enum spp_point pt, const char *arg,
                                  const char *prog, struct sbuf *reply)
{
	struct sbuf env[5] = {SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT};
	struct sbuf out = SBUF_INIT;
	char *path = prog[0] == '/' ? xstrdup(prog) : instance_path(prog);
	plugin_env(s, pt, arg, env);
	const char *const envp[] = {env[0].s, env[1].s, env[2].s, env[3].s, env[4].s, NULL};
	int code = rcptcheck_exec(path, envp, SPP_TIMEOUT_S, SPP_OUT_MAX, &out);
	struct spp_result r;
	spp_parse_output(sbuf_cstr(&out), out.len, &r);
	if (code != 0) {
		log_kv(LOG_LEVEL_WARN, "plugin", "session", s->id, "plugin", path, "point",
		       point_names[pt], "error", "failed, skipped", (char *)NULL);
		r.action = SPP_NEXT;
	} else {
		apply_side_effects(s, pt, path, &r);
		if (r.action == SPP_REFUSE || r.action == SPP_DROP)
			sbuf_set(reply, r.reply.s, r.reply.len);
	}
	enum spp_action a = r.action;
	spp_result_free(&r);
	for (int i = 0; i < 5; i++)
		sbuf_free(&env[i]);
	sbuf_free(&out);
	free(path);
	return a;
}

static enum smtpd_verdict run_point(struct smtpd_session *s, enum spp_point pt,
                                    const char *arg, struct sbuf *reply)
{
	const struct strlist *l = &s->policy->spp.plugins[pt];
	for (size_t i = 0; i < l->n; i++) {
		enum spp_action a = run_plugin(s, pt, arg, l->v[i], reply);
		if (a == SPP_ACCEPT)
			return SMTPD_ACCEPT;
		if (a == SPP_NEXT)
			continue;
		if (a == SPP_DROP)
			s->want_close = true;
		log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "reason", "plugin", "plugin",
		       l->v[i], "reply", reply->s, (char *)NULL);
		return reply->s[0] == '4' ? SMTPD_DEFER : SMTPD_REJECT;
	}
	return SMTPD_ACCEPT;
}

enum smtpd_verdict smtpd_spp_connect(struct smtpd_session *s, const char *a, struct sbuf *r)
{
	return run_point(s, SPP_CONNECTION, a, r);
}

enum smtpd_verdict smtpd_spp_helo(struct smtpd_session *s, const char *a, struct sbuf *r)
{
	return run_point(s, SPP_HELO, a, r);
}

enum smtpd_verdict smtpd_spp_mail(struct smtpd_session *s, const char *a, struct sbuf *r)
{
	return run_point(s, SPP_MAIL, a, r);
}

enum smtpd_verdict smtpd_spp_rcpt(struct smtpd_session *s, const char *a, struct sbuf *r)
{
	return run_point(s, SPP_RCPT, a, r);
}

enum smtpd_verdict smtpd_spp_data(struct smtpd_session *s, const char *a, struct sbuf *r)
{
	return run_point(s, SPP_DATA, a, r);
}

enum smtpd_verdict smtpd_spp_auth(struct smtpd_session *s, const char *a, struct sbuf *r)
{
	return run_point(s, SPP_AUTH, a, r);
}
