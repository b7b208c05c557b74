/*
 * spf.c: check_host() of RFC 7208 (see spf.h).  Records are parsed by
 * spf_record.c, macros expanded by spf_macro.c.
 */
#include "spf.h"

#include "spf_macro.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define SPF_DEPTH_MAX 12

struct eval {
	const struct spf_dns *dns;
	const struct spf_request *req;
	const char *sender; /* with "postmaster@" when the local part was empty */
	unsigned n_lookups;
	unsigned n_void;
	struct sbuf ptr_name; /* validated %{p} name, computed once */
	bool has_ptr_name;
	const char *cur_domain;
};

static enum spf_result check_host(struct eval *e, const char *domain, unsigned depth,
                                  struct sbuf *exp);

const char *spf_result_name(enum spf_result r)
{
	static const char *const names[] = {"none",     "neutral",   "pass",     "fail",
	                                    "softfail", "temperror", "permerror"};
	return names[r];
}

bool spf_parse_ip(const char *text, int *family, unsigned char ip[16])
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, text, ip) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, ip) != 1)
		return false;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(ip, mapped, 12) == 0) {
		memmove(ip, ip + 12, 4);
		memset(ip + 4, 0, 12);
		*family = AF_INET;
	} else {
		*family = AF_INET6;
	}
	return true;
}

static bool ip_in_net(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* A target name: no empty label (a trailing dot is fine), labels <= 63. */
static bool labels_valid(const char *d)
{
	size_t label = 0;
	for (const char *p = d; *p; p++) {
		if (*p != '.')
			label++;
		else if (label == 0)
			return false;
		else
			label = 0;
		if (label > 63)
			return false;
	}
	return *d != '\0';
}

/* Section 4.3: a name to check must be a FQDN with sane labels. */
static bool domain_valid(const char *d)
{
	size_t n = strlen(d), label = 0, dots = 0;
	if (n == 0 || n > SPF_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return false;
			dots += i + 1 < n;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return dots > 0;
}

static bool count_lookup(struct eval *e)
{
	return ++e->n_lookups <= SPF_LOOKUP_MAX;
}

/* DNS query with the void-lookup count; -1 temperror, -2 permerror. */
static int query(struct eval *e, const char *name, enum spf_rr t, struct strlist *out,
                 bool counts_void)
{
	enum spf_dns_status st = e->dns->lookup(e->dns->ctx, name, t, out);
	if (st == SPF_DNS_TEMP)
		return -1;
	if (counts_void && (st == SPF_DNS_NXDOMAIN || out->n == 0) && ++e->n_void > SPF_VOID_MAX)
		return -2;
	return 0;
}

static bool addr_matches(const struct eval *e, const char *text, const struct spf_term *t)
{
	int fam;
	unsigned char ip[16];
	if (!spf_parse_ip(text, &fam, ip) || fam != e->req->family)
		return false;
	return ip_in_net(ip, e->req->ip, fam == AF_INET ? t->cidr4 : t->cidr6);
}

/* 1 match, 0 none, -1 temperror, -2 permerror. */
static int match_host_addrs(struct eval *e, const char *host, const struct spf_term *t,
                            bool counts_void)
{
	struct strlist addrs = {0};
	enum spf_rr rr = e->req->family == AF_INET ? SPF_RR_A : SPF_RR_AAAA;
	int rc = query(e, host, rr, &addrs, counts_void);
	for (size_t i = 0; rc == 0 && i < addrs.n; i++) {
		if (addr_matches(e, addrs.v[i], t))
			rc = 1;
	}
	strlist_free(&addrs);
	return rc;
}

static int match_mx(struct eval *e, const char *target, const struct spf_term *t)
{
	struct strlist mx = {0};
	int rc = query(e, target, SPF_RR_MX, &mx, true);
	if (rc == 0 && mx.n > SPF_NAMES_MAX)
		rc = -2;
	for (size_t i = 0; rc == 0 && i < mx.n; i++)
		rc = match_host_addrs(e, mx.v[i], t, false);
	strlist_free(&mx);
	return rc;
}

static void reverse_name(const struct spf_request *r, struct sbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	if (r->family == AF_INET) {
		sbuf_printf(out, "%u.%u.%u.%u.in-addr.arpa", r->ip[3], r->ip[2], r->ip[1], r->ip[0]);
		return;
	}
	for (size_t i = 16; i-- > 0;)
		sbuf_printf(out, "%c.%c.", hex[r->ip[i] & 15], hex[r->ip[i] >> 4]);
	sbuf_append_str(out, "ip6.arpa");
}

static bool is_subdomain(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (d > 0 && dom[d - 1] == '.')
		d--;
	if (n == d)
		return strncasecmp(name, dom, n) == 0;
	return n > d && name[n - d - 1] == '.' && strncasecmp(name + n - d, dom, d) == 0;
}

/* Section 5.5: validated names of the client; the one under target first.
 * Returns 1 if one is target or under it (copied to out), 0 otherwise
 * (out gets any validated name). */
static int validated_ptr(struct eval *e, const char *target, struct sbuf *out)
{
	struct sbuf rev = SBUF_INIT;
	struct strlist names = {0};
	struct spf_term host = {.cidr4 = 32, .cidr6 = 128};
	int found = 0;
	reverse_name(e->req, &rev);
	if (query(e, rev.s, SPF_RR_PTR, &names, true) == 0) {
		for (size_t i = 0; i < names.n && i < SPF_NAMES_MAX && found < 1; i++) {
			if (match_host_addrs(e, names.v[i], &host, false) != 1)
				continue;
			if (out->len == 0 || is_subdomain(names.v[i], target))
				sbuf_set_str(out, names.v[i]);
			if (is_subdomain(names.v[i], target))
				found = 1;
		}
	}
	sbuf_free(&rev);
	strlist_free(&names);
	return found;
}

static void get_ptr(void *arg, struct sbuf *out)
{
	struct eval *e = arg;
	if (!e->has_ptr_name) {
		e->has_ptr_name = true;
		unsigned saved_void = e->n_void;
		validated_ptr(e, e->cur_domain, &e->ptr_name);
		e->n_void = saved_void;
		if (e->ptr_name.len == 0)
			sbuf_set_str(&e->ptr_name, "unknown");
	}
	sbuf_append(out, e->ptr_name.s, e->ptr_name.len);
}

static void macro_ctx(struct eval *e, const char *domain, struct spf_macro_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->sender = e->sender;
	c->domain = domain;
	c->helo = e->req->helo;
	c->receiver = e->req->receiver;
	c->family = e->req->family;
	c->ip = e->req->ip;
	c->now = e->req->now;
	c->get_ptr = get_ptr;
	c->ptr_arg = e;
	e->cur_domain = domain;
}

/* The target of a term: its expanded domain-spec or the current domain.
 * false: the expansion failed (permerror). */
static bool term_target(struct eval *e, const char *domain, const char *spec, size_t len,
                        struct sbuf *out)
{
	if (!spec) {
		sbuf_set_str(out, domain);
		return true;
	}
	struct spf_macro_ctx c;
	macro_ctx(e, domain, &c);
	if (spf_macro_expand(spec, len, &c, false, out) < 0)
		return false;
	spf_domain_truncate(out);
	return true;
}

/* include: section 5.2's table. */
static int match_include(struct eval *e, const char *target, unsigned depth)
{
	struct sbuf unused = SBUF_INIT;
	enum spf_result r = check_host(e, target, depth + 1, &unused);
	sbuf_free(&unused);
	switch (r) {
	case SPF_PASS: return 1;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL: return 0;
	case SPF_TEMPERROR: return -1;
	default: return -2;
	}
}

/* 1 match, 0 none, -1 temperror, -2 permerror. */
static int match_term(struct eval *e, const char *domain, const struct spf_term *t,
                      unsigned depth)
{
	struct sbuf target = SBUF_INIT;
	int rc = 0;
	if (t->mech == SPF_M_ALL)
		return 1;
	if (t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6) {
		int fam = t->mech == SPF_M_IP4 ? AF_INET : AF_INET6;
		return fam == e->req->family &&
		       ip_in_net(t->ip, e->req->ip, fam == AF_INET ? t->cidr4 : t->cidr6);
	}
	if (!count_lookup(e))
		return -2;
	if (!term_target(e, domain, t->spec, t->spec_len, &target) || !labels_valid(target.s)) {
		sbuf_free(&target);
		return -2;
	}
	if (t->mech == SPF_M_INCLUDE) {
		rc = match_include(e, target.s, depth);
	} else if (t->mech == SPF_M_A) {
		rc = match_host_addrs(e, target.s, t, true);
	} else if (t->mech == SPF_M_MX) {
		rc = match_mx(e, target.s, t);
	} else if (t->mech == SPF_M_PTR) {
		struct sbuf name = SBUF_INIT;
		rc = validated_ptr(e, target.s, &name);
		sbuf_free(&name);
	} else {
		struct strlist a = {0};
		rc = query(e, target.s, SPF_RR_A, &a, true);
		if (rc == 0 && a.n > 0)
			rc = 1;
		strlist_free(&a);
	}
	sbuf_free(&target);
	return rc;
}

static enum spf_result qualifier_result(char q)
{
	switch (q) {
	case '-': return SPF_FAIL;
	case '~': return SPF_SOFTFAIL;
	case '?': return SPF_NEUTRAL;
	default: return SPF_PASS;
	}
}

/* Section 4.4-4.5: the one SPF record of domain; r->n holds its text. */
static enum spf_result fetch_record(struct eval *e, const char *domain, struct sbuf *txt)
{
	struct strlist recs = {0};
	enum spf_dns_status st = e->dns->lookup(e->dns->ctx, domain, SPF_RR_TXT, &recs);
	enum spf_result r = SPF_NONE;
	size_t found = 0;
	if (st == SPF_DNS_TEMP)
		r = SPF_TEMPERROR;
	for (size_t i = 0; st == SPF_DNS_OK && i < recs.n; i++) {
		if (spf_is_record(recs.v[i]) && found++ == 0)
			sbuf_set_str(txt, recs.v[i]);
	}
	if (found > 1)
		r = SPF_PERMERROR;
	else if (found == 1)
		r = SPF_PASS; /* "found": evaluate it */
	strlist_free(&recs);
	return r;
}

/* Section 6.2: the explanation for a fail; left empty on any problem. */
static void explain(struct eval *e, const char *domain, const struct spf_record *rec,
                    struct sbuf *exp)
{
	struct sbuf name = SBUF_INIT;
	struct strlist txt = {0};
	sbuf_clear(exp);
	if (!rec->exp || !term_target(e, domain, rec->exp, rec->exp_len, &name) ||
	    !domain_valid(name.s))
		goto out;
	if (e->dns->lookup(e->dns->ctx, name.s, SPF_RR_TXT, &txt) != SPF_DNS_OK || txt.n != 1)
		goto out;
	struct spf_macro_ctx c;
	macro_ctx(e, domain, &c);
	if (spf_macro_expand(txt.v[0], strlen(txt.v[0]), &c, true, exp) < 0)
		sbuf_clear(exp);
out:
	sbuf_free(&name);
	strlist_free(&txt);
}

static enum spf_result run_record(struct eval *e, const char *domain,
                                  const struct spf_record *rec, unsigned depth,
                                  struct sbuf *exp)
{
	for (size_t i = 0; i < rec->n; i++) {
		int m = match_term(e, domain, &rec->terms[i], depth);
		if (m == -1)
			return SPF_TEMPERROR;
		if (m == -2)
			return SPF_PERMERROR;
		if (m == 1) {
			enum spf_result r = qualifier_result(rec->terms[i].qualifier);
			if (r == SPF_FAIL)
				explain(e, domain, rec, exp);
			return r;
		}
	}
	if (!rec->redirect)
		return SPF_NEUTRAL;
	struct sbuf target = SBUF_INIT;
	enum spf_result r = SPF_PERMERROR;
	if (count_lookup(e) && term_target(e, domain, rec->redirect, rec->redirect_len, &target) &&
	    domain_valid(target.s)) {
		r = check_host(e, target.s, depth + 1, exp);
		if (r == SPF_NONE)
			r = SPF_PERMERROR;
	}
	sbuf_free(&target);
	return r;
}

static enum spf_result check_host(struct eval *e, const char *domain, unsigned depth,
                                  struct sbuf *exp)
{
	struct sbuf txt = SBUF_INIT;
	struct spf_record rec;
	if (depth > SPF_DEPTH_MAX)
		return SPF_PERMERROR;
	if (!domain_valid(domain))
		return depth == 0 ? SPF_NONE : SPF_PERMERROR;
	enum spf_result r = fetch_record(e, domain, &txt);
	if (r == SPF_PASS) {
		if (spf_record_parse(txt.s, &rec) < 0)
			r = SPF_PERMERROR;
		else
			r = run_record(e, domain, &rec, depth, exp);
	}
	sbuf_free(&txt);
	return r;
}

void spf_check(const struct spf_dns *dns, const struct spf_request *req, struct spf_answer *ans)
{
	struct eval e = {.dns = dns, .req = req};
	struct sbuf sender = SBUF_INIT;
	memset(ans, 0, sizeof *ans);
	if (req->sender[0] == '\0')
		sbuf_printf(&sender, "postmaster@%s", req->helo);
	else if (req->sender[0] == '@')
		sbuf_printf(&sender, "postmaster%s", req->sender);
	else if (!strchr(req->sender, '@'))
		sbuf_printf(&sender, "postmaster@%s", req->sender);
	else
		sbuf_set_str(&sender, req->sender);
	e.sender = sender.s;
	sbuf_set_str(&ans->identity, sender.s);
	ans->result = check_host(&e, strrchr(sender.s, '@') + 1, 0, &ans->explanation);
	sbuf_free(&sender);
	sbuf_free(&e.ptr_name);
}

void spf_answer_free(struct spf_answer *a)
{
	sbuf_free(&a->explanation);
	sbuf_free(&a->identity);
}
