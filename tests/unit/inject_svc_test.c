/* inject_svc_test.c: the service table (etc/services) and --listen parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "inject_svc.h"
#include "sbuf.h"

static void test_defaults(void **state)
{
	(void)state;
	struct svc_table t;
	inject_svc_defaults(&t, false);
	assert_string_equal(t.v[SVC_SMTP].addr, "127.0.0.1");
	assert_int_equal(t.v[SVC_SMTP].port, 2525);
	assert_true(t.v[SVC_SMTP].enabled);
	assert_int_equal(t.v[SVC_SUBMISSION].port, 2587);
	assert_int_equal(t.v[SVC_SMTPS].port, 2465);
	assert_int_equal(t.v[SVC_POP3].port, 2110);
	assert_int_equal(t.v[SVC_POP3S].port, 2995);
	assert_false(t.v[SVC_POP3].enabled);
	inject_svc_defaults(&t, true);
	assert_string_equal(t.v[SVC_SMTP].addr, "0.0.0.0");
	assert_int_equal(t.v[SVC_SMTP].port, 25);
	assert_int_equal(t.v[SVC_SUBMISSION].port, 587);
	assert_int_equal(t.v[SVC_POP3S].port, 995);
}

struct listen_case {
	const char *spec;
	int want;
	const char *addr;
	unsigned port;
	bool enabled;
};

static const struct listen_case listen_cases[] = {
	{ "smtp=127.0.0.1:2600", 0, "127.0.0.1", 2600, true },
	{ "pop3=0.0.0.0:110", 0, "0.0.0.0", 110, true },
	{ "smtp=[::1]:25", 0, "::1", 25, true },
	{ "smtp=[::]:65535", 0, "::", 65535, true },
	{ "smtp=off", 0, "127.0.0.1", 2525, false },
	{ "smtp=127.0.0.1:65536", -1, NULL, 0, false },
	{ "smtp=127.0.0.1:0", -1, NULL, 0, false },
	{ "smtp=127.0.0.1:", -1, NULL, 0, false },
	{ "smtp=127.0.0.1:+25", -1, NULL, 0, false },
	{ "smtp=::1:25", -1, NULL, 0, false },
	{ "smtp=[::1]25", -1, NULL, 0, false },
	{ "smtp=host.example:25", -1, NULL, 0, false },
	{ "smtp=1.2.3.4.5:25", -1, NULL, 0, false },
	{ "imap=127.0.0.1:143", -1, NULL, 0, false },
	{ "smtp", -1, NULL, 0, false },
	{ "=127.0.0.1:25", -1, NULL, 0, false },
	{ "", -1, NULL, 0, false },
};

static void test_listen(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof listen_cases / sizeof listen_cases[0]; i++) {
		const struct listen_case *c = &listen_cases[i];
		struct svc_table t;
		inject_svc_defaults(&t, false);
		assert_int_equal(inject_svc_apply_listen(&t, c->spec), c->want);
		int id = inject_svc_lookup(c->spec[0] == 'p' ? "pop3" : "smtp");
		if (c->want == 0) {
			assert_string_equal(t.v[id].addr, c->addr);
			assert_int_equal(t.v[id].port, c->port);
			assert_int_equal(t.v[id].enabled, c->enabled);
		} else {
			assert_string_equal(t.v[SVC_SMTP].addr, "127.0.0.1");
			assert_int_equal(t.v[SVC_SMTP].port, 2525);
		}
	}
}

struct file_case {
	const char *in;
	int want;
};

static const struct file_case file_cases[] = {
	{ "", 0 },
	{ "# comment\n\n", 0 },
	{ "smtp 127.0.0.1 2525 on\n", 0 },
	{ "  smtp\t127.0.0.1   2525 off", 0 },
	{ "smtp ::1 25 on\npop3 0.0.0.0 110 off\n", 0 },
	{ "smtp 127.0.0.1 2525\n", -1 },
	{ "smtp 127.0.0.1 2525 on extra\n", -1 },
	{ "smtp 127.0.0.1 2525 yes\n", -1 },
	{ "smtp 127.0.0.1 99999 on\n", -1 },
	{ "smtp localhost 25 on\n", -1 },
	{ "imap 127.0.0.1 143 on\n", -1 },
	{ "smtp 127.0.0.1 25 on\n\001\n", -1 },
};

static void test_parse_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
		struct svc_table t;
		const char *in = file_cases[i].in;
		assert_int_equal(inject_svc_parse(in, strlen(in), &t), file_cases[i].want);
	}
	struct svc_table t;
	assert_int_equal(inject_svc_parse("smtp 1.2.3.4 25 on\0", 19, &t), -1);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct svc_table a, b;
	struct sbuf s = SBUF_INIT;
	inject_svc_defaults(&a, true);
	assert_int_equal(inject_svc_apply_listen(&a, "pop3=[::]:110"), 0);
	inject_svc_format(&a, &s);
	assert_int_equal(inject_svc_parse(s.s, s.len, &b), 0);
	for (int i = 0; i < SVC_COUNT; i++) {
		assert_string_equal(a.v[i].addr, b.v[i].addr);
		assert_int_equal(a.v[i].port, b.v[i].port);
		assert_int_equal(a.v[i].enabled, b.v[i].enabled);
	}
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
