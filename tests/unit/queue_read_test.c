/* queue_read_test: qmail-qread's lines, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "queue_read.h"

static void test_header_table(void **state)
{
	(void)state;
	static const struct {
		time_t t;
		uint64_t id, size;
		const char *sender;
		bool bouncing;
		const char *want;
	} t[] = {
		{ 1795263724, 123456, 1459, "a@b.c", false,
		  "21 Nov 2026 12:22:04 GMT  #123456  1459  <a@b.c> \n" },
		{ 1000000000, 7, 0, "", true, "9 Sep 2001 01:46:40 GMT  #7  0  <>  bouncing\n" },
		{ 0, 1, 2, "x\001y\377z", false, "1 Jan 1970 00:00:00 GMT  #1  2  <x_y_z> \n" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf b = SBUF_INIT;
		queue_read_header(&b, t[i].t, t[i].id, t[i].size, t[i].sender, t[i].bouncing);
		assert_string_equal(b.s, t[i].want);
		sbuf_free(&b);
	}
}

static void test_rcpt_table(void **state)
{
	(void)state;
	static const struct {
		bool local, done;
		const char *addr, *want;
	} t[] = {
		{ true, false, "u@h", "\tlocal\tu@h\n" },
		{ false, false, "u@h", "\tremote\tu@h\n" },
		{ true, true, "u@h", "  done\tlocal\tu@h\n" },
		{ false, true, "u\t@h", "  done\tremote\tu_@h\n" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf b = SBUF_INIT;
		queue_read_rcpt(&b, t[i].local, t[i].done, t[i].addr);
		assert_string_equal(b.s, t[i].want);
		sbuf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_header_table),
					    cmocka_unit_test(test_rcpt_table) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
