/* rreport_test: qmail-remote output -> one spawner report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* qmail-rspawn's private module, tested directly. */
#include "../../src/cmd/qmail-rspawn/rreport.c"

#define S(lit) lit, sizeof(lit) - 1

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *out;
		size_t len;
		bool crashed;
		const char *want;
	} t[] = {
		{ S("r\0K1.2.3.4 accepted message.\0"), false, "K1.2.3.4 accepted message." },
		{ S("h550 no\0DGiving up.\0"), false, "D550 no/Giving up." },
		{ S("s451 later\0Zx\0"), false, "Z451 later/x" },
		{ S("ZConnected to 1.2.3.4 but greeting failed.\0"), false,
		  "ZConnected to 1.2.3.4 but greeting failed." },
		{ S("DSorry, I couldn't find any host named x.\0"), false,
		  "DSorry, I couldn't find any host named x." },
		{ S("Kodd\0"), false, "Kodd" },
		{ S("Xweird\0"), false, "Zweird" },
		{ S(""), false, "Zqmail-remote produced no report." },
		{ S(""), true, "Zqmail-remote crashed." },
		{ S("r\0"), false, "Z" },
		{ S("r\0Z451 DATA refused\0"), false, "Z451 DATA refused" },
		{ S("r\0D554 message refused\0"), false, "D554 message refused" },
		{ S("r"), true, "Zqmail-remote crashed." },
		{ S("h\tbad\001\0D\0"), false, "D_bad_" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf r = SBUF_INIT;
		rreport_convert(t[i].out, t[i].len, t[i].crashed, &r);
		if (strcmp(sbuf_cstr(&r), t[i].want) != 0)
			fail_msg("case %zu: got '%s' want '%s'", i, sbuf_cstr(&r), t[i].want);
		sbuf_free(&r);
	}
}

/* The text is cut at REPORT_TEXT_MAX (limit-1, limit, limit+1). */
static void test_cap(void **state)
{
	(void)state;
	static const size_t lens[] = { REPORT_TEXT_MAX - 1, REPORT_TEXT_MAX,
				       REPORT_TEXT_MAX + 1, 5000 };
	for (size_t i = 0; i < 4; i++) {
		struct sbuf out = SBUF_INIT, r = SBUF_INIT;
		sbuf_append_char(&out, 'D');
		for (size_t k = 0; k < lens[i]; k++)
			sbuf_append_char(&out, 'x');
		sbuf_append_char(&out, '\0');
		rreport_convert(out.s, out.len, false, &r);
		size_t want = lens[i] < REPORT_TEXT_MAX ? lens[i] : REPORT_TEXT_MAX;
		assert_int_equal(r.len, want + 1);
		sbuf_free(&out);
		sbuf_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_table),
					    cmocka_unit_test(test_cap) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
