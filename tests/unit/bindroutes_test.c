/* bindroutes_test.c: bindroutes/bindroutes6 lines, lookup order, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bindroutes.h"
#include "proto_limits.h"

static int parse_lines(struct bindroutes *t, int family, const char *const *lines, size_t n,
                       struct sbuf *err)
{
	struct strlist l = { 0 };
	for (size_t i = 0; i < n; i++)
		strlist_add(&l, lines[i], strlen(lines[i]));
	bindroutes_init(t, family);
	int rc = bindroutes_parse(t, family == AF_INET6 ? "bindroutes6" : "bindroutes", &l, err);
	strlist_free(&l);
	return rc;
}

static int parse_one(int family, const char *line)
{
	struct bindroutes t;
	struct sbuf err = SBUF_INIT;
	int rc = parse_lines(&t, family, &line, 1, &err);
	if (rc < 0)
		assert_true(err.len > 0 && strstr(err.s, "control/bindroutes") == err.s);
	bindroutes_free(&t);
	sbuf_free(&err);
	return rc;
}

static void test_parse_v4(void **state)
{
	(void)state;
	static const struct { const char *line; int rc; } t[] = {
		{ "192.0.2.1:10.0.0.1", 0 }, { "192.0.2.:10.0.0.1", 0 }, { "192.0.:10.0.0.1", 0 },
		{ "192.:10.0.0.1", 0 }, { "example.com:10.0.0.1", 0 }, { ".example.com:10.0.0.1", 0 },
		{ ":10.0.0.1", 0 }, { "a-b_c.example:10.0.0.1", 0 }, { "0.0.0.0:10.0.0.1", 0 },
		{ "255.255.255.255:0.0.0.0", 0 }, { "3com.example:10.0.0.1", 0 },
		{ "example.com", -1 }, { "example.com:", -1 }, { "example.com:10.0.0", -1 },
		{ "example.com:10.0.0.1 ", -1 }, { "example.com:::1", -1 }, { "example.com|10.0.0.1", -1 },
		{ "192.0.2.256:10.0.0.1", -1 }, { "192.0.2.01:10.0.0.1", -1 }, { "192.0.2.1.:10.0.0.1", -1 },
		{ "192.0.2.1.5:10.0.0.1", -1 }, { "192..2.:10.0.0.1", -1 }, { ".:10.0.0.1", -1 },
		{ "192.0.2:10.0.0.1", -1 }, { "1234.:10.0.0.1", -1 }, { "example.com.:10.0.0.1", -1 },
		{ "ex..com:10.0.0.1", -1 }, { "ex/com:10.0.0.1", -1 }, { " example.com:10.0.0.1", -1 },
		{ "[192.0.2.1]:10.0.0.1", -1 }, { "..example.com:10.0.0.1", -1 }, { "-:10.0.0.1", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		print_message("%s\n", t[i].line);
		assert_int_equal(parse_one(AF_INET, t[i].line), t[i].rc);
	}
}

static void test_parse_v6(void **state)
{
	(void)state;
	static const struct { const char *line; int rc; } t[] = {
		{ "2001:db8::1|2001:db8::2", 0 }, { "::1|::1", 0 }, { "2001:db8:|::1", 0 },
		{ "2001:0db8:0000:|::1", 0 }, { "1:2:3:4:5:6:7:|::1", 0 }, { "example.com|::1", 0 },
		{ ".example.com|::1", 0 }, { "|2001:db8::2", 0 }, { "::ffff:192.0.2.1|::1", 0 },
		{ "2001:db8::0|::1", 0 }, { "ABCD:|::1", 0 },
		{ "example.com:::1", -1 }, { "example.com|", -1 }, { "example.com|10.0.0.1", -1 },
		{ "2001:db8::|::1", -1 }, { "1:2:3:4:5:6:7:8:|::1", -1 }, { "12345:|::1", -1 },
		{ "2001:db8:::|::1", -1 }, { ":|::1", -1 }, { "g:|::1", -1 }, { "2001:db8::g|::1", -1 },
		{ "fe80::1%eth0|::1", -1 }, { "1.2.3.4|::1", -1 }, { "192.0.2.|::1", -1 },
		{ "example.com|::1|x", -1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		print_message("%s\n", t[i].line);
		assert_int_equal(parse_one(AF_INET6, t[i].line), t[i].rc);
	}
}

static void check_find(const struct bindroutes *t, int family, const char *remote,
                       const char *domain, const char *want)
{
	unsigned char ip[16], local[16], w[16];
	assert_int_equal(inet_pton(family, remote, ip), 1);
	print_message("%s %s -> %s\n", remote, domain ? domain : "(null)", want ? want : "none");
	bool found = bindroutes_find(t, ip, domain, local);
	if (!want) {
		assert_false(found);
		return;
	}
	assert_true(found);
	assert_int_equal(inet_pton(family, want, w), 1);
	assert_memory_equal(local, w, family == AF_INET6 ? 16 : 4);
}

static void test_find_v4(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"example.com:10.0.0.1", ".example.com:10.0.0.2", "192.0.:10.0.0.3",
		"192.0.2.:10.0.0.4", "192.0.2.7:10.0.0.5", "198.:10.0.0.6", ":10.0.0.9",
		"192.0.2.7:10.0.0.99", "EXAMPLE.NET:10.0.0.7",
	};
	struct bindroutes t;
	struct sbuf err = SBUF_INIT;
	assert_int_equal(parse_lines(&t, AF_INET, lines, sizeof lines / sizeof lines[0], &err), 0);
	static const struct { const char *ip, *domain, *want; } c[] = {
		{ "192.0.2.7", "example.com", "10.0.0.5" },   /* exact address first */
		{ "192.0.2.8", "example.com", "10.0.0.4" },   /* then d.d.d. */
		{ "192.0.3.1", "example.com", "10.0.0.3" },   /* then d.d. */
		{ "198.51.100.1", "example.com", "10.0.0.6" }, /* then d. */
		{ "203.0.113.1", "example.com", "10.0.0.1" }, /* then the domain */
		{ "203.0.113.1", "a.b.example.com", "10.0.0.2" },
		{ "203.0.113.1", "example.net", "10.0.0.7" },  /* any case */
		{ "203.0.113.1", "other.org", "10.0.0.9" },   /* then the default */
		{ "203.0.113.1", NULL, "10.0.0.9" },
		{ "192.1.2.7", "x.org", "10.0.0.9" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		check_find(&t, AF_INET, c[i].ip, c[i].domain, c[i].want);
	bindroutes_free(&t);
	static const char *const nodefault[] = { "example.com:10.0.0.1" };
	assert_int_equal(parse_lines(&t, AF_INET, nodefault, 1, &err), 0);
	check_find(&t, AF_INET, "192.0.2.1", "example.org", NULL);
	check_find(&t, AF_INET, "192.0.2.1", "example.com", "10.0.0.1");
	bindroutes_free(&t);
	sbuf_free(&err);
}

static void test_find_v6(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"2001:db8:1:|2001:db8::a", "2001:db8:|2001:db8::b", "2001:db8:1:2:3:4:5:|2001:db8::c",
		"2001:0db8:0001:0002:0003:0004:0005:0006|2001:db8::d", "example.com|2001:db8::e",
		"|2001:db8::f",
	};
	struct bindroutes t;
	struct sbuf err = SBUF_INIT;
	assert_int_equal(parse_lines(&t, AF_INET6, lines, sizeof lines / sizeof lines[0], &err), 0);
	static const struct { const char *ip, *domain, *want; } c[] = {
		{ "2001:db8:1:2:3:4:5:6", "example.com", "2001:db8::d" },
		{ "2001:db8:1:2:3:4:5:7", "example.com", "2001:db8::c" },
		{ "2001:db8:1::1", "example.com", "2001:db8::a" },
		{ "2001:db8:2::1", "example.com", "2001:db8::b" },
		{ "2001:db9::1", "example.com", "2001:db8::e" },
		{ "2001:db9::1", "example.org", "2001:db8::f" },
		{ "::1", "example.org", "2001:db8::f" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		check_find(&t, AF_INET6, c[i].ip, c[i].domain, c[i].want);
	bindroutes_free(&t);
	sbuf_free(&err);
}

static void test_error_text(void **state)
{
	(void)state;
	static char longline[300];
	memset(longline, 'x', 200);
	strcpy(longline + 200, ":\x01");
	static const struct { const char *line, *want; } t[] = {
		{ "a.example:1.2.3", "control/bindroutes: bad local IPv4 address in line \"a.example:1.2.3\"" },
		{ "a\tb:1.2.3.4", "control/bindroutes: bad domain in line \"a?b:1.2.3.4\"" },
		{ "nocolon", "control/bindroutes: no ':' in line \"nocolon\"" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct bindroutes b;
		struct sbuf err = SBUF_INIT;
		assert_int_equal(parse_lines(&b, AF_INET, &t[i].line, 1, &err), -1);
		assert_string_equal(err.s, t[i].want);
		assert_int_equal(b.n_ips + b.domains.n, 0);
		sbuf_free(&err);
	}
	struct bindroutes b;
	struct sbuf err = SBUF_INIT;
	const char *l = longline;
	assert_int_equal(parse_lines(&b, AF_INET, &l, 1, &err), -1);
	assert_non_null(strstr(err.s, "xxx...\""));
	assert_true(err.len < 150);
	sbuf_free(&err);
}

/* A table is emptied by a bad line that follows good ones. */
static void test_all_or_nothing(void **state)
{
	(void)state;
	static const char *const lines[] = { "example.com:10.0.0.1", "192.0.2.1:10.0.0.2", "bad" };
	struct bindroutes t;
	struct sbuf err = SBUF_INIT;
	assert_int_equal(parse_lines(&t, AF_INET, lines, 3, &err), -1);
	unsigned char ip[4] = { 192, 0, 2, 1 }, local[4];
	assert_false(bindroutes_find(&t, ip, "example.com", local));
	sbuf_free(&err);
}

static void test_limits(void **state)
{
	(void)state;
	static const size_t counts[] = { BINDROUTES_MAX - 1, BINDROUTES_MAX, BINDROUTES_MAX + 1 };
	static const int want[] = { 0, 0, -1 };
	for (size_t k = 0; k < 3; k++) {
		struct strlist l = { 0 };
		char line[64];
		for (size_t i = 0; i < counts[k]; i++) {
			int n = snprintf(line, sizeof line, "d%zu.example:10.0.0.1", i);
			strlist_add(&l, line, (size_t)n);
		}
		struct bindroutes t;
		struct sbuf err = SBUF_INIT;
		bindroutes_init(&t, AF_INET);
		assert_int_equal(bindroutes_parse(&t, "bindroutes", &l, &err), want[k]);
		bindroutes_free(&t);
		strlist_free(&l);
		sbuf_free(&err);
	}
	static char line[ADDR_DOMAIN_MAX + 32];
	static const size_t lens[] = { ADDR_DOMAIN_MAX - 1, ADDR_DOMAIN_MAX, ADDR_DOMAIN_MAX + 1 };
	for (size_t k = 0; k < 3; k++) {
		memset(line, 'a', lens[k]);
		strcpy(line + lens[k], ":10.0.0.1");
		assert_int_equal(parse_one(AF_INET, line), want[k]);
	}
	/* Octets at 254/255/256, IPv6 groups 6/7/8, group digits 3/4/5. */
	static const struct { int family; const char *line; int rc; } t[] = {
		{ AF_INET, "254.:10.0.0.1", 0 }, { AF_INET, "255.:10.0.0.1", 0 },
		{ AF_INET, "256.:10.0.0.1", -1 },
		{ AF_INET6, "1:2:3:4:5:6:|::1", 0 }, { AF_INET6, "1:2:3:4:5:6:7:|::1", 0 },
		{ AF_INET6, "1:2:3:4:5:6:7:8:|::1", -1 },
		{ AF_INET6, "abc:|::1", 0 }, { AF_INET6, "abcd:|::1", 0 }, { AF_INET6, "abcde:|::1", -1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(parse_one(t[i].family, t[i].line), t[i].rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),   cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_find_v4),    cmocka_unit_test(test_find_v6),
		cmocka_unit_test(test_error_text), cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
