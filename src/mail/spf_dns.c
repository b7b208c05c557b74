/*
 * spf_dns.c: the DNS side of the SPF evaluator and of the DNSBL check,
 * through libunbound (see spf.h).  The resolver is set up as dns.c's
 * dns_open does it: control/dnsservers lines "IP[@PORT]" as forwarders,
 * else /etc/resolv.conf.  TXT strings of one record are joined (RFC 7208
 * 3.3); host names from the wire go through dns_name_parse, so only
 * letters, digits, '-', '_' and '.' survive, except MX targets, which
 * serve only as names to look up: any visible ASCII but '\\' (RFC 7208
 * 7.1 lets a domain-spec name such a host; the suite's mx-colon-domain).
 * PTR names stay strict: %{p} reaches explanations and headers.
 */
#include "spf.h"

#include "alloc.h"
#include "dns.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "unbound_dl.h"

#define RR_A 1
#define RR_PTR 12
#define RR_MX 15
#define RR_TXT 16
#define RR_AAAA 28
#define CLASS_IN 1
#define RCODE_NXDOMAIN 3

struct spf_dns_ub {
	struct spf_dns ops;
	struct ub_ctx *ub;
};

static void add_txt(const unsigned char *p, size_t n, struct strlist *out)
{
	struct sbuf t = SBUF_INIT;
	for (size_t pos = 0; pos < n;) {
		size_t l = p[pos++];
		if (l > n - pos)
			break;
		for (size_t i = 0; i < l; i++)
			sbuf_append_char(&t, p[pos + i] ? (char)p[pos + i] : '?');
		pos += l;
	}
	strlist_add(out, sbuf_cstr(&t), t.len);
	sbuf_free(&t);
}

static void add_rdata(enum spf_rr type, const unsigned char *p, size_t n, struct strlist *out)
{
	char text[ADDR_DOMAIN_MAX + 1];
	struct dns_mx mx;
	if (type == SPF_RR_TXT) {
		add_txt(p, n, out);
	} else if (type == SPF_RR_A || type == SPF_RR_AAAA) {
		if (n == (type == SPF_RR_A ? 4u : 16u) &&
		    inet_ntop(type == SPF_RR_A ? AF_INET : AF_INET6, p, text, sizeof text))
			strlist_add(out, text, strlen(text));
	} else if (type == SPF_RR_MX) {
		if (dns_mx_parse_as(p, n, DNS_NAME_VISIBLE, &mx) && mx.name[0])
			strlist_add(out, mx.name, strlen(mx.name));
	} else if (dns_name_parse(p, n, text) == n) {
		strlist_add(out, text, strlen(text));
	}
}

/* How long the answer may be kept: for data, its records' TTL.  Without
 * data, libunbound gives the negative TTL from the SOA in the authority
 * section (the smaller of the SOA's TTL and its minimum field), but with
 * an empty authority section a made-up value (32768 with libunbound
 * 1.17): then 0, not to be kept.  The authority count is in the reply's
 * header (RFC 1035 4.1.1, bytes 8-9). */
static uint32_t answer_ttl(const struct ub_result *r)
{
	const unsigned char *p = r->answer_packet;
	if (r->ttl <= 0)
		return 0;
	if (!r->havedata && (!p || r->answer_len < 12 || (p[8] == 0 && p[9] == 0)))
		return 0;
	return (uint32_t)r->ttl;
}

static enum spf_dns_status resolve(struct spf_dns_ub *d, const char *name, enum spf_rr type,
                                   struct strlist *out, uint32_t *ttl)
{
	static const int rrtype[] = {[SPF_RR_A] = RR_A, [SPF_RR_AAAA] = RR_AAAA,
	                             [SPF_RR_MX] = RR_MX, [SPF_RR_TXT] = RR_TXT,
	                             [SPF_RR_PTR] = RR_PTR};
	struct ub_result *r = NULL;
	strlist_free(out);
	*ttl = 0;
	if (ubdl.resolve(d->ub, name, rrtype[type], CLASS_IN, &r) != 0 || !r)
		return SPF_DNS_TEMP;
	enum spf_dns_status st = SPF_DNS_OK;
	if (r->nxdomain || r->rcode == RCODE_NXDOMAIN)
		st = SPF_DNS_NXDOMAIN;
	else if (r->rcode != 0 || r->bogus)
		st = SPF_DNS_TEMP;
	for (int i = 0; st == SPF_DNS_OK && r->havedata && r->data[i] && out->n < DNS_RECORDS_MAX;
	     i++)
		add_rdata(type, (const unsigned char *)r->data[i], (size_t)r->len[i], out);
	if (st != SPF_DNS_TEMP)
		*ttl = answer_ttl(r);
	ubdl.resolve_free(r);
	return st;
}

static enum spf_dns_status ub_lookup(void *ctx, const char *name, enum spf_rr type,
                                     struct strlist *out)
{
	uint32_t ttl;
	return resolve(ctx, name, type, out, &ttl);
}

enum spf_dns_status spf_dns_lookup_ttl(void *resolver, const char *name, enum spf_rr type,
                                       struct strlist *out, uint32_t *ttl)
{
	struct spf_dns *d = resolver;
	return resolve(d->ctx, name, type, out, ttl);
}

struct spf_dns *spf_dns_open(const struct strlist *servers, struct sbuf *err)
{
	struct ub_ctx *ub = unbound_dl_context(servers, 1, err);
	if (!ub)
		return NULL;
	struct spf_dns_ub *d = xmalloc(sizeof *d);
	d->ub = ub;
	d->ops.lookup = ub_lookup;
	d->ops.ctx = d;
	return &d->ops;
}

int spf_dns_warm(struct spf_dns *d)
{
	struct spf_dns_ub *u = d->ctx;
	struct ub_result *r = NULL;
	int rc = ubdl.resolve(u->ub, "localhost.", RR_A, CLASS_IN, &r);
	bool ok = rc == 0 && r && r->havedata;
	if (r)
		ubdl.resolve_free(r);
	return ok ? 0 : -1;
}

void spf_dns_close(struct spf_dns *d)
{
	if (!d)
		return;
	struct spf_dns_ub *u = d->ctx;
	ubdl.ctx_delete(u->ub);
	free(u);
}
