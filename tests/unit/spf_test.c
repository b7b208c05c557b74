/* spf_test.c: record parser table; check_host() against a fake DNS,
 * with the lookup and void limits at max-1, max and max+1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "spf.h"

struct rr {
	const char *name;
	enum spf_rr type;
	const char *value;
};

static struct rr zone[64];
static size_t n_zone;
static const char *temp_name;

static void zone_reset(void)
{
	n_zone = 0;
	temp_name = NULL;
}

static void add(const char *name, enum spf_rr type, const char *value)
{
	zone[n_zone++] = (struct rr){name, type, value};
}

static enum spf_dns_status fake_lookup(void *ctx, const char *name, enum spf_rr type,
                                       struct strlist *out)
{
	(void)ctx;
	bool exists = false;
	strlist_free(out);
	if (temp_name && strcasecmp(name, temp_name) == 0)
		return SPF_DNS_TEMP;
	for (size_t i = 0; i < n_zone; i++) {
		if (strcasecmp(zone[i].name, name) != 0)
			continue;
		exists = true;
		if (zone[i].type == type)
			strlist_add(out, zone[i].value, strlen(zone[i].value));
	}
	return exists ? SPF_DNS_OK : SPF_DNS_NXDOMAIN;
}

static const struct spf_dns fake = {fake_lookup, NULL};

static enum spf_result run(const char *ip, const char *sender, struct sbuf *exp)
{
	struct spf_request req = {.sender = sender, .helo = "helo.example", .receiver = "us"};
	assert_true(spf_parse_ip(ip, &req.family, req.ip));
	struct spf_answer a;
	spf_check(&fake, &req, &a);
	if (exp)
		sbuf_set_str(exp, sbuf_cstr(&a.explanation));
	enum spf_result r = a.result;
	spf_answer_free(&a);
	return r;
}

static void test_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *rec;
		int rc;
	} t[] = {
	    {"v=spf1", 0}, {"v=spf1 -all", 0}, {"V=SPF1 +ALL", 0}, {"v=spf1  a  mx  ", 0},
	    {"v=spf1 a:example.com/24//64 -all", 0}, {"v=spf1 ip4:192.0.2.0/24", 0},
	    {"v=spf1 ip6:2001:db8::/32", 0}, {"v=spf1 exists:%{ir}.bl.example", 0},
	    {"v=spf1 redirect=_spf.example.com", 0}, {"v=spf1 foo=bar -all", 0},
	    {"v=spf1 ptr ?all ~all", 0}, {"v=spf1 a/0", 0},
	    {"v=spf10", -1}, {"spf1 -all", -1}, {"v=spf1 foo", -1}, {"v=spf1 a/33", -1},
	    {"v=spf1 a//129", -1}, {"v=spf1 a/024", -1}, {"v=spf1 ip4:1.2.3.4/33", -1},
	    {"v=spf1 ip4:1.2.3", -1}, {"v=spf1 ip6:::1/129", -1}, {"v=spf1 include", -1},
	    {"v=spf1 include:", -1}, {"v=spf1 exists", -1}, {"v=spf1 a:foo.123", -1},
	    {"v=spf1 redirect=a.example redirect=b.example", -1},
	    {"v=spf1 exp=a.example exp=b.example", -1}, {"v=spf1 =all", -1},
	    {"v=spf1 a:%{z}.example", -1}, {"v=spf1 -all \x80", -1}, {"v=spf1 all:x", -1},
	};
	struct spf_record r;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int rc = spf_record_parse(t[i].rec, &r);
		if (rc != t[i].rc)
			fail_msg("%s: got %d", t[i].rec, rc);
	}
}

static void test_terms_limit(void **state)
{
	(void)state;
	char rec[2048] = "v=spf1";
	struct spf_record r;
	for (size_t n = 1; n <= SPF_TERMS_MAX + 1; n++) {
		strcat(rec, " ?all");
		int rc = spf_record_parse(rec, &r);
		assert_int_equal(rc, n <= SPF_TERMS_MAX ? 0 : -1);
	}
}

static void test_basic_results(void **state)
{
	(void)state;
	zone_reset();
	add("pass.example", SPF_RR_TXT, "v=spf1 ip4:192.0.2.0/24 -all");
	add("soft.example", SPF_RR_TXT, "v=spf1 ~all");
	add("two.example", SPF_RR_TXT, "v=spf1 -all");
	add("two.example", SPF_RR_TXT, "v=spf1 +all");
	add("mx.example", SPF_RR_TXT, "v=spf1 mx -all");
	add("mx.example", SPF_RR_MX, "mail.mx.example");
	add("mail.mx.example", SPF_RR_A, "198.51.100.7");
	add("inc.example", SPF_RR_TXT, "v=spf1 include:pass.example -all exp=why.example");
	add("why.example", SPF_RR_TXT, "%{i} may not send for %{d}");
	add("red.example", SPF_RR_TXT, "v=spf1 redirect=pass.example");
	add("rednone.example", SPF_RR_TXT, "v=spf1 redirect=nothing.example");
	add("tmp.example", SPF_RR_TXT, "v=spf1 a:down.example -all");
	temp_name = "down.example";
	struct sbuf exp = SBUF_INIT;
	assert_int_equal(run("192.0.2.9", "a@pass.example", NULL), SPF_PASS);
	assert_int_equal(run("203.0.113.1", "a@pass.example", NULL), SPF_FAIL);
	assert_int_equal(run("::ffff:192.0.2.9", "a@pass.example", NULL), SPF_PASS);
	assert_int_equal(run("203.0.113.1", "a@soft.example", NULL), SPF_SOFTFAIL);
	assert_int_equal(run("203.0.113.1", "a@two.example", NULL), SPF_PERMERROR);
	assert_int_equal(run("203.0.113.1", "a@none.example", NULL), SPF_NONE);
	assert_int_equal(run("198.51.100.7", "a@mx.example", NULL), SPF_PASS);
	assert_int_equal(run("192.0.2.1", "a@inc.example", NULL), SPF_PASS);
	assert_int_equal(run("203.0.113.1", "a@inc.example", &exp), SPF_FAIL);
	assert_string_equal(exp.s, "203.0.113.1 may not send for inc.example");
	assert_int_equal(run("192.0.2.1", "a@red.example", NULL), SPF_PASS);
	assert_int_equal(run("192.0.2.1", "a@rednone.example", NULL), SPF_PERMERROR);
	assert_int_equal(run("192.0.2.1", "a@tmp.example", NULL), SPF_TEMPERROR);
	assert_int_equal(run("192.0.2.1", "a@down.example", NULL), SPF_TEMPERROR);
	assert_int_equal(run("192.0.2.1", "a@nodot", NULL), SPF_NONE);
	sbuf_free(&exp);
}

static void test_null_sender_uses_helo(void **state)
{
	(void)state;
	zone_reset();
	add("helo.example", SPF_RR_TXT, "v=spf1 ip4:192.0.2.1 -all");
	assert_int_equal(run("192.0.2.1", "", NULL), SPF_PASS);
	assert_int_equal(run("192.0.2.2", "", NULL), SPF_FAIL);
}

/* n "a" terms that each find nothing (a name with no A records but that
 * exists, so no void lookup), then "+all". */
static enum spf_result lookups(unsigned n)
{
	static char rec[1024];
	zone_reset();
	strcpy(rec, "v=spf1");
	for (unsigned i = 0; i < n; i++)
		strcat(rec, " a:host.example");
	strcat(rec, " +all");
	add("lim.example", SPF_RR_TXT, rec);
	add("host.example", SPF_RR_A, "198.51.100.1");
	return run("192.0.2.1", "a@lim.example", NULL);
}

static void test_lookup_limit(void **state)
{
	(void)state;
	assert_int_equal(lookups(SPF_LOOKUP_MAX - 1), SPF_PASS);
	assert_int_equal(lookups(SPF_LOOKUP_MAX), SPF_PASS);
	assert_int_equal(lookups(SPF_LOOKUP_MAX + 1), SPF_PERMERROR);
}

static enum spf_result voids(unsigned n)
{
	static char rec[1024];
	zone_reset();
	strcpy(rec, "v=spf1");
	for (unsigned i = 0; i < n; i++)
		strcat(rec, " a:void.example");
	strcat(rec, " +all");
	add("void-test.example", SPF_RR_TXT, rec);
	return run("192.0.2.1", "a@void-test.example", NULL);
}

static void test_void_limit(void **state)
{
	(void)state;
	assert_int_equal(voids(SPF_VOID_MAX - 1), SPF_PASS);
	assert_int_equal(voids(SPF_VOID_MAX), SPF_PASS);
	assert_int_equal(voids(SPF_VOID_MAX + 1), SPF_PERMERROR);
}

static enum spf_result mx_names(unsigned n)
{
	static char names[16][32];
	zone_reset();
	add("mxl.example", SPF_RR_TXT, "v=spf1 mx +all");
	for (unsigned i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "mx%u.example", i);
		add("mxl.example", SPF_RR_MX, names[i]);
	}
	return run("192.0.2.1", "a@mxl.example", NULL);
}

static void test_mx_limit(void **state)
{
	(void)state;
	assert_int_equal(mx_names(SPF_NAMES_MAX - 1), SPF_PASS);
	assert_int_equal(mx_names(SPF_NAMES_MAX), SPF_PASS);
	assert_int_equal(mx_names(SPF_NAMES_MAX + 1), SPF_PERMERROR);
}

static void test_ptr(void **state)
{
	(void)state;
	zone_reset();
	add("ptr.example", SPF_RR_TXT, "v=spf1 ptr -all");
	add("1.2.0.192.in-addr.arpa", SPF_RR_PTR, "mail.ptr.example");
	add("2.2.0.192.in-addr.arpa", SPF_RR_PTR, "mail.ptr.example");
	add("mail.ptr.example", SPF_RR_A, "192.0.2.1");
	assert_int_equal(run("192.0.2.1", "a@ptr.example", NULL), SPF_PASS);
	assert_int_equal(run("192.0.2.2", "a@ptr.example", NULL), SPF_FAIL); /* not validated */
}

static void test_received_spf(void **state)
{
	(void)state;
	struct spf_request req = {.sender = "a@x.example", .helo = "bad\nhelo\"x"};
	struct spf_answer a = {.result = SPF_PASS};
	struct sbuf out = SBUF_INIT;
	assert_true(spf_parse_ip("192.0.2.1", &req.family, req.ip));
	sbuf_set_str(&a.identity, "a@x.example");
	spf_received_spf(&req, &a, "mx.us", &out);
	assert_non_null(strstr(out.s, "Received-SPF: pass (mx.us: domain of x.example designates"));
	assert_non_null(strstr(out.s, "helo=\"bad?helo?x\""));
	assert_null(strchr(out.s, '\r'));
	assert_int_equal(out.s[out.len - 1], '\n');
	for (size_t i = 0; i + 1 < out.len; i++) {
		if (out.s[i] == '\n')
			assert_int_equal(out.s[i + 1], '\t'); /* folded, never a new field */
	}
	sbuf_free(&out);
	spf_answer_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),  cmocka_unit_test(test_terms_limit),
	    cmocka_unit_test(test_basic_results), cmocka_unit_test(test_null_sender_uses_helo),
	    cmocka_unit_test(test_lookup_limit), cmocka_unit_test(test_void_limit),
	    cmocka_unit_test(test_mx_limit),     cmocka_unit_test(test_ptr),
	    cmocka_unit_test(test_received_spf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
