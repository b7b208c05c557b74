/* smtpd_config_test.c: qmail-smtpd's control files and environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdbmap.h"
#include "proto_limits.h"
#include "smtpd_config.h"

static char home[64];
static char path[256];

static const char *file_path(const char *rel)
{
	snprintf(path, sizeof path, "%s/control/%s", home, rel);
	return path;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(file_path(name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	strcpy(home, "/tmp/smtpd_config_test.XXXXXX");
	assert_non_null(mkdtemp(home));
	snprintf(path, sizeof path, "%s/control", home);
	mkdir(path, 0755);
	setenv("QMAILHOME", home, 1);
	unsetenv("DATABYTES");
	unsetenv("RELAYCLIENT");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", home);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_defaults(void **state)
{
	(void)state;
	struct smtpd_config c;
	const char *what;
	put("me", "mx.example\n");
	assert_int_equal(smtpd_config_load(&c, &what), 0);
	assert_string_equal(sbuf_cstr(&c.greeting), "mx.example");
	assert_string_equal(sbuf_cstr(&c.defaultdomain), "mx.example");
	assert_true(c.databytes == DATABYTES_DEFAULT);
	assert_int_equal(c.timeout_s, SMTP_CMD_TIMEOUT);
	assert_false(c.has_rcpthosts);          /* D-04 */
	assert_false(c.is_relayclient);
	assert_int_equal(smtpd_config_is_rcpthost(&c, "mx.example"), 0);
	smtpd_config_free(&c);
}

struct num_case {
	const char *file, *env;
	int rc;
	uint64_t want;
};

static const struct num_case databytes_cases[] = {
	{ "1000\n", NULL, 0, 1000 },
	{ "0\n", NULL, 0, DATABYTES_DEFAULT },      /* never unlimited */
	{ "", NULL, 0, DATABYTES_DEFAULT },
	{ "1000\n", "77", 0, 77 },
	{ "1000\n", "0", 0, DATABYTES_DEFAULT },
	{ "1000\n", "", 0, 1000 },
	{ "1099511627776\n", NULL, 0, 1099511627776ull },
	{ "1099511627777\n", NULL, -1, 0 },
	{ "-1\n", NULL, -1, 0 },
	{ "12abc\n", NULL, -1, 0 },
	{ "1000\n", "12abc", -1, 0 },
};

static void test_databytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof databytes_cases / sizeof databytes_cases[0]; i++) {
		const struct num_case *k = &databytes_cases[i];
		struct smtpd_config c;
		const char *what;
		put("databytes", k->file);
		if (k->env)
			setenv("DATABYTES", k->env, 1);
		else
			unsetenv("DATABYTES");
		int rc = smtpd_config_load(&c, &what);
		if (rc != k->rc)
			print_error("case %zu\n", i);
		assert_int_equal(rc, k->rc);
		if (rc == 0)
			assert_true(c.databytes == k->want);
		smtpd_config_free(&c);
	}
	unsetenv("DATABYTES");
	unlink(file_path("databytes"));
}

static void test_timeout(void **state)
{
	(void)state;
	struct smtpd_config c;
	const char *what;
	put("timeoutsmtpd", "0\n");
	assert_int_equal(smtpd_config_load(&c, &what), 0);
	assert_int_equal(c.timeout_s, SMTP_CMD_TIMEOUT);
	smtpd_config_free(&c);
	put("timeoutsmtpd", "86401\n");
	assert_int_equal(smtpd_config_load(&c, &what), -1);
	assert_string_equal(what, "timeoutsmtpd");
	smtpd_config_free(&c);
	unlink(file_path("timeoutsmtpd"));
}

static void test_rcpthosts(void **state)
{
	(void)state;
	struct smtpd_config c;
	const char *what;
	put("rcpthosts", "example.com\n.wild.example\n# comment\n");
	struct cdbmap_build b;
	assert_int_equal(cdbmap_build_begin(&b, file_path("morercpthosts.cdb"), NULL, 0644), 0);
	assert_int_equal(cdbmap_build_add(&b, "more.example", 12, "", 0), 0);
	assert_int_equal(cdbmap_build_add(&b, ".sub.more2.example", 18, "", 0), 0);
	assert_int_equal(cdbmap_build_commit(&b), 0);
	assert_int_equal(smtpd_config_load(&c, &what), 0);
	assert_true(c.has_rcpthosts);
	static const struct { const char *d; int want; } t[] = {
		{ "example.com", 1 }, { "EXAMPLE.COM", 1 }, { "x.example.com", 0 },
		{ "wild.example", 0 }, { "a.wild.example", 1 }, { "a.b.WILD.example", 1 },
		{ "more.example", 1 }, { "More.Example", 1 }, { "x.more.example", 0 },
		{ "a.sub.more2.example", 1 }, { "sub.more2.example", 0 },
		{ "", 0 }, { "example.co", 0 }, { "[1.2.3.4]", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (smtpd_config_is_rcpthost(&c, t[i].d) != t[i].want)
			print_error("domain %s\n", t[i].d);
		assert_int_equal(smtpd_config_is_rcpthost(&c, t[i].d), t[i].want);
	}
	smtpd_config_free(&c);
	unlink(file_path("rcpthosts"));
	unlink(file_path("morercpthosts.cdb"));
}

static void test_badmailfrom(void **state)
{
	(void)state;
	struct smtpd_config c;
	const char *what;
	put("badmailfrom", "spam@bad.example\n@worse.example\n.wild.example\n");
	assert_int_equal(smtpd_config_load(&c, &what), 0);
	static const struct { const char *a; bool want; } t[] = {
		{ "spam@bad.example", true }, { "SPAM@Bad.Example", true },
		{ "ham@bad.example", false }, { "x@worse.example", true },
		{ "x@a.worse.example", false }, { "x@a.wild.example", true },
		{ "x@wild.example", false }, { "", false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(smtpd_config_is_badmailfrom(&c, t[i].a), t[i].want);
	smtpd_config_free(&c);
	unlink(file_path("badmailfrom"));
}

static void test_relayclient(void **state)
{
	(void)state;
	struct smtpd_config c;
	const char *what;
	setenv("RELAYCLIENT", "", 1);
	assert_int_equal(smtpd_config_load(&c, &what), 0);
	assert_true(c.is_relayclient);
	assert_int_equal(c.relay_suffix.len, 0);
	smtpd_config_free(&c);
	setenv("RELAYCLIENT", "bad\nsuffix", 1);
	assert_int_equal(smtpd_config_load(&c, &what), 0);
	assert_true(c.is_relayclient);
	assert_int_equal(c.relay_suffix.len, 0);
	smtpd_config_free(&c);
	unsetenv("RELAYCLIENT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_databytes),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_rcpthosts),
		cmocka_unit_test(test_badmailfrom),
		cmocka_unit_test(test_relayclient),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
