#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Sanitizer builds: let huge requests fail like they do in production. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static jmp_buf fatal_jmp;
static int fatal_calls;

static void fatal_hook(void)
{
	fatal_calls++;
	longjmp(fatal_jmp, 1);
}

struct arith_case {
	size_t a, b;
	bool add_ok, mul_ok;
};

static const struct arith_case arith_cases[] = {
	{ 0, 0, true, true },
	{ SIZE_MAX, 0, true, true },
	{ SIZE_MAX - 1, 1, true, true },
	{ SIZE_MAX, 1, false, true },
	{ SIZE_MAX / 2, SIZE_MAX / 2 + 1, true, false },
	{ SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, false, false },
	{ SIZE_MAX / 2, 2, true, true },
	{ SIZE_MAX / 2 + 1, 2, true, false },
	{ 0, SIZE_MAX, true, true },
	{ 1, SIZE_MAX, false, true },
};

static void test_arith_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof arith_cases / sizeof arith_cases[0]; i++) {
		const struct arith_case *c = &arith_cases[i];
		size_t out = 7;
		assert_int_equal(size_add(c->a, c->b, &out), c->add_ok);
		if (c->add_ok)
			assert_true(out == c->a + c->b);
		else
			assert_true(out == 7);
		out = 7;
		assert_int_equal(size_mul(c->a, c->b, &out), c->mul_ok);
		if (c->mul_ok)
			assert_true(out == c->a * c->b);
		else
			assert_true(out == 7);
	}
}

/* Each request must reach the fatal hook instead of returning. */
static void expect_fatal(int which)
{
	volatile int before = fatal_calls;
	void *volatile p = NULL;
	if (setjmp(fatal_jmp) == 0) {
		switch (which) {
		case 0: p = xcalloc(SIZE_MAX / 2 + 1, 2); break;
		case 1: p = xreallocarray(NULL, SIZE_MAX / 8 + 1, 8); break;
		case 2: p = xmemdup("x", SIZE_MAX); break;
		case 3: p = xmalloc(SIZE_MAX); break;
		case 4: p = xrealloc(NULL, SIZE_MAX - 1); break;
		}
		free(p);
		fail_msg("request %d returned", which);
	}
	assert_int_equal(fatal_calls, before + 1);
}

static void test_overflow_is_fatal(void **state)
{
	(void)state;
	alloc_set_fatal(fatal_hook);
	for (int i = 0; i < 5; i++)
		expect_fatal(i);
	alloc_set_fatal(NULL);
}

static void test_normal(void **state)
{
	(void)state;
	char *p = xmalloc(0);
	free(p);
	int *a = xcalloc(10, sizeof *a);
	for (int i = 0; i < 10; i++)
		assert_int_equal(a[i], 0);
	a = xreallocarray(a, 1000, sizeof *a);
	free(a);
	char *d = xmemdup("ab\0cd", 5);
	assert_memory_equal(d, "ab\0cd", 5);
	assert_int_equal(d[5], '\0');
	free(d);
	char *s = xstrdup("hello");
	assert_string_equal(s, "hello");
	free(s);
	char *z = xmemdup(NULL, 0);
	assert_string_equal(z, "");
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arith_table),
		cmocka_unit_test(test_overflow_is_fatal),
		cmocka_unit_test(test_normal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
