/*
 * spf_record.c: the SPF record parser (RFC 7208 sections 4.6, 5, 6, 12);
 * see spf.h.  Pure: no DNS, no allocation.
 */
#include "spf.h"

#include "scan.h"
#include "spf_macro.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct mech_name {
	const char *name;
	enum spf_mech mech;
	bool want_spec;  /* ":" domain-spec required */
	bool may_spec;   /* ":" domain-spec allowed */
	bool has_cidr;   /* dual-cidr-length allowed */
};

static const struct mech_name mech_names[] = {
    {"all", SPF_M_ALL, false, false, false},
    {"include", SPF_M_INCLUDE, true, true, false},
    {"a", SPF_M_A, false, true, true},
    {"mx", SPF_M_MX, false, true, true},
    {"ptr", SPF_M_PTR, false, true, false},
    {"ip4", SPF_M_IP4, true, true, false},
    {"ip6", SPF_M_IP6, true, true, false},
    {"exists", SPF_M_EXISTS, true, true, false},
};

bool spf_is_record(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == '\0' || txt[6] == ' ');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A cidr length: "0" or no leading zero, <= max. */
static bool parse_cidr(const char *s, size_t n, unsigned max, unsigned *out)
{
	uint64_t v;
	if (n == 0 || (n > 1 && s[0] == '0') || !scan_u64(s, n, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* Section 7.1 macro-string syntax plus the domain-end rule (toplabel or a
 * macro at the end). */
static bool domain_spec_ok(const char *s, size_t n)
{
	static const struct spf_macro_ctx dummy = {"a@b", "b", "b", NULL, AF_INET,
	                                           (const unsigned char *)"\0\0\0\0", 0, NULL,
	                                           NULL};
	struct sbuf out = SBUF_INIT;
	bool ok = n > 0 && spf_macro_expand(s, n, &dummy, false, &out) == 0;
	sbuf_free(&out);
	if (!ok)
		return false;
	if (n >= 1 && s[n - 1] == '}')
		return true;
	if (s[n - 1] == '.')
		n--;
	size_t start = n;
	while (start > 0 && s[start - 1] != '.')
		start--;
	if (start == 0 || start == n)
		return false; /* no dot, or an empty top label */
	bool has_alpha = false;
	for (size_t i = start; i < n; i++) {
		char c = s[i];
		if (is_alpha(c))
			has_alpha = true;
		else if (!is_digit(c) && c != '-')
			return false;
	}
	return has_alpha && s[start] != '-' && s[n - 1] != '-';
}

/* Length of a "/digits" suffix of s[0..n), 0 if there is none. */
static size_t cidr_suffix(const char *s, size_t n)
{
	size_t i = n;
	while (i > 0 && is_digit(s[i - 1]))
		i--;
	return i > 0 && s[i - 1] == '/' ? n - i + 1 : 0;
}

/* "/N", "//M", "/N//M" at the end of a term; trims it from *len.
 * A "/" that is not followed by digits to the end belongs to the
 * domain-spec (7.1: any visible character but "%"). */
static bool split_cidr(const char *s, size_t *len, struct spf_term *t)
{
	t->cidr4 = 32;
	t->cidr6 = 128;
	size_t n = *len, k = cidr_suffix(s, n);
	if (k > 0 && n - k > 0 && s[n - k - 1] == '/') {
		if (!parse_cidr(s + n - k + 1, k - 1, 128, &t->cidr6))
			return false;
		n -= k + 1;
		k = cidr_suffix(s, n);
	}
	if (k > 0) {
		if (!parse_cidr(s + n - k + 1, k - 1, 32, &t->cidr4))
			return false;
		n -= k;
	}
	*len = n;
	return true;
}

static bool parse_ip_arg(struct spf_term *t, const char *s, size_t n)
{
	char buf[64];
	const char *sl = memchr(s, '/', n);
	size_t alen = sl ? (size_t)(sl - s) : n;
	if (alen == 0 || alen >= sizeof buf)
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	bool is4 = t->mech == SPF_M_IP4;
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (sl && !parse_cidr(sl + 1, n - alen - 1, is4 ? 32 : 128, is4 ? &t->cidr4 : &t->cidr6))
		return false;
	return inet_pton(is4 ? AF_INET : AF_INET6, buf, t->ip) == 1;
}

static const struct mech_name *find_mech(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof mech_names / sizeof mech_names[0]; i++) {
		if (strlen(mech_names[i].name) == n && strncasecmp(s, mech_names[i].name, n) == 0)
			return &mech_names[i];
	}
	return NULL;
}

static int parse_mechanism(const char *s, size_t n, struct spf_term *t)
{
	t->qualifier = '+';
	if (n > 0 && strchr("+-~?", s[0])) {
		t->qualifier = s[0];
		s++;
		n--;
	}
	size_t nl = 0;
	while (nl < n && (is_alpha(s[nl]) || is_digit(s[nl])))
		nl++;
	const struct mech_name *m = find_mech(s, nl);
	if (!m)
		return -1;
	t->mech = m->mech;
	const char *arg = s + nl;
	size_t alen = n - nl;
	if (m->has_cidr && !split_cidr(arg, &alen, t))
		return -1;
	if (alen == 0)
		return m->want_spec ? -1 : 0;
	if (arg[0] != ':' || !m->may_spec)
		return -1;
	if (t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6)
		return parse_ip_arg(t, arg + 1, alen - 1) ? 0 : -1;
	if (!domain_spec_ok(arg + 1, alen - 1))
		return -1;
	t->spec = arg + 1;
	t->spec_len = alen - 1;
	return 0;
}

/* name "=" macro-string; -1 syntax error. */
static int parse_modifier(const char *s, size_t n, const char *eq, struct spf_record *r)
{
	size_t nl = (size_t)(eq - s);
	if (nl == 0 || !is_alpha(s[0]))
		return -1;
	for (size_t i = 1; i < nl; i++) {
		if (!is_alpha(s[i]) && !is_digit(s[i]) && !strchr("-_.", s[i]))
			return -1;
	}
	const char *v = eq + 1;
	size_t vl = n - nl - 1;
	bool is_redirect = nl == 8 && strncasecmp(s, "redirect", 8) == 0;
	bool is_exp = nl == 3 && strncasecmp(s, "exp", 3) == 0;
	if (is_redirect || is_exp) {
		const char **slot = is_redirect ? &r->redirect : &r->exp;
		if (*slot || !domain_spec_ok(v, vl))
			return -1;
		*slot = v;
		*(is_redirect ? &r->redirect_len : &r->exp_len) = vl;
		return 0;
	}
	struct sbuf out = SBUF_INIT; /* unknown modifiers: syntax only */
	static const struct spf_macro_ctx dummy = {"a@b", "b", "b", NULL, AF_INET,
	                                           (const unsigned char *)"\0\0\0\0", 0, NULL,
	                                           NULL};
	int rc = spf_macro_expand(v, vl, &dummy, false, &out);
	sbuf_free(&out);
	return rc;
}

static int parse_term(const char *s, size_t n, struct spf_record *r)
{
	size_t i = 0;
	while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || strchr("-_.", s[i])))
		i++;
	if (i < n && s[i] == '=')
		return parse_modifier(s, n, s + i, r);
	if (r->n >= SPF_TERMS_MAX)
		return -1;
	struct spf_term *t = &r->terms[r->n];
	memset(t, 0, sizeof *t);
	if (parse_mechanism(s, n, t) < 0)
		return -1;
	r->n++;
	return 0;
}

int spf_record_parse(const char *txt, struct spf_record *out)
{
	memset(out, 0, sizeof *out);
	if (!spf_is_record(txt) || strlen(txt) > SPF_RECORD_MAX)
		return -1;
	const char *p = txt + 6;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		const char *start = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (parse_term(start, (size_t)(p - start), out) < 0)
			return -1;
	}
}
