/* datefmt_test: the three date formats, GMT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "datefmt.h"

static void test_table(void **state)
{
	(void)state;
	static const struct {
		time_t t;
		const char *received, *rfc5322, *qread;
	} t[] = {
		{ 0, "1 Jan 1970 00:00:00 -0000", "Thu, 1 Jan 1970 00:00:00 +0000",
		  "1 Jan 1970 00:00:00 GMT" },
		{ 1000000000, "9 Sep 2001 01:46:40 -0000", "Sun, 9 Sep 2001 01:46:40 +0000",
		  "9 Sep 2001 01:46:40 GMT" },
		{ 1795263724, "21 Nov 2026 12:22:04 -0000", "Sat, 21 Nov 2026 12:22:04 +0000",
		  "21 Nov 2026 12:22:04 GMT" },
		{ 951782400, "29 Feb 2000 00:00:00 -0000", "Tue, 29 Feb 2000 00:00:00 +0000",
		  "29 Feb 2000 00:00:00 GMT" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char b[DATEFMT_MAX];
		assert_int_equal(datefmt_received(b, t[i].t), strlen(t[i].received));
		assert_string_equal(b, t[i].received);
		assert_int_equal(datefmt_rfc5322(b, t[i].t), strlen(t[i].rfc5322));
		assert_string_equal(b, t[i].rfc5322);
		assert_int_equal(datefmt_qread(b, t[i].t), strlen(t[i].qread));
		assert_string_equal(b, t[i].qread);
	}
}

static void test_extreme(void **state)
{
	(void)state;
	char b[DATEFMT_MAX];
	size_t n = datefmt_rfc5322(b, (time_t)INT64_MAX);
	assert_true(n < DATEFMT_MAX);
	assert_int_equal(strlen(b), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_table),
					    cmocka_unit_test(test_extreme) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
