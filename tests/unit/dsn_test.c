/* dsn_test: the RFC 3464 bounce builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dsn.h"

static void test_status_table(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1" },
		{ "Remote host said: 550 5.7.1 denied", "5.7.1" },
		{ "Remote host said: 452 4.2.2 over quota", "5.2.2" },
		{ "expired 4.4.7", "5.4.7" },
		{ "code 5.123.456 end", "5.123.456" },
		{ "code 5.1234.1 too long", "5.0.0" },
		{ "ip 1.2.3.4 said no", "5.0.0" },
		{ "version 15.1.1", "5.0.0" },
		{ "x 5.1.1.1", "5.0.0" },
		{ "", "5.0.0" },
		{ "3.1.1 wrong class", "5.0.0" },
		{ "5.1.", "5.0.0" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char out[DSN_STATUS_MAX];
		dsn_status(t[i].text, out);
		if (strcmp(out, t[i].want) != 0)
			fail_msg("case %zu (%s): got %s", i, t[i].text, out);
	}
}

static void test_reply_table(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int off;   /* -1: none */
	} t[] = {
		{ "Remote host said: 550 no", 18 },
		{ "550-first line", 0 },
		{ "a/554 x", 2 },
		{ "ip 1.2.3.550 x", -1 },
		{ "no reply here", -1 },
		{ "5500 x", -1 },
		{ "x 650 y", -1 },
		{ "x 250", 2 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *r = dsn_smtp_reply(t[i].text);
		int got = r ? (int)(r - t[i].text) : -1;
		if (got != t[i].off)
			fail_msg("case %zu: got %d want %d", i, got, t[i].off);
	}
}

static void build(const char *orig, size_t len, bool is_double, struct sbuf *out)
{
	struct dsn_rcpt r[2] = {
		{ "a@example.org", "Remote host said: 550 5.1.1 unknown/Giving up." },
		{ "b@example.org", "Sorry, no mailbox here by that name. (#5.1.1)" },
	};
	struct dsn_msg m = { "mx.example.com", "MAILER-DAEMON@example.com", "s@example.net", "42",
			     1000000000, 1000000100, is_double, r, 2, orig, len };
	dsn_build(&m, out);
}

static void test_build(void **state)
{
	(void)state;
	const char *orig = "Subject: hi\n\nbody\n";
	struct sbuf b = SBUF_INIT;
	build(orig, strlen(orig), false, &b);
	static const char *const want[] = {
		"From: MAILER-DAEMON@example.com\n",
		"To: s@example.net\n",
		"Content-Type: multipart/report; report-type=delivery-status;",
		"Hi. This is the qmail-send program at mx.example.com.\n",
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n",
		"This is a permanent error; I've given up. Sorry it didn't work out.\n",
		"<a@example.org>:\nRemote host said: 550 5.1.1 unknown/Giving up.\n",
		"Reporting-MTA: dns; mx.example.com\n",
		"Arrival-Date: Sun, 9 Sep 2001 01:46:40 +0000\n",
		"Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 unknown\n",
		"Final-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.1.1\n\n",
		"Content-Type: message/rfc822\n\nSubject: hi\n\nbody\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(b.s, want[i]))
			fail_msg("missing: %s", want[i]);
	assert_null(strchr(b.s, '\r'));
	sbuf_free(&b);
}

static void test_double(void **state)
{
	(void)state;
	struct sbuf b = SBUF_INIT;
	build("x\n", 2, true, &b);
	assert_non_null(strstr(b.s, "but the bounce bounced!"));
	sbuf_free(&b);
}

/* At the cap the message is kept whole; above, only its header. */
static void test_orig_cap(void **state)
{
	(void)state;
	static const struct {
		size_t len;
		bool whole;
	} t[] = { { DSN_ORIG_MAX - 1, true }, { DSN_ORIG_MAX, true }, { DSN_ORIG_MAX + 1, false } };
	for (size_t i = 0; i < 3; i++) {
		char *m = malloc(t[i].len);
		memset(m, 'x', t[i].len);
		memcpy(m, "Subject: big\n\n", 14);
		m[t[i].len - 1] = '\n';
		struct sbuf b = SBUF_INIT;
		build(m, t[i].len, false, &b);
		assert_int_equal(strstr(b.s, "message/rfc822") != NULL, t[i].whole);
		assert_int_equal(strstr(b.s, "text/rfc822-headers") != NULL, !t[i].whole);
		if (!t[i].whole)
			assert_true(b.len < 10000);
		free(m);
		sbuf_free(&b);
	}
}

static void test_boundary_unique(void **state)
{
	(void)state;
	const char *orig = "Subject: x\n\n--qmail-ng-42-1000000100\n";
	struct sbuf b = SBUF_INIT;
	build(orig, strlen(orig), false, &b);
	assert_non_null(strstr(b.s, "boundary=\"qmail-ng-42-1000000100=\""));
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table), cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_build),        cmocka_unit_test(test_double),
		cmocka_unit_test(test_orig_cap),     cmocka_unit_test(test_boundary_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
