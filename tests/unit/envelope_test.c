/* envelope_test: the queue envelope and qmail-queue's fd 1 protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "proto_limits.h"
#include "sbuf.h"

#define S(lit) lit, sizeof(lit) - 1

struct env_case {
	const char *data;
	size_t len;
	enum env_status want;
};

static const struct env_case env_cases[] = {
	{ S("V1\0B1\0U2\0P3\0S10\0Fa@b\0Tc@d\0\0"), ENV_OK },
	{ S("V1\0B1\0U2\0P3\0Fa@b\0Tc@d\0Dd@e\0\0"), ENV_OK },
	{ S("V1\0B1\0U2\0P3\0F\0\0"), ENV_OK },
	{ S("V1\0B1\0U2\0P3\0Fa@b\0Tc@d\0"), ENV_INCOMPLETE },
	{ S("V1\0B1\0U2\0P3\0Fa@b\0Tc@d"), ENV_INCOMPLETE },
	{ S(""), ENV_INCOMPLETE },
	{ S("V1\0B1\0U2"), ENV_INCOMPLETE },
	{ S("V2\0B1\0U2\0P3\0Fa@b\0\0"), ENV_FORMAT },
	{ S("V1\0B1\0U2\0P3\0Fa@b\0Tc@d\0\0X"), ENV_FORMAT },
	{ S("V1\0B1\0U2\0P3\0Fa@b\0Xc@d\0\0"), ENV_FORMAT },
	{ S("V1\0Bx\0U2\0P3\0Fa@b\0\0"), ENV_FORMAT },
	{ S("V1\0B-1\0U2\0P3\0Fa@b\0\0"), ENV_FORMAT },
	{ S("V1\0B99999999999999999999\0U2\0P3\0Fa@b\0\0"), ENV_FORMAT },
	{ S("V1\0U2\0B1\0P3\0Fa@b\0\0"), ENV_FORMAT },
	{ S("V1\0B1\0U2\0P3\0Sx\0Fa@b\0\0"), ENV_FORMAT },
	{ S("V1\0B1\0U2\0P3\0Fa\n@b\0\0"), ENV_FORMAT },
	{ S("V1\0B1\0U2\0P3\0Fa@b\0Tc\r@d\0\0"), ENV_FORMAT },
	{ S("V1\0B1\0U2\0P3\0Tc@d\0\0"), ENV_FORMAT },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof env_cases / sizeof env_cases[0]; i++) {
		struct envelope e;
		enum env_status st = envelope_parse(env_cases[i].data, env_cases[i].len, &e);
		if (st != env_cases[i].want)
			fail_msg("case %zu: got %d want %d", i, st, env_cases[i].want);
		if (st == ENV_OK)
			envelope_free(&e);
	}
}

static void test_parse_fields(void **state)
{
	(void)state;
	static const char d[] = "V1\0B100\0U7\0P42\0S5\0Fs@x\0Ta@b\0Dc@d\0";
	struct envelope e;
	assert_int_equal(envelope_parse(d, sizeof d, &e), ENV_OK);
	assert_int_equal(e.birth, 100);
	assert_int_equal(e.uid, 7);
	assert_int_equal(e.pid, 42);
	assert_true(e.has_size);
	assert_int_equal(e.size, 5);
	assert_string_equal(e.sender, "s@x");
	assert_int_equal(e.n_rcpt, 2);
	assert_string_equal(e.rcpt[0].addr, "a@b");
	assert_false(e.rcpt[0].done);
	assert_true(e.rcpt[1].done);
	assert_int_equal(d[e.rcpt[0].tag_offset], 'T');
	assert_int_equal(d[e.rcpt[1].tag_offset], 'D');
	envelope_free(&e);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct env_rcpt r[2] = { { (char *)"a@b", 0, false }, { (char *)"c@d", 0, true } };
	struct envelope e = { 1, 2, 3, 99, true, (char *)"", r, 2, 2 };
	struct sbuf b = SBUF_INIT;
	envelope_format(&e, &b);
	struct envelope p;
	assert_int_equal(envelope_parse(b.s, b.len, &p), ENV_OK);
	assert_int_equal(p.size, 99);
	assert_string_equal(p.sender, "");
	assert_int_equal(p.n_rcpt, 2);
	assert_true(p.rcpt[1].done);
	assert_int_equal(b.s[p.rcpt[1].tag_offset], 'D');
	envelope_free(&p);
	sbuf_free(&b);
}

/* n recipients in qmail-queue's protocol. */
static void make_qq(struct sbuf *b, size_t n)
{
	sbuf_append(b, "Fs@x", 5);
	for (size_t i = 0; i < n; i++)
		sbuf_append(b, "Ta@b", 5);
	sbuf_append_char(b, '\0');
}

static void test_rcpt_limit(void **state)
{
	(void)state;
	static const struct {
		size_t n;
		enum env_status want;
	} t[] = { { QUEUE_RCPT_MAX - 1, ENV_OK }, { QUEUE_RCPT_MAX, ENV_OK },
		  { QUEUE_RCPT_MAX + 1, ENV_TOO_BIG } };
	for (size_t i = 0; i < 3; i++) {
		struct sbuf b = SBUF_INIT;
		make_qq(&b, t[i].n);
		struct envelope e;
		assert_int_equal(envelope_parse_qq(b.s, b.len, &e), t[i].want);
		if (t[i].want == ENV_OK) {
			assert_int_equal(e.n_rcpt, t[i].n);
			envelope_free(&e);
		}
		sbuf_free(&b);
	}
}

static void test_size_limit(void **state)
{
	(void)state;
	struct envelope e;
	char *big = calloc(1, (size_t)QUEUE_ENVELOPE_MAX + 1);
	assert_non_null(big);
	assert_int_equal(envelope_parse(big, (size_t)QUEUE_ENVELOPE_MAX + 1, &e), ENV_TOO_BIG);
	assert_int_equal(envelope_parse_qq(big, (size_t)QUEUE_ENVELOPE_MAX + 1, &e), ENV_TOO_BIG);
	free(big);
}

static const struct env_case qq_cases[] = {
	{ S("Fa@b\0Tc@d\0\0"), ENV_OK },
	{ S("F\0Tc@d\0Te@f\0\0"), ENV_OK },
	{ S("Fa@b\0\0"), ENV_OK },
	{ S("Fa@b\0Tc@d\0"), ENV_INCOMPLETE },
	{ S("Fa@b"), ENV_INCOMPLETE },
	{ S(""), ENV_INCOMPLETE },
	{ S("Fa@b\0Tc\r\0\0"), ENV_FORMAT },
	{ S("Fa\n\0Tc\0\0"), ENV_FORMAT },
	{ S("Tc@d\0\0"), ENV_FORMAT },
	{ S("Fa@b\0Dc@d\0\0"), ENV_FORMAT },
	{ S("Fa@b\0Tc@d\0\0junk"), ENV_FORMAT },
	{ S("\0"), ENV_FORMAT },
};

static void test_qq_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof qq_cases / sizeof qq_cases[0]; i++) {
		struct envelope e;
		enum env_status st = envelope_parse_qq(qq_cases[i].data, qq_cases[i].len, &e);
		if (st != qq_cases[i].want)
			fail_msg("qq case %zu: got %d want %d", i, st, qq_cases[i].want);
		if (st == ENV_OK)
			envelope_free(&e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table), cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_rcpt_limit),
		cmocka_unit_test(test_size_limit),  cmocka_unit_test(test_qq_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
