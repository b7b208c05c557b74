/* data_encode_test.c: outbound DATA encoding and decoding tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "data_encode.h"

static void test_encode_table(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t n;
		enum data_status st;
		const char *wire;
	} t[] = {
		{ "", 0, DATA_OK, ".\r\n" },
		{ "a\n", 2, DATA_OK, "a\r\n.\r\n" },
		{ "a", 1, DATA_OK, "a\r\n.\r\n" },
		{ ".\n", 2, DATA_OK, "..\r\n.\r\n" },
		{ ".x\n..y\nz.\n", 10, DATA_OK, "..x\r\n...y\r\nz.\r\n.\r\n" },
		{ "a\r\nb\r\n", 6, DATA_OK, "a\r\nb\r\n.\r\n" },
		{ "\n\n", 2, DATA_OK, "\r\n\r\n.\r\n" },
		{ "a\rb\n", 4, DATA_BAD_CR, NULL },
		{ "a\r", 2, DATA_BAD_CR, NULL },
		{ "\r\r\n", 3, DATA_BAD_CR, NULL },
		{ "a\0b\n", 4, DATA_BAD_NUL, NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* every split point gives the same result */
		for (size_t split = 0; split <= t[i].n; split++) {
			struct data_encoder e;
			struct sbuf out = SBUF_INIT;
			data_encode_init(&e);
			enum data_status st = data_encode_chunk(&e, t[i].in, split, &out);
			if (st == DATA_OK)
				st = data_encode_chunk(&e, t[i].in + split, t[i].n - split, &out);
			if (st == DATA_OK)
				st = data_encode_finish(&e, &out);
			assert_int_equal(st, t[i].st);
			if (t[i].wire)
				assert_string_equal(sbuf_cstr(&out), t[i].wire);
			sbuf_free(&out);
		}
		bool has8;
		assert_int_equal(data_encode_check(t[i].in, t[i].n, &has8) == DATA_OK,
				 t[i].st == DATA_OK);
	}
}

static void test_8bit(void **state)
{
	(void)state;
	bool has8;
	assert_int_equal(data_encode_check("a\xc3\xa9\n", 4, &has8), DATA_OK);
	assert_true(has8);
	assert_int_equal(data_encode_check("abc\n", 4, &has8), DATA_OK);
	assert_false(has8);
}

static void test_decode_table(void **state)
{
	(void)state;
	static const struct {
		const char *wire;
		enum data_status st;
		const char *out;
	} t[] = {
		{ ".\r\n", DATA_OK, "" },
		{ "a\r\n..b\r\n.\r\n", DATA_OK, "a\n.b\n" },
		{ "a\n.\r\n", DATA_BAD_LF, NULL },
		{ "a\rb\r\n.\r\n", DATA_BAD_CR, NULL },
		{ "a\r\n", DATA_BAD_END, NULL },
		{ ".\r\nx", DATA_BAD_END, NULL },
		{ "", DATA_BAD_END, NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf out = SBUF_INIT;
		assert_int_equal(data_decode(t[i].wire, strlen(t[i].wire), &out), t[i].st);
		if (t[i].out)
			assert_string_equal(sbuf_cstr(&out), t[i].out);
		sbuf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_table),
		cmocka_unit_test(test_8bit),
		cmocka_unit_test(test_decode_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
