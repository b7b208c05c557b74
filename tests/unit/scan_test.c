#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "scan.h"

struct scan_case {
	const char *s;
	uint64_t max;
	bool ok;
	uint64_t want;
};

static const struct scan_case cases[] = {
	{ "0", 0, true, 0 },
	{ "1", 0, false, 0 },
	{ "99", 100, true, 99 },
	{ "100", 100, true, 100 },
	{ "101", 100, false, 0 },
	{ "9", 5, false, 0 },
	{ "5", 5, true, 5 },
	{ "007", 10, true, 7 },
	{ "18446744073709551614", UINT64_MAX, true, UINT64_MAX - 1 },
	{ "18446744073709551615", UINT64_MAX, true, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, false, 0 },
	{ "99999999999999999999999", UINT64_MAX, false, 0 },
	{ "", 100, false, 0 },
	{ "-1", 100, false, 0 },
	{ "+1", 100, false, 0 },
	{ " 1", 100, false, 0 },
	{ "1 ", 100, false, 0 },
	{ "1a", 100, false, 0 },
	{ "0x10", 100, false, 0 },
};

static void test_scan_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t v = 12345;
		bool ok = scan_u64_str(cases[i].s, cases[i].max, &v);
		if (ok != cases[i].ok)
			fail_msg("case %zu '%s'", i, cases[i].s);
		if (ok)
			assert_true(v == cases[i].want);
		else
			assert_true(v == 12345);
	}
}

static void test_prefix(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_int_equal(scan_u64_prefix("123abc", 6, 1000, &v), 3);
	assert_true(v == 123);
	assert_int_equal(scan_u64_prefix("abc", 3, 1000, &v), 0);
	assert_int_equal(scan_u64_prefix("1001x", 5, 1000, &v), 0);
	assert_int_equal(scan_u64_prefix("12345", 2, 1000, &v), 2);
	assert_true(v == 12);
	assert_int_equal(scan_u64_prefix("", 0, 1000, &v), 0);
	/* Length is honoured: no reading past len. */
	assert_true(scan_u64("12", 1, 100, &v));
	assert_true(v == 1);
	assert_false(scan_u64("12", 0, 100, &v));
}

static void test_hex_digit(void **state)
{
	(void)state;
	assert_int_equal(scan_hex_digit('0'), 0);
	assert_int_equal(scan_hex_digit('9'), 9);
	assert_int_equal(scan_hex_digit('a'), 10);
	assert_int_equal(scan_hex_digit('F'), 15);
	assert_int_equal(scan_hex_digit('g'), -1);
	assert_int_equal(scan_hex_digit('/'), -1);
	assert_int_equal(scan_hex_digit('\0'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_table),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_hex_digit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
