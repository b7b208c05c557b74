/* hash_test.c: 64-bit FNV-1a against the published test vectors, and the
 * continuation property the callers rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hash.h"

static void test_vectors(void **state)
{
	(void)state;
	assert_true(hash_fnv1a(HASH_FNV1A_BASIS, "", 0) == 0xcbf29ce484222325ull);
	assert_true(hash_fnv1a(HASH_FNV1A_BASIS, "a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(hash_fnv1a(HASH_FNV1A_BASIS, "foobar", 6) == 0x85944171f73967e8ull);
}

static void test_continues(void **state)
{
	(void)state;
	uint64_t h = hash_fnv1a(HASH_STORE_BASIS, "foo", 3);
	assert_true(hash_fnv1a(h, "bar", 3) == hash_fnv1a(HASH_STORE_BASIS, "foobar", 6));
	assert_true(hash_fnv1a(HASH_STORE_BASIS, "x", 1) != hash_fnv1a(HASH_FNV1A_BASIS, "x", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_continues),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
