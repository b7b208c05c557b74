/* assign_test.c: users/assign line parser tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "assign.h"

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		enum assign_status st;
		const char *key;
		size_t klen;
	} t[] = {
		{ "=Joe:joe:1:2:/home/joe:::", ASSIGN_ENTRY, "!joe\0", 5 },
		{ "+vd-example.com-:qmailv:1000:1000:/q/domains/example.com:-::", ASSIGN_ENTRY,
		  "!vd-example.com-", 16 },
		{ "+:alias:7:7:/q/alias:-::", ASSIGN_ENTRY, "!", 1 },
		{ ".", ASSIGN_SKIP, NULL, 0 },
		{ "", ASSIGN_SKIP, NULL, 0 },
		{ "#x", ASSIGN_BAD_TYPE, NULL, 0 },
		{ "=joe:joe:1:2:/h::", ASSIGN_BAD_FIELDS, NULL, 0 },
		{ "=joe:joe:1:2:/h:::x", ASSIGN_BAD_FIELDS, NULL, 0 },
		{ "=joe:joe:1:2:/h::::", ASSIGN_BAD_FIELDS, NULL, 0 },
		{ "=joe:joe:-1:2:/h:::", ASSIGN_BAD_NUMBER, NULL, 0 },
		{ "=joe:joe:1:4294967295:/h:::", ASSIGN_BAD_NUMBER, NULL, 0 },
		{ "=joe:joe:1:4294967294:/h:::", ASSIGN_ENTRY, "!joe\0", 5 },
		{ "=joe:joe:1:x:/h:::", ASSIGN_BAD_NUMBER, NULL, 0 },
		{ "=joe:joe:1:2:h:::", ASSIGN_BAD_HOME, NULL, 0 },
		{ "=joe:joe:1:2:/h\r:::", ASSIGN_BAD_CHAR, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		struct assign_entry e = { false, SBUF_INIT, SBUF_INIT };
		assert_int_equal(assign_parse_line(t[i].line, strlen(t[i].line), &e), t[i].st);
		if (t[i].key) {
			assert_int_equal(e.key.len, t[i].klen);
			assert_memory_equal(e.key.s, t[i].key, t[i].klen);
		}
		assign_entry_free(&e);
	}
}

static void test_value_and_limits(void **state)
{
	(void)state;
	struct assign_entry e = { false, SBUF_INIT, SBUF_INIT };
	const char *l = "=a:joe:1:2:/h:-:x:";
	assert_int_equal(assign_parse_line(l, strlen(l), &e), ASSIGN_ENTRY);
	assert_int_equal(e.value.len, 15);
	assert_memory_equal(e.value.s, "joe\0" "1\0" "2\0" "/h\0" "-\0" "x\0", 15);
	assert_int_equal(assign_parse_line("=a\0:", 4, &e), ASSIGN_BAD_CHAR);
	size_t sizes[] = { ASSIGN_LINE_MAX - 1, ASSIGN_LINE_MAX, ASSIGN_LINE_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		char *s = xmalloc(sizes[i] + 1);
		memset(s, 'a', sizes[i]);
		memcpy(s, "=", 1);
		memcpy(s + sizes[i] - 12, ":u:1:2:/h::", 11);
		s[sizes[i] - 1] = ':';
		assert_int_equal(assign_parse_line(s, sizes[i], &e),
		                 i < 2 ? ASSIGN_ENTRY : ASSIGN_BAD_CHAR);
		free(s);
	}
	assign_entry_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_value_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
