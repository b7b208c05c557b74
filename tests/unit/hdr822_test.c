/* hdr822_test.c: table tests for the header section and address-list parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hdr822.h"
#include "proto_limits.h"
#include "sbuf.h"

struct parse_case {
	const char *in;
	enum hdr_status want;
	size_t n_fields;
	size_t body_off;
};

static const struct parse_case parse_cases[] = {
	{ "", HDR_OK, 0, 0 },
	{ "\nbody\n", HDR_OK, 0, 1 },
	{ "To: a@b\n\nbody\n", HDR_OK, 1, 9 },
	{ "To: a@b\nSubject: x\n y\n\tz\n\nb\n", HDR_OK, 2, 26 },
	{ "To: a@b\nnot a header\n", HDR_OK, 1, 8 },
	{ "To : spaced\n\n", HDR_OK, 1, 13 },
	{ ": noname\n\n", HDR_OK, 0, 0 },
	{ "X-No-Newline: v", HDR_OK, 1, 15 },
	{ " leading continuation\n", HDR_OK, 0, 0 },
	{ "Bad Name: x\n\n", HDR_OK, 0, 0 },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct hdr_list h;
		size_t off = 12345;
		enum hdr_status st = hdr822_parse(c->in, strlen(c->in), &h, &off);
		assert_int_equal(st, c->want);
		assert_int_equal(h.n, c->n_fields);
		assert_int_equal(off, c->body_off);
		hdr822_free(&h);
	}
}

/* One field of exactly len bytes ("X: aaaa...\n"). */
static char *field_of(size_t len)
{
	char *s = malloc(len + 2);
	memcpy(s, "X: ", 3);
	memset(s + 3, 'a', len - 4);
	s[len - 1] = '\n';
	s[len] = '\n';
	s[len + 1] = '\0';
	return s;
}

static void test_field_limit(void **state)
{
	(void)state;
	static const struct { size_t len; enum hdr_status want; } cases[] = {
		{ HEADER_FIELD_MAX - 1, HDR_OK },
		{ HEADER_FIELD_MAX, HDR_OK },
		{ HEADER_FIELD_MAX + 1, HDR_FIELD_TOO_BIG },
	};
	for (size_t i = 0; i < 3; i++) {
		char *s = field_of(cases[i].len);
		struct hdr_list h;
		size_t off;
		assert_int_equal(hdr822_parse(s, strlen(s), &h, &off), cases[i].want);
		assert_int_equal(h.n, cases[i].want == HDR_OK ? 1 : 0);
		hdr822_free(&h);
		free(s);
	}
}

static void test_section_limit(void **state)
{
	(void)state;
	struct sbuf b = SBUF_INIT;
	while (b.len <= HEADER_SECTION_MAX)
		sbuf_append_str(&b, "X-Filler: 0123456789012345678901234567890123456789\n");
	struct hdr_list h;
	size_t off;
	assert_int_equal(hdr822_parse(b.s, b.len, &h, &off), HDR_SECTION_TOO_BIG);
	assert_int_equal(h.n, 0);
	sbuf_free(&b);
}

static void test_find_and_value(void **state)
{
	(void)state;
	const char *msg = "subject: hi\nTO: a@b\n\n";
	struct hdr_list h;
	size_t off, len;
	assert_int_equal(hdr822_parse(msg, strlen(msg), &h, &off), HDR_OK);
	assert_int_equal(hdr822_find(&h, "To"), 1);
	assert_int_equal(hdr822_find(&h, "Subject"), 0);
	assert_int_equal(hdr822_find(&h, "Cc"), -1);
	const char *v = hdr822_value(&h.v[1], &len);
	assert_int_equal(len, 5);
	assert_memory_equal(v, " a@b\n", 5);
	h.v[1].is_deleted = true;
	assert_int_equal(hdr822_find(&h, "To"), -1);
	hdr822_free(&h);
}

struct al_case {
	const char *in;
	int want;
	const char *out;        /* addresses joined by '|' */
};

static const struct al_case al_cases[] = {
	{ "a@b.c", 0, "a@b.c" },
	{ " a@b.c , d@e.f ", 0, "a@b.c|d@e.f" },
	{ "\"Bob X\" <bob@x.org>", 0, "bob@x.org" },
	{ "Bob <bob@x.org>, carol", 0, "bob@x.org|carol" },
	{ "a@b (comment, with comma)", 0, "a@b" },
	{ "a@b (nested (comment))", 0, "a@b" },
	{ "grp: x@y, z@w;, after@q", 0, "x@y|z@w|after@q" },
	{ "undisclosed-recipients:;", 0, "" },
	{ "<@relay.a,@relay.b:user@d>", 0, "user@d" },
	{ "\"quoted local\"@x.y", 0, "\"quoted local\"@x.y" },
	{ "\"a,b\" <c@d>", 0, "c@d" },
	{ "", 0, "" },
	{ ",,,", 0, "" },
	{ "<>", 0, "" },
	{ "a@b\n c@d", 0, "a@bc@d" },
	{ "<a@b", -1, NULL },
	{ "a@b>", -1, NULL },
	{ "<<a@b>>", -1, NULL },
	{ "<a@b> <c@d>", -1, NULL },
	{ "\"open", -1, NULL },
	{ "(open", -1, NULL },
	{ "a\001@b", -1, NULL },
};

static void test_addrlist_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof al_cases / sizeof al_cases[0]; i++) {
		const struct al_case *c = &al_cases[i];
		struct strlist l = { NULL, 0, 0 };
		int rc = hdr822_addrlist(c->in, strlen(c->in), &l);
		assert_int_equal(rc, c->want);
		if (rc == 0) {
			struct sbuf j = SBUF_INIT;
			for (size_t k = 0; k < l.n; k++) {
				if (k)
					sbuf_append_char(&j, '|');
				sbuf_append_str(&j, l.v[k]);
			}
			assert_string_equal(sbuf_cstr(&j), c->out);
			sbuf_free(&j);
		}
		strlist_free(&l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_section_limit),
		cmocka_unit_test(test_find_and_value),
		cmocka_unit_test(test_addrlist_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
