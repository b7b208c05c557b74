/* spp_test.c: control/smtpplugins sections and the plugin output reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "spp.h"

static void test_config(void **state)
{
	(void)state;
	struct strlist l = {0};
	struct spp_config c;
	const char *good[] = {"[connection]", "plugins/a", "[rcpt]", "/abs/b", "plugins/c",
	                      "[auth]"};
	for (size_t i = 0; i < 6; i++)
		strlist_add(&l, good[i], strlen(good[i]));
	assert_int_equal(spp_config_parse(&l, &c), 0);
	assert_int_equal(c.plugins[SPP_CONNECTION].n, 1);
	assert_int_equal(c.plugins[SPP_RCPT].n, 2);
	assert_string_equal(c.plugins[SPP_RCPT].v[1], "plugins/c");
	assert_false(spp_config_empty(&c));
	spp_config_free(&c);
	strlist_free(&l);
	static const char *const bad[] = {"plugins/a", "[bogus]", "[RCPT]"};
	for (size_t i = 0; i < 3; i++) {
		strlist_add(&l, bad[i], strlen(bad[i]));
		strlist_add(&l, "x", 1);
		assert_int_equal(spp_config_parse(&l, &c), -1);
		strlist_free(&l);
	}
	assert_int_equal(spp_config_parse(&l, &c), 0);
	assert_true(spp_config_empty(&c));
}

static void test_output_table(void **state)
{
	(void)state;
	static const struct {
		const char *out;
		enum spp_action a;
		const char *reply;
	} t[] = {
	    {"", SPP_NEXT, ""},
	    {"N\nR550 5.7.1 no\n", SPP_NEXT, ""},
	    {"A\nR550 5.7.1 no\n", SPP_ACCEPT, ""},
	    {"O", SPP_ACCEPT, ""},
	    {"R550 5.7.1 go away\n", SPP_REFUSE, "550 5.7.1 go away"},
	    {"E451 4.7.1 later\r\n", SPP_REFUSE, "451 4.7.1 later"},
	    {"D421 4.7.0 bye", SPP_DROP, "421 4.7.0 bye"},
	    {"R550-multi", SPP_REFUSE, "451 4.3.0 plugin error"},
	    {"R250 ok\x01", SPP_REFUSE, "451 4.3.0 plugin error"},
	    {"R", SPP_REFUSE, "451 4.3.0 plugin error"},
	    {"X\nLlog it\nR554 5.7.1 x", SPP_REFUSE, "554 5.7.1 x"},
	};
	struct spp_result r;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		spp_parse_output(t[i].out, strlen(t[i].out), &r);
		assert_int_equal(r.action, t[i].a);
		assert_string_equal(sbuf_cstr(&r.reply), t[i].reply);
		spp_result_free(&r);
	}
}

static void test_side_effects(void **state)
{
	(void)state;
	const char *out = "HX-Plugin: yes\nH bad header\nHnocolon\nSFOO=bar\nS=x\nUBAZ\n"
	                  "UA=B\nLhello\nN\nHX-After: no\n";
	struct spp_result r;
	spp_parse_output(out, strlen(out), &r);
	assert_string_equal(sbuf_cstr(&r.headers), "X-Plugin: yes\n");
	assert_int_equal(r.setenv.n, 1);
	assert_string_equal(r.setenv.v[0], "FOO=bar");
	assert_int_equal(r.unsetenv.n, 1);
	assert_int_equal(r.logs.n, 1);
	spp_result_free(&r);
}

static void test_limits(void **state)
{
	(void)state;
	static char out[SPP_OUT_MAX + 64];
	struct spp_result r;
	/* a reply line at max, max+1 */
	memset(out, 'x', sizeof out);
	memcpy(out, "R550 ", 5);
	spp_parse_output(out, SPP_LINE_MAX + 1, &r);
	assert_int_equal(r.reply.len, SPP_LINE_MAX);
	spp_result_free(&r);
	spp_parse_output(out, SPP_LINE_MAX + 2, &r);
	assert_string_equal(r.reply.s, "451 4.3.0 plugin error");
	spp_result_free(&r);
	/* a command past SPP_OUT_MAX is not read */
	memset(out, '\n', sizeof out);
	memcpy(out + SPP_OUT_MAX - 2, "A\n", 2);
	spp_parse_output(out, sizeof out, &r);
	assert_int_equal(r.action, SPP_ACCEPT);
	spp_result_free(&r);
	memset(out, '\n', sizeof out);
	memcpy(out + SPP_OUT_MAX, "A\n", 2);
	spp_parse_output(out, sizeof out, &r);
	assert_int_equal(r.action, SPP_NEXT);
	spp_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_output_table),
	    cmocka_unit_test(test_side_effects),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
