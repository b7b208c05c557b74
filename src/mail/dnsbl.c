/*
 * dnsbl.c: DNS blocklist lookups (see dnsbl.h).
 */
#include "dnsbl.h"

#include <string.h>
#include <strings.h>
#include <sys/socket.h>

bool dnsbl_line_parse(const char *line, struct sbuf *zone, struct sbuf *text)
{
	const char *colon = strchr(line, ':');
	size_t zl = colon ? (size_t)(colon - line) : strlen(line);
	sbuf_clear(zone);
	sbuf_clear(text);
	if (zl == 0 || zl > 200)
		return false;
	for (size_t i = 0; i < zl; i++) {
		char c = line[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '-' || c == '.' || c == '_';
		if (!ok || (c == '.' && (i == 0 || line[i - 1] == '.')))
			return false;
	}
	sbuf_set(zone, line, zl);
	if (colon)
		dnsbl_clean_text(colon + 1, text);
	return true;
}

void dnsbl_clean_text(const char *in, struct sbuf *out)
{
	sbuf_clear(out);
	for (; *in && out->len < DNSBL_TEXT_MAX; in++) {
		unsigned char c = (unsigned char)*in;
		sbuf_append_char(out, c >= 0x20 && c <= 0x7e ? (char)c : '?');
	}
}

void dnsbl_query_name(int family, const unsigned char ip[16], const char *zone,
                      struct sbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	sbuf_clear(out);
	if (family == AF_INET) {
		sbuf_printf(out, "%u.%u.%u.%u.", ip[3], ip[2], ip[1], ip[0]);
	} else {
		for (size_t i = 16; i-- > 0;)
			sbuf_printf(out, "%c.%c.", hex[ip[i] & 15], hex[ip[i] >> 4]);
	}
	sbuf_append_str(out, zone);
}

bool dnsbl_ip_listed(const struct strlist *allow, const char *ip)
{
	size_t n = strlen(ip);
	for (size_t i = 0; i < allow->n; i++) {
		const char *e = allow->v[i];
		size_t el = strlen(e);
		if (el == 0)
			continue;
		bool is_prefix = e[el - 1] == '.' || e[el - 1] == ':';
		if (is_prefix ? (el <= n && strncasecmp(e, ip, el) == 0) : strcasecmp(e, ip) == 0)
			return true;
	}
	return false;
}

/* One zone: -1 failed, 0 clean, 1 listed (text set). */
static int check_zone(const struct spf_dns *dns, const char *name, const struct sbuf *own,
                      struct sbuf *text)
{
	struct strlist recs = {0};
	enum spf_dns_status st = dns->lookup(dns->ctx, name, SPF_RR_A, &recs);
	int r = st == SPF_DNS_TEMP ? -1 : st == SPF_DNS_OK && recs.n > 0;
	if (r == 1 && own->len > 0) {
		sbuf_set(text, own->s, own->len);
	} else if (r == 1) {
		if (dns->lookup(dns->ctx, name, SPF_RR_TXT, &recs) == SPF_DNS_OK && recs.n > 0)
			dnsbl_clean_text(recs.v[0], text);
		if (text->len == 0)
			sbuf_printf(text, "listed at %s", name);
	}
	strlist_free(&recs);
	return r;
}

enum dnsbl_status dnsbl_check(const struct spf_dns *dns, const struct strlist *zones,
                              const char *ip, struct sbuf *zone, struct sbuf *text,
                              unsigned *n_temp)
{
	int family;
	unsigned char addr[16];
	struct sbuf own = SBUF_INIT, name = SBUF_INIT;
	enum dnsbl_status result = DNSBL_CLEAN;
	*n_temp = 0;
	if (!spf_parse_ip(ip, &family, addr))
		return DNSBL_CLEAN;
	for (size_t i = 0; i < zones->n && result == DNSBL_CLEAN; i++) {
		if (!dnsbl_line_parse(zones->v[i], zone, &own))
			continue;
		dnsbl_query_name(family, addr, zone->s, &name);
		int r = check_zone(dns, name.s, &own, text);
		if (r < 0)
			(*n_temp)++;
		else if (r == 1)
			result = DNSBL_LISTED;
	}
	sbuf_free(&own);
	sbuf_free(&name);
	if (result == DNSBL_CLEAN && *n_temp > 0)
		return DNSBL_TEMP;
	return result;
}
