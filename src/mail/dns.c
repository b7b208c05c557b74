#include "dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "unbound_dl.h"

#include "alloc.h"

#define RR_A 1
#define RR_MX 15
#define RR_AAAA 28
#define CLASS_IN 1
#define RCODE_NXDOMAIN 3

struct dns {
	struct ub_ctx *ub;
};

static bool name_char_ok(unsigned char c, enum dns_name_chars chars)
{
	if (chars == DNS_NAME_VISIBLE)
		return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

size_t dns_name_parse(const unsigned char *p, size_t n, char out[ADDR_DOMAIN_MAX + 1])
{
	return dns_name_parse_as(p, n, DNS_NAME_HOST, out);
}

size_t dns_name_parse_as(const unsigned char *p, size_t n, enum dns_name_chars chars,
                         char out[ADDR_DOMAIN_MAX + 1])
{
	size_t pos = 0, olen = 0;
	out[0] = '\0';
	for (;;) {
		if (pos >= n)
			return 0;
		size_t l = p[pos++];
		if (l == 0)
			break;
		if (l > 63 || l > n - pos || olen + l + 1 > ADDR_DOMAIN_MAX)
			return 0;
		if (olen)
			out[olen++] = '.';
		for (size_t i = 0; i < l; i++) {
			if (!name_char_ok(p[pos + i], chars))
				return 0;
			out[olen++] = (char)p[pos + i];
		}
		pos += l;
	}
	out[olen] = '\0';
	return pos;
}

bool dns_mx_parse(const unsigned char *rdata, size_t n, struct dns_mx *out)
{
	return dns_mx_parse_as(rdata, n, DNS_NAME_HOST, out);
}

bool dns_mx_parse_as(const unsigned char *rdata, size_t n, enum dns_name_chars chars,
                     struct dns_mx *out)
{
	if (n < 3)
		return false;
	out->pref = ((unsigned)rdata[0] << 8) | rdata[1];
	size_t used = dns_name_parse_as(rdata + 2, n - 2, chars, out->name);
	return used != 0 && used == n - 2;
}

void dns_mx_sort(struct dns_mx *v, size_t n, uint32_t (*rnd)(void))
{
	/* Shuffle first (Fisher-Yates), then a stable sort by preference:
	 * equal preferences end up in random order (RFC 5321 5.1). */
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd ? rnd() % i : i - 1;
		struct dns_mx t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	for (size_t i = 1; i < n; i++) {
		struct dns_mx t = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1].pref > t.pref) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
}

void dns_addr_text(const struct dns_addr *a, char out[64])
{
	if (!inet_ntop(a->family, a->ip, out, 64))
		strcpy(out, "?");
}

struct dns *dns_open(const struct strlist *servers, struct sbuf *err)
{
	struct ub_ctx *ub = unbound_dl_context(servers, 0, err);
	if (!ub)
		return NULL;
	struct dns *d = xmalloc(sizeof *d);
	d->ub = ub;
	return d;
}

void dns_close(struct dns *d)
{
	if (!d)
		return;
	ubdl.ctx_delete(d->ub);
	free(d);
}

/* Runs one query; classifies the outcome. *res is set on DNS_OK. */
static enum dns_status query(struct dns *d, const char *name, int type, struct ub_result **res)
{
	*res = NULL;
	struct ub_result *r = NULL;
	if (ubdl.resolve(d->ub, name, type, CLASS_IN, &r) != 0 || !r)
		return DNS_TEMP;
	if (r->nxdomain || r->rcode == RCODE_NXDOMAIN) {
		ubdl.resolve_free(r);
		return DNS_NOTFOUND;
	}
	if (r->rcode != 0 || r->bogus) {
		ubdl.resolve_free(r);
		return DNS_TEMP;
	}
	*res = r;
	return DNS_OK;
}

enum dns_status dns_mx(struct dns *d, const char *domain, struct dns_mxlist *out)
{
	struct ub_result *r;
	out->n = 0;
	enum dns_status st = query(d, domain, RR_MX, &r);
	if (st != DNS_OK)
		return st;
	bool is_null = false;
	for (int i = 0; r->havedata && r->data[i] && out->n < DNS_RECORDS_MAX; i++) {
		struct dns_mx mx;
		if (!dns_mx_parse((const unsigned char *)r->data[i], (size_t)r->len[i], &mx))
			continue;
		if (mx.name[0] == '\0')
			is_null = true;
		else
			out->v[out->n++] = mx;
	}
	ubdl.resolve_free(r);
	return is_null ? DNS_NULLMX : DNS_OK;
}

static void add_addrs(const struct ub_result *r, int family, struct dns_addrlist *out)
{
	size_t want = family == AF_INET6 ? 16 : 4;
	for (int i = 0; r->havedata && r->data[i] && out->n < DNS_RECORDS_MAX; i++) {
		if ((size_t)r->len[i] != want)
			continue;
		struct dns_addr *a = &out->v[out->n++];
		memset(a, 0, sizeof *a);
		a->family = family;
		memcpy(a->ip, r->data[i], want);
	}
}

enum dns_status dns_addrs(struct dns *d, const char *host, bool want_v6,
                          struct dns_addrlist *out)
{
	size_t before = out->n;
	bool is_temp = false;
	for (int pass = want_v6 ? 0 : 1; pass < 2; pass++) {
		struct ub_result *r;
		enum dns_status st = query(d, host, pass == 0 ? RR_AAAA : RR_A, &r);
		if (st == DNS_TEMP)
			is_temp = true;
		if (st != DNS_OK)
			continue;
		add_addrs(r, pass == 0 ? AF_INET6 : AF_INET, out);
		ubdl.resolve_free(r);
	}
	if (out->n > before)
		return DNS_OK;
	return is_temp ? DNS_TEMP : DNS_NOTFOUND;
}
