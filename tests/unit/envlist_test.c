#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "envlist.h"

static char *base[] = {"PATH=/bin", "HOME=/root", "TCPREMOTEIP=old", "X==y", NULL};

static size_t count(struct envlist *e)
{
	size_t n = 0;
	for (char **v = envlist_vec(e); *v; v++)
		n++;
	return n;
}

struct op_case {
	const char *op;      /* an envlist_apply argument */
	int rc;
	const char *name;    /* then envlist_get(name) ... */
	const char *want;    /* ... is this (NULL: unset) */
	size_t n;            /* and the vector has this many entries */
};

static const struct op_case cases[] = {
	{ "TCPREMOTEIP=192.0.2.1", 0, "TCPREMOTEIP", "192.0.2.1", 4 },
	{ "TCPREMOTEIP", 0, "TCPREMOTEIP", NULL, 3 },
	{ "NEW=", 0, "NEW", "", 5 },
	{ "NEW=a=b", 0, "NEW", "a=b", 5 },
	{ "HOME", 0, "HOME", NULL, 3 },
	{ "HOM", 0, "HOME", "/root", 4 },    /* a prefix is another name */
	{ "=x", -1, "PATH", "/bin", 4 },
	{ "", -1, "PATH", "/bin", 4 },
	{ "X", 0, "X", NULL, 3 },
	{ "PATH=/usr/bin", 0, "PATH", "/usr/bin", 4 },
};

static void test_apply_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct envlist e;
		envlist_init(&e, base);
		int rc = envlist_apply(&e, cases[i].op);
		const char *got = envlist_get(&e, cases[i].name);
		if (rc != cases[i].rc || count(&e) != cases[i].n ||
		    (got == NULL) != (cases[i].want == NULL) ||
		    (got && strcmp(got, cases[i].want) != 0)) {
			print_error("case %zu (%s): rc %d got %s n %zu\n", i, cases[i].op, rc,
			            got ? got : "(unset)", count(&e));
			fail();
		}
		envlist_free(&e);
	}
}

static void test_base_untouched_and_repeat(void **state)
{
	(void)state;
	struct envlist e;
	envlist_init(&e, base);
	for (int i = 0; i < 1000; i++) {
		char v[16];
		snprintf(v, sizeof v, "%d", i);
		assert_int_equal(envlist_set(&e, "N", v), 0);
	}
	assert_string_equal(envlist_get(&e, "N"), "999");
	assert_int_equal(count(&e), 5);
	assert_int_equal(envlist_set(&e, "A=B", "x"), -1);
	assert_int_equal(envlist_unset(&e, ""), -1);
	envlist_free(&e);
	assert_string_equal(base[2], "TCPREMOTEIP=old");
}

static void test_empty_base(void **state)
{
	(void)state;
	struct envlist e;
	envlist_init(&e, NULL);
	assert_null(envlist_vec(&e)[0]);
	assert_int_equal(envlist_set(&e, "A", "1"), 0);
	assert_string_equal(envlist_vec(&e)[0], "A=1");
	assert_null(envlist_vec(&e)[1]);
	envlist_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_table),
		cmocka_unit_test(test_base_untouched_and_repeat),
		cmocka_unit_test(test_empty_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
