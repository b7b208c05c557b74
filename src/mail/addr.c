/*
 * addr.c: the one RFC 5321 path parser and normaliser (see addr.h).
 *
 * Grammar enforced (RFC 5321 4.1.2, 4.1.3): Path = "<" [A-d-l ":"] Mailbox
 * ">", Mailbox = Local-part "@" (Domain / address-literal), Local-part =
 * Dot-string / Quoted-string.  General address literals and 8-bit bytes
 * are refused (we do not offer SMTPUTF8).  Everything else is ADDR_SYNTAX.
 */
#include "addr.h"

#include "proto_limits.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

/* The bracketed form counts "<" and ">" against ADDR_PATH_MAX. */
#define CONTENT_MAX (ADDR_PATH_MAX - 2)

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Dot-string: atoms of atext separated by single dots. */
static bool valid_dot_string(const char *p, size_t n)
{
	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (p[i - 1] == '.')
				return false;
		} else if (!is_atext((unsigned char)p[i])) {
			return false;
		}
	}
	return true;
}

static bool valid_hostname(const char *p, size_t n)
{
	size_t label = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (label == 0 || label > 63 || p[i - 1] == '-' || p[i - label] == '-')
				return false;
			label = 0;
		} else if (is_ldh((unsigned char)p[i])) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* "[1.2.3.4]" or "[IPv6:...]"; written out in canonical case. */
static bool parse_literal(const char *p, size_t n, struct sbuf *out)
{
	char tmp[64];
	unsigned char bin[16];
	if (n < 3 || p[0] != '[' || p[n - 1] != ']' || n - 2 >= sizeof tmp)
		return false;
	memcpy(tmp, p + 1, n - 2);
	tmp[n - 2] = '\0';
	if (strncasecmp(tmp, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, tmp + 5, bin) != 1)
			return false;
		sbuf_append_str(out, "[IPv6:");
		for (const char *q = tmp + 5; *q; q++)
			sbuf_append_char(out, lower(*q));
		sbuf_append_char(out, ']');
		return true;
	}
	if (inet_pton(AF_INET, tmp, bin) != 1)
		return false;
	sbuf_append(out, p, n);
	return true;
}

static enum addr_status parse_domain(const char *p, size_t n, struct sbuf *out)
{
	if (n > ADDR_DOMAIN_MAX)
		return ADDR_TOO_LONG;
	if (n > 0 && p[0] == '[')
		return parse_literal(p, n, out) ? ADDR_OK : ADDR_SYNTAX;
	if (!valid_hostname(p, n))
		return ADDR_SYNTAX;
	for (size_t i = 0; i < n; i++)
		sbuf_append_char(out, lower(p[i]));
	return ADDR_OK;
}

/* Quoted-string starting at p[0] == '"'; *end is set past the closing
 * quote, the unescaped text goes to text. */
static bool parse_quoted(const char *p, size_t n, size_t *end, struct sbuf *text)
{
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"') {
			*end = i + 1;
			return true;
		}
		if (c == '\\') {
			if (++i >= n || (unsigned char)p[i] < 32 || (unsigned char)p[i] > 126)
				return false;
			c = (unsigned char)p[i];
		} else if (c < 32 || c > 126) {
			return false;
		}
		sbuf_append_char(text, (char)c);
	}
	return false;
}

/* Local part into out (unquoted when that is unambiguous); *end past it. */
static enum addr_status parse_local(const char *p, size_t n, size_t *end, struct sbuf *out)
{
	if (n > 0 && p[0] == '"') {
		struct sbuf text = SBUF_INIT;
		enum addr_status st = ADDR_SYNTAX;
		if (parse_quoted(p, n, end, &text)) {
			st = *end > ADDR_LOCAL_MAX ? ADDR_TOO_LONG : ADDR_OK;
			if (st == ADDR_OK && valid_dot_string(text.s, text.len)) {
				sbuf_append(out, text.s, text.len);
			} else if (st == ADDR_OK) {
				sbuf_append_char(out, '"');
				for (size_t i = 0; i < text.len; i++) {
					if (text.s[i] == '"' || text.s[i] == '\\')
						sbuf_append_char(out, '\\');
					sbuf_append_char(out, text.s[i]);
				}
				sbuf_append_char(out, '"');
			}
		}
		sbuf_free(&text);
		return st;
	}
	size_t i = 0;
	while (i < n && p[i] != '@')
		i++;
	if (i > ADDR_LOCAL_MAX)
		return ADDR_TOO_LONG;
	if (!valid_dot_string(p, i))
		return ADDR_SYNTAX;
	sbuf_append(out, p, i);
	*end = i;
	return ADDR_OK;
}

/* Source route "@a,@b:" (RFC 5321 4.1.2, C): validated, then skipped. */
static enum addr_status skip_source_route(const char *p, size_t n, size_t *skip)
{
	size_t i = 0;
	struct sbuf scratch = SBUF_INIT;
	enum addr_status st = ADDR_SYNTAX;
	*skip = 0;
	if (n == 0 || p[0] != '@')
		return ADDR_OK;
	while (i < n && p[i] == '@') {
		size_t start = ++i;
		while (i < n && p[i] != ',' && p[i] != ':')
			i++;
		st = parse_domain(p + start, i - start, &scratch);
		if (st != ADDR_OK || i == n)
			break;
		st = ADDR_SYNTAX;
		if (p[i++] == ':') {
			st = ADDR_OK;
			*skip = i;
			break;
		}
	}
	sbuf_free(&scratch);
	return st;
}

/* The mailbox (with optional source route), no brackets. */
static enum addr_status parse_mailbox(const char *p, size_t n, const char *defdomain,
                                      struct sbuf *out)
{
	size_t skip, end = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_ctl((unsigned char)p[i]))
			return ADDR_BAD_CHAR;
	}
	if (n > CONTENT_MAX)
		return ADDR_TOO_LONG;
	enum addr_status st = skip_source_route(p, n, &skip);
	if (st != ADDR_OK)
		return st;
	p += skip;
	n -= skip;
	st = parse_local(p, n, &end, out);
	if (st != ADDR_OK)
		return st;
	if (end == n) {
		if (defdomain == NULL || *defdomain == '\0')
			return ADDR_SYNTAX;
		sbuf_append_char(out, '@');
		st = parse_domain(defdomain, strlen(defdomain), out);
	} else if (p[end] != '@') {
		return ADDR_SYNTAX;
	} else {
		sbuf_append_char(out, '@');
		st = parse_domain(p + end + 1, n - end - 1, out);
	}
	if (st == ADDR_OK && out->len > CONTENT_MAX)
		st = ADDR_TOO_LONG;
	return st;
}

/* Length of a path token: up to the matching '>' (bracketed) or the first
 * space, honouring quoted strings.  Returns false if a bracket is missing. */
static bool path_extent(const char *s, size_t len, bool bracketed, size_t *n)
{
	bool in_quote = false;
	for (size_t i = bracketed ? 1 : 0; i < len; i++) {
		char c = s[i];
		if (in_quote) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_quote = false;
		} else if (c == '"') {
			in_quote = true;
		} else if (bracketed ? c == '>' : c == ' ') {
			*n = i;
			return true;
		}
	}
	*n = len;
	return !bracketed;
}

enum addr_status addr_parse_path(const char *s, size_t len, bool allow_null, const char *defdomain,
                                 struct sbuf *out, size_t *consumed)
{
	bool bracketed = len > 0 && s[0] == '<';
	size_t start = bracketed ? 1 : 0, stop;
	sbuf_clear(out);
	*consumed = 0;
	if (!path_extent(s, len, bracketed, &stop)) {
		for (size_t i = 0; i < len; i++) {
			if (is_ctl((unsigned char)s[i]))
				return ADDR_BAD_CHAR;
		}
		return len > ADDR_PATH_MAX ? ADDR_TOO_LONG : ADDR_SYNTAX;
	}
	enum addr_status st;
	if (stop == start) {
		st = (bracketed && allow_null) ? ADDR_OK : ADDR_SYNTAX;
	} else {
		st = parse_mailbox(s + start, stop - start, defdomain, out);
	}
	if (st != ADDR_OK) {
		sbuf_clear(out);
		return st;
	}
	*consumed = bracketed ? stop + 1 : stop;
	return ADDR_OK;
}

enum addr_status addr_normalize(const char *s, size_t len, const char *defdomain, struct sbuf *out)
{
	sbuf_clear(out);
	if (len == 0)
		return ADDR_SYNTAX;
	enum addr_status st = parse_mailbox(s, len, defdomain, out);
	if (st != ADDR_OK)
		sbuf_clear(out);
	return st;
}

void addr_split(const char *addr, struct sbuf *local, struct sbuf *domain)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL) {
		sbuf_set_str(local, addr);
		sbuf_set_str(domain, "");
		return;
	}
	sbuf_set(local, addr, (size_t)(at - addr));
	sbuf_set_str(domain, at + 1);
}

const char *addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : "";
}

const char *addr_status_str(enum addr_status st)
{
	switch (st) {
	case ADDR_OK:
		return "ok";
	case ADDR_SYNTAX:
		return "syntax error in address";
	case ADDR_TOO_LONG:
		return "address too long";
	case ADDR_BAD_CHAR:
		return "control character in address";
	}
	return "invalid address";
}
