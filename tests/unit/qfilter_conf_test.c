/* qfilter_conf_test.c: the control/qfilters parser, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "qfilter_conf.h"
#include "sbuf.h"

struct good_case {
	const char *text;
	size_t n;          /* filters */
	size_t argc0;      /* words of the first filter */
	const char *last;  /* last word of the first filter */
};

static void test_good(void **state)
{
	(void)state;
	static const struct good_case cases[] = {
		{ "", 0, 0, NULL },
		{ "\n\n# comment\n   \n\t\n", 0, 0, NULL },
		{ "/bin/cat", 1, 1, "/bin/cat" },
		{ "/bin/cat\n", 1, 1, "/bin/cat" },
		{ "  /bin/f  -a\t b  \n/x\n", 2, 3, "b" },
		{ "/f a -- b\n#/g\n/h\n", 2, 4, "b" },
		{ "/f 'a b'\n", 1, 3, "b'" },
		{ "/f $HOME;rm\n", 1, 2, "$HOME;rm" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct qfilter_conf c;
		const char *t = cases[i].text;
		assert_int_equal(qfilter_conf_parse(t, strlen(t), &c), 0);
		assert_int_equal(c.n, cases[i].n);
		if (c.n > 0) {
			assert_int_equal(c.v[0].argc, cases[i].argc0);
			assert_null(c.v[0].argv[c.v[0].argc]);
			assert_string_equal(c.v[0].argv[c.v[0].argc - 1], cases[i].last);
		}
		qfilter_conf_free(&c);
	}
}

static void test_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"cat\n", "./f\n", "/ok\nrelative\n", "/f\r\n", "/f a\rb\n", " ~/f\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct qfilter_conf c;
		errno = 0;
		assert_int_equal(qfilter_conf_parse(bad[i], strlen(bad[i]), &c), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(c.n, 0);
		assert_null(c.v);
	}
	struct qfilter_conf c;
	assert_int_equal(qfilter_conf_parse("/f\0x\n", 5, &c), -1);
}

/* n lines of "/f" */
static void parse_lines(size_t n, int want)
{
	struct sbuf b = SBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sbuf_append_str(&b, "/f\n");
	struct qfilter_conf c;
	assert_int_equal(qfilter_conf_parse(sbuf_cstr(&b), b.len, &c), want);
	if (want == 0)
		assert_int_equal(c.n, n);
	qfilter_conf_free(&c);
	sbuf_free(&b);
}

/* one filter with n words */
static void parse_words(size_t n, int want)
{
	struct sbuf b = SBUF_INIT;
	sbuf_append_str(&b, "/f");
	for (size_t i = 1; i < n; i++)
		sbuf_append_str(&b, " a");
	struct qfilter_conf c;
	assert_int_equal(qfilter_conf_parse(sbuf_cstr(&b), b.len, &c), want);
	if (want == 0)
		assert_int_equal(c.v[0].argc, n);
	qfilter_conf_free(&c);
	sbuf_free(&b);
}

/* one line of exactly len bytes */
static void parse_len(size_t len, int want)
{
	char *s = xmalloc(len + 1);
	memset(s, 'a', len);
	s[0] = '/';
	s[len] = '\n';
	struct qfilter_conf c;
	assert_int_equal(qfilter_conf_parse(s, len + 1, &c), want);
	qfilter_conf_free(&c);
	free(s);
}

static void test_limits(void **state)
{
	(void)state;
	parse_lines(QFILTER_MAX - 1, 0);
	parse_lines(QFILTER_MAX, 0);
	parse_lines(QFILTER_MAX + 1, -1);
	parse_words(QFILTER_ARGS_MAX - 1, 0);
	parse_words(QFILTER_ARGS_MAX, 0);
	parse_words(QFILTER_ARGS_MAX + 1, -1);
	parse_len(QFILTER_LINE_MAX - 1, 0);
	parse_len(QFILTER_LINE_MAX, 0);
	parse_len(QFILTER_LINE_MAX + 1, -1);
}

static void test_read(void **state)
{
	(void)state;
	char path[] = "/tmp/qfilter_conf_testXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "/bin/cat -u\n", 12), 12);
	close(fd);
	struct qfilter_conf c;
	assert_int_equal(qfilter_conf_read(path, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].argv[1], "-u");
	qfilter_conf_free(&c);
	unlink(path);
	assert_int_equal(qfilter_conf_read(path, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(qfilter_conf_read("/", &c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
