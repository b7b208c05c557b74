/* smtp_cmd_test.c: table tests for the SMTP command parser (smtp_cmd.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "smtp_cmd.h"

struct cmd_case {
	const char *line;
	size_t len;             /* 0: strlen */
	enum smtp_cmd_status want;
	enum smtp_verb verb;
	const char *arg;
};

static const struct cmd_case cmd_cases[] = {
	{ "HELO example.com", 0, SMTP_CMD_OK, SMTP_VERB_HELO, "example.com" },
	{ "ehlo  example.com  ", 0, SMTP_CMD_OK, SMTP_VERB_EHLO, "example.com" },
	{ "MAIL FROM:<a@b.c>", 0, SMTP_CMD_OK, SMTP_VERB_MAIL, "FROM:<a@b.c>" },
	{ "rcpt to:<a@b.c>", 0, SMTP_CMD_OK, SMTP_VERB_RCPT, "to:<a@b.c>" },
	{ "DATA", 0, SMTP_CMD_OK, SMTP_VERB_DATA, "" },
	{ "Quit", 0, SMTP_CMD_OK, SMTP_VERB_QUIT, "" },
	{ "NOOP anything", 0, SMTP_CMD_OK, SMTP_VERB_NOOP, "anything" },
	{ "STARTTLS", 0, SMTP_CMD_OK, SMTP_VERB_STARTTLS, "" },
	{ "RSET", 0, SMTP_CMD_OK, SMTP_VERB_RSET, "" },
	{ "VRFY x", 0, SMTP_CMD_OK, SMTP_VERB_VRFY, "x" },
	{ "EXPN x", 0, SMTP_CMD_OK, SMTP_VERB_EXPN, "x" },
	{ "HELP", 0, SMTP_CMD_OK, SMTP_VERB_HELP, "" },
	{ "DATAX", 0, SMTP_CMD_UNKNOWN, SMTP_VERB_UNKNOWN, NULL },
	{ "DAT", 0, SMTP_CMD_UNKNOWN, SMTP_VERB_UNKNOWN, NULL },
	{ "GET / HTTP/1.0", 0, SMTP_CMD_UNKNOWN, SMTP_VERB_UNKNOWN, NULL },
	{ "", 0, SMTP_CMD_EMPTY, SMTP_VERB_UNKNOWN, NULL },
	{ " HELO x", 0, SMTP_CMD_EMPTY, SMTP_VERB_UNKNOWN, NULL },
	{ "HELO x\r", 0, SMTP_CMD_BAD_CHAR, SMTP_VERB_UNKNOWN, NULL },
	{ "HE\rLO x", 0, SMTP_CMD_BAD_CHAR, SMTP_VERB_UNKNOWN, NULL },
	{ "HELO a\0b", 8, SMTP_CMD_BAD_CHAR, SMTP_VERB_UNKNOWN, NULL },
};

static void test_cmd_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cmd_cases / sizeof cmd_cases[0]; i++) {
		const struct cmd_case *c = &cmd_cases[i];
		struct smtp_cmd cmd;
		size_t len = c->len ? c->len : strlen(c->line);
		enum smtp_cmd_status st = smtp_cmd_parse(c->line, len, &cmd);
		if (st != c->want)
			print_error("case %zu: %s -> %d\n", i, c->line, (int)st);
		assert_int_equal(st, c->want);
		assert_int_equal(cmd.verb, c->verb);
		if (st == SMTP_CMD_OK) {
			assert_int_equal(cmd.arg_len, strlen(c->arg));
			assert_memory_equal(cmd.arg, c->arg, cmd.arg_len);
		}
		assert_non_null(smtp_cmd_reply(st));
	}
	assert_string_equal(smtp_cmd_reply(SMTP_CMD_BAD_CHAR),
	                    "501 5.5.2 bare CR or NUL in command line");
	assert_string_equal(smtp_cmd_verb_name(SMTP_VERB_MAIL), "MAIL");
	assert_string_equal(smtp_cmd_verb_name(SMTP_VERB_COUNT), "?");
}

struct mail_case {
	const char *arg;
	enum smtp_arg_status want;
	const char *sender;
	bool has_size;
	uint64_t size;
	enum smtp_body body;
};

static const struct mail_case mail_cases[] = {
	{ "FROM:<a@b.c>", SMTP_ARG_OK, "a@b.c", false, 0, SMTP_BODY_NONE },
	{ "from: <a@b.c>", SMTP_ARG_OK, "a@b.c", false, 0, SMTP_BODY_NONE },
	{ "FROM:<>", SMTP_ARG_OK, "", false, 0, SMTP_BODY_NONE },
	{ "FROM:<a@b.c> SIZE=1000", SMTP_ARG_OK, "a@b.c", true, 1000, SMTP_BODY_NONE },
	{ "FROM:<a@b.c> size=0 body=8bitmime", SMTP_ARG_OK, "a@b.c", true, 0, SMTP_BODY_8BITMIME },
	{ "FROM:<a@b.c>  BODY=7BIT", SMTP_ARG_OK, "a@b.c", false, 0, SMTP_BODY_7BIT },
	{ "FROM:<a@b.c> SIZE=18446744073709551615", SMTP_ARG_OK, "a@b.c", true, UINT64_MAX, SMTP_BODY_NONE },
	{ "FROM:<a@b.c> SIZE=18446744073709551616", SMTP_ARG_BAD_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> SIZE=-1", SMTP_ARG_BAD_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> SIZE=", SMTP_ARG_BAD_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> SIZE", SMTP_ARG_BAD_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> SIZE=1 SIZE=2", SMTP_ARG_BAD_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> BODY=BINARYMIME", SMTP_ARG_BAD_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> AUTH=<>", SMTP_ARG_UNKNOWN_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c> SMTPUTF8", SMTP_ARG_UNKNOWN_PARAM, NULL, false, 0, 0 },
	{ "FROM:<a@b.c>SIZE=1", SMTP_ARG_SYNTAX, NULL, false, 0, 0 },
	{ "FROM <a@b.c>", SMTP_ARG_SYNTAX, NULL, false, 0, 0 },
	{ "TO:<a@b.c>", SMTP_ARG_SYNTAX, NULL, false, 0, 0 },
	{ "FROM:<a@@b.c>", SMTP_ARG_ADDR, NULL, false, 0, 0 },
	{ "FROM:<a@b.c", SMTP_ARG_ADDR, NULL, false, 0, 0 },
	{ "FROM:", SMTP_ARG_ADDR, NULL, false, 0, 0 },
	{ "FROM:a@b.c", SMTP_ARG_OK, "a@b.c", false, 0, SMTP_BODY_NONE },
	{ "FROM:<user>", SMTP_ARG_OK, "user@def.example", false, 0, SMTP_BODY_NONE },
};

static void test_mail_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof mail_cases / sizeof mail_cases[0]; i++) {
		const struct mail_case *c = &mail_cases[i];
		struct smtp_mail_args a = { SBUF_INIT, false, 0, SMTP_BODY_NONE };
		enum smtp_arg_status st = smtp_cmd_parse_mail(c->arg, strlen(c->arg),
		                                              "def.example", &a);
		if (st != c->want)
			print_error("case %zu: %s -> %d\n", i, c->arg, (int)st);
		assert_int_equal(st, c->want);
		if (st == SMTP_ARG_OK) {
			assert_string_equal(sbuf_cstr(&a.sender), c->sender);
			assert_int_equal(a.has_size, c->has_size);
			assert_true(a.size == c->size);
			assert_int_equal(a.body, c->body);
		}
		assert_non_null(smtp_arg_reply(st, false));
		smtp_mail_args_free(&a);
	}
}

struct rcpt_case {
	const char *arg;
	enum smtp_arg_status want;
	const char *rcpt;
};

static const struct rcpt_case rcpt_cases[] = {
	{ "TO:<a@B.c>", SMTP_ARG_OK, "a@b.c" },
	{ "to: <postmaster>", SMTP_ARG_OK, "postmaster@def.example" },
	{ "TO:<>", SMTP_ARG_ADDR, NULL },
	{ "TO:<a@b.c> NOTIFY=NEVER", SMTP_ARG_UNKNOWN_PARAM, NULL },
	{ "TO:<a@b.c> ", SMTP_ARG_OK, "a@b.c" },
	{ "TO:<a\x01@b.c>", SMTP_ARG_ADDR, NULL },
	{ "FROM:<a@b.c>", SMTP_ARG_SYNTAX, NULL },
	{ "TO", SMTP_ARG_SYNTAX, NULL },
};

static void test_rcpt_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rcpt_cases / sizeof rcpt_cases[0]; i++) {
		const struct rcpt_case *c = &rcpt_cases[i];
		struct smtp_rcpt_args a = { SBUF_INIT };
		enum smtp_arg_status st = smtp_cmd_parse_rcpt(c->arg, strlen(c->arg),
		                                              "def.example", &a);
		if (st != c->want)
			print_error("case %zu: %s -> %d\n", i, c->arg, (int)st);
		assert_int_equal(st, c->want);
		if (st == SMTP_ARG_OK)
			assert_string_equal(sbuf_cstr(&a.rcpt), c->rcpt);
		smtp_rcpt_args_free(&a);
	}
	assert_string_equal(smtp_arg_reply(SMTP_ARG_UNKNOWN_PARAM, true),
	                    "555 5.5.4 unsupported parameter");
	assert_string_equal(smtp_arg_reply(SMTP_ARG_ADDR, true),
	                    "501 5.1.3 bad recipient address syntax");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_mail_table),
		cmocka_unit_test(test_rcpt_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
