/* pop3_budget_test.c: per-address failed-login budget (pop3_budget.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "pop3_budget.h"

static void test_key(void **state)
{
	(void)state;
	static const struct {
		const char *ip;
		const char *key;   /* NULL: invalid */
	} cases[] = {
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "__1"},
		{"2001:DB8::a", "2001_DB8__a"},
		{"", NULL},
		{"../etc", NULL},
		{".1", NULL},
		{"1.2.3.4/5", NULL},
		{"1.2.3.4 ", NULL},
		{"g::1", NULL},
		{"1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6:78", NULL},   /* 46: max + 1 */
		{"1:2:3:4:5:6:7:8:1:2:3:4:5:6:7:8:1:2:3:4:5:6:7",
		 "1_2_3_4_5_6_7_8_1_2_3_4_5_6_7_8_1_2_3_4_5_6_7"},   /* 45: max */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sbuf k = SBUF_INIT;
		bool ok = pop3_budget_key(cases[i].ip, &k);
		assert_int_equal(ok, cases[i].key != NULL);
		if (ok)
			assert_string_equal(k.s, cases[i].key);
		sbuf_free(&k);
	}
	struct sbuf k = SBUF_INIT;
	assert_false(pop3_budget_key(NULL, &k));
	sbuf_free(&k);
}

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *data;
		int rc;
		uint64_t count, start;
	} cases[] = {
		{"1 100\n", 0, 1, 100},
		{"10 1700000000\n", 0, 10, 1700000000},
		{"4294967295 1\n", 0, 4294967295u, 1},
		{"4294967296 1\n", -1, 0, 0},
		{"1 100", -1, 0, 0},
		{"1  100\n", -1, 0, 0},
		{"-1 100\n", -1, 0, 0},
		{"1\n", -1, 0, 0},
		{"\n", -1, 0, 0},
		{"", -1, 0, 0},
		{"a b\n", -1, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t c = 0, s = 0;
		assert_int_equal(pop3_budget_parse(cases[i].data, strlen(cases[i].data), &c, &s),
		                 cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(c, cases[i].count);
			assert_int_equal(s, cases[i].start);
		}
	}
}

static void test_live(void **state)
{
	(void)state;
	assert_int_equal(pop3_budget_live(5, 1000, 1000), 5);
	assert_int_equal(pop3_budget_live(5, 1000, 1000 + POP3_BUDGET_WINDOW - 1), 5);
	assert_int_equal(pop3_budget_live(5, 1000, 1000 + POP3_BUDGET_WINDOW), 0);
	assert_int_equal(pop3_budget_live(5, 1000, 999), 5);   /* clock went back */
}

static void test_files(void **state)
{
	(void)state;
	char base[] = "/tmp/pop3budXXXXXX";
	assert_non_null(mkdtemp(base));
	char dir[600];
	snprintf(dir, sizeof dir, "%s/run", base);
	uint64_t now = 1700000000;
	assert_false(pop3_budget_exhausted(dir, "10.0.0.1", now));
	for (int i = 0; i < POP3_BUDGET_FAILS - 1; i++)
		assert_int_equal(pop3_budget_fail(dir, "10.0.0.1", now + (uint64_t)i), 0);
	assert_false(pop3_budget_exhausted(dir, "10.0.0.1", now + 20));   /* max - 1 */
	assert_int_equal(pop3_budget_fail(dir, "10.0.0.1", now + 20), 0);
	assert_true(pop3_budget_exhausted(dir, "10.0.0.1", now + 21));     /* max */
	assert_false(pop3_budget_exhausted(dir, "10.0.0.2", now + 21));
	assert_false(pop3_budget_exhausted(dir, "10.0.0.1", now + POP3_BUDGET_WINDOW));
	assert_int_equal(pop3_budget_fail(dir, "10.0.0.1", now + POP3_BUDGET_WINDOW), 0);
	assert_false(pop3_budget_exhausted(dir, "10.0.0.1", now + POP3_BUDGET_WINDOW + 1));
	assert_int_equal(pop3_budget_fail(dir, "../x", now), -1);
	assert_true(pop3_budget_exhausted(dir, "../x", now));   /* fail closed */
	char path[700];
	snprintf(path, sizeof path, "%s/10.0.0.3", dir);
	assert_int_equal(file_write_atomic(path, "junk", 4, 0600), 0);
	assert_true(pop3_budget_exhausted(dir, "10.0.0.3", now));
	assert_int_equal(pop3_budget_fail(dir, "10.0.0.3", now), 0);   /* rewritten */
	assert_false(pop3_budget_exhausted(dir, "10.0.0.3", now));
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", base);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
