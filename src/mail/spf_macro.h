/*
 * spf_macro.h: SPF macro expansion (RFC 7208 section 7).
 *
 * spf_macro_expand expands a macro-string: "%{" letter [digits] ["r"]
 * [delimiters] "}", "%%", "%_" and "%-"; an upper-case letter URL-escapes
 * its value (RFC 3986 unreserved characters kept).  The letters c, r and t
 * are allowed only in explanation strings (is_exp).  Transformers: the
 * value is split on the delimiters (default "."), reversed with "r", cut
 * to its rightmost N parts (N >= 1), and joined with ".".  A "%" followed
 * by anything else, an unknown letter, N = 0, or output longer than
 * SPF_MACRO_OUT_MAX is a syntax error: -1 (the caller's permerror).
 * %{p} calls ctx->get_ptr once (the validated client name, section 5.5);
 * without one it is "unknown".  The function is pure apart from that
 * callback and is fuzzed (tests/fuzz/spf_macro_fuzz.c).
 *
 * spf_domain_truncate applies section 7.3's rule to an expanded
 * domain-spec: drop labels from the left until it is <= 253 octets.
 */
#ifndef QNG_SPF_MACRO_H
#define QNG_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define SPF_MACRO_OUT_MAX 2048
#define SPF_DOMAIN_MAX 253

struct spf_macro_ctx {
	const char *sender;   /* local@domain ("postmaster@" added by caller) */
	const char *domain;   /* the current domain */
	const char *helo;
	const char *receiver; /* %{r}, "unknown" if NULL */
	int family;           /* AF_INET or AF_INET6 */
	const unsigned char *ip;
	uint64_t now;         /* %{t} */
	void (*get_ptr)(void *arg, struct sbuf *out);
	void *ptr_arg;
};

int spf_macro_expand(const char *s, size_t len, const struct spf_macro_ctx *c, bool is_exp,
                     struct sbuf *out);
void spf_domain_truncate(struct sbuf *d);

#endif
