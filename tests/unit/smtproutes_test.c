/* smtproutes_test.c: route lookup and value parsing tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "smtproutes.h"

static void test_find(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"example.com:exact", ".example.com:wild", ".sub.example.com:deeper", ":default",
	};
	struct strlist l = { 0 };
	for (size_t i = 0; i < 4; i++)
		strlist_add(&l, lines[i], strlen(lines[i]));
	static const struct { const char *d, *v; } t[] = {
		{ "example.com", "exact" }, { "EXAMPLE.com", "exact" }, { "a.example.com", "wild" },
		{ "a.sub.example.com", "deeper" }, { "other.org", "default" }, { "", "default" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_string_equal(smtproutes_find(&l, t[i].d), t[i].v);
	strlist_free(&l);
	struct strlist none = { 0 };
	assert_null(smtproutes_find(&none, "example.com"));
}

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *host;
		unsigned port;
		bool lit;
		const char *user, *pass;
		bool plain;
	} t[] = {
		{ "", 0, "", 0, false, "", "", false },
		{ "relay.example", 0, "relay.example", 0, false, "", "", false },
		{ "relay.example:587", 0, "relay.example", 587, false, "", "", false },
		{ "relay.example:465 u p", 0, "relay.example", 465, false, "u", "p", false },
		{ "relay.example u p plaintext", 0, "relay.example", 0, false, "u", "p", true },
		{ "[192.0.2.1]", 0, "192.0.2.1", 0, true, "", "", false },
		{ "[2001:db8::1]:2525", 0, "2001:db8::1", 2525, true, "", "", false },
		{ "relay.example:65535", 0, "relay.example", 65535, false, "", "", false },
		{ "relay.example:65536", -1, NULL, 0, false, NULL, NULL, false },
		{ "relay.example:0", -1, NULL, 0, false, NULL, NULL, false },
		{ "relay.example:", -1, NULL, 0, false, NULL, NULL, false },
		{ "relay.example:x", -1, NULL, 0, false, NULL, NULL, false },
		{ "[192.0.2.1", -1, NULL, 0, false, NULL, NULL, false },
		{ "[]", -1, NULL, 0, false, NULL, NULL, false },
		{ "[1.2.3.4]x", -1, NULL, 0, false, NULL, NULL, false },
		{ "relay.example u", -1, NULL, 0, false, NULL, NULL, false },
		{ "relay.example u p extra", -1, NULL, 0, false, NULL, NULL, false },
		{ " u p", -1, NULL, 0, false, NULL, NULL, false },
		{ "re/lay", -1, NULL, 0, false, NULL, NULL, false },
		{ ":25", -1, NULL, 0, false, NULL, NULL, false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct smtproute r;
		assert_int_equal(smtproutes_parse(t[i].in, &r), t[i].rc);
		if (t[i].rc < 0)
			continue;
		assert_string_equal(r.host, t[i].host);
		assert_int_equal(r.port, t[i].port);
		assert_int_equal(r.is_literal, t[i].lit);
		assert_string_equal(r.user, t[i].user);
		assert_string_equal(r.pass, t[i].pass);
		assert_int_equal(r.allow_plain_auth, t[i].plain);
	}
}

static void test_limits(void **state)
{
	(void)state;
	static char host[ADDR_DOMAIN_MAX + 2];
	size_t lens[] = { ADDR_DOMAIN_MAX - 1, ADDR_DOMAIN_MAX, ADDR_DOMAIN_MAX + 1 };
	int want[] = { 0, 0, -1 };
	for (size_t i = 0; i < 3; i++) {
		memset(host, 'a', lens[i]);
		host[lens[i]] = '\0';
		struct smtproute r;
		assert_int_equal(smtproutes_parse(host, &r), want[i]);
	}
	static char cred[SMTPROUTE_CRED_MAX + 40];
	size_t cl[] = { SMTPROUTE_CRED_MAX - 1, SMTPROUTE_CRED_MAX, SMTPROUTE_CRED_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		strcpy(cred, "h ");
		memset(cred + 2, 'u', cl[i]);
		strcpy(cred + 2 + cl[i], " p");
		struct smtproute r;
		assert_int_equal(smtproutes_parse(cred, &r), want[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
