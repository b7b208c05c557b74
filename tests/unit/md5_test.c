/* md5_test.c: MD5 (RFC 1321 A.5), HMAC-MD5 (RFC 2202 2), the saved key
 * schedule against Dovecot's CRAM-MD5 scheme and against OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md5.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* OpenSSL's HMAC-MD5 as the reference; false if the library refuses. */
static bool ref_hmac_md5(const void *key, size_t key_len, const void *msg, size_t msg_len,
                         unsigned char out[MD5_LEN])
{
	unsigned int len = 0;
	return HMAC(EVP_md5(), key, (int)key_len, msg, msg_len, out, &len) != NULL &&
	       len == MD5_LEN;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static const struct {
	const char *in, *want;
} md5_cases[] = {
	{"", "d41d8cd98f00b204e9800998ecf8427e"},
	{"a", "0cc175b9c0f1b6a831c399e269772661"},
	{"abc", "900150983cd24fb0d6963f7d28e17f72"},
	{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
	{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
	{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	 "d174ab98d277d9f5a5611c2c9f419d9f"},
	{"1234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "0",
	 "57edf4a22be3c955ac49da2e2107b67a"},
};

static void test_md5_rfc1321(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof md5_cases / sizeof md5_cases[0]; i++) {
		unsigned char d[MD5_LEN];
		char h[2 * MD5_LEN + 1];
		md5_digest(md5_cases[i].in, strlen(md5_cases[i].in), d);
		hex(d, sizeof d, h);
		assert_string_equal(h, md5_cases[i].want);
		/* the same bytes fed one at a time */
		struct md5 m;
		md5_init(&m);
		for (const char *c = md5_cases[i].in; *c; c++)
			md5_update(&m, c, 1);
		md5_final(&m, d);
		hex(d, sizeof d, h);
		assert_string_equal(h, md5_cases[i].want);
	}
}

/* Padding edges: 55, 56, 63, 64, 65 and 119..121 bytes. */
static void test_md5_lengths(void **state)
{
	(void)state;
	static const size_t lens[] = {55, 56, 57, 63, 64, 65, 119, 120, 121, 1000};
	unsigned char buf[1000], a[MD5_LEN], b[MD5_LEN];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		md5_digest(buf, lens[i], a);
		/* HMAC with an empty message checks nothing of MD5 itself; use
		 * OpenSSL's HMAC as a reference MD5 through the long-key path:
		 * a key over 64 bytes is replaced by its MD5. */
		unsigned char h1[MD5_LEN], h2[MD5_LEN];
		md5_hmac(buf, lens[i], "x", 1, h1);
		if (ref_hmac_md5(buf, lens[i], "x", 1, h2))
			assert_memory_equal(h1, h2, MD5_LEN);
		md5_hmac(a, sizeof a, "x", 1, b);
		if (lens[i] > MD5_BLOCK_LEN)
			assert_memory_equal(b, h1, MD5_LEN);
	}
}

static void unhex(const char *s, unsigned char *out)
{
	for (size_t i = 0; s[2 * i]; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static void test_hmac_rfc2202(void **state)
{
	(void)state;
	unsigned char key_aa[80], data_dd[50], key_0b[16], key_01[25], data_cd[50], key_0c[16];
	memset(key_aa, 0xaa, sizeof key_aa);
	memset(data_dd, 0xdd, sizeof data_dd);
	memset(key_0b, 0x0b, sizeof key_0b);
	memset(data_cd, 0xcd, sizeof data_cd);
	memset(key_0c, 0x0c, sizeof key_0c);
	for (size_t i = 0; i < sizeof key_01; i++)
		key_01[i] = (unsigned char)(i + 1);
	const char *big = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
	const struct {
		const void *key;
		size_t key_len;
		const void *data;
		size_t data_len;
		const char *want;
	} cases[] = {
		{key_0b, 16, "Hi There", 8, "9294727a3638bb1c13f48ef8158bfc9d"},
		{"Jefe", 4, "what do ya want for nothing?", 28, "750c783e6ab0b503eaa86e310a5db738"},
		{key_aa, 16, data_dd, 50, "56be34521d144c88dbb8c733f0e8b3f6"},
		{key_01, 25, data_cd, 50, "697eaf0aca3a3aea3a75164746ffaa79"},
		{key_0c, 16, "Test With Truncation", 20, "56461ef2342edc00f9bab995690efd4c"},
		{key_aa, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
		 "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
		{key_aa, 80, big, strlen(big), "6f630fad67cda0ee1fb1f562db3aa53e"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char d[MD5_LEN];
		char h[2 * MD5_LEN + 1];
		md5_hmac(cases[i].key, cases[i].key_len, cases[i].data, cases[i].data_len, d);
		hex(d, sizeof d, h);
		assert_string_equal(h, cases[i].want);
	}
}

/* RFC 2195's example, from a key schedule Dovecot made:
 * `doveadm pw -s CRAM-MD5 -p tanstaaftanstaaf`. */
static void test_prepared_dovecot(void **state)
{
	(void)state;
	static const char dovecot[] =
	    "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b";
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	unsigned char prep[MD5_HMAC_PREP_LEN], d[MD5_LEN];
	char h[2 * MD5_HMAC_PREP_LEN + 1];
	md5_hmac_prepare("tanstaaftanstaaf", 16, prep);
	hex(prep, sizeof prep, h);
	assert_string_equal(h, dovecot);
	unhex(dovecot, prep);
	md5_hmac_finish(prep, chal, strlen(chal), d);
	hex(d, sizeof d, h);
	assert_string_equal(h, "b913a602c7eda7a495b4e6e7334d3890");
}

static void test_against_openssl(void **state)
{
	(void)state;
	unsigned char key[200], msg[300], a[MD5_LEN], b[MD5_LEN];
	srand(4195);
	for (int round = 0; round < 500; round++) {
		size_t kl = (size_t)rand() % sizeof key, ml = (size_t)rand() % sizeof msg;
		for (size_t i = 0; i < kl; i++)
			key[i] = (unsigned char)rand();
		for (size_t i = 0; i < ml; i++)
			msg[i] = (unsigned char)rand();
		md5_hmac(key, kl, msg, ml, a);
		if (!ref_hmac_md5(key, kl, msg, ml, b))
			skip();
		assert_memory_equal(a, b, MD5_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_rfc1321),
		cmocka_unit_test(test_md5_lengths),
		cmocka_unit_test(test_hmac_rfc2202),
		cmocka_unit_test(test_prepared_dovecot),
		cmocka_unit_test(test_against_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
