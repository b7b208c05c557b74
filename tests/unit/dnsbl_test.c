/* dnsbl_test.c: control/dnsbl lines, query names, allow lists, and the
 * check against a fake DNS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <strings.h>

#include "dnsbl.h"

static void test_line_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool ok;
		const char *zone, *text;
	} t[] = {
	    {"zen.example", true, "zen.example", ""},
	    {"bl.example:go away", true, "bl.example", "go away"},
	    {"bl.example:bad\x01text", true, "bl.example", "bad?text"},
	    {"", false, "", ""},
	    {":text", false, "", ""},
	    {"bad zone", false, "", ""},
	    {"a..b", false, "", ""},
	    {".lead", false, "", ""},
	    {"zone/x", false, "", ""},
	};
	struct sbuf z = SBUF_INIT, txt = SBUF_INIT;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_int_equal(dnsbl_line_parse(t[i].in, &z, &txt), t[i].ok);
		if (t[i].ok) {
			assert_string_equal(sbuf_cstr(&z), t[i].zone);
			assert_string_equal(sbuf_cstr(&txt), t[i].text);
		}
	}
	sbuf_free(&z);
	sbuf_free(&txt);
}

static void test_text_limit(void **state)
{
	(void)state;
	char in[DNSBL_TEXT_MAX + 2];
	struct sbuf out = SBUF_INIT;
	for (size_t n = DNSBL_TEXT_MAX - 1; n <= DNSBL_TEXT_MAX + 1; n++) {
		memset(in, 'x', n);
		in[n] = '\0';
		dnsbl_clean_text(in, &out);
		assert_int_equal(out.len, n < DNSBL_TEXT_MAX ? n : DNSBL_TEXT_MAX);
	}
	sbuf_free(&out);
}

static void test_query_name(void **state)
{
	(void)state;
	int fam;
	unsigned char ip[16];
	struct sbuf out = SBUF_INIT;
	assert_true(spf_parse_ip("192.0.2.99", &fam, ip));
	dnsbl_query_name(fam, ip, "bl.example", &out);
	assert_string_equal(out.s, "99.2.0.192.bl.example");
	assert_true(spf_parse_ip("2001:db8::1", &fam, ip));
	dnsbl_query_name(fam, ip, "bl.example", &out);
	assert_string_equal(out.s, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	                           ".bl.example");
	sbuf_free(&out);
}

static void test_allow(void **state)
{
	(void)state;
	struct strlist l = {0};
	strlist_add(&l, "10.1.", 5);
	strlist_add(&l, "192.0.2.7", 9);
	strlist_add(&l, "2001:db8:", 9);
	assert_true(dnsbl_ip_listed(&l, "10.1.2.3"));
	assert_false(dnsbl_ip_listed(&l, "10.10.2.3"));
	assert_true(dnsbl_ip_listed(&l, "192.0.2.7"));
	assert_false(dnsbl_ip_listed(&l, "192.0.2.70"));
	assert_true(dnsbl_ip_listed(&l, "2001:DB8::1"));
	assert_false(dnsbl_ip_listed(&l, ""));
	strlist_free(&l);
}

static enum spf_dns_status fake(void *ctx, const char *name, enum spf_rr type,
                                struct strlist *out)
{
	(void)ctx;
	strlist_free(out);
	if (strcasecmp(name, "1.2.0.192.down.example") == 0)
		return SPF_DNS_TEMP;
	if (strcasecmp(name, "1.2.0.192.bl.example") != 0)
		return SPF_DNS_NXDOMAIN;
	if (type == SPF_RR_A)
		strlist_add(out, "127.0.0.2", 9);
	else if (type == SPF_RR_TXT)
		strlist_add(out, "listed\r\nInjected: yes", 21);
	return SPF_DNS_OK;
}

static void test_check(void **state)
{
	(void)state;
	struct spf_dns dns = {fake, NULL};
	struct strlist zones = {0};
	struct sbuf zone = SBUF_INIT, text = SBUF_INIT;
	unsigned n_temp;
	strlist_add(&zones, "down.example", 12);
	strlist_add(&zones, "clean.example", 13);
	assert_int_equal(dnsbl_check(&dns, &zones, "192.0.2.1", &zone, &text, &n_temp), DNSBL_TEMP);
	assert_int_equal(n_temp, 1);
	strlist_add(&zones, "bl.example", 10);
	assert_int_equal(dnsbl_check(&dns, &zones, "192.0.2.1", &zone, &text, &n_temp),
	                 DNSBL_LISTED);
	assert_string_equal(zone.s, "bl.example");
	assert_string_equal(text.s, "listed??Injected: yes");
	assert_int_equal(dnsbl_check(&dns, &zones, "192.0.2.2", &zone, &text, &n_temp),
	                 DNSBL_CLEAN);
	assert_int_equal(dnsbl_check(&dns, &zones, "not-an-ip", &zone, &text, &n_temp),
	                 DNSBL_CLEAN);
	strlist_free(&zones);
	strlist_add(&zones, "bl.example:own text", 19);
	assert_int_equal(dnsbl_check(&dns, &zones, "192.0.2.1", &zone, &text, &n_temp),
	                 DNSBL_LISTED);
	assert_string_equal(text.s, "own text");
	strlist_free(&zones);
	sbuf_free(&zone);
	sbuf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_parse), cmocka_unit_test(test_text_limit),
	    cmocka_unit_test(test_query_name), cmocka_unit_test(test_allow),
	    cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
