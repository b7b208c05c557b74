#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "sasl.h"

struct arg_case {
	const char *arg;
	int rc;
	enum sasl_mech mech;
	bool has_initial;
	size_t initial_len;
};

static const struct arg_case arg_cases[] = {
	{ "PLAIN", 0, SASL_MECH_PLAIN, false, 0 },
	{ "plain", 0, SASL_MECH_PLAIN, false, 0 },
	{ "LOGIN", 0, SASL_MECH_LOGIN, false, 0 },
	{ "PLAIN AGEAYg==", 0, SASL_MECH_PLAIN, true, 8 },
	{ "PLAIN =", 0, SASL_MECH_PLAIN, true, 0 },
	{ "CRAM-MD5", 0, SASL_MECH_UNKNOWN, false, 0 },
	{ "PLAINX", 0, SASL_MECH_UNKNOWN, false, 0 },
	{ "", -1, SASL_MECH_UNKNOWN, false, 0 },
	{ " PLAIN", -1, SASL_MECH_UNKNOWN, false, 0 },
	{ "PLAIN ", -1, SASL_MECH_UNKNOWN, false, 0 },
	{ "PLAIN a b", -1, SASL_MECH_UNKNOWN, false, 0 },
	{ "AVERYLONGMECHANISMNAME1", -1, SASL_MECH_UNKNOWN, false, 0 },
};

static void test_parse_auth(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof arg_cases / sizeof arg_cases[0]; i++) {
		struct sasl_auth_arg a;
		const struct arg_case *c = &arg_cases[i];
		assert_int_equal(sasl_parse_auth(c->arg, strlen(c->arg), &a), c->rc);
		if (c->rc == 0) {
			assert_int_equal(a.mech, c->mech);
			assert_int_equal(a.has_initial, c->has_initial);
			assert_int_equal(a.initial_len, c->initial_len);
		}
	}
}

struct plain_case {
	const char *raw;
	size_t raw_len;
	int rc;
	const char *user, *pass;
};

static const struct plain_case plain_cases[] = {
	{ "\0alice\0pw", 9, 0, "alice", "pw" },
	{ "alice\0alice\0pw", 14, 0, "alice", "pw" },
	{ "\0alice\0", 7, 0, "alice", "" },
	{ "bob\0alice\0pw", 12, -1, NULL, NULL },    /* proxy authorization */
	{ "\0\0pw", 4, -1, NULL, NULL },             /* empty authcid */
	{ "\0alice", 6, -1, NULL, NULL },            /* one NUL */
	{ "\0alice\0p\0w", 10, -1, NULL, NULL },     /* NUL in the password */
	{ "\0ali\rce\0pw", 10, -1, NULL, NULL },
	{ "\0alice\0p\nw", 10, -1, NULL, NULL },
	{ "", 0, -1, NULL, NULL },
};

static void test_plain(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof plain_cases / sizeof plain_cases[0]; i++) {
		const struct plain_case *c = &plain_cases[i];
		struct sbuf enc = SBUF_INIT;
		struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
		base64_encode(c->raw, c->raw_len, &enc);
		assert_int_equal(sasl_plain_decode(enc.s, enc.len, &cr), c->rc);
		if (c->rc == 0) {
			assert_string_equal(sbuf_cstr(&cr.user), c->user);
			assert_string_equal(sbuf_cstr(&cr.pass), c->pass);
		}
		sasl_creds_free(&cr);
		sbuf_free(&enc);
	}
	struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
	assert_int_equal(sasl_plain_decode("AGFsaWNl!!==", 12, &cr), -1);
	sasl_creds_free(&cr);
}

/* A field of SASL_FIELD_MAX - 1, SASL_FIELD_MAX and SASL_FIELD_MAX + 1 bytes. */
static void test_field_limits(void **state)
{
	(void)state;
	size_t sizes[] = { SASL_FIELD_MAX - 1, SASL_FIELD_MAX, SASL_FIELD_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		char *raw = xmalloc(sizes[i] + 3);
		raw[0] = '\0';
		raw[1] = 'u';
		raw[2] = '\0';
		memset(raw + 3, 'p', sizes[i]);
		struct sbuf enc = SBUF_INIT, one = SBUF_INIT;
		struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
		base64_encode(raw, sizes[i] + 3, &enc);
		int want = sizes[i] <= SASL_FIELD_MAX ? 0 : -1;
		assert_int_equal(sasl_plain_decode(enc.s, enc.len, &cr), want);
		base64_encode(raw + 3, sizes[i], &enc);
		assert_int_equal(sasl_login_decode(enc.s, enc.len, &one), want);
		sasl_creds_free(&cr);
		sbuf_free(&enc);
		sbuf_free(&one);
		free(raw);
	}
}

static void test_login(void **state)
{
	(void)state;
	struct sbuf out = SBUF_INIT;
	assert_int_equal(sasl_login_decode("YWxpY2U=", 8, &out), 0);
	assert_string_equal(out.s, "alice");
	assert_int_equal(sasl_login_decode("YQBi", 4, &out), -1); /* "a\0b" */
	assert_int_equal(sasl_login_decode("YWxpY2U", 7, &out), -1);
	sbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_auth),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_login),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
