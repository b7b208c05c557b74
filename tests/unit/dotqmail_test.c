/* dotqmail_test.c: .qmail parser and file-name tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dotqmail.h"
#include "dotqmail_find.h"

static void test_lines(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int r;
		enum dotqmail_kind kind;
		const char *target;
	} t[] = {
		{ "# comment", 0, DQ_FORWARD, NULL },
		{ "", 0, DQ_FORWARD, NULL },
		{ "  \t", 0, DQ_FORWARD, NULL },
		{ "|preline procmail ", 1, DQ_PROGRAM, "preline procmail " },
		{ "&joe@example.com  ", 1, DQ_FORWARD, "joe@example.com" },
		{ "joe@example.com", 1, DQ_FORWARD, "joe@example.com" },
		{ "./Maildir/", 1, DQ_MAILDIR, "./Maildir/" },
		{ "/var/mail/joe\t", 1, DQ_MBOX, "/var/mail/joe" },
		{ "./mbox", 1, DQ_MBOX, "./mbox" },
		{ "|", -1, DQ_PROGRAM, NULL },
		{ "&", -1, DQ_FORWARD, NULL },
		{ "& ", -1, DQ_FORWARD, NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		enum dotqmail_kind k = DQ_FORWARD;
		size_t start = 0, len = 0;
		int r = dotqmail_parse_line(t[i].line, strlen(t[i].line), &k, &start, &len);
		assert_int_equal(r, t[i].r);
		if (r == 1) {
			assert_int_equal(k, t[i].kind);
			assert_int_equal(len, strlen(t[i].target));
			assert_memory_equal(t[i].line + start, t[i].target, len);
		}
	}
}

static void test_file(void **state)
{
	(void)state;
	static const char f[] = "# c\n./Maildir/\n|cmd arg\n&a@b\nlast@x";
	struct dotqmail d;
	assert_int_equal(dotqmail_parse(f, sizeof f - 1, &d), DQ_OK);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.v[0].kind, DQ_MAILDIR);
	assert_int_equal(d.v[0].lineno, 2);
	assert_string_equal(d.v[1].text, "cmd arg");
	assert_string_equal(d.v[3].text, "last@x");
	dotqmail_free(&d);
	assert_int_equal(dotqmail_parse("a\0b\n", 4, &d), DQ_BAD_CHAR);
	assert_int_equal(dotqmail_parse("x\n&\n", 4, &d), DQ_EMPTY_TARGET);
}

static void test_limits(void **state)
{
	(void)state;
	struct dotqmail d;
	/* line length: max ok, max+1 refused */
	char *line = xmalloc(DOTQMAIL_LINE_MAX + 2);
	memset(line, 'a', DOTQMAIL_LINE_MAX + 1);
	assert_int_equal(dotqmail_parse(line, DOTQMAIL_LINE_MAX, &d), DQ_OK);
	dotqmail_free(&d);
	assert_int_equal(dotqmail_parse(line, DOTQMAIL_LINE_MAX + 1, &d), DQ_TOO_BIG);
	free(line);
	/* deliveries: max-1, max ok; max+1 refused */
	size_t counts[] = { DOTQMAIL_DELIVERIES_MAX - 1, DOTQMAIL_DELIVERIES_MAX,
	                    DOTQMAIL_DELIVERIES_MAX + 1 };
	for (size_t c = 0; c < 3; c++) {
		struct sbuf s = SBUF_INIT;
		for (size_t i = 0; i < counts[c]; i++)
			sbuf_append_str(&s, "a@b\n");
		enum dotqmail_status st = dotqmail_parse(s.s, s.len, &d);
		assert_int_equal(st, c < 2 ? DQ_OK : DQ_TOO_BIG);
		if (st == DQ_OK)
			dotqmail_free(&d);
		sbuf_free(&s);
	}
	assert_int_equal(dotqmail_parse("", DOTQMAIL_FILE_MAX + 1, &d), DQ_TOO_BIG);
}

static void test_names(void **state)
{
	(void)state;
	static const struct {
		const char *dash, *ext, *name;
	} t[] = {
		{ "", "", ".qmail" },
		{ "-", "Box", ".qmail-box" },
		{ "-", "a.b", ".qmail-a:b" },
		{ "-", "../x", ".qmail-::/x" },
	};
	struct sbuf out = SBUF_INIT;
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		dotqmail_find_name(t[i].dash, t[i].ext, &out);
		assert_string_equal(out.s, t[i].name);
	}
	sbuf_free(&out);
	struct dotqmail_match m = { SBUF_INIT, SBUF_INIT, false };
	assert_int_equal(dotqmail_find("/nonexistent-dir", "-", "a-b", &m), 0);
	dotqmail_match_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
