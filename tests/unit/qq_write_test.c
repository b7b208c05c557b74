/* qq_write_test: qmail-queue's line-ending conversion and Received line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* qmail-queue's private module, tested directly. */
#include "../../src/cmd/qmail-queue/qq_write.c"

static void convert_all(const char *in, const size_t *splits, size_t n_splits,
			struct sbuf *out)
{
	struct crlf_state st = { 0 };
	size_t len = strlen(in), pos = 0;
	char buf[256];
	for (size_t i = 0; i <= n_splits; i++) {
		size_t end = i < n_splits ? splits[i] : len;
		size_t o = qq_write_convert(&st, in + pos, end - pos, buf);
		sbuf_append(out, buf, o);
		pos = end;
	}
	size_t o = qq_write_convert(&st, NULL, 0, buf);
	sbuf_append(out, buf, o);
}

static void test_convert_table(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "a\r\nb\r\n", "a\nb\n" },
		{ "a\rb\n", "a b\n" },
		{ "a\r\r\nb", "a \nb" },
		{ "a\r", "a " },
		{ "\r\r\r", "   " },
		{ "plain\n", "plain\n" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf out = SBUF_INIT;
		convert_all(t[i].in, NULL, 0, &out);
		assert_string_equal(sbuf_cstr(&out), t[i].want);
		sbuf_free(&out);
		/* the same bytes split after every position */
		for (size_t k = 0; k <= strlen(t[i].in); k++) {
			struct sbuf o2 = SBUF_INIT;
			size_t split = k;
			convert_all(t[i].in, &split, 1, &o2);
			assert_string_equal(sbuf_cstr(&o2), t[i].want);
			sbuf_free(&o2);
		}
	}
}

static void test_received(void **state)
{
	(void)state;
	setenv("QMAILHOME", "/nonexistent-qq-test", 1);
	struct sbuf b = SBUF_INIT;
	qq_write_received(&b, 1234, 1000, 1000000000);
	assert_string_equal(b.s,
			    "Received: (qmail 1234 invoked by uid 1000); 9 Sep 2001 01:46:40 -0000\n");
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_convert_table),
					    cmocka_unit_test(test_received) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
