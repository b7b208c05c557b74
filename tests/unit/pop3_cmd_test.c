/* pop3_cmd_test.c: table tests for the POP3 command parser (pop3_cmd.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pop3_cmd.h"

struct cmd_case {
	const char *line;
	size_t len;   /* 0: strlen */
	enum pop3_cmd_status want;
	enum pop3_verb verb;
	const char *arg;
};

static const struct cmd_case cmd_cases[] = {
	{"USER alice@example.test", 0, POP3_CMD_OK, POP3_VERB_USER, "alice@example.test"},
	{"pass  two  spaces ", 0, POP3_CMD_OK, POP3_VERB_PASS, " two  spaces "},
	{"Stat", 0, POP3_CMD_OK, POP3_VERB_STAT, ""},
	{"LIST 1", 0, POP3_CMD_OK, POP3_VERB_LIST, "1"},
	{"uidl", 0, POP3_CMD_OK, POP3_VERB_UIDL, ""},
	{"TOP 1 10", 0, POP3_CMD_OK, POP3_VERB_TOP, "1 10"},
	{"RETR 2", 0, POP3_CMD_OK, POP3_VERB_RETR, "2"},
	{"DELE 3", 0, POP3_CMD_OK, POP3_VERB_DELE, "3"},
	{"RSET", 0, POP3_CMD_OK, POP3_VERB_RSET, ""},
	{"NOOP", 0, POP3_CMD_OK, POP3_VERB_NOOP, ""},
	{"QUIT", 0, POP3_CMD_OK, POP3_VERB_QUIT, ""},
	{"CAPA", 0, POP3_CMD_OK, POP3_VERB_CAPA, ""},
	{"STLS", 0, POP3_CMD_OK, POP3_VERB_STLS, ""},
	{"AUTH PLAIN AGFAAGI=", 0, POP3_CMD_OK, POP3_VERB_AUTH, "PLAIN AGFAAGI="},
	{"APOP a b", 0, POP3_CMD_OK, POP3_VERB_APOP, "a b"},
	{"QUIT ", 0, POP3_CMD_OK, POP3_VERB_QUIT, ""},
	{"QUITX", 0, POP3_CMD_UNKNOWN, POP3_VERB_UNKNOWN, NULL},
	{"QUI", 0, POP3_CMD_UNKNOWN, POP3_VERB_UNKNOWN, NULL},
	{"GET / HTTP/1.0", 0, POP3_CMD_UNKNOWN, POP3_VERB_UNKNOWN, NULL},
	{"", 0, POP3_CMD_EMPTY, POP3_VERB_UNKNOWN, NULL},
	{" STAT", 0, POP3_CMD_EMPTY, POP3_VERB_UNKNOWN, NULL},
	{"STAT\r", 0, POP3_CMD_BAD_CHAR, POP3_VERB_UNKNOWN, NULL},
	{"PASS a\rb", 0, POP3_CMD_BAD_CHAR, POP3_VERB_UNKNOWN, NULL},
	{"PASS a\0b", 8, POP3_CMD_BAD_CHAR, POP3_VERB_UNKNOWN, NULL},
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cmd_cases / sizeof cmd_cases[0]; i++) {
		const struct cmd_case *c = &cmd_cases[i];
		size_t len = c->len ? c->len : strlen(c->line);
		struct pop3_cmd cmd;
		enum pop3_cmd_status st = pop3_cmd_parse(c->line, len, &cmd);
		assert_int_equal(st, c->want);
		assert_int_equal(cmd.verb, c->verb);
		if (c->arg) {
			assert_int_equal(cmd.arg_len, strlen(c->arg));
			assert_memory_equal(cmd.arg, c->arg, cmd.arg_len);
		}
	}
	assert_string_equal(pop3_cmd_name(POP3_VERB_TOP), "TOP");
	assert_string_equal(pop3_cmd_name(POP3_VERB_COUNT), "");
}

struct args_case {
	const char *arg;
	size_t min, max;
	int want;
};

static const struct args_case args_cases[] = {
	{"", 0, 1, 0},      {"", 1, 1, -1},      {"1", 1, 1, 1},     {"1 2", 2, 2, 2},
	{"1 2", 1, 1, -1},  {"1  2", 2, 2, -1},  {" 1", 1, 1, -1},   {"1 ", 1, 1, -1},
	{"1 2 3", 2, 2, -1}, {"1", 2, 2, -1},    {"a b", 0, 3, -1},  {" ", 0, 1, -1},
};

static void test_args(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof args_cases / sizeof args_cases[0]; i++) {
		const struct args_case *c = &args_cases[i];
		struct pop3_word w[POP3_ARG_MAX];
		assert_int_equal(pop3_cmd_args(c->arg, strlen(c->arg), c->min, c->max, w), c->want);
	}
	struct pop3_word w[POP3_ARG_MAX];
	assert_int_equal(pop3_cmd_args("12 345", 6, 2, 2, w), 2);
	assert_int_equal(w[0].len, 2);
	assert_memory_equal(w[1].p, "345", 3);
}

struct num_case {
	const char *s;
	size_t n_msgs;
	bool ok;
	size_t want;
};

static const struct num_case num_cases[] = {
	{"1", 1, true, 1},
	{"2", 3, true, 2},
	{"3", 3, true, 3},          /* max */
	{"4", 3, false, 0},         /* max + 1 */
	{"0", 3, false, 0},
	{"00", 3, false, 0},
	{"01", 3, true, 1},
	{"-1", 3, false, 0},
	{"+1", 3, false, 0},
	{"", 3, false, 0},
	{"1x", 3, false, 0},
	{"0x1", 3, false, 0},
	{"1", 0, false, 0},         /* empty box */
	{"18446744073709551615", 3, false, 0},
	{"18446744073709551616", 3, false, 0},
	{"99999999999999999999999999", 1000000, false, 0},
	{"1000000", 1000000, true, 1000000},
};

static void test_msgnum(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof num_cases / sizeof num_cases[0]; i++) {
		const struct num_case *c = &num_cases[i];
		struct pop3_word w = {c->s, strlen(c->s)};
		size_t got = 0;
		assert_int_equal(pop3_cmd_msgnum(&w, c->n_msgs, &got), c->ok);
		if (c->ok)
			assert_int_equal(got, c->want);
	}
}

static void test_lines(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{"0", true}, {"10", true}, {"99999999", true}, {"100000000", true},
		{"100000001", false}, {"-1", false}, {"", false}, {"1 ", false},
		{"18446744073709551616", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pop3_word w = {cases[i].s, strlen(cases[i].s)};
		uint64_t v;
		assert_int_equal(pop3_cmd_lines(&w, &v), cases[i].ok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_msgnum),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
