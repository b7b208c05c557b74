#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "zygote.h"

struct parse_case {
	const char *msg;
	size_t len;
	int rc;
	size_t n;
	const char *last;
};

#define M(s) s, sizeof s - 1

static const struct parse_case cases[] = {
	{ M("C"), 0, 0, NULL },
	{ M("CA=1\0"), 0, 1, "A=1" },
	{ M("CA=1\0B\0"), 0, 2, "B" },
	{ M("CA=\0"), 0, 1, "A=" },
	{ M("CA=1"), -1, 0, NULL },        /* no NUL */
	{ M("C\0"), -1, 0, NULL },          /* empty name */
	{ M("C=x\0"), -1, 0, NULL },        /* empty name before = */
	{ M("XA=1\0"), -1, 0, NULL },
	{ M("DQMAILREMOTE_HOST=x\0QMAILREMOTE_RCPT=a@x\0"), 0, 2, "QMAILREMOTE_RCPT=a@x" },
	{ M("D"), 0, 0, NULL },
	{ "", 0, -1, 0, NULL },
	{ M("CA\0B\0C\0D\0"), -1, 0, NULL }, /* more than max (3) */
	{ M("CA\0B\0C\0"), 0, 3, "C" },     /* exactly max */
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[64];
		char *out[3];
		size_t n = 99;
		memcpy(buf, cases[i].msg, cases[i].len);
		int rc = zygote_parse(buf, cases[i].len, out, 3, &n);
		if (rc != cases[i].rc || (rc == 0 && n != cases[i].n) ||
		    (rc == 0 && cases[i].last && strcmp(out[n - 1], cases[i].last) != 0)) {
			print_error("case %zu: rc %d n %zu\n", i, rc, n);
			fail();
		}
	}
}

static void test_serve_without_env_returns(void **state)
{
	(void)state;
	unsetenv("ZYGOTEFD");
	zygote_serve(); /* a normal run: returns at once */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_serve_without_env_returns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
