/* sha256_test.c: SHA-256 (FIPS 180-2 appendix B examples), HMAC-SHA-256
 * (RFC 4231 4), PBKDF2-HMAC-SHA-256 (RFC 7914 11), each also against
 * OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void assert_hex(const unsigned char d[SHA256_LEN], const char *want)
{
	char h[2 * SHA256_LEN + 1];
	hex(d, SHA256_LEN, h);
	assert_string_equal(h, want);
}

static const struct {
	const char *in, *want;
} fips_cases[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlm"
     "nopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static void test_sha256_fips(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fips_cases / sizeof fips_cases[0]; i++) {
		const char *in = fips_cases[i].in;
		unsigned char d[SHA256_LEN];
		sha256_digest(in, strlen(in), d);
		assert_hex(d, fips_cases[i].want);
		/* the same bytes fed one at a time */
		struct sha256 c;
		sha256_init(&c);
		for (const char *p = in; *p; p++)
			sha256_update(&c, p, 1);
		sha256_final(&c, d);
		assert_hex(d, fips_cases[i].want);
	}
}

static void test_sha256_million_a(void **state)
{
	(void)state;
	static const char want[] =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	unsigned char d[SHA256_LEN];
	sha256_digest(a, 1000000, d);
	assert_hex(d, want);
	/* in uneven pieces, across block boundaries */
	struct sha256 c;
	sha256_init(&c);
	for (size_t done = 0, step = 1; done < 1000000; step = step % 131 + 7) {
		size_t n = 1000000 - done < step ? 1000000 - done : step;
		sha256_update(&c, a + done, n);
		done += n;
	}
	sha256_final(&c, d);
	assert_hex(d, want);
	free(a);
}

static void test_sha256_final_wipes(void **state)
{
	(void)state;
	struct sha256 c, zero;
	unsigned char d[SHA256_LEN];
	memset(&zero, 0, sizeof zero);
	sha256_init(&c);
	sha256_update(&c, "secret", 6);
	sha256_final(&c, d);
	assert_memory_equal(&c, &zero, sizeof c);
}

/* Every length 0..200 (all padding cases: 55, 56, 63, 64, 119, 120, ...). */
static void test_sha256_lengths(void **state)
{
	(void)state;
	unsigned char buf[200], a[SHA256_LEN], b[SHA256_LEN];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof buf; len++) {
		sha256_digest(buf, len, a);
		SHA256(buf, len, b);
		assert_memory_equal(a, b, SHA256_LEN);
	}
}

static void test_hmac_rfc4231(void **state)
{
	(void)state;
	unsigned char key_0b[20], key_aa[131], key_01[25], data_dd[50], data_cd[50];
	memset(key_0b, 0x0b, sizeof key_0b);
	memset(key_aa, 0xaa, sizeof key_aa);
	memset(data_dd, 0xdd, sizeof data_dd);
	memset(data_cd, 0xcd, sizeof data_cd);
	for (size_t i = 0; i < sizeof key_01; i++)
		key_01[i] = (unsigned char)(i + 1);
	const char *c6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	const char *c7 = "This is a test using a larger than block-size key and a larger than "
	                 "block-size data. The key needs to be hashed before being used by the "
	                 "HMAC algorithm.";
	const struct {
		const void *key;
		size_t key_len;
		const void *data;
		size_t data_len;
		const char *want;
	} cases[] = {
	    {key_0b, 20, "Hi There", 8,
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {"Jefe", 4, "what do ya want for nothing?", 28,
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	    {key_aa, 20, data_dd, 50,
	     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	    {key_01, 25, data_cd, 50,
	     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	    {key_aa, 131, c6, strlen(c6),
	     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	    {key_aa, 131, c7, strlen(c7),
	     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char d[SHA256_LEN];
		hmac_sha256(cases[i].key, cases[i].key_len, cases[i].data, cases[i].data_len, d);
		assert_hex(d, cases[i].want);
	}
}

/* Keys of 0..200 bytes (shorter than, equal to, longer than a block). */
static void test_hmac_against_openssl(void **state)
{
	(void)state;
	unsigned char key[200], msg[300], a[SHA256_LEN], b[SHA256_LEN];
	srand(7677);
	for (size_t kl = 0; kl <= sizeof key; kl++) {
		size_t ml = (size_t)rand() % sizeof msg;
		for (size_t i = 0; i < kl; i++)
			key[i] = (unsigned char)rand();
		for (size_t i = 0; i < ml; i++)
			msg[i] = (unsigned char)rand();
		unsigned int len = 0;
		hmac_sha256(key, kl, msg, ml, a);
		assert_non_null(HMAC(EVP_sha256(), key, (int)kl, msg, ml, b, &len));
		assert_int_equal(len, SHA256_LEN);
		assert_memory_equal(a, b, SHA256_LEN);
	}
}

static void test_pbkdf2_rfc7914(void **state)
{
	(void)state;
	unsigned char d[SHA256_LEN];
	pbkdf2_sha256("passwd", 6, "salt", 4, 1, d);
	assert_hex(d, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
	pbkdf2_sha256("Password", 8, "NaCl", 4, 80000, d);
	assert_hex(d, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56");
}

static void test_pbkdf2_against_openssl(void **state)
{
	(void)state;
	static const uint32_t iters[] = {1, 2, 3, 64, 4096};
	unsigned char pass[150], salt[80], a[SHA256_LEN], b[SHA256_LEN];
	srand(8018);
	for (size_t round = 0; round < 40; round++) {
		size_t pl = (size_t)rand() % sizeof pass, sl = (size_t)rand() % sizeof salt;
		uint32_t iter = iters[round % (sizeof iters / sizeof iters[0])];
		for (size_t i = 0; i < pl; i++)
			pass[i] = (unsigned char)rand();
		for (size_t i = 0; i < sl; i++)
			salt[i] = (unsigned char)rand();
		pbkdf2_sha256(pass, pl, salt, sl, iter, a);
		assert_int_equal(PKCS5_PBKDF2_HMAC((const char *)pass, (int)pl, salt, (int)sl,
		                                   (int)iter, EVP_sha256(), SHA256_LEN, b),
		                 1);
		assert_memory_equal(a, b, SHA256_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_fips),
	    cmocka_unit_test(test_sha256_million_a),
	    cmocka_unit_test(test_sha256_final_wipes),
	    cmocka_unit_test(test_sha256_lengths),
	    cmocka_unit_test(test_hmac_rfc4231),
	    cmocka_unit_test(test_hmac_against_openssl),
	    cmocka_unit_test(test_pbkdf2_rfc7914),
	    cmocka_unit_test(test_pbkdf2_against_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
