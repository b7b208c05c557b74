#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "sbuf.h"

static int pipefd[2];

static void read_log(struct sbuf *out)
{
	sbuf_clear(out);
	fd_set_nonblock(pipefd[0], 1);
	char buf[8192];
	ssize_t r;
	while ((r = read(pipefd[0], buf, sizeof buf)) > 0)
		sbuf_append(out, buf, (size_t)r);
}

struct esc_case {
	const char *in;
	const char *out;
};

static const struct esc_case esc_cases[] = {
	{ "plain", "plain" },
	{ "", "\"\"" },
	{ "two words", "\"two words\"" },
	{ "a=b", "\"a=b\"" },
	{ "q\"s\\", "\"q\\\"s\\\\\"" },
	{ "x\r\nRCPT TO:<a>", "\"x\\r\\nRCPT TO:<a>\"" },
	{ "tab\there", "\"tab\\there\"" },
	{ "\x01\x7f\xff", "\"\\x01\\x7f\\xff\"" },
	{ NULL, "-" },
};

static void test_escape_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof esc_cases / sizeof esc_cases[0]; i++) {
		struct sbuf b = SBUF_INIT;
		log_escape_value(&b, esc_cases[i].in);
		assert_string_equal(sbuf_cstr(&b), esc_cases[i].out);
		sbuf_free(&b);
	}
}

static void test_kv_and_text(void **state)
{
	(void)state;
	struct sbuf got = SBUF_INIT;
	log_set_ident("qmail-smtpd");
	log_kv(LOG_LEVEL_INFO, "connect", "ip", "::1", "helo", "evil\r\nx", "b@d key", "v", NULL);
	read_log(&got);
	assert_string_equal(sbuf_cstr(&got),
		"qmail-smtpd: level=info event=connect ip=::1 helo=\"evil\\r\\nx\" b_d_key=v\n");
	log_kv(LOG_LEVEL_DEBUG, "hidden", NULL);
	read_log(&got);
	assert_int_equal(got.len, 0);
	log_set_ident(NULL);
	log_text("new msg %d", 42);
	log_text("delivery 1: success: %s", "did\r\n0+0+1/");
	read_log(&got);
	assert_string_equal(sbuf_cstr(&got), "new msg 42\ndelivery 1: success: did__0+0+1/\n");
	sbuf_free(&got);
}

static void test_line_limit(void **state)
{
	(void)state;
	struct sbuf got = SBUF_INIT;
	size_t lens[] = { LOG_LINE_MAX - 1, LOG_LINE_MAX, LOG_LINE_MAX + 1, 100000 };
	for (size_t i = 0; i < 4; i++) {
		char *s = malloc(lens[i] + 1);
		memset(s, 'a', lens[i]);
		s[lens[i]] = '\0';
		log_text("%s", s);
		read_log(&got);
		size_t want = lens[i] <= LOG_LINE_MAX ? lens[i] : LOG_LINE_MAX;
		assert_int_equal(got.len, want + 1);
		assert_int_equal(got.s[got.len - 1], '\n');
		assert_null(memchr(got.s, '\n', got.len - 1));
		if (lens[i] > LOG_LINE_MAX)
			assert_memory_equal(got.s + want - 3, "...", 3);
		free(s);
	}
	sbuf_free(&got);
}

static void test_session_id(void **state)
{
	(void)state;
	char a[LOG_SESSION_ID_LEN + 1], b[LOG_SESSION_ID_LEN + 1];
	log_session_id(a);
	log_session_id(b);
	assert_int_equal(strlen(a), LOG_SESSION_ID_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), LOG_SESSION_ID_LEN);
	assert_string_not_equal(a, b);
}

int main(void)
{
	if (pipe(pipefd) < 0)
		return 1;
	log_set_fd(pipefd[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_kv_and_text),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_session_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
