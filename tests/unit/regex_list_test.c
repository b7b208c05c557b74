/* regex_list_test.c: qregex-style pattern lists (regex_list.h), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "control.h"
#include "regex_list.h"
#include "sbuf.h"

/* One strlist entry per line of text. */
static void make_lines(const char *text, struct strlist *l)
{
	memset(l, 0, sizeof *l);
	while (*text) {
		const char *end = strchr(text, '\n');
		size_t n = end ? (size_t)(end - text) : strlen(text);
		strlist_add(l, text, n);
		text += n + (end != NULL);
	}
}

struct match_case {
	const char *patterns;  /* one per line */
	const char *addr;
	size_t want;           /* 1-based index of the matching line, 0 none */
};

static void test_match(void **state)
{
	(void)state;
	static const struct match_case cases[] = {
		{"", "a@b.example", 0},
		{"^spam@", "spam@b.example", 1},
		{"^spam@", "SPAM@B.EXAMPLE", 1},
		{"^spam@", "nospam@b.example", 0},
		{"^x\n@evil\\.example$", "joe@EVIL.example", 2},
		{"@evil\\.example$", "joe@evil.example.org", 0},
		{"^[0-9]+@", "12345@b.example", 1},
		{"(foo|bar)@", "bar@b.example", 1},
		{"!@good\\.example$", "joe@good.example", 0},
		{"!@good\\.example$", "joe@other.example", 1},
		{"^$", "", 1},
		{"!^$", "", 0},
		{"^a\n^b\n!zzz", "q@c.example", 3},
		{".", "x", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct strlist l;
		struct regex_list rl;
		struct sbuf err = SBUF_INIT;
		size_t bad = 99;
		make_lines(cases[i].patterns, &l);
		assert_int_equal(regex_list_compile(&l, &rl, &bad, &err), 0);
		assert_int_equal(rl.n, l.n);
		assert_int_equal(regex_list_match(&rl, cases[i].addr), cases[i].want);
		regex_list_free(&rl);
		strlist_free(&l);
		sbuf_free(&err);
	}
}

struct bad_case {
	const char *patterns;
	size_t bad_line;
	int err;
};

static void test_invalid(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"(unclosed", 1, EINVAL},
		{"ok\n[z-a]", 2, EINVAL},
		{"ok\nfine\n!", 3, EINVAL},
		{"!(", 1, EINVAL},
		{"a\n*\\", 2, EINVAL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct strlist l;
		struct regex_list rl;
		struct sbuf err = SBUF_INIT;
		size_t bad = 0;
		make_lines(cases[i].patterns, &l);
		errno = 0;
		assert_int_equal(regex_list_compile(&l, &rl, &bad, &err), -1);
		assert_int_equal(errno, cases[i].err);
		assert_int_equal(bad, cases[i].bad_line);
		assert_true(err.len > 0);
		assert_int_equal(rl.n, 0);
		assert_null(rl.v);
		strlist_free(&l);
		sbuf_free(&err);
	}
}

/* n patterns "a" */
static void compile_count(size_t n, int want)
{
	struct strlist l = {0};
	for (size_t i = 0; i < n; i++)
		strlist_add(&l, "a", 1);
	struct regex_list rl;
	struct sbuf err = SBUF_INIT;
	size_t bad = 99;
	assert_int_equal(regex_list_compile(&l, &rl, &bad, &err), want);
	if (want == 0)
		assert_int_equal(regex_list_match(&rl, "xa"), 1);
	else
		assert_true(errno == E2BIG && bad == 0);
	regex_list_free(&rl);
	strlist_free(&l);
	sbuf_free(&err);
}

/* one pattern of len bytes: "!" then 'b's */
static void compile_len(size_t len, int want)
{
	char *s = xmalloc(len + 1);
	memset(s, 'b', len);
	s[0] = '!';
	s[len] = '\0';
	struct strlist l = {0};
	strlist_add(&l, s, len);
	struct regex_list rl;
	struct sbuf err = SBUF_INIT;
	size_t bad = 0;
	assert_int_equal(regex_list_compile(&l, &rl, &bad, &err), want);
	if (want == 0)
		assert_int_equal(regex_list_match(&rl, "b@c"), 1);
	else
		assert_true(errno == E2BIG && bad == 1);
	regex_list_free(&rl);
	strlist_free(&l);
	sbuf_free(&err);
	free(s);
}

static void test_limits(void **state)
{
	(void)state;
	compile_count(REGEX_LIST_MAX - 1, 0);
	compile_count(REGEX_LIST_MAX, 0);
	compile_count(REGEX_LIST_MAX + 1, -1);
	compile_len(REGEX_LIST_LINE_MAX - 1, 0);
	compile_len(REGEX_LIST_LINE_MAX, 0);
	compile_len(REGEX_LIST_LINE_MAX + 1, -1);
}

static void test_free_twice(void **state)
{
	(void)state;
	struct regex_list rl = {NULL, 0};
	regex_list_free(&rl);
	regex_list_free(&rl);
	assert_int_equal(regex_list_match(&rl, "x"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_free_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
