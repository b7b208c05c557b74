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
#include "tlsctl.h"

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
	{ "CRAM-MD5", 0, SASL_MECH_CRAM_MD5, false, 0 },
	{ "cram-md5", 0, SASL_MECH_CRAM_MD5, false, 0 },
	{ "CRAM-MD5 dGlt", 0, SASL_MECH_CRAM_MD5, true, 4 },
	{ "CRAM-MD", 0, SASL_MECH_UNKNOWN, false, 0 },
	{ "CRAM-SHA1", 0, SASL_MECH_UNKNOWN, false, 0 },
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

static void test_smtpauth_and_names(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		bool cram, scram;
	} cases[] = {
	    {NULL, false, false},       {"", false, false},         {"+cram", true, false},
	    {"+scram", false, true},    {"+cram+scram", true, true}, {"+scram+cram", true, true},
	    {"cram", false, false},     {"+crams", false, false},   {"+CRAM", false, false},
	    {"+x+scram+", false, true}, {"++cram", true, false},    {"+cra", false, false},
	    {"!", false, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool c = true, sc = true;
		sasl_parse_smtpauth(cases[i].v, &c, &sc);
		assert_int_equal(c, cases[i].cram);
		assert_int_equal(sc, cases[i].scram);
	}
	struct sasl_auth_arg a;
	assert_int_equal(sasl_parse_auth("scram-sha-256 =", 15, &a), 0);
	assert_int_equal(a.mech, SASL_MECH_SCRAM_SHA_256);
	assert_string_equal(sasl_mech_name(a.mech), "SCRAM-SHA-256");
	assert_string_equal(sasl_mech_name(SASL_MECH_CRAM_MD5), "CRAM-MD5");
	assert_string_equal(sasl_mech_name(SASL_MECH_UNKNOWN), "?");
	assert_int_equal(sasl_parse_auth("SCRAM-SHA-1", 11, &a), 0);
	assert_int_equal(a.mech, SASL_MECH_UNKNOWN);
}

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

struct cram_case {
	const char *raw;
	size_t raw_len;
	int rc;
	const char *user, *digest;
};

#define D32 "b913a602c7eda7a495b4e6e7334d3890"
static const struct cram_case cram_cases[] = {
	{ "tim " D32, 36, 0, "tim", D32 },                   /* RFC 2195 */
	{ "tim B913A602C7EDA7A495B4E6E7334D3890", 36, 0, "tim", D32 },
	{ "alice@example.test " D32, 51, 0, "alice@example.test", D32 },
	{ "t\xc3\xa9m " D32, 37, 0, "t\xc3\xa9m", D32 },     /* 8-bit user */
	{ "tim  " D32, 37, -1, NULL, NULL },                 /* two spaces */
	{ " " D32, 33, -1, NULL, NULL },                     /* empty user */
	{ "a b " D32, 36, -1, NULL, NULL },                  /* space in the user */
	{ "tim " D32 " ", 37, -1, NULL, NULL },
	{ "tim", 3, -1, NULL, NULL },
	{ "tim ", 4, -1, NULL, NULL },
	{ D32, 32, -1, NULL, NULL },
	{ "tim b913a602c7eda7a495b4e6e7334d389", 35, -1, NULL, NULL },
	{ "tim b913a602c7eda7a495b4e6e7334d38900", 37, -1, NULL, NULL },
	{ "tim b913a602c7eda7a495b4e6e7334d389g", 36, -1, NULL, NULL },
	{ "tim b913a602c7eda7a495b4e6e7334d389\0", 36, -1, NULL, NULL },
	{ "t\0m " D32, 36, -1, NULL, NULL },
	{ "t\tm " D32, 36, -1, NULL, NULL },
	{ "t\rm " D32, 36, -1, NULL, NULL },
	{ "t\x7fm " D32, 36, -1, NULL, NULL },
	{ "", 0, -1, NULL, NULL },
};

static void test_cram(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cram_cases / sizeof cram_cases[0]; i++) {
		const struct cram_case *c = &cram_cases[i];
		struct sbuf enc = SBUF_INIT;
		struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
		base64_encode(c->raw, c->raw_len, &enc);
		assert_int_equal(sasl_cram_decode(enc.s ? enc.s : "", enc.len, &cr), c->rc);
		if (c->rc == 0) {
			assert_string_equal(sbuf_cstr(&cr.user), c->user);
			assert_string_equal(sbuf_cstr(&cr.pass), c->digest);
		} else {
			assert_int_equal(cr.user.len + cr.pass.len, 0);
		}
		sasl_creds_free(&cr);
		sbuf_free(&enc);
	}
	struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
	assert_int_equal(sasl_cram_decode("dGlt!!", 6, &cr), -1);
	assert_int_equal(sasl_cram_decode("*", 1, &cr), -1);
	sasl_creds_free(&cr);
}

/* A user of TLSCTL_USER_MAX - 1, TLSCTL_USER_MAX and TLSCTL_USER_MAX + 1 bytes. */
static void test_cram_user_limit(void **state)
{
	(void)state;
	size_t sizes[] = { TLSCTL_USER_MAX - 1, TLSCTL_USER_MAX, TLSCTL_USER_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		char *raw = xmalloc(sizes[i] + 33);
		memset(raw, 'u', sizes[i]);
		memcpy(raw + sizes[i], " " D32, 33);
		struct sbuf enc = SBUF_INIT;
		struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
		base64_encode(raw, sizes[i] + 33, &enc);
		int want = sizes[i] <= TLSCTL_USER_MAX ? 0 : -1;
		assert_int_equal(sasl_cram_decode(enc.s, enc.len, &cr), want);
		sasl_creds_free(&cr);
		sbuf_free(&enc);
		free(raw);
	}
}

/* A CRAM-MD5 response as qmail-smtpd hands it to the TLS proxy: the
 * checkpassword blob is user NUL digest NUL challenge NUL. */
static void test_cram_to_control_channel(void **state)
{
	(void)state;
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	static const char want[] = "tim\0" D32 "\0<1896.697170952@postoffice.reston.mci.net>";
	struct sasl_creds cr = { SBUF_INIT, SBUF_INIT };
	struct sbuf m = SBUF_INIT;
	assert_int_equal(sasl_cram_decode("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", 48,
					  &cr), 0);
	assert_int_equal(tlsctl_format_auth(cr.user.s, cr.pass.s, chal, &m), 0);
	const char *user, *blob;
	size_t blob_len;
	assert_int_equal(tlsctl_parse_auth(m.s, m.len, &user, &blob, &blob_len), 0);
	assert_string_equal(user, "tim");
	assert_int_equal(blob_len, sizeof want);
	assert_memory_equal(blob, want, sizeof want);
	/* the third field must be there and fit */
	assert_int_equal(tlsctl_format_auth("tim", D32, "", &m), -1);
	char big[TLSCTL_STAMP_MAX + 2];
	memset(big, 'c', sizeof big);
	big[TLSCTL_STAMP_MAX + 1] = '\0';
	assert_int_equal(tlsctl_format_auth("tim", D32, big, &m), -1);
	big[TLSCTL_STAMP_MAX] = '\0';
	assert_int_equal(tlsctl_format_auth("tim", D32, big, &m), 0);
	assert_true(m.len <= TLSCTL_MSG_MAX);
	sbuf_free(&m);
	sasl_creds_free(&cr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_auth),
		cmocka_unit_test(test_smtpauth_and_names),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_field_limits),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_cram),
		cmocka_unit_test(test_cram_user_limit),
		cmocka_unit_test(test_cram_to_control_channel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
