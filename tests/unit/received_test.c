/* received_test.c: the Received header field (received.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "received.h"

struct rcv_case {
	const char *helo, *host, *ip;
	const char *want;
};

static const struct rcv_case cases[] = {
	{ "mx.example.com", "client.example.net", "192.0.2.1",
	  "Received: from mx.example.com (client.example.net [192.0.2.1])\n"
	  "\tby me.example (qmail-ng) with ESMTP id abc;\n"
	  "\t14 Nov 2023 22:13:20 -0000\n" },
	{ NULL, NULL, NULL,
	  "Received: from unknown (unknown [unknown])\n"
	  "\tby me.example (qmail-ng) with ESMTP id abc;\n"
	  "\t14 Nov 2023 22:13:20 -0000\n" },
	{ "evil)\n\tby x; (", "a b", "[1.2.3.4]",
	  "Received: from evil???by?x??? (a?b [?1.2.3.4?])\n"
	  "\tby me.example (qmail-ng) with ESMTP id abc;\n"
	  "\t14 Nov 2023 22:13:20 -0000\n" },
	{ "h\xc3\xa9\x01", "", "::1",
	  "Received: from h??? (unknown [::1])\n"
	  "\tby me.example (qmail-ng) with ESMTP id abc;\n"
	  "\t14 Nov 2023 22:13:20 -0000\n" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct received_info ri = { cases[i].helo, cases[i].host, cases[i].ip,
		                            "me.example", "ESMTP", "abc", 1700000000 };
		struct sbuf out = SBUF_INIT;
		received_format(&ri, &out);
		assert_string_equal(sbuf_cstr(&out), cases[i].want);
		sbuf_free(&out);
	}
}

static void test_length_cap(void **state)
{
	(void)state;
	char helo[RECEIVED_TEXT_MAX + 2];
	struct sbuf out = SBUF_INIT;
	for (size_t n = RECEIVED_TEXT_MAX - 1; n <= RECEIVED_TEXT_MAX + 1; n++) {
		memset(helo, 'h', n);
		helo[n] = '\0';
		struct received_info ri = { helo, "h", "1.2.3.4", "me", "SMTP", "id", 0 };
		sbuf_clear(&out);
		received_format(&ri, &out);
		const char *p = strstr(out.s, "from ") + 5;
		size_t got = strspn(p, "h");
		assert_int_equal(got, n > RECEIVED_TEXT_MAX ? RECEIVED_TEXT_MAX : n);
		assert_non_null(strstr(out.s, "1 Jan 1970 00:00:00 -0000"));
	}
	sbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_length_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
