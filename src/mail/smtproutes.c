#include "smtproutes.h"

#include <string.h>
#include <strings.h>

#include "scan.h"

/* The value of the line whose key is exactly key[0..kn), or NULL. */
static const char *find_key(const struct strlist *lines, const char *key, size_t kn)
{
	for (size_t i = 0; i < lines->n; i++) {
		const char *l = lines->v[i];
		const char *colon = strchr(l, ':');
		if (colon && (size_t)(colon - l) == kn && strncasecmp(l, key, kn) == 0)
			return colon + 1;
	}
	return NULL;
}

const char *smtproutes_find(const struct strlist *lines, const char *domain)
{
	size_t n = strlen(domain);
	const char *v = n ? find_key(lines, domain, n) : NULL;
	if (v)
		return v;
	for (size_t i = 0; i < n; i++) {
		if (domain[i] != '.')
			continue;
		v = find_key(lines, domain + i, n - i);
		if (v)
			return v;
	}
	return find_key(lines, "", 0);
}

static bool parse_port(const char *s, size_t n, unsigned *port)
{
	uint64_t v;
	if (!scan_u64(s, n, 65535, &v) || v == 0)
		return false;
	*port = (unsigned)v;
	return true;
}

static bool host_chars_ok(const char *s, size_t n, bool literal)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-' || (literal && c == ':');
		if (!ok)
			return false;
	}
	return true;
}

/* "host", "host:port", "[lit]", "[lit]:port", or "" (MX). */
static int parse_hostspec(const char *s, size_t n, struct smtproute *r)
{
	const char *h = s;
	size_t hn = n;
	const char *rest = NULL;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return -1;
		h = s + 1;
		hn = (size_t)(close - h);
		rest = close + 1;
		if (rest < s + n && *rest != ':')
			return -1;
		r->is_literal = true;
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon) {
			hn = (size_t)(colon - s);
			rest = colon;
		}
	}
	if (rest && rest < s + n && !parse_port(rest + 1, (size_t)(s + n - rest - 1), &r->port))
		return -1;
	if (hn > ADDR_DOMAIN_MAX || !host_chars_ok(h, hn, r->is_literal) ||
	    (r->is_literal && hn == 0) || (hn == 0 && r->port))
		return -1;
	memcpy(r->host, h, hn);
	r->host[hn] = '\0';
	return 0;
}

/* Next whitespace-separated word of *p, or 0 at the end. */
static size_t next_word(const char **p, const char **w)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	*w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	return (size_t)(s - *w);
}

static int copy_cred(char *dst, const char *w, size_t n)
{
	if (n == 0 || n > SMTPROUTE_CRED_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] < 0x21 || (unsigned char)w[i] > 0x7e)
			return -1;
	memcpy(dst, w, n);
	dst[n] = '\0';
	return 0;
}

int smtproutes_parse(const char *value, struct smtproute *out)
{
	memset(out, 0, sizeof *out);
	const char *p = value, *w;
	size_t n;
	if (*p == ' ' || *p == '\t')
		n = 0, w = p;
	else
		n = next_word(&p, &w);
	if (parse_hostspec(w, n, out) < 0)
		return -1;
	size_t un = next_word(&p, &w);
	if (un == 0)
		return 0;
	if (copy_cred(out->user, w, un) < 0)
		return -1;
	size_t pn = next_word(&p, &w);
	if (copy_cred(out->pass, w, pn) < 0)
		return -1;
	size_t fn = next_word(&p, &w);
	if (fn == 9 && memcmp(w, "plaintext", 9) == 0) {
		out->allow_plain_auth = true;
		fn = next_word(&p, &w);
	}
	if (fn != 0 || out->host[0] == '\0')
		return -1;
	return 0;
}
