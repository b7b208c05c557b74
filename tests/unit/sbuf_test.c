#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sbuf.h"

static jmp_buf fatal_jmp;

static void fatal_hook(void)
{
	longjmp(fatal_jmp, 1);
}

static void test_basic(void **state)
{
	(void)state;
	struct sbuf b = SBUF_INIT;
	assert_string_equal(sbuf_cstr(&b), "");
	sbuf_append_str(&b, "abc");
	sbuf_append_char(&b, 'd');
	sbuf_append(&b, "\0e", 2);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.s, "abcd\0e", 7);
	sbuf_append_ulong(&b, 18446744073709551615ull);
	assert_string_equal(b.s + 5, "e18446744073709551615");
	sbuf_set_str(&b, "x");
	sbuf_printf(&b, "%d-%s", 42, "y");
	assert_string_equal(sbuf_cstr(&b), "x42-y");
	sbuf_truncate(&b, 100);
	assert_int_equal(b.len, 5);
	sbuf_truncate(&b, 2);
	assert_string_equal(b.s, "x4");
	sbuf_clear(&b);
	assert_string_equal(sbuf_cstr(&b), "");
	assert_true(b.cap > 0);
	sbuf_free(&b);
	assert_null(b.s);
	assert_string_equal(sbuf_cstr(&b), "");
}

static void test_growth(void **state)
{
	(void)state;
	struct sbuf b = SBUF_INIT;
	for (int i = 0; i < 100000; i++)
		sbuf_append_char(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.s[b.len], '\0');
	char big[5000];
	memset(big, 'z', sizeof big);
	sbuf_clear(&b);
	sbuf_printf(&b, "%.*s", (int)sizeof big, big);
	assert_int_equal(b.len, sizeof big);
	sbuf_free(&b);
}

/* Sizes near SIZE_MAX reach the fatal hook, never wrap. */
static void test_overflow(void **state)
{
	(void)state;
	static const size_t extras[] = { SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 10 };
	alloc_set_fatal(fatal_hook);
	for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
		struct sbuf b = SBUF_INIT;
		sbuf_append_str(&b, "0123456789ab");
		volatile bool reached = false;
		if (setjmp(fatal_jmp) == 0)
			sbuf_reserve(&b, extras[i]);
		else
			reached = true;
		assert_true(reached);
		assert_int_equal(b.len, 12);
		sbuf_free(&b);
	}
	alloc_set_fatal(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
