/*
 * spf_macro.c: SPF macro expansion (see spf_macro.h).
 */
#include "spf_macro.h"

#include "scan.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#define SPF_MACRO_PARTS_MAX 128

static bool is_delim(char c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

static void ip_dotted(const struct spf_macro_ctx *c, struct sbuf *v)
{
	static const char hex[] = "0123456789abcdef";
	if (c->family == AF_INET) {
		sbuf_printf(v, "%u.%u.%u.%u", c->ip[0], c->ip[1], c->ip[2], c->ip[3]);
		return;
	}
	for (size_t i = 0; i < 16; i++) {
		sbuf_append_char(v, hex[c->ip[i] >> 4]);
		sbuf_append_char(v, '.');
		sbuf_append_char(v, hex[c->ip[i] & 15]);
		if (i < 15)
			sbuf_append_char(v, '.');
	}
}

static void ip_readable(const struct spf_macro_ctx *c, struct sbuf *v)
{
	char buf[64];
	if (!inet_ntop(c->family, c->ip, buf, sizeof buf))
		strcpy(buf, "unknown");
	sbuf_append_str(v, buf);
}

/* The raw value of one macro letter (lower-cased); false: unknown. */
static bool letter_value(const struct spf_macro_ctx *c, char l, bool is_exp, struct sbuf *v)
{
	const char *at = strrchr(c->sender, '@');
	switch (l) {
	case 's': sbuf_append_str(v, c->sender); return true;
	case 'l':
		if (at)
			sbuf_append(v, c->sender, (size_t)(at - c->sender));
		else
			sbuf_append_str(v, "postmaster");
		return true;
	case 'o': sbuf_append_str(v, at ? at + 1 : c->sender); return true;
	case 'd': sbuf_append_str(v, c->domain); return true;
	case 'i': ip_dotted(c, v); return true;
	case 'p':
		if (c->get_ptr)
			c->get_ptr(c->ptr_arg, v);
		else
			sbuf_append_str(v, "unknown");
		return true;
	case 'v': sbuf_append_str(v, c->family == AF_INET ? "in-addr" : "ip6"); return true;
	case 'h': sbuf_append_str(v, c->helo); return true;
	default: break;
	}
	if (!is_exp)
		return false;
	if (l == 'c')
		ip_readable(c, v);
	else if (l == 'r')
		sbuf_append_str(v, c->receiver ? c->receiver : "unknown");
	else if (l == 't')
		sbuf_append_ulong(v, c->now);
	else
		return false;
	return true;
}

static void url_escape(const char *s, size_t n, struct sbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		            ch == '~';
		if (keep) {
			sbuf_append_char(out, (char)ch);
		} else {
			sbuf_append_char(out, '%');
			sbuf_append_char(out, hex[ch >> 4]);
			sbuf_append_char(out, hex[ch & 15]);
		}
	}
}

struct transform {
	uint64_t keep;   /* 0: all */
	bool is_reverse;
	char delims[8];
	size_t n_delims;
};

/* Splits v on the delimiters, applies the transform, joins with "." */
static void apply_transform(const struct transform *t, const struct sbuf *v, struct sbuf *out)
{
	const char *part[SPF_MACRO_PARTS_MAX];
	size_t plen[SPF_MACRO_PARTS_MAX], n = 0, start = 0;
	const char *delims = t->n_delims ? t->delims : ".";
	for (size_t i = 0; i <= v->len && n < SPF_MACRO_PARTS_MAX; i++) {
		if (i == v->len || strchr(delims, v->s[i]) != NULL) {
			part[n] = v->s + start;
			plen[n++] = i - start;
			start = i + 1;
		}
	}
	size_t count = n;
	if (t->keep && t->keep < n)
		count = (size_t)t->keep;
	for (size_t k = 0; k < count; k++) {
		/* rightmost parts of the (possibly reversed) list */
		size_t idx = t->is_reverse ? n - 1 - (n - count + k) : n - count + k;
		if (k > 0)
			sbuf_append_char(out, '.');
		sbuf_append(out, part[idx], plen[idx]);
	}
}

/* Parses "{...}" at s (s[0] == '{'); returns bytes used, 0 on error. */
static size_t expand_braced(const char *s, size_t len, const struct spf_macro_ctx *c,
                            bool is_exp, struct sbuf *out)
{
	struct transform t = {0, false, {0}, 0};
	size_t i = 2;
	if (len < 3)
		return 0;
	char letter = s[1];
	bool is_upper = letter >= 'A' && letter <= 'Z';
	if (is_upper)
		letter = (char)(letter - 'A' + 'a');
	size_t nd = scan_u64_prefix(s + i, len - i, 1000, &t.keep);
	if (nd > 0 && t.keep == 0)
		return 0;
	i += nd;
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		t.is_reverse = true;
		i++;
	}
	for (; i < len && is_delim(s[i]); i++) {
		if (t.n_delims < sizeof t.delims - 1)
			t.delims[t.n_delims++] = s[i];
	}
	if (i >= len || s[i] != '}')
		return 0;
	struct sbuf v = SBUF_INIT, tv = SBUF_INIT;
	bool ok = letter_value(c, letter, is_exp, &v);
	if (ok) {
		apply_transform(&t, &v, &tv);
		if (is_upper)
			url_escape(tv.s ? tv.s : "", tv.len, out);
		else
			sbuf_append(out, tv.s ? tv.s : "", tv.len);
	}
	sbuf_free(&v);
	sbuf_free(&tv);
	return ok ? i + 1 : 0;
}

int spf_macro_expand(const char *s, size_t len, const struct spf_macro_ctx *c, bool is_exp,
                     struct sbuf *out)
{
	sbuf_clear(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch != '%') {
			if (ch < 0x20 || ch > 0x7e)
				return -1; /* visible ASCII and space only (7.1) */
			sbuf_append_char(out, (char)ch);
		} else if (i + 1 >= len) {
			return -1;
		} else if (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-') {
			sbuf_append_str(out, s[i + 1] == '%' ? "%" : s[i + 1] == '_' ? " " : "%20");
			i++;
		} else if (s[i + 1] == '{') {
			size_t used = expand_braced(s + i + 1, len - i - 1, c, is_exp, out);
			if (used == 0)
				return -1;
			i += used;
		} else {
			return -1;
		}
		if (out->len > SPF_MACRO_OUT_MAX)
			return -1;
	}
	return 0;
}

void spf_domain_truncate(struct sbuf *d)
{
	size_t cut = 0;
	while (d->len - cut > SPF_DOMAIN_MAX) {
		const char *dot = memchr(d->s + cut, '.', d->len - cut);
		if (!dot) {
			cut = d->len;
			break;
		}
		cut = (size_t)(dot - d->s) + 1;
	}
	if (cut > 0) {
		memmove(d->s, d->s + cut, d->len - cut);
		sbuf_truncate(d, d->len - cut);
	}
}
