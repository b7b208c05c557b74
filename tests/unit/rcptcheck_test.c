/* rcptcheck_test.c: exit codes and reply lines; running real scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcptcheck.h"

static void test_reply_table(void **state)
{
	(void)state;
	static const struct {
		int code;
		const char *out;
		enum rcptcheck_verdict v;
		const char *reply;
	} t[] = {
	    {0, "", RCPTCHECK_ACCEPT, ""},
	    {0, "553 5.7.1 ignored\n", RCPTCHECK_ACCEPT, ""},
	    {100, "", RCPTCHECK_REJECT, "550 5.1.1 sorry, no mailbox here by that name"},
	    {100, "553 5.7.1 no thanks\nmore", RCPTCHECK_REJECT, "553 5.7.1 no thanks"},
	    {100, "553 5.7.1 crlf\r\n", RCPTCHECK_REJECT, "553 5.7.1 crlf"},
	    {100, "451 4.3.0 wrong class", RCPTCHECK_REJECT,
	     "550 5.1.1 sorry, no mailbox here by that name"},
	    {100, "55x bad", RCPTCHECK_REJECT, "550 5.1.1 sorry, no mailbox here by that name"},
	    {100, "553-multi", RCPTCHECK_REJECT, "550 5.1.1 sorry, no mailbox here by that name"},
	    {100, "553 bad\x01", RCPTCHECK_REJECT, "550 5.1.1 sorry, no mailbox here by that name"},
	    {111, "", RCPTCHECK_DEFER, "451 4.3.0 temporary failure checking the recipient"},
	    {111, "452 4.2.2 full", RCPTCHECK_DEFER, "452 4.2.2 full"},
	    {111, "550 5.1.1 wrong class", RCPTCHECK_DEFER,
	     "451 4.3.0 temporary failure checking the recipient"},
	    {1, "", RCPTCHECK_DEFER, "451 4.3.0 temporary failure checking the recipient"},
	    {-1, "", RCPTCHECK_DEFER, "451 4.3.0 temporary failure checking the recipient"},
	};
	struct sbuf r = SBUF_INIT;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_int_equal(rcptcheck_reply(t[i].code, t[i].out, strlen(t[i].out), &r), t[i].v);
		assert_string_equal(sbuf_cstr(&r), t[i].reply);
	}
	sbuf_free(&r);
}

static void test_line_limit(void **state)
{
	(void)state;
	char line[RCPTCHECK_LINE_MAX + 2];
	memset(line, 'x', sizeof line);
	memcpy(line, "550 ", 4);
	assert_true(rcptcheck_valid_reply(line, RCPTCHECK_LINE_MAX - 1, '5'));
	assert_true(rcptcheck_valid_reply(line, RCPTCHECK_LINE_MAX, '5'));
	assert_false(rcptcheck_valid_reply(line, RCPTCHECK_LINE_MAX + 1, '5'));
	assert_false(rcptcheck_valid_reply(line, 4, '5'));
}

static char script[64];

static void write_script(const char *body)
{
	strcpy(script, "/tmp/rcptcheck_test.XXXXXX");
	int fd = mkstemp(script);
	assert_true(fd >= 0);
	assert_true(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
	fchmod(fd, 0700);
	close(fd);
}

static void test_run(void **state)
{
	(void)state;
	struct sbuf r = SBUF_INIT;
	write_script("#!/bin/sh\n[ \"$SENDER\" = s@x ] || exit 1\n"
	             "[ \"$RECIPIENT\" = ok@y ] && exit 0\n"
	             "echo \"553 5.7.1 not $RECIPIENT\"; exit 100\n");
	assert_int_equal(rcptcheck_run(script, "s@x", "ok@y", 5, &r), RCPTCHECK_ACCEPT);
	assert_int_equal(rcptcheck_run(script, "s@x", "no@y", 5, &r), RCPTCHECK_REJECT);
	assert_string_equal(r.s, "553 5.7.1 not no@y");
	assert_int_equal(rcptcheck_run(script, "other@x", "ok@y", 5, &r), RCPTCHECK_DEFER);
	unlink(script);
	write_script("#!/bin/sh\nexec sleep 5\n");
	assert_int_equal(rcptcheck_run(script, "s@x", "ok@y", 1, &r), RCPTCHECK_DEFER);
	unlink(script);
	assert_int_equal(rcptcheck_run("/nonexistent/prog", "s@x", "ok@y", 5, &r),
	                 RCPTCHECK_DEFER);
	sbuf_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_table),
	    cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
