/* qqueue_test: the qmail-queue client against a fake $QMAILQUEUE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "exitcode.h"
#include "fdio.h"
#include "qqueue.h"

static char dir[] = "/tmp/qqtest.XXXXXX";
static char script[128], msgfile[128], envfile[128];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(script, sizeof script, "%s/fakeqq", dir);
	snprintf(msgfile, sizeof msgfile, "%s/msg", dir);
	snprintf(envfile, sizeof envfile, "%s/env", dir);
	FILE *f = fopen(script, "w");
	fprintf(f, "#!/bin/sh\n"
		   "case \"$QQ_MODE\" in\n"
		   "  kill) kill -9 $$ ;;\n"
		   "  noread) exit 0 ;;\n"
		   "  custom) cat >/dev/null; cat 0<&1 >/dev/null; printf '%%s' \"$QQ_MSG\" >&4;"
		   " exit ${QQ_EXIT:-0} ;;\n"
		   "esac\n"
		   "cat > %s\ncat 0<&1 > %s\nexit ${QQ_EXIT:-0}\n",
		msgfile, envfile);
	fclose(f);
	chmod(script, 0755);
	setenv("QMAILQUEUE", script, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(script);
	unlink(msgfile);
	unlink(envfile);
	rmdir(dir);
	return 0;
}

static int run(const char *mode, const char *code, size_t body_len)
{
	setenv("QQ_MODE", mode, 1);
	setenv("QQ_EXIT", code, 1);
	struct qqueue q;
	assert_int_equal(qqueue_start(&q), 0);
	qqueue_puts(&q, "Subject: x\n\n");
	char chunk[1000];
	memset(chunk, 'a', sizeof chunk);
	for (size_t left = body_len; left > 0;) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		qqueue_write(&q, chunk, n);
		left -= n;
	}
	struct strlist r = { NULL, 0, 0 };
	strlist_add(&r, "a@b", 3);
	strlist_add(&r, "c@d", 3);
	int rc = qqueue_finish(&q, "s@x", &r);
	strlist_free(&r);
	return rc;
}

static void test_ok(void **state)
{
	(void)state;
	assert_int_equal(run("", "0", 20000), QQ_OK);
	struct sbuf m = SBUF_INIT, e = SBUF_INIT;
	assert_int_equal(file_read_all(msgfile, &m, 1 << 20), 0);
	assert_int_equal(m.len, 12 + 20000);
	assert_int_equal(file_read_all(envfile, &e, 1 << 20), 0);
	assert_int_equal(e.len, 16);
	assert_memory_equal(e.s, "Fs@x\0Ta@b\0Tc@d\0\0", 16);
	sbuf_free(&m);
	sbuf_free(&e);
}

static void test_codes(void **state)
{
	(void)state;
	static const struct {
		const char *mode, *code;
		size_t body;
		int want;
	} t[] = {
		{ "", "53", 10, QQ_WRITE_ERROR },
		{ "", "91", 10, QQ_ENVELOPE_FORMAT },
		{ "", "31", 10, QQ_PERM_REFUSED },
		{ "kill", "0", 10, QQ_BUG },
		{ "noread", "0", 1000000, QQ_WRITE_ERROR },   /* lost data is never "ok" */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int got = run(t[i].mode, t[i].code, t[i].body);
		if (got != t[i].want)
			fail_msg("case %zu: got %d want %d", i, got, t[i].want);
	}
}

static void test_missing_program(void **state)
{
	(void)state;
	setenv("QMAILQUEUE", "/nonexistent/qmail-queue", 1);
	struct qqueue q;
	assert_int_equal(qqueue_start(&q), 0);
	qqueue_puts(&q, "x\n");
	int rc = qqueue_finish(&q, "", NULL);
	assert_false(rc == QQ_OK);
	assert_false(queue_exit_is_permanent(rc));
	setenv("QMAILQUEUE", script, 1);
}

/* The qmail-queue-custom-error convention: a message on fd 4, exit 82. */
static void test_custom_reply(void **state)
{
	(void)state;
	static const struct {
		const char *msg, *code;
		int want;
		enum qqerr_kind kind;
		const char *text;
		bool is_perm;
	} t[] = {
		{ "DVirus found (EICAR)", "82", QQERR_EXIT, QQERR_PERM, "Virus found (EICAR)", true },
		{ "Zscanner busy\n", "82", QQERR_EXIT, QQERR_TEMP, "scanner busy", false },
		{ "", "82", QQERR_EXIT, QQERR_NONE, "", false },
		{ "Dtwo\nlines", "82", QQERR_EXIT, QQERR_NONE, "", false },
		{ "Qbad", "82", QQERR_EXIT, QQERR_NONE, "", false },
		{ "Dignored: not 82", "31", QQ_PERM_REFUSED, QQERR_NONE, "", true },
		{ "Dignored: not 82", "0", QQ_OK, QQERR_NONE, "", false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		setenv("QQ_MODE", "custom", 1);
		setenv("QQ_EXIT", t[i].code, 1);
		setenv("QQ_MSG", t[i].msg, 1);
		struct qqueue q;
		assert_int_equal(qqueue_start(&q), 0);
		assert_true(q.err_fd > 2);
		assert_true(fcntl(q.err_fd, F_GETFD) & FD_CLOEXEC); /* never leaked */
		qqueue_puts(&q, "x\n");
		int rc = qqueue_finish(&q, "", NULL);
		if (rc != t[i].want || q.reply.kind != t[i].kind)
			fail_msg("case %zu: code %d kind %d", i, rc, (int)q.reply.kind);
		assert_string_equal(q.reply.text, t[i].text);
		assert_int_equal(qqueue_is_permanent(&q, rc), t[i].is_perm);
		assert_int_equal(q.err_fd, -1);
	}
	/* a message larger than QQERR_RAW_MAX is invalid (the pipe holds it all) */
	char big[QQERR_RAW_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[0] = 'D';
	big[sizeof big - 1] = '\0';
	setenv("QQ_MSG", big, 1);
	setenv("QQ_EXIT", "82", 1);
	struct qqueue q;
	assert_int_equal(qqueue_start(&q), 0);
	assert_int_equal(qqueue_finish(&q, "", NULL), QQERR_EXIT);
	assert_int_equal(q.reply.kind, QQERR_NONE);
	assert_false(qqueue_is_permanent(&q, QQERR_EXIT));
	unsetenv("QQ_MSG");
}

static void test_abort(void **state)
{
	(void)state;
	setenv("QQ_MODE", "", 1);
	struct qqueue q;
	assert_int_equal(qqueue_start(&q), 0);
	qqueue_puts(&q, "x\n");
	qqueue_abort(&q);
	assert_int_equal(q.pid, -1);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(qqueue_strerror(QQ_WRITE_ERROR), "qq write error or disk full");
	assert_string_equal(qqueue_strerror(QQ_ENVELOPE_FORMAT), "envelope format error");
	assert_string_equal(qqueue_strerror(QQ_ADDR_TOO_LONG), "envelope address too long for qq");
	assert_string_equal(qqueue_strerror(35), "mail server permanently rejected message");
	assert_string_equal(qqueue_strerror(199), "unable to queue message");
	assert_string_equal(qqueue_strerror(-1), "unable to queue message");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),    cmocka_unit_test(test_codes),
		cmocka_unit_test(test_missing_program), cmocka_unit_test(test_abort),
		cmocka_unit_test(test_strerror), cmocka_unit_test(test_custom_reply),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
