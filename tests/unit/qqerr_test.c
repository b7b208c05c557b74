/* qqerr_test.c: the queue program reply parser (qqerr.h), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "qqerr.h"
#include "sbuf.h"

struct parse_case {
	const char *raw;
	size_t len; /* 0: strlen(raw) */
	enum qqerr_kind want;
	const char *text;
};

static void check_parse(const struct parse_case *c, size_t i)
{
	struct qqerr e;
	size_t len = c->len ? c->len : strlen(c->raw);
	enum qqerr_kind k = qqerr_parse(c->raw, len, &e);
	if (k != c->want || e.kind != k)
		fail_msg("case %zu: kind %d want %d", i, (int)k, (int)c->want);
	if (k == QQERR_NONE) {
		assert_int_equal(e.len, 0);
		assert_string_equal(e.text, "");
		return;
	}
	if (strcmp(e.text, c->text) != 0 || e.len != strlen(c->text))
		fail_msg("case %zu: text \"%s\" want \"%s\"", i, e.text, c->text);
}

static void test_parse(void **state)
{
	(void)state;
	static const struct parse_case cases[] = {
	    {"DYour message contains a virus (EICAR)", 0, QQERR_PERM,
	     "Your message contains a virus (EICAR)"},
	    {"Zgreylisted, try later", 0, QQERR_TEMP, "greylisted, try later"},
	    {"Dtext\n", 0, QQERR_PERM, "text"},
	    {"Dtext\r\n", 0, QQERR_PERM, "text"},
	    {"D  padded \t ", 0, QQERR_PERM, "padded"},
	    {"Da\tb", 0, QQERR_PERM, "a b"},
	    {"D\x01\x7f\xc3\xa9x", 0, QQERR_PERM,
	     "???"
	     "?x"},
	    {"D5.7.1 spam", 0, QQERR_PERM, "5.7.1 spam"},
	    /* invalid: fail closed */
	    {"", 0, QQERR_NONE, NULL},
	    {"D", 0, QQERR_NONE, NULL},
	    {"D\n", 0, QQERR_NONE, NULL},
	    {"D   \t", 0, QQERR_NONE, NULL},
	    {"Xwhat", 0, QQERR_NONE, NULL},
	    {"dlowercase", 0, QQERR_NONE, NULL},
	    {" Dspace first", 0, QQERR_NONE, NULL},
	    {"Dtwo\nlines", 0, QQERR_NONE, NULL},
	    {"Dbare\rcr", 0, QQERR_NONE, NULL},
	    {"Dtwo\n\n", 0, QQERR_NONE, NULL},
	    {"Dnul\0x", 6, QQERR_NONE, NULL},
	    {"Dend\r", 0, QQERR_NONE, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_parse(&cases[i], i);
}

/* The raw message limit QQERR_RAW_MAX and the text limit QQERR_TEXT_MAX,
 * each at max-1, max and max+1. */
static void test_limits(void **state)
{
	(void)state;
	char *raw = malloc(QQERR_RAW_MAX + 2);
	assert_non_null(raw);
	static const struct {
		size_t len;
		enum qqerr_kind want;
		size_t text;
	} t[] = {
	    {QQERR_RAW_MAX - 1, QQERR_PERM, QQERR_TEXT_MAX},
	    {QQERR_RAW_MAX, QQERR_NONE, 0},
	    {QQERR_RAW_MAX + 1, QQERR_NONE, 0},
	    {QQERR_TEXT_MAX, QQERR_PERM, QQERR_TEXT_MAX - 1},
	    {QQERR_TEXT_MAX + 1, QQERR_PERM, QQERR_TEXT_MAX},
	    {QQERR_TEXT_MAX + 2, QQERR_PERM, QQERR_TEXT_MAX},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		raw[0] = 'D';
		memset(raw + 1, 'x', t[i].len - 1);
		struct qqerr e;
		assert_int_equal(qqerr_parse(raw, t[i].len, &e), t[i].want);
		assert_int_equal(e.len, t[i].text);
		assert_int_equal(strlen(e.text), t[i].text);
	}
	/* a cut that leaves spaces at the end is trimmed again */
	memset(raw + 1, 'x', QQERR_RAW_MAX - 2);
	memset(raw + QQERR_TEXT_MAX - 2, ' ', 10);
	struct qqerr e;
	assert_int_equal(qqerr_parse(raw, QQERR_TEXT_MAX + 20, &e), QQERR_PERM);
	assert_int_equal(e.len, QQERR_TEXT_MAX - 3);
	free(raw);
}

static void test_reply(void **state)
{
	(void)state;
	static const struct {
		const char *raw, *reply;
	} t[] = {
	    {"Dvirus found", "554 5.7.1 virus found"},
	    {"Zscanner busy", "451 4.7.1 scanner busy"},
	    {"D5.7.0 policy", "554 5.7.0 policy"},
	    {"Z4.3.2 later", "451 4.3.2 later"},
	    {"D4.7.1 wrong class", "554 5.7.1 wrong class"},
	    {"Z5.7.1 wrong class", "451 4.7.1 wrong class"},
	    {"D2.0.0 odd", "554 5.0.0 odd"},
	    {"D5.7.1", "554 5.7.1"},
	    {"D5.123.456 x", "554 5.123.456 x"},
	    {"D5.1234.1 x", "554 5.7.1 5.1234.1 x"},
	    {"D5.7.1x", "554 5.7.1 5.7.1x"},
	    {"D5..1 x", "554 5.7.1 5..1 x"},
	    {"D3.1.1 x", "554 5.7.1 3.1.1 x"},
	    {"D554 text", "554 5.7.1 554 text"},
	};
	struct sbuf out = SBUF_INIT;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct qqerr e;
		assert_int_not_equal(qqerr_parse(t[i].raw, strlen(t[i].raw), &e), QQERR_NONE);
		qqerr_format_reply(&e, &out);
		if (strcmp(sbuf_cstr(&out), t[i].reply) != 0)
			fail_msg("case %zu: \"%s\" want \"%s\"", i, sbuf_cstr(&out), t[i].reply);
		qqerr_format_raw(&e, &out);
		assert_int_equal(out.len, e.len + 1);
		assert_int_equal(out.s[0], t[i].raw[0]);
	}
	sbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
