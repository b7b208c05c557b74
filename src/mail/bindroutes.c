#include "bindroutes.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "proto_limits.h"
#include "scan.h"
#include "smtproutes.h"

/* Longest textual IPv6 address inet_pton can accept, plus its NUL. */
#define IP6_TEXT_MAX 46
/* How much of a bad line an error message quotes. */
#define QUOTE_MAX 80

void bindroutes_init(struct bindroutes *t, int family)
{
	memset(t, 0, sizeof *t);
	t->family = family;
}

void bindroutes_free(struct bindroutes *t)
{
	free(t->ips);
	strlist_free(&t->domains);
	bindroutes_init(t, t->family);
}

static size_t full_len(const struct bindroutes *t)
{
	return t->family == AF_INET6 ? 16 : 4;
}

/* "d.d.d.d" (len 4) or "d.", "d.d.", "d.d.d." (len 1..3); octets 0..255 without
 * leading zeros, so "010." is not read as octal by one tool and decimal by us. */
static bool parse_v4_key(const char *s, size_t n, unsigned char *ip, size_t *len)
{
	size_t k = 0, i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '.')
			j++;
		uint64_t v;
		if (k == 4 || j - i > 3 || (j - i > 1 && s[i] == '0') ||
		    !scan_u64(s + i, j - i, 255, &v))
			return false;
		ip[k++] = (unsigned char)v;
		if (j == n) {
			*len = k;
			return k == 4;
		}
		i = j + 1;
	}
	*len = k;
	return k >= 1 && k <= 3;
}

/* 1..7 groups of 1..4 hex digits, each followed by ':' (no "::"). */
static bool parse_v6_prefix(const char *s, size_t n, unsigned char *ip, size_t *len)
{
	size_t k = 0, i = 0;
	while (i < n) {
		unsigned v = 0;
		size_t digits = 0;
		for (; i < n && scan_hex_digit(s[i]) >= 0 && digits <= 4; i++, digits++)
			v = v * 16u + (unsigned)scan_hex_digit(s[i]);
		if (digits == 0 || digits > 4 || i == n || s[i] != ':' || k == 7)
			return false;
		ip[2 * k] = (unsigned char)(v >> 8);
		ip[2 * k + 1] = (unsigned char)(v & 0xffu);
		k++;
		i++;
	}
	*len = 2 * k;
	return k >= 1;
}

static bool parse_v6_key(const char *s, size_t n, unsigned char *ip, size_t *len)
{
	if (s[n - 1] == ':')
		return parse_v6_prefix(s, n, ip, len);
	char buf[IP6_TEXT_MAX];
	if (n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*len = 16;
	return inet_pton(AF_INET6, buf, ip) == 1;
}

static bool is_digits_and_dots(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

/* A domain key: "name" or ".suffix", labels of letters, digits, '-', '_',
 * no empty label, not all digits and dots (that would be an address). */
static bool domain_key_ok(const char *s, size_t n)
{
	if (n > ADDR_DOMAIN_MAX || is_digits_and_dots(s, n))
		return false;
	size_t start = s[0] == '.' ? 1 : 0;
	if (start == n || s[n - 1] == '.')
		return false;
	for (size_t i = start; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		if (!ok || (c == '.' && s[i - 1] == '.'))
			return false;
	}
	return true;
}

static bool is_ip_key(const struct bindroutes *t, const char *s, size_t n)
{
	if (t->family == AF_INET6)
		return memchr(s, ':', n) != NULL;
	return is_digits_and_dots(s, n);
}

static void add_ip(struct bindroutes *t, const unsigned char *ip, size_t len,
                   const unsigned char *local)
{
	t->ips = xreallocarray(t->ips, t->n_ips + 1, sizeof *t->ips);
	struct bindroutes_ip *e = &t->ips[t->n_ips++];
	memset(e, 0, sizeof *e);
	memcpy(e->ip, ip, len);
	e->len = len;
	memcpy(e->local, local, full_len(t));
}

/* One line; NULL when it was added, else why it is bad. */
static const char *parse_line(struct bindroutes *t, const char *line)
{
	char sep = t->family == AF_INET6 ? '|' : ':';
	const char *at = strchr(line, sep);
	if (!at)
		return t->family == AF_INET6 ? "no '|'" : "no ':'";
	size_t kn = (size_t)(at - line);
	unsigned char local[16];
	if (inet_pton(t->family, at + 1, local) != 1)
		return t->family == AF_INET6 ? "bad local IPv6 address" : "bad local IPv4 address";
	if (kn > 0 && is_ip_key(t, line, kn)) {
		unsigned char ip[16];
		size_t len;
		bool ok = t->family == AF_INET6 ? parse_v6_key(line, kn, ip, &len)
		                                : parse_v4_key(line, kn, ip, &len);
		if (!ok)
			return "bad remote address or prefix";
		add_ip(t, ip, len, local);
		return NULL;
	}
	if (kn > 0 && !domain_key_ok(line, kn))
		return "bad domain";
	struct sbuf l = SBUF_INIT;
	sbuf_printf(&l, "%.*s:%s", (int)kn, line, at + 1);
	strlist_add(&t->domains, l.s, l.len);
	sbuf_free(&l);
	return NULL;
}

static void quote_line(struct sbuf *err, const char *line)
{
	size_t n = strlen(line);
	for (size_t i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)line[i];
		sbuf_append_char(err, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	if (n > QUOTE_MAX)
		sbuf_append_str(err, "...");
}

int bindroutes_parse(struct bindroutes *t, const char *name, const struct strlist *lines,
                     struct sbuf *err)
{
	sbuf_clear(err);
	if (lines->n > BINDROUTES_MAX) {
		sbuf_printf(err, "control/%s: more than %u lines", name, (unsigned)BINDROUTES_MAX);
		return -1;
	}
	for (size_t i = 0; i < lines->n; i++) {
		const char *why = parse_line(t, lines->v[i]);
		if (!why)
			continue;
		sbuf_printf(err, "control/%s: %s in line \"", name, why);
		quote_line(err, lines->v[i]);
		sbuf_append_char(err, '"');
		bindroutes_free(t);
		return -1;
	}
	return 0;
}

bool bindroutes_find(const struct bindroutes *t, const unsigned char *remote, const char *domain,
                     unsigned char *local)
{
	size_t full = full_len(t);
	size_t step = t->family == AF_INET6 ? 2 : 1;
	for (size_t len = full; len >= step; len -= step) {
		for (size_t i = 0; i < t->n_ips; i++) {
			const struct bindroutes_ip *e = &t->ips[i];
			if (e->len == len && memcmp(e->ip, remote, len) == 0) {
				memcpy(local, e->local, full);
				return true;
			}
		}
	}
	const char *v = smtproutes_find(&t->domains, domain ? domain : "");
	return v && inet_pton(t->family, v, local) == 1;
}
