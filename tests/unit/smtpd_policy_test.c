/* smtpd_policy_test.c: badhelo/badrcptto matching and the SPF level table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "smtpd_policy.h"

static void test_host_listed(void **state)
{
	(void)state;
	struct strlist l = {0};
	strlist_add(&l, "bad.example", 11);
	strlist_add(&l, ".spam.example", 13);
	static const struct {
		const char *name;
		bool listed;
	} t[] = {
	    {"bad.example", true},   {"BAD.Example", true},    {"x.bad.example", false},
	    {"a.spam.example", true}, {"a.b.spam.example", true}, {"spam.example", false},
	    {"xspam.example", false}, {"", false},              {"good.example", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(smtpd_policy_host_listed(&l, t[i].name), t[i].listed);
	strlist_free(&l);
}

static void test_addr_listed(void **state)
{
	(void)state;
	struct strlist l = {0};
	strlist_add(&l, "joe@x.example", 13);
	strlist_add(&l, "@y.example", 10);
	strlist_add(&l, ".z.example", 10);
	static const struct {
		const char *addr;
		bool listed;
	} t[] = {
	    {"joe@x.example", true},  {"JOE@X.EXAMPLE", true}, {"bob@x.example", false},
	    {"any@y.example", true},  {"any@a.y.example", false}, {"a@b.z.example", true},
	    {"a@z.example", false},   {"", false},             {"joe", false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(smtpd_policy_addr_listed(&l, t[i].addr), t[i].listed);
	strlist_free(&l);
}

static void test_spf_levels(void **state)
{
	(void)state;
	/* rows: result; columns: levels 0..6; 0 accept, 4 = 4xx, 5 = 5xx */
	static const struct {
		enum spf_result r;
		int at[7];
	} t[] = {
	    {SPF_PASS, {0, 0, 0, 0, 0, 0, 0}},
	    {SPF_NONE, {0, 0, 0, 0, 0, 0, 5}},
	    {SPF_NEUTRAL, {0, 0, 0, 0, 0, 5, 5}},
	    {SPF_SOFTFAIL, {0, 0, 0, 0, 5, 5, 5}},
	    {SPF_FAIL, {0, 0, 0, 5, 5, 5, 5}},
	    {SPF_TEMPERROR, {0, 0, 4, 4, 4, 4, 4}},
	    {SPF_PERMERROR, {0, 0, 0, 5, 5, 5, 5}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		for (unsigned lv = 0; lv <= SPF_BEHAVIOR_MAX; lv++) {
			const char *r = smtpd_policy_spf_reply(lv, t[i].r);
			int got = r ? r[0] - '0' : 0;
			if (got != t[i].at[lv])
				fail_msg("result %d level %u: got %d", (int)t[i].r, lv, got);
		}
	}
	assert_string_equal(smtpd_policy_spf_reply(3, SPF_FAIL) + 4, "5.7.23 SPF: sender not "
	                                                               "permitted from this address");
	assert_memory_equal(smtpd_policy_spf_reply(2, SPF_TEMPERROR), "451 4.7.24", 10);
	assert_memory_equal(smtpd_policy_spf_reply(3, SPF_PERMERROR), "550 5.7.24", 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_listed),
	    cmocka_unit_test(test_addr_listed),
	    cmocka_unit_test(test_spf_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
