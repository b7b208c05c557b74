/* dns_test.c: wire-name and MX rdata parsing, MX ordering (pure parts;
 * the lookups are covered by tests/integ/test_remote.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dns.h"

static void test_names(void **state)
{
	(void)state;
	static const struct {
		const char *wire;
		size_t n;
		size_t used;
		const char *name;
	} t[] = {
		{ "\0", 1, 1, "" },
		{ "\2mx\7example\0", 12, 12, "mx.example" },
		{ "\3a-b\3c_d\0", 9, 9, "a-b.c_d" },
		{ "\2mx", 3, 0, NULL },                 /* truncated */
		{ "\xc0\x0c", 2, 0, NULL },             /* compression pointer */
		{ "\3a b\0", 5, 0, NULL },              /* bad character */
		{ "\3a.b\0", 5, 0, NULL },              /* dot inside a label */
		{ "\100", 1, 0, NULL },                 /* label over 63 */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char out[ADDR_DOMAIN_MAX + 1];
		assert_int_equal(dns_name_parse((const unsigned char *)t[i].wire, t[i].n, out), t[i].used);
		if (t[i].name)
			assert_string_equal(out, t[i].name);
	}
}

static void test_name_visible(void **state)
{
	(void)state;
	static const struct {
		const char *wire;
		size_t n;
		size_t host, visible; /* bytes used */
		const char *name;
	} t[] = {
		{ "\7foo:bar\3b/z\0", 13, 0, 13, "foo:bar.b/z" },  /* RFC 7208 7.1 */
		{ "\3a%~\0", 5, 0, 5, "a%~" },
		{ "\2mx\7example\0", 12, 12, 12, "mx.example" },
		{ "\3a b\0", 5, 0, 0, NULL },                   /* space */
		{ "\3a\\b\0", 5, 0, 0, NULL },                 /* backslash */
		{ "\3a.b\0", 5, 0, 0, NULL },                   /* dot inside a label */
		{ "\3a\177b\0", 5, 0, 0, NULL },               /* DEL */
		{ "\3a\200b\0", 5, 0, 0, NULL },               /* not ASCII */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char out[ADDR_DOMAIN_MAX + 1];
		const unsigned char *w = (const unsigned char *)t[i].wire;
		assert_int_equal(dns_name_parse_as(w, t[i].n, DNS_NAME_HOST, out), t[i].host);
		assert_int_equal(dns_name_parse_as(w, t[i].n, DNS_NAME_VISIBLE, out), t[i].visible);
		if (t[i].name)
			assert_string_equal(out, t[i].name);
	}
	struct dns_mx mx;
	assert_false(dns_mx_parse((const unsigned char *)"\0\0\3a:b\0", 7, &mx));
	assert_true(dns_mx_parse_as((const unsigned char *)"\0\0\3a:b\0", 7, DNS_NAME_VISIBLE, &mx));
	assert_string_equal(mx.name, "a:b");
}

/* A name of total text length len (labels of up to 63 bytes). */
static size_t long_name(unsigned char *w, size_t len)
{
	size_t pos = 0, done = 0;
	while (done < len) {
		size_t l = len - done > 63 ? 63 : len - done;
		if (done)
			l = len - done - 1 > 62 ? 62 : len - done - 1;
		w[pos++] = (unsigned char)l;
		memset(w + pos, 'a', l);
		pos += l;
		done += l + (done ? 1 : 0);
	}
	w[pos++] = 0;
	return pos;
}

static void test_name_limit(void **state)
{
	(void)state;
	size_t lens[] = { ADDR_DOMAIN_MAX - 1, ADDR_DOMAIN_MAX, ADDR_DOMAIN_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		unsigned char w[400];
		char out[ADDR_DOMAIN_MAX + 1];
		size_t n = long_name(w, lens[i]);
		size_t used = dns_name_parse(w, n, out);
		if (i < 2) {
			assert_int_equal(used, n);
			assert_int_equal(strlen(out), lens[i]);
		} else {
			assert_int_equal(used, 0);
		}
	}
}

static void test_mx(void **state)
{
	(void)state;
	struct dns_mx mx;
	assert_true(dns_mx_parse((const unsigned char *)"\0\12\2mx\7example\0", 14, &mx));
	assert_int_equal(mx.pref, 10);
	assert_string_equal(mx.name, "mx.example");
	assert_true(dns_mx_parse((const unsigned char *)"\0\0\0", 3, &mx)); /* null MX */
	assert_string_equal(mx.name, "");
	assert_false(dns_mx_parse((const unsigned char *)"\0\0", 2, &mx));
	assert_false(dns_mx_parse((const unsigned char *)"\0\0\0x", 4, &mx)); /* trailing */
}

static uint32_t counter;
static uint32_t next_rand(void)
{
	return counter++ * 2654435761u;
}

static void test_sort(void **state)
{
	(void)state;
	bool seen_first[3] = { false, false, false };
	for (int round = 0; round < 50; round++) {
		struct dns_mx v[5] = {
			{ "c", 20 }, { "a", 10 }, { "b1", 15 }, { "b2", 15 }, { "b3", 15 },
		};
		dns_mx_sort(v, 5, next_rand);
		assert_string_equal(v[0].name, "a");
		assert_string_equal(v[4].name, "c");
		for (int k = 1; k < 4; k++)
			assert_int_equal(v[k].pref, 15);
		seen_first[v[1].name[1] - '1'] = true;
	}
	assert_true(seen_first[0] && seen_first[1] && seen_first[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_limit),
		cmocka_unit_test(test_name_visible),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_sort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
