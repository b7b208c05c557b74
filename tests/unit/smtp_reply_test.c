/* smtp_reply_test.c: reply parser tables and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "smtp_reply.h"

/* Feeds lines separated by '\n'; returns the last status. */
static enum smtp_reply_status feed_all(struct smtp_reply *r, const char *s)
{
	enum smtp_reply_status st = REPLY_MORE;
	while (*s) {
		const char *lf = strchr(s, '\n');
		size_t n = lf ? (size_t)(lf - s) : strlen(s);
		st = smtp_reply_feed(r, s, n);
		if (st != REPLY_MORE)
			return st;
		s += n + (lf ? 1 : 0);
	}
	return st;
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		enum smtp_reply_status st;
		int code;
		const char *enh;
		const char *text;
	} t[] = {
		{ "250 ok", REPLY_DONE, 250, "", "ok" },
		{ "250", REPLY_DONE, 250, "", "" },
		{ "250-a\n250 b", REPLY_DONE, 250, "", "a / b" },
		{ "550 5.1.1 no user", REPLY_DONE, 550, "5.1.1", "5.1.1 no user" },
		{ "451 4.7.1 later", REPLY_DONE, 451, "4.7.1", "4.7.1 later" },
		{ "550 4.1.1 class mismatch", REPLY_DONE, 550, "", "4.1.1 class mismatch" },
		{ "250 2.0.0", REPLY_DONE, 250, "2.0.0", "2.0.0" },
		{ "250-a\n251 b", REPLY_BAD, 0, "", NULL },
		{ "25", REPLY_BAD, 0, "", NULL },
		{ "2500 x", REPLY_BAD, 0, "", NULL },
		{ "150 x", REPLY_BAD, 0, "", NULL },
		{ "650 x", REPLY_BAD, 0, "", NULL },
		{ "260 x", REPLY_BAD, 0, "", NULL },
		{ "2a0 x", REPLY_BAD, 0, "", NULL },
		{ "250_x", REPLY_BAD, 0, "", NULL },
		{ "250-more", REPLY_MORE, 250, "", "more" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct smtp_reply r;
		smtp_reply_init(&r);
		enum smtp_reply_status st = feed_all(&r, t[i].in);
		assert_int_equal(st, t[i].st);
		if (st != REPLY_BAD) {
			assert_int_equal(r.code, t[i].code);
			assert_string_equal(r.enh, t[i].enh);
			assert_string_equal(sbuf_cstr(&r.text), t[i].text);
		}
		smtp_reply_free(&r);
	}
}

static void test_sanitised(void **state)
{
	(void)state;
	struct smtp_reply r;
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "550 a\0b\rc\x7f\xff", 11), REPLY_DONE);
	assert_string_equal(sbuf_cstr(&r.text), "a_b_c__");
	smtp_reply_free(&r);
}

static void test_line_limit(void **state)
{
	(void)state;
	static char line[SMTP_REPLY_LINE_MAX + 2];
	memset(line, 'x', sizeof line);
	memcpy(line, "250 ", 4);
	size_t lens[] = { SMTP_REPLY_LINE_MAX - 1, SMTP_REPLY_LINE_MAX, SMTP_REPLY_LINE_MAX + 1 };
	enum smtp_reply_status want[] = { REPLY_DONE, REPLY_DONE, REPLY_BAD };
	for (size_t i = 0; i < 3; i++) {
		struct smtp_reply r;
		smtp_reply_init(&r);
		assert_int_equal(smtp_reply_feed(&r, line, lens[i]), want[i]);
		smtp_reply_free(&r);
	}
}

static void test_lines_limit(void **state)
{
	(void)state;
	size_t counts[] = { SMTP_REPLY_LINES_MAX - 1, SMTP_REPLY_LINES_MAX, SMTP_REPLY_LINES_MAX + 1 };
	enum smtp_reply_status want[] = { REPLY_DONE, REPLY_DONE, REPLY_BAD };
	for (size_t k = 0; k < 3; k++) {
		struct smtp_reply r;
		smtp_reply_init(&r);
		enum smtp_reply_status st = REPLY_MORE;
		for (size_t i = 0; i + 1 < counts[k] && st == REPLY_MORE; i++)
			st = smtp_reply_feed(&r, "250-x", 5);
		if (st == REPLY_MORE)
			st = smtp_reply_feed(&r, "250 end", 7);
		assert_int_equal(st, want[k]);
		smtp_reply_free(&r);
	}
}

static void test_keywords(void **state)
{
	(void)state;
	struct smtp_reply r;
	const char *args = NULL;
	smtp_reply_init(&r);
	assert_int_equal(feed_all(&r, "250-mx.example PIPELINING\n250-size 1000\n250-AUTH=LOGIN\n"
				      "250-AUTH PLAIN LOGIN\n250 8BITMIME"), REPLY_DONE);
	assert_true(smtp_reply_has_keyword(&r, "SIZE", &args));
	assert_string_equal(args, "1000");
	assert_true(smtp_reply_has_keyword(&r, "8BITMIME", NULL));
	assert_false(smtp_reply_has_keyword(&r, "PIPELINING", NULL)); /* greeting line */
	assert_true(smtp_reply_has_keyword(&r, "AUTH", &args));
	assert_string_equal(args, "LOGIN");
	assert_false(smtp_reply_has_keyword(&r, "8BIT", NULL));
	smtp_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sanitised),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_lines_limit),
		cmocka_unit_test(test_keywords),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
