#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdbmap.h"
#include "tcprules.h"

struct parse_case {
	const char *line;
	int rc;
	const char *address;
	bool allow;
	size_t n_env;
	const char *env0;
};

static const struct parse_case parse_cases[] = {
	{ "", 0, NULL, false, 0, NULL },
	{ "# comment:allow", 0, NULL, false, 0, NULL },
	{ "   \t\r", 0, NULL, false, 0, NULL },
	{ "1.2.3.4:allow", 1, "1.2.3.4", true, 0, NULL },
	{ "1.2.3.:allow,RELAYCLIENT=\"\"", 1, "1.2.3.", true, 1, "RELAYCLIENT=" },
	{ "1.2.3.:allow,RELAYCLIENT=\"\",DATABYTES=\"1000\"", 1, "1.2.3.", true, 2, "RELAYCLIENT=" },
	{ ":deny", 1, "", false, 0, NULL },
	{ "=mx.example.com:allow", 1, "=mx.example.com", true, 0, NULL },
	{ "=.example.com:deny", 1, "=.example.com", false, 0, NULL },
	{ "10.0.0.1-50:allow", 1, "10.0.0.1-50", true, 0, NULL },
	{ "::1:allow", 1, "::1", true, 0, NULL },
	{ "[2001:db8::1]:deny", 1, "2001:db8::1", false, 0, NULL },
	{ "2001:db8::allow", 1, "2001:db8:", true, 0, NULL },
	{ "1.2.3.4:allow,Q='a,b'", 1, "1.2.3.4", true, 1, "Q=a,b" },
	{ "1.2.3.4:allow,Q=/x\"y/", 1, "1.2.3.4", true, 1, "Q=x\"y" },
	{ "1.2.3.4:allow,UNSET", 1, "1.2.3.4", true, 1, "UNSET" },
	{ "1.2.3.4:allow,QMAILQUEUE=\"/a:b\"  ", 1, "1.2.3.4", true, 1, "QMAILQUEUE=/a:b" },
	{ "1.2.3.4:deny,X=\"1\"", 1, "1.2.3.4", false, 1, "X=1" },
	/* invalid: fail closed */
	{ "1.2.3.4", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:alow", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allowx", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allow,", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allow,=x", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allow,X=", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allow,X=\"abc", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allow,X=\"a\"junk", -1, NULL, false, 0, NULL },
	{ "1.2.3.4:allow X", -1, NULL, false, 0, NULL },
	{ "host name:allow", -1, NULL, false, 0, NULL },
	{ "1.2.3.4 :allow", -1, NULL, false, 0, NULL },
	{ "=bad host:allow", -1, NULL, false, 0, NULL },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct tcprules_rule r = { SBUF_INIT, false, { 0 } };
		const char *err = NULL;
		int rc = tcprules_parse_line(c->line, strlen(c->line), &r, &err);
		if (rc != c->rc)
			fail_msg("case %zu '%s': rc %d", i, c->line, rc);
		if (rc == 1) {
			assert_string_equal(sbuf_cstr(&r.address), c->address);
			assert_int_equal(r.is_allow, c->allow);
			assert_int_equal(r.env.n, c->n_env);
			if (c->n_env)
				assert_string_equal(r.env.v[0], c->env0);
		} else if (rc < 0) {
			assert_non_null(err);
			assert_int_equal(r.env.n, 0);
		}
		tcprules_rule_free(&r);
	}
}

struct keys_case {
	const char *address;
	int rc;
	size_t n;
	const char *first, *last;
};

static const struct keys_case keys_cases[] = {
	{ "1.2.3.4", 0, 1, "1.2.3.4", "1.2.3.4" },
	{ "", 0, 1, "", "" },
	{ "=a-b.example", 0, 1, "=a-b.example", "=a-b.example" },
	{ "10.0.0.1-3", 0, 3, "10.0.0.1", "10.0.0.3" },
	{ "10.0.0-2.", 0, 3, "10.0.0.", "10.0.2." },
	{ "10.0.0.0-254", 0, 255, "10.0.0.0", "10.0.0.254" },
	{ "10.0.0.0-255", 0, 256, "10.0.0.0", "10.0.0.255" },
	{ "10.0.0.0-256", -1, 0, NULL, NULL },
	{ "10.0.0.5-4", -1, 0, NULL, NULL },
	{ "10.0.0.-4", -1, 0, NULL, NULL },
	{ "10.0.0.1-", -1, 0, NULL, NULL },
	{ "10.0.0.1-2-3", -1, 0, NULL, NULL },
	{ "10.0.0.1-2x", -1, 0, NULL, NULL },
	{ "10.0.0.a1-2", -1, 0, NULL, NULL },
};

static void test_keys_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof keys_cases / sizeof keys_cases[0]; i++) {
		const struct keys_case *c = &keys_cases[i];
		struct strlist k = { 0 };
		int rc = tcprules_keys(c->address, &k);
		if (rc != c->rc)
			fail_msg("case %zu '%s': rc %d", i, c->address, rc);
		assert_int_equal(k.n, c->n);
		if (c->n) {
			assert_string_equal(k.v[0], c->first);
			assert_string_equal(k.v[k.n - 1], c->last);
		}
		strlist_free(&k);
	}
}

static void test_decode(void **state)
{
	(void)state;
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	assert_int_equal(tcprules_decode("ARELAYCLIENT=\0X\0", 16, &r), 0);
	assert_true(r.is_allow);
	assert_int_equal(r.env.n, 2);
	assert_string_equal(r.env.v[1], "X");
	assert_int_equal(tcprules_decode("D", 1, &r), 0);
	assert_false(r.is_allow);
	assert_int_equal(r.env.n, 0);
	static const struct { const char *d; size_t n; } bad[] = {
		{ "", 0 }, { "X", 1 }, { "a", 1 }, { "AX", 2 }, { "A\0", 2 }, { "A=x\0", 4 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(tcprules_decode(bad[i].d, bad[i].n, &r), -1);
		assert_false(r.is_allow);
	}
	tcprules_result_free(&r);
}

static char dir[] = "/tmp/tcprules_test.XXXXXX";
static char cdb[600];

static void compile(const char *src)
{
	struct tcprules_set s = { 0 };
	size_t bad;
	const char *err;
	assert_int_equal(tcprules_parse(src, strlen(src), &s, &bad, &err), 0);
	assert_int_equal(tcprules_compile(&s, cdb, NULL), 0);
	tcprules_set_free(&s);
}

struct lookup_case {
	const char *ip, *host;
	int rc;
	bool allow;
	const char *key;
};

static void test_lookup_table(void **state)
{
	(void)state;
	compile("127.0.0.1:allow,RELAYCLIENT=\"\"\n"
	        "10.1.:allow,DATABYTES=\"1000\"\n"
	        "10.1.2.3:deny\n"
	        "10.1.:deny\n"
	        "192.168.0.10-20:deny\n"
	        "::1:allow,RELAYCLIENT=\"\"\n"
	        "2001:db8::allow,V6=\"1\"\n"
	        "=good.example.com:allow,GOOD=\"1\"\n"
	        "=.spam.example:deny\n"
	        ":allow,DEFAULT=\"1\"\n");
	static const struct lookup_case cases[] = {
		{ "127.0.0.1", NULL, 1, true, "127.0.0.1" },
		{ "10.1.2.3", NULL, 1, false, "10.1.2.3" },
		{ "10.1.9.9", NULL, 1, true, "10.1." },
		{ "192.168.0.9", NULL, 1, true, "" },
		{ "192.168.0.10", NULL, 1, false, "192.168.0.10" },
		{ "192.168.0.20", NULL, 1, false, "192.168.0.20" },
		{ "192.168.0.21", NULL, 1, true, "" },
		{ "::1", NULL, 1, true, "::1" },
		{ "2001:db8::5", NULL, 1, true, "2001:db8:" },
		{ "8.8.8.8", "good.example.com", 1, true, "=good.example.com" },
		{ "8.8.8.8", "a.b.spam.example", 1, false, "=.spam.example" },
		{ "10.1.2.3", "good.example.com", 1, false, "10.1.2.3" },
		{ "10.1.2.4", "good.example.com", 1, true, "=good.example.com" },
		{ "8.8.8.8", "", 1, true, "" },
	};
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct lookup_case *c = &cases[i];
		int rc = tcprules_lookup(cdb, c->ip, c->host, &r);
		assert_int_equal(rc, c->rc);
		if (r.is_allow != c->allow || strcmp(sbuf_cstr(&r.key), c->key) != 0)
			fail_msg("case %zu %s: allow %d key '%s'", i, c->ip, r.is_allow,
			         sbuf_cstr(&r.key));
	}
	compile("1.2.3.4:deny\n");
	assert_int_equal(tcprules_lookup(cdb, "5.6.7.8", NULL, &r), 0);
	assert_true(r.is_allow);
	assert_int_equal(r.env.n, 0);
	tcprules_result_free(&r);
}

/* The map kept open between lookups: a file of the same size renamed over
 * the path at once is seen by the next lookup; tcprules_forget closes it. */
static void test_lookup_sees_a_new_file(void **state)
{
	(void)state;
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	for (int round = 0; round < 3; round++) {
		compile("1.2.3.4:deny\n");
		assert_int_equal(tcprules_lookup(cdb, "1.2.3.4", NULL, &r), 1);
		assert_false(r.is_allow);
		compile("1.2.3.5:deny\n");
		assert_int_equal(tcprules_lookup(cdb, "1.2.3.4", NULL, &r), 0);
		assert_true(r.is_allow);
		assert_int_equal(tcprules_lookup(cdb, "1.2.3.5", NULL, &r), 1);
		assert_false(r.is_allow);
	}
	tcprules_forget();
	assert_int_equal(tcprules_lookup(cdb, "1.2.3.5", NULL, &r), 1);
	assert_false(r.is_allow);
	tcprules_forget();
	tcprules_result_free(&r);
}

/* A cdb as ucspi-tcp's tcprules writes it is read the same way. */
static void test_ucspi_cdb(void **state)
{
	(void)state;
	struct cdbmap_build b;
	assert_int_equal(cdbmap_build_begin(&b, cdb, NULL, 0644), 0);
	assert_int_equal(cdbmap_build_add(&b, "127.", 4, "ARELAYCLIENT=\0", 14), 0);
	assert_int_equal(cdbmap_build_add(&b, "", 0, "Q", 1), 0);
	assert_int_equal(cdbmap_build_commit(&b), 0);
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	assert_int_equal(tcprules_lookup(cdb, "127.0.0.1", NULL, &r), 1);
	assert_true(r.is_allow);
	assert_string_equal(r.env.v[0], "RELAYCLIENT=");
	/* A corrupt default fails closed. */
	assert_int_equal(tcprules_lookup(cdb, "1.1.1.1", NULL, &r), -1);
	assert_false(r.is_allow);
	unlink(cdb);
	assert_int_equal(tcprules_lookup(cdb, "1.1.1.1", NULL, &r), -1);
	assert_int_equal(errno, ENOENT);
	tcprules_result_free(&r);
}

static void test_parse_file_error_line(void **state)
{
	(void)state;
	struct tcprules_set s = { 0 };
	size_t bad = 0;
	const char *err = NULL;
	const char *src = "# x\n1.2.3.4:allow\n\nbroken\n";
	assert_int_equal(tcprules_parse(src, strlen(src), &s, &bad, &err), -1);
	assert_int_equal(bad, 4);
	tcprules_set_free(&s);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cdb, sizeof cdb, "%s/rules.cdb", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cdb);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_keys_table),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_lookup_table),
		cmocka_unit_test(test_lookup_sees_a_new_file),
		cmocka_unit_test(test_ucspi_cdb),
		cmocka_unit_test(test_parse_file_error_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
