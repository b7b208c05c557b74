/* addr_test.c: table tests for the RFC 5321 path parser (addr.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "addr.h"
#include "proto_limits.h"
#include "sbuf.h"

struct path_case {
	const char *in;
	bool allow_null;
	const char *defdomain;
	enum addr_status want;
	const char *out;      /* expected normalised address when ADDR_OK */
	size_t consumed;      /* expected bytes used when ADDR_OK (0: strlen) */
};

static const struct path_case path_cases[] = {
	{ "<user@example.com>", false, NULL, ADDR_OK, "user@example.com", 0 },
	{ "<User@EXAMPLE.Com>", false, NULL, ADDR_OK, "User@example.com", 0 },
	{ "<>", true, NULL, ADDR_OK, "", 0 },
	{ "<>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<> SIZE=10", true, NULL, ADDR_OK, "", 2 },
	{ "<a@b.c> SIZE=10", false, NULL, ADDR_OK, "a@b.c", 7 },
	{ "user@example.com", false, NULL, ADDR_OK, "user@example.com", 0 },
	{ "user@example.com BODY=8BITMIME", false, NULL, ADDR_OK, "user@example.com", 16 },
	{ "<postmaster>", false, "example.org", ADDR_OK, "postmaster@example.org", 0 },
	{ "<postmaster>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<postmaster>", false, "", ADDR_SYNTAX, NULL, 0 },
	{ "<a.b+c-d@x.y>", false, NULL, ADDR_OK, "a.b+c-d@x.y", 0 },
	{ "<\"john doe\"@x.y>", false, NULL, ADDR_OK, "\"john doe\"@x.y", 0 },
	{ "<\"john\"@x.y>", false, NULL, ADDR_OK, "john@x.y", 0 },
	{ "<\"a\\\"b\"@x.y>", false, NULL, ADDR_OK, "\"a\\\"b\"@x.y", 0 },
	{ "<\"a@b\"@x.y>", false, NULL, ADDR_OK, "\"a@b\"@x.y", 0 },
	{ "<\"a>b\"@x.y>", false, NULL, ADDR_OK, "\"a>b\"@x.y", 0 },
	{ "<\"\\x\"@x.y>", false, NULL, ADDR_OK, "x@x.y", 0 },
	{ "<\"unterminated@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<@a.b,@c.d:u@e.f>", false, NULL, ADDR_OK, "u@e.f", 0 },
	{ "<@a.b:u@e.f>", false, NULL, ADDR_OK, "u@e.f", 0 },
	{ "<@a..b:u@e.f>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<@a.b,c.d:u@e.f>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<@a.b>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<@a.b:>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@[1.2.3.4]>", false, NULL, ADDR_OK, "u@[1.2.3.4]", 0 },
	{ "<u@[1.2.3.256]>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@[1.2.3]>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@[IPv6:2001:DB8::1]>", false, NULL, ADDR_OK, "u@[IPv6:2001:db8::1]", 0 },
	{ "<u@[ipv6:::1]>", false, NULL, ADDR_OK, "u@[IPv6:::1]", 0 },
	{ "<u@[IPv6:1.2.3.4]>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@[x-tag:foo]>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@[]>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@example.com", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@@example.com>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<@example.com>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<.u@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u.@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u..v@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u v@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@x..y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@x.y.>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@-x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@x-.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@x_y.z>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u%v@x.y>", false, NULL, ADDR_OK, "u%v@x.y", 0 },
	{ "<u\xc3\xa9@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u@x\xc3\xa9.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u(comment)@x.y>", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<u\r@x.y>", false, NULL, ADDR_BAD_CHAR, NULL, 0 },
	{ "<u@x.y\n>", false, NULL, ADDR_BAD_CHAR, NULL, 0 },
	{ "<u\t@x.y>", false, NULL, ADDR_BAD_CHAR, NULL, 0 },
	{ "<\"u\r\"@x.y>", false, NULL, ADDR_BAD_CHAR, NULL, 0 },
	{ "<u\x7f@x.y>", false, NULL, ADDR_BAD_CHAR, NULL, 0 },
	{ "<u@x.y\r", false, NULL, ADDR_BAD_CHAR, NULL, 0 },
	{ "", false, NULL, ADDR_SYNTAX, NULL, 0 },
	{ "<", true, NULL, ADDR_SYNTAX, NULL, 0 },
	{ ">", false, NULL, ADDR_SYNTAX, NULL, 0 },
};

static void test_path_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof path_cases / sizeof path_cases[0]; i++) {
		const struct path_case *c = &path_cases[i];
		struct sbuf out = SBUF_INIT;
		size_t used = 99;
		enum addr_status st = addr_parse_path(c->in, strlen(c->in), c->allow_null,
		                                      c->defdomain, &out, &used);
		if (st != c->want)
			print_error("case %zu: %s -> %d\n", i, c->in, (int)st);
		assert_int_equal(st, c->want);
		if (st == ADDR_OK) {
			assert_string_equal(sbuf_cstr(&out), c->out);
			assert_int_equal(used, c->consumed ? c->consumed : strlen(c->in));
		} else {
			assert_int_equal(used, 0);
			assert_int_equal(out.len, 0);
		}
		sbuf_free(&out);
	}
}

static void test_nul_in_path(void **state)
{
	(void)state;
	static const char in[] = "<a\0b@x.y>";
	struct sbuf out = SBUF_INIT;
	size_t used;
	assert_int_equal(addr_parse_path(in, sizeof in - 1, false, NULL, &out, &used),
	                 ADDR_BAD_CHAR);
	assert_int_equal(addr_normalize(in + 1, 7, NULL, &out), ADDR_BAD_CHAR);
	sbuf_free(&out);
}

static enum addr_status run_path(const char *local, size_t nlocal, const char *dom)
{
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	size_t used;
	sbuf_append_char(&in, '<');
	for (size_t i = 0; i < nlocal; i++)
		sbuf_append_str(&in, local);
	sbuf_printf(&in, "@%s>", dom);
	enum addr_status st = addr_parse_path(in.s, in.len, false, NULL, &out, &used);
	sbuf_free(&in);
	sbuf_free(&out);
	return st;
}

/* A domain of exactly n octets made of 63-octet labels. */
static void make_domain(struct sbuf *d, size_t n)
{
	sbuf_clear(d);
	while (d->len < n) {
		size_t left = n - d->len;
		if (d->len)
			sbuf_append_char(d, '.'), left--;
		size_t label = left > 63 ? 63 : left;
		if (label == 0 || (left > 63 && left - 63 == 1))
			label = left > 63 ? 62 : left;
		for (size_t i = 0; i < label; i++)
			sbuf_append_char(d, 'a');
	}
}

static void test_limits(void **state)
{
	(void)state;
	/* local part: max-1, max, max+1 */
	assert_int_equal(run_path("a", ADDR_LOCAL_MAX - 1, "x.y"), ADDR_OK);
	assert_int_equal(run_path("a", ADDR_LOCAL_MAX, "x.y"), ADDR_OK);
	assert_int_equal(run_path("a", ADDR_LOCAL_MAX + 1, "x.y"), ADDR_TOO_LONG);
	/* label of 63 / 64 */
	struct sbuf d = SBUF_INIT;
	make_domain(&d, 63);
	assert_int_equal(run_path("a", 1, d.s), ADDR_OK);
	sbuf_append_char(&d, 'a');
	assert_int_equal(run_path("a", 1, d.s), ADDR_SYNTAX);
	/* whole path including <>: 256 ok, 257 too long (local 1 + '@') */
	make_domain(&d, ADDR_PATH_MAX - 4 - 1);
	assert_int_equal(run_path("a", 1, d.s), ADDR_OK);
	make_domain(&d, ADDR_PATH_MAX - 4);
	assert_int_equal(run_path("a", 1, d.s), ADDR_OK);
	make_domain(&d, ADDR_PATH_MAX - 4 + 1);
	assert_int_equal(run_path("a", 1, d.s), ADDR_TOO_LONG);
	make_domain(&d, 4000);
	assert_int_equal(run_path("a", 1, d.s), ADDR_TOO_LONG);
	/* a domain over 255 in normalize */
	struct sbuf out = SBUF_INIT;
	make_domain(&d, ADDR_DOMAIN_MAX + 1);
	assert_int_equal(addr_normalize("a", 1, d.s, &out), ADDR_TOO_LONG);
	make_domain(&d, 200);
	assert_int_equal(addr_normalize("a", 1, d.s, &out), ADDR_OK);
	assert_int_equal(out.len, 202);
	sbuf_free(&out);
	sbuf_free(&d);
}

static void test_unterminated_long(void **state)
{
	(void)state;
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	size_t used;
	sbuf_append_char(&in, '<');
	for (int i = 0; i < 300; i++)
		sbuf_append_char(&in, 'a');
	assert_int_equal(addr_parse_path(in.s, in.len, false, NULL, &out, &used),
	                 ADDR_TOO_LONG);
	sbuf_free(&in);
	sbuf_free(&out);
}

struct norm_case {
	const char *in;
	const char *defdomain;
	enum addr_status want;
	const char *out;
};

static const struct norm_case norm_cases[] = {
	{ "joe@Example.COM", NULL, ADDR_OK, "joe@example.com" },
	{ "joe", "Dom.Example", ADDR_OK, "joe@dom.example" },
	{ "joe", NULL, ADDR_SYNTAX, NULL },
	{ "", "x.y", ADDR_SYNTAX, NULL },
	{ "<joe@x.y>", NULL, ADDR_SYNTAX, NULL },
	{ "joe@x.y extra", NULL, ADDR_SYNTAX, NULL },
	{ "joe@x.y\n", NULL, ADDR_BAD_CHAR, NULL },
	{ "@r.s:joe@x.y", NULL, ADDR_OK, "joe@x.y" },
	{ "\"a b\"@x.y", NULL, ADDR_OK, "\"a b\"@x.y" },
};

static void test_normalize_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
		const struct norm_case *c = &norm_cases[i];
		struct sbuf out = SBUF_INIT;
		enum addr_status st = addr_normalize(c->in, strlen(c->in), c->defdomain, &out);
		if (st != c->want)
			print_error("case %zu: %s -> %d\n", i, c->in, (int)st);
		assert_int_equal(st, c->want);
		if (st == ADDR_OK)
			assert_string_equal(sbuf_cstr(&out), c->out);
		sbuf_free(&out);
	}
}

static void test_split(void **state)
{
	(void)state;
	struct sbuf l = SBUF_INIT, d = SBUF_INIT;
	addr_split("\"a@b\"@x.y", &l, &d);
	assert_string_equal(sbuf_cstr(&l), "\"a@b\"");
	assert_string_equal(sbuf_cstr(&d), "x.y");
	addr_split("nodomain", &l, &d);
	assert_string_equal(sbuf_cstr(&l), "nodomain");
	assert_string_equal(sbuf_cstr(&d), "");
	assert_string_equal(addr_domain("a@b.c"), "b.c");
	assert_string_equal(addr_domain(""), "");
	assert_string_equal(addr_status_str(ADDR_TOO_LONG), "address too long");
	sbuf_free(&l);
	sbuf_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_table),
		cmocka_unit_test(test_nul_in_path),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unterminated_long),
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
