#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "base64.h"

struct b64_case {
	const char *in;
	int rc;
	const char *out;
	size_t out_len;
};

static const struct b64_case cases[] = {
	{ "", 0, "", 0 },
	{ "Zg==", 0, "f", 1 },
	{ "Zm8=", 0, "fo", 2 },
	{ "Zm9v", 0, "foo", 3 },
	{ "Zm9vYmFy", 0, "foobar", 6 },
	{ "AGFsaWNlAHB3", 0, "\0alice\0pw", 9 },
	{ "Zg", -1, NULL, 0 },          /* no padding */
	{ "Zg=", -1, NULL, 0 },
	{ "Zh==", -1, NULL, 0 },        /* stray bits */
	{ "Zm9=", -1, NULL, 0 },
	{ "Z===", -1, NULL, 0 },
	{ "====", -1, NULL, 0 },
	{ "Zg==Zg==", -1, NULL, 0 },    /* padding in the middle */
	{ "Zm9v\r\n", -1, NULL, 0 },
	{ "Zm 9", -1, NULL, 0 },
	{ "Zm-v", -1, NULL, 0 },        /* base64url is not base64 */
	{ "Z=9v", -1, NULL, 0 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sbuf out = SBUF_INIT;
		int rc = base64_decode(cases[i].in, strlen(cases[i].in), &out);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(out.len, cases[i].out_len);
			assert_memory_equal(out.s, cases[i].out, out.len);
		}
		sbuf_free(&out);
	}
}

static void test_roundtrip(void **state)
{
	(void)state;
	unsigned char raw[300];
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (unsigned char)(i * 7);
	for (size_t n = 0; n < sizeof raw; n++) {
		struct sbuf enc = SBUF_INIT, dec = SBUF_INIT;
		base64_encode(raw, n, &enc);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_int_equal(base64_decode(enc.s, enc.len, &dec), 0);
		assert_int_equal(dec.len, n);
		assert_memory_equal(dec.s, raw, n);
		sbuf_free(&enc);
		sbuf_free(&dec);
	}
}

static void test_limits(void **state)
{
	(void)state;
	size_t sizes[] = { BASE64_IN_MAX - 4, BASE64_IN_MAX, BASE64_IN_MAX + 4 };
	for (size_t i = 0; i < 3; i++) {
		char *s = xmalloc(sizes[i]);
		memset(s, 'A', sizes[i]);
		struct sbuf out = SBUF_INIT;
		int rc = base64_decode(s, sizes[i], &out);
		assert_int_equal(rc, sizes[i] <= BASE64_IN_MAX ? 0 : -1);
		if (rc == 0)
			assert_int_equal(out.len, sizes[i] / 4 * 3);
		sbuf_free(&out);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
