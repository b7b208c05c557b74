/* spf_macro_test.c: RFC 7208 7.4's examples, syntax errors, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "spf_macro.h"

static unsigned char ip4[16], ip6[16];

static void ctx_for(struct spf_macro_ctx *c, int family)
{
	memset(c, 0, sizeof *c);
	c->sender = "strong-bad@email.example.com";
	c->domain = "email.example.com";
	c->helo = "mx.example.org";
	c->receiver = "mx.example.net";
	c->family = family;
	c->ip = family == AF_INET ? ip4 : ip6;
	c->now = 1234;
}

static void test_rfc_examples(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
	    {"%%%_%-", "% %20"},
	    {"%{h}", "mx.example.org"},
	    {"%{S}", "strong-bad%40email.example.com"},
	    {"%{p}", "unknown"},
	    {"", ""},
	};
	struct spf_macro_ctx c;
	struct sbuf out = SBUF_INIT;
	ctx_for(&c, AF_INET);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_int_equal(spf_macro_expand(t[i].in, strlen(t[i].in), &c, false, &out), 0);
		assert_string_equal(sbuf_cstr(&out), t[i].out);
	}
	ctx_for(&c, AF_INET6);
	const char *in = "%{ir}.%{v}._spf.%{d2}";
	assert_int_equal(spf_macro_expand(in, strlen(in), &c, false, &out), 0);
	assert_string_equal(out.s, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	                           ".ip6._spf.example.com");
	sbuf_free(&out);
}

static void test_exp_only_letters(void **state)
{
	(void)state;
	struct spf_macro_ctx c;
	struct sbuf out = SBUF_INIT;
	ctx_for(&c, AF_INET);
	assert_int_equal(spf_macro_expand("%{c}", 4, &c, false, &out), -1);
	assert_int_equal(spf_macro_expand("%{c} %{r} %{t}", 14, &c, true, &out), 0);
	assert_string_equal(out.s, "192.0.2.3 mx.example.net 1234");
	sbuf_free(&out);
}

static void test_invalid_fail_closed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "%", "%x", "%{", "%{d", "%{d0}", "%{x}", "%{d2r", "%{dq}", "abc%", "%{}",
	    "a\x01b", "\x80", "%{d1000000000000000000000}",
	};
	struct spf_macro_ctx c;
	struct sbuf out = SBUF_INIT;
	ctx_for(&c, AF_INET);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(spf_macro_expand(bad[i], strlen(bad[i]), &c, false, &out), -1);
	sbuf_free(&out);
}

static void test_output_limit(void **state)
{
	(void)state;
	struct spf_macro_ctx c;
	struct sbuf out = SBUF_INIT;
	char in[SPF_MACRO_OUT_MAX + 2];
	ctx_for(&c, AF_INET);
	memset(in, 'a', sizeof in);
	assert_int_equal(spf_macro_expand(in, SPF_MACRO_OUT_MAX - 1, &c, false, &out), 0);
	assert_int_equal(spf_macro_expand(in, SPF_MACRO_OUT_MAX, &c, false, &out), 0);
	assert_int_equal(spf_macro_expand(in, SPF_MACRO_OUT_MAX + 1, &c, false, &out), -1);
	sbuf_free(&out);
}

static void test_domain_truncate(void **state)
{
	(void)state;
	struct sbuf d = SBUF_INIT;
	for (size_t len = 252; len <= 255; len++) {
		sbuf_clear(&d);
		sbuf_append_str(&d, "abc.");
		while (d.len < len)
			sbuf_append_char(&d, 'x');
		spf_domain_truncate(&d);
		if (len <= SPF_DOMAIN_MAX)
			assert_int_equal(d.len, len);
		else
			assert_int_equal(d.len, len - 4);
	}
	sbuf_free(&d);
}

int main(void)
{
	inet_pton(AF_INET, "192.0.2.3", ip4);
	inet_pton(AF_INET6, "2001:db8::cb01", ip6);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_examples),
	    cmocka_unit_test(test_exp_only_letters),
	    cmocka_unit_test(test_invalid_fail_closed),
	    cmocka_unit_test(test_output_limit),
	    cmocka_unit_test(test_domain_truncate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
