/* queue_retry_test: birth + (k*skip)^2, clamping, lifetime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "queue_retry.h"

static void test_next_table(void **state)
{
	(void)state;
	static const struct {
		int64_t birth, now, skip, want;
	} t[] = {
		{ 1000, 1000, 10, 1100 },     /* first retry: birth + 10^2 */
		{ 1000, 1099, 10, 1100 },
		{ 1000, 1100, 10, 1400 },     /* at a retry time: the next one */
		{ 1000, 1101, 10, 1400 },
		{ 1000, 1399, 10, 1400 },
		{ 1000, 1400, 10, 1900 },
		{ 0, 0, 20, 400 },
		{ 0, 399, 20, 400 },
		{ 0, 400, 20, 1600 },
		{ 0, 604800, 20, 608400 },   /* 39^2*400 = 608400 */
		{ 5000, 1000, 10, 1100 },     /* birth in the future counts as now (D-18) */
		{ 0, INT64_MAX, 10, INT64_MAX },
		{ INT64_MIN, INT64_MAX, 10, INT64_MAX },
		{ 100, 100, 0, 101 },         /* bad skip treated as 1 */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t got = queue_retry_next(t[i].birth, t[i].now, t[i].skip);
		if (got != t[i].want)
			fail_msg("case %zu: got %lld want %lld", i, (long long)got,
				 (long long)t[i].want);
	}
}

static void test_monotonic(void **state)
{
	(void)state;
	for (int64_t now = 0; now < 100000; now += 37) {
		int64_t n = queue_retry_next(0, now, 10);
		assert_true(n > now);
		assert_true(queue_retry_next(0, n - 1, 10) == n);
	}
}

static void test_expired(void **state)
{
	(void)state;
	assert_false(queue_retry_expired(0, 604799, 604800));
	assert_true(queue_retry_expired(0, 604800, 604800));
	assert_true(queue_retry_expired(0, 604801, 604800));
	assert_false(queue_retry_expired(2000000, 1000, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_next_table),
					    cmocka_unit_test(test_monotonic),
					    cmocka_unit_test(test_expired) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
