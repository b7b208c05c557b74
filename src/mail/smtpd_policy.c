/*
 * smtpd_policy.c: loading the anti-abuse settings and the connect, HELO
 * and MAIL hooks (see smtpd_policy.h).  RCPT is in smtpd_policy_rcpt.c.
 */
#include "smtpd_policy.h"

#include "addr.h"
#include "alloc.h"
#include "dnsbl.h"
#include "greylist.h"
#include "instance.h"
#include "log.h"
#include "ratelimit.h"
#include "scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

static const struct {
	const char *name;
	size_t offset;
} list_files[] = {
    {"badhelo", offsetof(struct smtpd_policy, badhelo)},
    {"badrcptto", offsetof(struct smtpd_policy, badrcptto)},
    {"dnsbl", offsetof(struct smtpd_policy, dnsbl)},
    {"dnsblallow", offsetof(struct smtpd_policy, dnsblallow)},
    {"greylistallow", offsetof(struct smtpd_policy, greylistallow)},
    {"dnsservers", offsetof(struct smtpd_policy, dnsservers)},
};

static bool env_number(const char *name, uint64_t max, uint64_t def, uint64_t *out)
{
	const char *v = getenv(name);
	*out = def;
	return !v || *v == '\0' || scan_u64_str(v, max, out);
}

static int load_ratelimit_rules(const char *name, enum ratelimit_kind kind,
                                struct ratelimit_rules *out)
{
	struct strlist lines = {0};
	size_t bad_line;
	int r = control_read_lines(name, &lines);
	if (r >= 0 && !ratelimit_rules_parse(&lines, kind, out, &bad_line)) {
		char n[24];
		snprintf(n, sizeof n, "%zu", bad_line);
		log_kv(LOG_LEVEL_ERROR, "config", "file", name, "line", n, "error",
		       "expected MATCH MESSAGES RECIPIENTS SECONDS", (char *)NULL);
		errno = EINVAL;
		r = -1;
	}
	strlist_free(&lines);
	return r < 0 ? -1 : 0;
}

static int load_ratelimit(struct smtpd_policy *p, const char **what)
{
	*what = "ratelimit_ip";
	if (load_ratelimit_rules(*what, RATELIMIT_BY_IP, &p->ratelimit_ip) < 0)
		return -1;
	*what = "ratelimit_auth";
	if (load_ratelimit_rules(*what, RATELIMIT_BY_USER, &p->ratelimit_auth) < 0)
		return -1;
	p->ratelimit_dir = instance_path("ratelimit");
	p->is_ratelimit_off = getenv("NORATELIMIT") != NULL;
	return 0;
}

int smtpd_policy_load(struct smtpd_policy *p, const char **what)
{
	uint64_t v;
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < sizeof list_files / sizeof list_files[0]; i++) {
		*what = list_files[i].name;
		if (control_read_lines(*what, (struct strlist *)((char *)p + list_files[i].offset)) < 0)
			return -1;
	}
	*what = "spfbehavior";
	if (control_read_u64("spfbehavior", 1, SPF_BEHAVIOR_MAX, &v) < 0)
		return -1;
	*what = "SPFBEHAVIOR";
	if (!env_number("SPFBEHAVIOR", SPF_BEHAVIOR_MAX, v, &v))
		return errno = EINVAL, -1;
	p->spf_level = (unsigned)v;
	*what = "greylist";
	int r = control_read_u64("greylist", 0, GREYLIST_DELAY_MAX, &p->greylist_delay);
	if (r < 0)
		return -1;
	if (r == 0)
		p->greylist_delay = 0;
	else if (p->greylist_delay == 0)
		p->greylist_delay = 1; /* present with 0: on, no wait beyond the first try */
	p->greylist_dir = instance_path("greylist");
	struct strlist spp_lines = {0};
	*what = "smtpplugins";
	r = control_read_lines("smtpplugins", &spp_lines);
	if (r >= 0)
		r = spp_config_parse(&spp_lines, &p->spp);
	strlist_free(&spp_lines);
	if (r < 0)
		return -1;
	const char *rc = getenv("RCPTCHECK");
	p->rcptcheck = rc && *rc ? rc : NULL;
	*what = "TARPITCOUNT";
	if (!env_number("TARPITCOUNT", 100000, 0, &p->tarpit_count))
		return errno = EINVAL, -1;
	*what = "TARPITDELAY";
	if (!env_number("TARPITDELAY", TARPIT_DELAY_MAX, TARPIT_DELAY_DEFAULT, &p->tarpit_delay))
		return errno = EINVAL, -1;
	return load_ratelimit(p, what);
}

void smtpd_policy_free(struct smtpd_policy *p)
{
	for (size_t i = 0; i < sizeof list_files / sizeof list_files[0]; i++)
		strlist_free((struct strlist *)((char *)p + list_files[i].offset));
	free(p->greylist_dir);
	ratelimit_rules_free(&p->ratelimit_ip);
	ratelimit_rules_free(&p->ratelimit_auth);
	free(p->ratelimit_dir);
	spp_config_free(&p->spp);
	spf_dns_close(p->dns);
	sbuf_free(&p->dnsbl_reply);
}

bool smtpd_policy_host_listed(const struct strlist *l, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		size_t el = strlen(e);
		if (strcasecmp(e, name) == 0)
			return true;
		if (e[0] == '.' && n > el && strcasecmp(name + n - el, e) == 0)
			return true;
	}
	return false;
}

bool smtpd_policy_addr_listed(const struct strlist *l, const char *addr)
{
	const char *domain = addr_domain(addr);
	if (*addr == '\0')
		return false;
	for (size_t i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		if (strcasecmp(e, addr) == 0)
			return true;
		if (e[0] == '@' && *domain && strcasecmp(e + 1, domain) == 0)
			return true;
		if (e[0] == '.' && *domain) {
			struct strlist one = {(char **)&e, 1, 1};
			if (smtpd_policy_host_listed(&one, domain))
				return true;
		}
	}
	return false;
}

const char *smtpd_policy_spf_reply(unsigned level, enum spf_result r)
{
	if (r == SPF_TEMPERROR)
		return level >= 2 ? "451 4.7.24 SPF temporary error, try again later" : NULL;
	if (level < 3 || r == SPF_PASS)
		return NULL;
	if (r == SPF_PERMERROR)
		return "550 5.7.24 SPF permanent error: the sender's SPF record is broken";
	if (r == SPF_FAIL || (r == SPF_SOFTFAIL && level >= 4) || (r == SPF_NEUTRAL && level >= 5) ||
	    level >= 6)
		return "550 5.7.23 SPF: sender not permitted from this address";
	return NULL;
}

bool smtpd_policy_is_exempt(const struct smtpd_session *s)
{
	return s->cfg->is_relayclient || s->auth_user.len > 0;
}

/*
 * A resolver made ready in qmail-smtpd's zygote (smtpd_policy_prepare_dns)
 * for the servers it was made for; a forked session takes its own copy.
 * libunbound draws fresh random numbers (query ids, ports) from
 * getentropy for every lookup, so copies in sibling processes do not
 * repeat each other (tests/integ/test_policy.py checks the query ids).
 */
static struct spf_dns *prepared;
static struct strlist prepared_for;
/* The shared DNS cache made in the zygote; inherited by its sessions. */
static struct dnscache *shared_cache;

static bool same_servers(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static void drop_prepared(void)
{
	spf_dns_close(prepared);
	prepared = NULL;
	strlist_free(&prepared_for);
}

void smtpd_policy_prepare_dns(const struct smtpd_policy *p)
{
	bool wanted = p->spf_level > 0 || p->dnsbl.n > 0;
	dnscache_destroy(shared_cache); /* servers or zone data may have changed */
	shared_cache = wanted ? dnscache_create(DNSCACHE_SLOTS) : NULL;
	if (prepared && (!wanted || !same_servers(&prepared_for, &p->dnsservers)))
		drop_prepared();
	if (!wanted || prepared)
		return;
	struct sbuf err = SBUF_INIT;
	prepared = spf_dns_open(&p->dnsservers, &err);
	sbuf_free(&err);
	if (prepared && spf_dns_warm(prepared) < 0)
		drop_prepared();
	for (size_t i = 0; prepared && i < p->dnsservers.n; i++)
		strlist_add(&prepared_for, p->dnsservers.v[i], strlen(p->dnsservers.v[i]));
}

const struct spf_dns *smtpd_policy_dns(struct smtpd_policy *p)
{
	if (!p->dns && prepared && same_servers(&prepared_for, &p->dnsservers)) {
		p->dns = prepared; /* this process's copy: it is the session's now */
		prepared = NULL;
		strlist_free(&prepared_for);
	}
	if (!p->dns && !p->has_dns_failed) {
		struct sbuf err = SBUF_INIT;
		p->dns = spf_dns_open(&p->dnsservers, &err);
		if (!p->dns) {
			p->has_dns_failed = true;
			log_kv(LOG_LEVEL_ERROR, "dns", "error", err.s, (char *)NULL);
		}
		sbuf_free(&err);
	}
	if (p->dns && shared_cache && !p->cached.cache) {
		const struct dnscache_source src = {spf_dns_lookup_ttl, p->dns};
		dnscache_dns_init(&p->cached, shared_cache, &src);
	}
	return p->cached.cache ? &p->cached.ops : p->dns;
}

/* $RBLSMTPD as rblsmtpd reads it: 1 decided (reply set or not), 0 not set. */
static int rblsmtpd_env(struct smtpd_policy *p)
{
	const char *v = getenv("RBLSMTPD");
	if (!v)
		return 0;
	if (*v == '\0')
		return 1;
	struct sbuf text = SBUF_INIT;
	dnsbl_clean_text(v[0] == '-' ? v + 1 : v, &text);
	sbuf_printf(&p->dnsbl_reply, "%s %s", v[0] == '-' ? "554 5.7.1" : "451 4.7.1", text.s);
	sbuf_free(&text);
	return 1;
}

static enum smtpd_verdict hook_connect(struct smtpd_session *s, const char *arg,
                                       struct sbuf *reply)
{
	struct smtpd_policy *p = s->policy;
	const char *ip = sbuf_cstr(&s->cfg->remote_ip);
	(void)arg;
	(void)reply;
	const struct spf_dns *dns;
	if (s->cfg->is_relayclient || rblsmtpd_env(p) || p->dnsbl.n == 0 || *ip == '\0' ||
	    dnsbl_ip_listed(&p->dnsblallow, ip) || !(dns = smtpd_policy_dns(p)))
		return SMTPD_ACCEPT;
	struct sbuf zone = SBUF_INIT, text = SBUF_INIT;
	unsigned n_temp;
	enum dnsbl_status st = dnsbl_check(dns, &p->dnsbl, ip, &zone, &text, &n_temp);
	if (st == DNSBL_LISTED)
		sbuf_printf(&p->dnsbl_reply, "554 5.7.1 %s", text.s);
	log_kv(LOG_LEVEL_INFO, "dnsbl", "session", s->id, "ip", ip, "result",
	       st == DNSBL_LISTED ? "listed" : st == DNSBL_TEMP ? "dns-error" : "clean", "zone",
	       st == DNSBL_LISTED ? zone.s : "-", "text", st == DNSBL_LISTED ? text.s : "-",
	       (char *)NULL);
	sbuf_free(&zone);
	sbuf_free(&text);
	return SMTPD_ACCEPT; /* refused at MAIL, so that AUTH still works */
}

/* A HELO naming this host: control/me, our address, or "[our address]". */
static bool helo_is_us(const struct smtpd_session *s, const char *name)
{
	const char *lip = sbuf_cstr(&s->cfg->local_ip);
	size_t n = strlen(name), ln = strlen(lip);
	if (strcasecmp(name, sbuf_cstr(&s->cfg->me)) == 0)
		return true;
	/* a client on this very host may truthfully use our address */
	if (ln == 0 || strcmp(sbuf_cstr(&s->cfg->remote_ip), lip) == 0)
		return false;
	return strcmp(name, lip) == 0 ||
	       (n == ln + 2 && name[0] == '[' && strncmp(name + 1, lip, ln) == 0 && name[n - 1] == ']');
}

static enum smtpd_verdict hook_helo(struct smtpd_session *s, const char *name,
                                    struct sbuf *reply)
{
	const char *why = NULL;
	/* Submission clients get no HELO checks (they authenticate instead). */
	if (s->cfg->is_relayclient || s->is_submission)
		return SMTPD_ACCEPT;
	if (smtpd_policy_host_listed(&s->policy->badhelo, name)) {
		why = "badhelo";
		sbuf_set_str(reply, "550 5.7.1 sorry, your HELO name is in my badhelo list");
	} else if (helo_is_us(s, name)) {
		why = "helo-is-us";
		sbuf_set_str(reply, "550 5.7.1 sorry, you are not me");
	} else {
		return SMTPD_ACCEPT;
	}
	log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "helo", name, "reason", why,
	       (char *)NULL);
	return SMTPD_REJECT;
}

/* Runs SPF for this MAIL; fills s->add_headers; NULL or the refusal. */
static const char *check_spf(struct smtpd_session *s, const char *sender)
{
	struct smtpd_policy *p = s->policy;
	struct spf_request req = {.sender = sender, .helo = sbuf_cstr(&s->helo),
	                          .receiver = sbuf_cstr(&s->cfg->me), .now = (uint64_t)time(NULL)};
	const struct spf_dns *dns;
	if (!spf_parse_ip(sbuf_cstr(&s->cfg->remote_ip), &req.family, req.ip) ||
	    !(dns = smtpd_policy_dns(p)))
		return NULL;
	struct spf_answer a;
	spf_check(dns, &req, &a);
	p->spf = a.result;
	p->has_spf = true;
	spf_received_spf(&req, &a, sbuf_cstr(&s->cfg->me), &s->add_headers);
	log_kv(LOG_LEVEL_INFO, "spf", "session", s->id, "ip", sbuf_cstr(&s->cfg->remote_ip),
	       "identity", a.identity.s, "result", spf_result_name(a.result), (char *)NULL);
	spf_answer_free(&a);
	return smtpd_policy_spf_reply(p->spf_level, p->spf);
}

static enum smtpd_verdict hook_mail(struct smtpd_session *s, const char *sender,
                                    struct sbuf *reply)
{
	struct smtpd_policy *p = s->policy;
	const char *refusal = NULL, *why = NULL;
	sbuf_clear(&s->add_headers);
	p->has_spf = false;
	if (smtpd_policy_is_exempt(s))
		return SMTPD_ACCEPT;
	if (p->dnsbl_reply.len > 0) {
		refusal = p->dnsbl_reply.s;
		why = "dnsbl";
	} else if (p->spf_level > 0) {
		refusal = check_spf(s, sender);
		why = "spf";
	}
	if (!refusal)
		return SMTPD_ACCEPT;
	sbuf_set_str(reply, refusal);
	log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "sender", sender, "reason", why,
	       "reply", refusal, (char *)NULL);
	sbuf_clear(&s->add_headers);
	return refusal[0] == '4' ? SMTPD_DEFER : SMTPD_REJECT;
}

/* The rule and key for this client, or NULL (no limit applies). */
static const struct ratelimit_rule *ratelimit_rule_for(const struct smtpd_session *s,
                                                       struct sbuf *key)
{
	const struct smtpd_policy *p = s->policy;
	const char *ip = sbuf_cstr(&s->cfg->remote_ip);
	if (s->auth_user.len > 0) {
		ratelimit_key_user(s->auth_user.s, key);
		return ratelimit_rules_match_user(&p->ratelimit_auth, s->auth_user.s);
	}
	if (p->is_ratelimit_off || !ratelimit_key_ip(ip, key))
		return NULL;
	return ratelimit_rules_match_ip(&p->ratelimit_ip, ip);
}

/* Once per session, one session in 64 removes the idle entries of one
 * bucket; the session id is random, so its digits pick both. */
static void ratelimit_maybe_sweep(struct smtpd_session *s, uint64_t now)
{
	struct smtpd_policy *p = s->policy;
	unsigned bucket, draw;
	if (p->has_ratelimit_swept)
		return;
	p->has_ratelimit_swept = true;
	if (sscanf(s->id, "%2x%2x", &bucket, &draw) != 2 || draw % 64 != 0)
		return;
	uint64_t w = ratelimit_rules_window_max(&p->ratelimit_ip),
	         wa = ratelimit_rules_window_max(&p->ratelimit_auth);
	long n = ratelimit_sweep(p->ratelimit_dir, bucket, now, 2 * (w > wa ? w : wa) + 60);
	char num[24];
	snprintf(num, sizeof num, "%ld", n);
	log_kv(n < 0 ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG, "ratelimit", "session", s->id, "sweep",
	       num, (char *)NULL);
}

static enum smtpd_verdict ratelimit_hook(struct smtpd_session *s, enum ratelimit_counter c,
                                         const char *arg, struct sbuf *reply)
{
	struct smtpd_policy *p = s->policy;
	struct sbuf key = SBUF_INIT;
	const struct ratelimit_rule *rule = ratelimit_rule_for(s, &key);
	enum ratelimit_verdict v = RATELIMIT_PASS;
	uint64_t now = (uint64_t)time(NULL);
	if (rule && rule->max[c] > 0) {
		(void)mkdir(p->ratelimit_dir, 0700);
		ratelimit_maybe_sweep(s, now);
		v = ratelimit_check(p->ratelimit_dir, key.s, c, now, rule->max[c], rule->window_s);
	}
	const char *what = c == RATELIMIT_MESSAGES ? "messages" : "recipients";
	if (v == RATELIMIT_ERROR)
		log_kv(LOG_LEVEL_WARN, "ratelimit", "session", s->id, "key", key.s, "error",
		       "store failed, accepting", "dir", p->ratelimit_dir, (char *)NULL);
	if (v == RATELIMIT_OVER) {
		char limit[48];
		snprintf(limit, sizeof limit, "%llu/%llus", (unsigned long long)rule->max[c],
		         (unsigned long long)rule->window_s);
		sbuf_printf(reply, "451 4.7.1 too many %s from your %s, try again later", what,
		            s->auth_user.len > 0 ? "account" : "address");
		log_kv(LOG_LEVEL_INFO, "reject", "session", s->id,
		       c == RATELIMIT_MESSAGES ? "sender" : "rcpt", arg, "reason", "ratelimit",
		       "key", key.s, "rule", rule->match, "limit", limit, "counter", what,
		       (char *)NULL);
	}
	sbuf_free(&key);
	return v == RATELIMIT_OVER ? SMTPD_DEFER : SMTPD_ACCEPT;
}

static enum smtpd_verdict hook_ratelimit_mail(struct smtpd_session *s, const char *sender,
                                              struct sbuf *reply)
{
	return ratelimit_hook(s, RATELIMIT_MESSAGES, sender, reply);
}

static enum smtpd_verdict hook_ratelimit_rcpt(struct smtpd_session *s, const char *rcpt,
                                              struct sbuf *reply)
{
	return ratelimit_hook(s, RATELIMIT_RECIPIENTS, rcpt, reply);
}

/* Rate limits come last, so that only what every other check accepted
 * is counted. */
static const struct smtpd_hook policy_hooks[] = {
    {SMTPD_HOOK_CONNECT, hook_connect},
    {SMTPD_HOOK_HELO, hook_helo},
    {SMTPD_HOOK_MAIL, hook_mail},
    {SMTPD_HOOK_RCPT, smtpd_policy_rcpt_hook},
    {SMTPD_HOOK_CONNECT, smtpd_spp_connect},
    {SMTPD_HOOK_HELO, smtpd_spp_helo},
    {SMTPD_HOOK_MAIL, smtpd_spp_mail},
    {SMTPD_HOOK_RCPT, smtpd_spp_rcpt},
    {SMTPD_HOOK_DATA, smtpd_spp_data},
    {SMTPD_HOOK_AUTH, smtpd_spp_auth},
    {SMTPD_HOOK_MAIL, hook_ratelimit_mail},
    {SMTPD_HOOK_RCPT, hook_ratelimit_rcpt},
};

void smtpd_policy_attach(struct smtpd_policy *p, struct smtpd_session *s)
{
	s->policy = p;
	smtpd_session_set_hooks(s, policy_hooks, sizeof policy_hooks / sizeof policy_hooks[0]);
}
