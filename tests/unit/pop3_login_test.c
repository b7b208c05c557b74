/* pop3_login_test.c: the AUTHORIZATION state (pop3_login.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pop3_cmd.h"
#include "pop3_login.h"

struct step {
	const char *line;
	enum pop3_login_action act;
	const char *reply_prefix;   /* NULL for CHECK */
};

/* "\0alice\0pw" and friends, base64. */
#define B64_OK "AGFsaWNlAHB3"             /* \0alice\0pw */
#define B64_AUTHZ_SAME "YWxpY2UAYWxpY2UAcHc=" /* alice\0alice\0pw */
#define B64_AUTHZ_OTHER "Ym9iAGFsaWNlAHB3"   /* bob\0alice\0pw */
#define B64_NO_USER "AABwdw=="            /* \0\0pw */
#define B64_ONE_NUL "YWxpY2UAcHc="        /* alice\0pw */
#define B64_THREE_NUL "AGFsaWNlAHB3AHg="  /* \0alice\0pw\0x */

struct script {
	const struct step *steps;
	size_t n;
};

static const struct step s_userpass[] = {
	{"CAPA", POP3_LOGIN_REPLY, "+OK capability"},
	{"STAT", POP3_LOGIN_REPLY, "-ERR"},
	{"PASS pw", POP3_LOGIN_REPLY, "-ERR USER first"},
	{"USER", POP3_LOGIN_REPLY, "-ERR"},
	{"USER alice", POP3_LOGIN_REPLY, "+OK"},
	{"PASS pw", POP3_LOGIN_CHECK, NULL},
	{"PASS pw", POP3_LOGIN_REPLY, "-ERR USER first"},
	{"STLS", POP3_LOGIN_REPLY, "-ERR"},
	{"APOP a b", POP3_LOGIN_REPLY, "-ERR"},
	{"BOGUS", POP3_LOGIN_REPLY, "-ERR unknown"},
	{"", POP3_LOGIN_REPLY, "-ERR unknown"},
	{"QUIT", POP3_LOGIN_QUIT, "+OK"},
};

static const struct step s_auth[] = {
	{"AUTH", POP3_LOGIN_REPLY, "+OK\r\nPLAIN\r\n.\r\n"},
	{"AUTH LOGIN", POP3_LOGIN_REPLY, "-ERR unsupported"},
	{"AUTH PLAIN =", POP3_LOGIN_REPLY, "-ERR [AUTH]"},
	{"AUTH PLAIN " B64_OK, POP3_LOGIN_CHECK, NULL},
	{"auth plain " B64_AUTHZ_SAME, POP3_LOGIN_CHECK, NULL},
	{"AUTH PLAIN " B64_AUTHZ_OTHER, POP3_LOGIN_REPLY, "-ERR [AUTH]"},
	{"AUTH PLAIN " B64_NO_USER, POP3_LOGIN_REPLY, "-ERR [AUTH]"},
	{"AUTH PLAIN " B64_ONE_NUL, POP3_LOGIN_REPLY, "-ERR [AUTH]"},
	{"AUTH PLAIN " B64_THREE_NUL, POP3_LOGIN_REPLY, "-ERR [AUTH]"},
	{"AUTH PLAIN !!!!", POP3_LOGIN_REPLY, "-ERR [AUTH]"},
	{"AUTH PLAIN " B64_OK " x", POP3_LOGIN_REPLY, "-ERR unsupported"},
	{"AUTH PLAIN", POP3_LOGIN_REPLY, "+ "},
	{"*", POP3_LOGIN_REPLY, "-ERR authentication cancelled"},
	{"AUTH PLAIN", POP3_LOGIN_REPLY, "+ "},
	{"QUIT", POP3_LOGIN_REPLY, "-ERR [AUTH]"},   /* a continuation, not a command */
	{"AUTH PLAIN", POP3_LOGIN_REPLY, "+ "},
	{B64_OK, POP3_LOGIN_CHECK, NULL},
};

static void run(const struct step *steps, size_t n)
{
	struct pop3_login l;
	struct sbuf reply = SBUF_INIT;
	pop3_login_init(&l);
	for (size_t i = 0; i < n; i++) {
		sbuf_clear(&reply);
		enum pop3_login_action a =
		    pop3_login_line(&l, steps[i].line, strlen(steps[i].line), &reply);
		assert_int_equal(a, steps[i].act);
		if (steps[i].reply_prefix)
			assert_memory_equal(reply.s, steps[i].reply_prefix,
			                    strlen(steps[i].reply_prefix));
		if (a == POP3_LOGIN_CHECK) {
			assert_string_equal(l.user.s, "alice");
			assert_string_equal(l.pass.s, "pw");
		}
		assert_true(pop3_login_line_max(&l) ==
		            (l.in_auth ? POP3_AUTH_LINE_MAX : POP3_LINE_MAX - 2));
	}
	pop3_login_free(&l);
	sbuf_free(&reply);
}

static void test_userpass(void **state)
{
	(void)state;
	run(s_userpass, sizeof s_userpass / sizeof s_userpass[0]);
}

static void test_auth(void **state)
{
	(void)state;
	run(s_auth, sizeof s_auth / sizeof s_auth[0]);
}

static void test_field_limits(void **state)
{
	(void)state;
	char line[POP3_LOGIN_FIELD_MAX + 16];
	struct pop3_login l;
	struct sbuf reply = SBUF_INIT;
	static const size_t lens[] = {POP3_LOGIN_FIELD_MAX - 1, POP3_LOGIN_FIELD_MAX,
	                              POP3_LOGIN_FIELD_MAX + 1};
	for (size_t i = 0; i < 3; i++) {
		pop3_login_init(&l);
		memcpy(line, "USER ", 5);
		memset(line + 5, 'u', lens[i]);
		enum pop3_login_action a = pop3_login_line(&l, line, 5 + lens[i], &reply);
		assert_int_equal(a, POP3_LOGIN_REPLY);
		assert_int_equal(l.has_user, lens[i] <= POP3_LOGIN_FIELD_MAX);
		memcpy(line, "PASS ", 5);
		memset(line + 5, 'p', lens[i]);
		a = pop3_login_line(&l, line, 5 + lens[i], &reply);
		assert_int_equal(a, lens[i] <= POP3_LOGIN_FIELD_MAX ? POP3_LOGIN_CHECK
		                                                    : POP3_LOGIN_REPLY);
		pop3_login_free(&l);
	}
	sbuf_free(&reply);
}

static void test_blob_and_failures(void **state)
{
	(void)state;
	struct pop3_login l;
	struct sbuf reply = SBUF_INIT, blob = SBUF_INIT;
	pop3_login_init(&l);
	assert_int_equal(pop3_login_line(&l, "USER a@b", 8, &reply), POP3_LOGIN_REPLY);
	assert_int_equal(pop3_login_line(&l, "PASS p w", 8, &reply), POP3_LOGIN_CHECK);
	pop3_login_blob(&l, "<1.2@h>", &blob);
	assert_int_equal(blob.len, 4 + 4 + 8);
	assert_memory_equal(blob.s, "a@b\0p w\0<1.2@h>\0", 16);
	assert_int_equal(l.pass.len, 0);
	for (unsigned i = 1; i <= POP3_LOGIN_FAILURES_MAX; i++) {
		enum pop3_login_action a = pop3_login_failed(&l, &reply);
		assert_int_equal(a, i < POP3_LOGIN_FAILURES_MAX ? POP3_LOGIN_REPLY : POP3_LOGIN_QUIT);
		assert_memory_equal(reply.s, "-ERR [AUTH]", 11);
	}
	assert_non_null(strstr(pop3_login_capa(), "SASL PLAIN\r\n"));
	pop3_login_free(&l);
	sbuf_free(&reply);
	sbuf_free(&blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_userpass),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_blob_and_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
