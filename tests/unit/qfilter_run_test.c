/* qfilter_run_test.c: the filter chain runner and its exit-code mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "qfilter_conf.h"
#include "qfilter_run.h"

static void test_status_code(void **state)
{
	(void)state;
	static const struct { int exit_code; int want; } cases[] = {
		{ 0, QQ_OK }, { 31, QQ_PERM_REFUSED }, { 99, QFILTER_EXIT_DROP },
		{ 30, QQ_TEMP_REFUSED }, { 32, QQ_TEMP_REFUSED }, { 71, QQ_TEMP_REFUSED },
		{ 100, QQ_TEMP_REFUSED }, { 111, QQ_TEMP_REFUSED }, { 1, QQ_TEMP_REFUSED },
		{ 255, QQ_TEMP_REFUSED }, { 82, QQERR_EXIT }, { 81, QQ_TEMP_REFUSED },
		{ 83, QQ_TEMP_REFUSED },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(qfilter_status_code(cases[i].exit_code << 8), cases[i].want);
	assert_int_equal(qfilter_status_code(9), QQ_TEMP_REFUSED);   /* SIGKILL */
}

static int memfd_with(const char *s)
{
	int fd = qfilter_memfd();
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void test_slurp(void **state)
{
	(void)state;
	static const size_t sizes[] = { 9, 10, 11 };
	static const int ok[] = { 0, 1, 1 };
	for (size_t i = 0; i < 3; i++) {
		int in = memfd_with("0123456789");
		int fd = qfilter_slurp(in, sizes[i]);
		assert_int_equal(fd >= 0, ok[i]);
		if (fd >= 0) {
			char buf[16] = { 0 };
			assert_int_equal(read(fd, buf, sizeof buf), 10);
			assert_string_equal(buf, "0123456789");
			close(fd);
		}
		close(in);
	}
}

static int run(const char *conf_text, const char *msg, char *out, size_t cap, unsigned t)
{
	struct qfilter_conf c;
	assert_int_equal(qfilter_conf_parse(conf_text, strlen(conf_text), &c), 0);
	int fd = memfd_with(msg);
	struct qqerr reply;
	int code = qfilter_run_chain(&c, &fd, t, &reply);
	memset(out, 0, cap);
	if (code == QQ_OK)
		assert_true(read(fd, out, cap - 1) >= 0);
	close(fd);
	qfilter_conf_free(&c);
	return code;
}

static void test_chain(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(run("", "hello\n", out, sizeof out, 5), QQ_OK);
	assert_string_equal(out, "hello\n");
	assert_int_equal(run("/bin/cat\n/bin/cat -\n", "hello\n", out, sizeof out, 5), QQ_OK);
	assert_string_equal(out, "hello\n");
	assert_int_equal(run("/usr/bin/tr a-z A-Z\n/usr/bin/rev\n", "abc\n", out, sizeof out, 5),
	                 QQ_OK);
	assert_string_equal(out, "CBA\n");
	assert_int_equal(run("/bin/sh -c exit${IFS}31\n", "x", out, sizeof out, 5), QQ_PERM_REFUSED);
	assert_int_equal(run("/bin/cat\n/bin/sh -c exit${IFS}99\n", "x", out, sizeof out, 5),
	                 QFILTER_EXIT_DROP);
	assert_int_equal(run("/bin/false\n", "x", out, sizeof out, 5), QQ_TEMP_REFUSED);
	assert_int_equal(run("/nonexistent/filter\n", "x", out, sizeof out, 5), QQ_TEMP_REFUSED);
	assert_int_equal(run("/bin/sh -c exit${IFS}111\n", "x", out, sizeof out, 5),
	                 QQ_TEMP_REFUSED);
}

/* A filter's own reply on fd 4 with exit 82 (qqerr.h). */
static void test_custom_reply(void **state)
{
	(void)state;
	static const struct {
		const char *conf;
		int want;
		enum qqerr_kind kind;
		const char *text;
	} t[] = {
		{ "/bin/sh -c echo${IFS}DVirus${IFS}found>&4;exit${IFS}82\n", QQERR_EXIT,
		  QQERR_PERM, "Virus found" },
		{ "/bin/cat\n/bin/sh -c printf${IFS}Zbusy>&4;exit${IFS}82\n", QQERR_EXIT, QQERR_TEMP,
		  "busy" },
		{ "/bin/sh -c exit${IFS}82\n", QQ_TEMP_REFUSED, QQERR_NONE, "" },
		{ "/bin/sh -c printf${IFS}X>&4;exit${IFS}82\n", QQ_TEMP_REFUSED, QQERR_NONE, "" },
		{ "/bin/sh -c printf${IFS}Dx>&4;exit${IFS}31\n", QQ_PERM_REFUSED, QQERR_NONE, "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct qfilter_conf c;
		assert_int_equal(qfilter_conf_parse(t[i].conf, strlen(t[i].conf), &c), 0);
		int fd = memfd_with("msg\n");
		struct qqerr reply;
		int code = qfilter_run_chain(&c, &fd, 5, &reply);
		if (code != t[i].want || reply.kind != t[i].kind)
			fail_msg("case %zu: code %d kind %d", i, code, (int)reply.kind);
		assert_string_equal(reply.text, t[i].text);
		close(fd);
		qfilter_conf_free(&c);
	}
}

static void test_timeout(void **state)
{
	(void)state;
	char out[16];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(run("/bin/sleep 30\n", "x", out, sizeof out, 1), QQ_TEMP_REFUSED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_code),
		cmocka_unit_test(test_slurp),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_custom_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
