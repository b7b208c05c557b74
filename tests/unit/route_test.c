/* route_test.c: route_classify tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "route.h"

static void config(struct route_config *rc)
{
	static const char *const locals[] = { "example.org", "localhost" };
	static const char *const vd[] = {
		"example.com:vd-example.com", "joe@other.net:joebox", "other.net:",
		".wild.org:wild", "remote.example.com:", ":catchall",
	};
	memset(rc, 0, sizeof *rc);
	for (size_t i = 0; i < 2; i++)
		strlist_add(&rc->locals, locals[i], strlen(locals[i]));
	for (size_t i = 0; i < 6; i++)
		strlist_add(&rc->virtualdomains, vd[i], strlen(vd[i]));
	strlist_add(&rc->percenthack, "example.org", 11);
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		enum route_kind kind;
		const char *out;
	} t[] = {
		{ "alice@example.org", ROUTE_LOCAL, "alice@example.org" },
		{ "Alice@EXAMPLE.ORG", ROUTE_LOCAL, "Alice@EXAMPLE.ORG" },
		{ "alice@example.com", ROUTE_LOCAL, "vd-example.com-alice@example.com" },
		{ "alice@Example.COM", ROUTE_LOCAL, "vd-example.com-alice@Example.COM" },
		{ "joe@other.net", ROUTE_LOCAL, "joebox-joe@other.net" },
		{ "JOE@other.net", ROUTE_LOCAL, "joebox-JOE@other.net" },
		{ "ann@other.net", ROUTE_REMOTE, "ann@other.net" },
		{ "x@a.b.wild.org", ROUTE_LOCAL, "wild-x@a.b.wild.org" },
		{ "x@wild.org", ROUTE_LOCAL, "catchall-x@wild.org" },
		{ "x@remote.example.com", ROUTE_REMOTE, "x@remote.example.com" },
		{ "x@anything.test", ROUTE_LOCAL, "catchall-x@anything.test" },
		{ "a%b.test@example.org", ROUTE_LOCAL, "catchall-a@b.test" },
		{ "a%b@other.net", ROUTE_REMOTE, "a%b@other.net" },
	};
	struct route_config rc;
	struct sbuf out = SBUF_INIT;
	config(&rc);
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		enum route_kind k = route_classify(&rc, t[i].in, &out);
		assert_int_equal(k, t[i].kind);
		assert_string_equal(sbuf_cstr(&out), t[i].out);
	}
	sbuf_free(&out);
	route_config_free(&rc);
}

static void test_no_default(void **state)
{
	(void)state;
	struct route_config rc;
	struct sbuf out = SBUF_INIT;
	memset(&rc, 0, sizeof rc);
	strlist_add(&rc.locals, "me.test", 7);
	assert_int_equal(route_classify(&rc, "u@me.test", &out), ROUTE_LOCAL);
	assert_int_equal(route_classify(&rc, "u@you.test", &out), ROUTE_REMOTE);
	assert_int_equal(route_classify(&rc, "nodomain", &out), ROUTE_REMOTE);
	assert_string_equal(out.s, "nodomain");
	/* percent hack bounded: many '%' do not loop forever */
	strlist_add(&rc.percenthack, "me.test", 7);
	assert_int_equal(route_classify(&rc, "a%b%c@me.test", &out), ROUTE_REMOTE);
	assert_string_equal(out.s, "a%b@c");
	struct sbuf many = SBUF_INIT;
	sbuf_append_str(&many, "x");
	for (int i = 0; i < 40; i++)
		sbuf_append_str(&many, "%me.test");
	sbuf_append_str(&many, "@me.test");
	assert_int_equal(route_classify(&rc, many.s, &out), ROUTE_LOCAL);
	sbuf_free(&many);
	sbuf_free(&out);
	route_config_free(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_no_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
