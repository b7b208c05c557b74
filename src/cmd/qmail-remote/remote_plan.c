#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"

static uint32_t random_u32(void)
{
	uint32_t v;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
		v = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return v;
}

/* "1.2.3.4", "2001:db8::1" or "IPv6:2001:db8::1" into a. */
static bool parse_literal(const char *s, struct dns_addr *a)
{
	memset(a, 0, sizeof *a);
	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* A domain written "[1.2.3.4]" (RFC 5321 4.1.3). */
static bool domain_literal(const char *d, struct dns_addr *a)
{
	size_t n = strlen(d);
	char buf[ADDR_DOMAIN_MAX + 1];
	if (n < 3 || n > ADDR_DOMAIN_MAX || d[0] != '[' || d[n - 1] != ']')
		return false;
	memcpy(buf, d + 1, n - 2);
	buf[n - 2] = '\0';
	return parse_literal(buf, a);
}

static void add_target(struct remote_plan *p, const char *name, const struct dns_addr *a,
                       unsigned port)
{
	if (p->n >= REMOTE_TARGETS_MAX)
		return;
	struct remote_target *t = &p->v[p->n++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->addr = *a;
	t->port = port;
}

static enum dns_status add_host(struct dns *d, const char *name, unsigned port,
                                struct remote_plan *p)
{
	struct dns_addrlist *al = calloc(1, sizeof *al);
	if (!al)
		return DNS_TEMP;
	enum dns_status st = dns_addrs(d, name, true, al);
	for (size_t i = 0; st == DNS_OK && i < al->n; i++)
		add_target(p, name, &al->v[i], port);
	free(al);
	return st;
}

static enum remote_status by_mx(struct dns *d, const char *domain, struct remote_plan *p,
                                struct sbuf *text)
{
	struct dns_mxlist *mx = calloc(1, sizeof *mx);
	if (!mx)
		return REMOTE_DEFER;
	enum dns_status st = dns_mx(d, domain, mx);
	enum remote_status rs = REMOTE_GO;
	if (st == DNS_NOTFOUND) {
		sbuf_printf(text, "Sorry, I couldn't find any host named %s. (#5.1.2)", domain);
		rs = REMOTE_FAIL;
	} else if (st == DNS_NULLMX) {
		sbuf_printf(text, "Sorry, %s does not accept mail (null MX, RFC 7505). (#5.1.10)",
			    domain);
		rs = REMOTE_FAIL;
	} else if (st == DNS_TEMP) {
		sbuf_printf(text, "DNS lookup of the MX for %s failed temporarily. (#4.4.3)", domain);
		rs = REMOTE_DEFER;
	}
	if (rs == REMOTE_GO && mx->n == 0) {
		mx->n = 1;
		snprintf(mx->v[0].name, sizeof mx->v[0].name, "%s", domain);
		mx->v[0].pref = 0;
	}
	dns_mx_sort(mx->v, mx->n, random_u32);
	bool is_temp = false;
	for (size_t i = 0; rs == REMOTE_GO && i < mx->n; i++)
		if (add_host(d, mx->v[i].name, REMOTE_PORT_SMTP, p) == DNS_TEMP)
			is_temp = true;
	if (rs == REMOTE_GO && p->n == 0) {
		rs = is_temp ? REMOTE_DEFER : REMOTE_FAIL;
		sbuf_printf(text, is_temp ? "DNS lookup of the mail hosts of %s failed temporarily. (#4.4.3)"
					  : "Sorry, the mail hosts of %s have no addresses. (#5.4.4)",
			    domain);
	}
	free(mx);
	return rs;
}

static enum remote_status by_route(struct dns *d, const struct smtproute *r,
                                   struct remote_plan *p, struct sbuf *text)
{
	unsigned port = r->port ? r->port : REMOTE_PORT_SMTP;
	struct dns_addr a;
	if (r->is_literal || parse_literal(r->host, &a)) {
		if (!parse_literal(r->host, &a)) {
			sbuf_printf(text, "Bad address [%s] in control/smtproutes. (#4.3.5)", r->host);
			return REMOTE_DEFER;
		}
		add_target(p, r->host, &a, port);
		return REMOTE_GO;
	}
	if (add_host(d, r->host, port, p) != DNS_OK) {
		sbuf_printf(text, "Cannot find an address for the smarthost %s. (#4.4.3)", r->host);
		return REMOTE_DEFER;
	}
	return REMOTE_GO;
}

enum remote_status remote_plan_make(const struct remote_conf *c, const char *domain,
                                    struct remote_plan *plan, struct sbuf *text)
{
	memset(plan, 0, sizeof *plan);
	const char *v = smtproutes_find(&c->routes, domain);
	if (v && smtproutes_parse(v, &plan->route) < 0) {
		sbuf_printf(text, "Bad control/smtproutes entry for %s. (#4.3.5)", domain);
		return REMOTE_DEFER;
	}
	plan->has_route = v && plan->route.host[0];
	struct dns_addr a;
	if (!plan->has_route && domain_literal(domain, &a)) {
		add_target(plan, domain, &a, REMOTE_PORT_SMTP);
		return REMOTE_GO;
	}
	if (plan->has_route && (plan->route.is_literal || parse_literal(plan->route.host, &a)))
		return by_route(NULL, &plan->route, plan, text);
	struct sbuf err = SBUF_INIT;
	struct dns *d = dns_open(&c->dnsservers, &err);
	if (!d) {
		sbuf_printf(text, "DNS %s. (#4.3.0)", sbuf_cstr(&err));
		sbuf_free(&err);
		return REMOTE_DEFER;
	}
	sbuf_free(&err);
	enum remote_status rs = plan->has_route ? by_route(d, &plan->route, plan, text)
						: by_mx(d, domain, plan, text);
	dns_close(d);
	return rs;
}
