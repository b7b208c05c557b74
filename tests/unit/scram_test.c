/* scram_test.c: SCRAM-SHA-256's parsers and checks (scram.h): the RFC 7677 3
 * example end to end, every rejection rule, every limit at max-1/max/max+1,
 * the stored secret's format and the made-up salt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "scram.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* RFC 7677 3 */
#define CNONCE "rOprNGfwEbeRWgbNEkqO"
#define SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SALT64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define PROOF64 "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
static const char rfc_first[] = "n,,n=user,r=" CNONCE;
static const char rfc_server_first[] = "r=" CNONCE SNONCE ",s=" SALT64 ",i=4096";
static const char rfc_final[] = "c=biws,r=" CNONCE SNONCE ",p=" PROOF64;
static const char rfc_sig64[] = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
/* `python3 hashlib/hmac` on the same inputs (the secret RFC 5803 would store) */
static const char rfc_secret[] = "4096," SALT64 ",WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
                                 "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

static void decode(const char *b64, struct sbuf *out)
{
	assert_int_equal(base64_decode(b64, strlen(b64), out), 0);
}

static void test_rfc7677(void **state)
{
	(void)state;
	struct scram_first first;
	struct scram_final final;
	struct scram_secret sec, parsed;
	struct sbuf sf = SBUF_INIT, am = SBUF_INIT, salt = SBUF_INIT, sig = SBUF_INIT;
	unsigned char server_sig[SCRAM_KEY_LEN];
	assert_int_equal(scram_parse_first(rfc_first, strlen(rfc_first), &first), 0);
	assert_string_equal(first.gs2.s, "n,,");
	assert_string_equal(first.user.s, "user");
	assert_string_equal(first.cnonce.s, CNONCE);
	assert_string_equal(first.bare.s, "n=user,r=" CNONCE);
	decode(SALT64, &salt);
	scram_format_server_first(first.cnonce.s, SNONCE, (const unsigned char *)salt.s, salt.len,
	                          4096, &sf);
	assert_string_equal(sf.s, rfc_server_first);
	assert_int_equal(scram_parse_final(rfc_final, strlen(rfc_final), &final), 0);
	assert_string_equal(final.without_proof.s, "c=biws,r=" CNONCE SNONCE);
	assert_string_equal(final.nonce.s, CNONCE SNONCE);
	assert_false(final.cbind_ok);
	assert_true(scram_final_check(&first, SNONCE, &final));
	assert_true(final.cbind_ok);
	scram_auth_message(&first, sf.s, &final, &am);
	assert_string_equal(am.s,
	                    "n=user,r=" CNONCE ","
	                    "r=" CNONCE SNONCE ",s=" SALT64 ",i=4096,c=biws,r=" CNONCE SNONCE);
	assert_int_equal(
	    scram_secret_make("pencil", 6, (const unsigned char *)salt.s, salt.len, 4096, &sec), 0);
	struct sbuf fmt = SBUF_INIT;
	scram_secret_format(&sec, &fmt);
	assert_string_equal(fmt.s, rfc_secret);
	assert_int_equal(scram_secret_parse(fmt.s, fmt.len, &parsed), 0);
	assert_memory_equal(&parsed, &sec, sizeof sec);
	assert_true(scram_verify(&parsed, am.s, am.len, final.proof, server_sig));
	decode(rfc_sig64, &sig);
	assert_int_equal(sig.len, SCRAM_KEY_LEN);
	assert_memory_equal(server_sig, sig.s, SCRAM_KEY_LEN);
	/* a wrong proof fails, and the signature is computed all the same */
	unsigned char bad[SCRAM_KEY_LEN], sig2[SCRAM_KEY_LEN];
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++) {
		memcpy(bad, final.proof, sizeof bad);
		bad[i] ^= (unsigned char)(1u << (i % 8));
		memset(sig2, 0, sizeof sig2);
		assert_false(scram_verify(&parsed, am.s, am.len, bad, sig2));
		assert_memory_equal(sig2, sig.s, SCRAM_KEY_LEN);
	}
	/* a changed AuthMessage fails */
	am.s[0] = 'N';
	assert_false(scram_verify(&parsed, am.s, am.len, final.proof, server_sig));
	scram_first_free(&first);
	scram_final_free(&final);
	struct sbuf *bufs[] = {&sf, &am, &salt, &sig, &fmt};
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		sbuf_free(bufs[i]);
}

struct first_case {
	const char *msg;
	size_t len; /* 0: strlen */
	int rc;
	const char *user, *cnonce;
};

static const struct first_case first_cases[] = {
    {"n,,n=user,r=abc", 0, 0, "user", "abc"},
    {"y,,n=user,r=abc", 0, 0, "user", "abc"},
    {"n,a=user,n=user,r=abc", 0, 0, "user", "abc"},
    {"n,a=u=2Cx,n=u=2Cx,r=abc", 0, 0, "u,x", "abc"},
    {"n,,n=u=2Cx=3Dy,r=abc", 0, 0, "u,x=y", "abc"},
    {"n,,n==2C,r=abc", 0, 0, ",", "abc"},
    {"n,,n=t\xc3\xa9m,r=abc", 0, 0, "t\xc3\xa9m", "abc"},
    {"n,,n=user,r=!~=\"", 0, 0, "user", "!~=\""},
    {"n,,n=user,r=abc,x=y", 0, 0, "user", "abc"},
    {"n,,n=user,r=abc,X=y,z=a=b,q=\x01", 0, 0, "user", "abc"},
    {"n,,n=a b,r=abc", 0, 0, "a b", "abc"},
    {"p=tls-unique,,n=user,r=abc", 0, -1, NULL, NULL},
    {"p,,n=user,r=abc", 0, -1, NULL, NULL},
    {"N,,n=user,r=abc", 0, -1, NULL, NULL},
    {"nn,,n=user,r=abc", 0, -1, NULL, NULL},
    {"n,a=other,n=user,r=abc", 0, -1, NULL, NULL},
    {"n,a=use,n=user,r=abc", 0, -1, NULL, NULL},
    {"n,a=,n=user,r=abc", 0, -1, NULL, NULL},
    {"n,a=u=2cx,n=u=2Cx,r=abc", 0, -1, NULL, NULL},
    {"n,b=user,n=user,r=abc", 0, -1, NULL, NULL},
    {"n,a=user", 0, -1, NULL, NULL},
    {"n,,m=ext,n=user,r=abc", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,m=ext", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,x=y,m=ext", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,x=", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,=y", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,1=y", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,xy=z", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc,x=y\0z", 21, -1, NULL, NULL},
    {"n,,n=us=2cer,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us=3der,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us=41er,r=abc", 0, -1, NULL, NULL},
    {"n,,n=user=,r=abc", 0, -1, NULL, NULL},
    {"n,,n=user=2,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us\x01r,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us\x1fr,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us\tr,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us\x7fr,r=abc", 0, -1, NULL, NULL},
    {"n,,n=us\0r,r=abc", 15, -1, NULL, NULL},
    {"n,,n=,r=abc", 0, -1, NULL, NULL},
    {"n,,n=user,r=", 0, -1, NULL, NULL},
    {"n,,n=user,r=a c", 0, -1, NULL, NULL},
    {"n,,n=user,r=a\x7f", 0, -1, NULL, NULL},
    {"n,,n=user,r=a\x80", 0, -1, NULL, NULL},
    {"n,,n=user,r=abc\0", 16, -1, NULL, NULL},
    {"n,,n=user", 0, -1, NULL, NULL},
    {"n,,r=abc,n=user", 0, -1, NULL, NULL},
    {"n,,n=user,x=y,r=abc", 0, -1, NULL, NULL},
    {"n,,user,r=abc", 0, -1, NULL, NULL},
    {"n,,", 0, -1, NULL, NULL},
    {"n,,,", 0, -1, NULL, NULL},
    {"n,", 0, -1, NULL, NULL},
    {"n", 0, -1, NULL, NULL},
    {"", 0, -1, NULL, NULL},
    {"n=user,r=abc", 0, -1, NULL, NULL},
};

static void test_parse_first(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof first_cases / sizeof first_cases[0]; i++) {
		const struct first_case *c = &first_cases[i];
		struct scram_first f;
		size_t len = c->len ? c->len : strlen(c->msg);
		int rc = scram_parse_first(c->msg, len, &f);
		if (rc != c->rc)
			fail_msg("case %zu: %s", i, c->msg);
		if (rc == 0) {
			assert_string_equal(f.user.s, c->user);
			assert_string_equal(f.cnonce.s, c->cnonce);
			/* gs2 . bare is the message */
			assert_int_equal(f.gs2.len + f.bare.len, len);
			assert_memory_equal(f.gs2.s, c->msg, f.gs2.len);
			assert_memory_equal(f.bare.s, c->msg + f.gs2.len, f.bare.len);
		} else {
			/* nothing left to free, and freeing is harmless */
			assert_null(f.gs2.s);
			assert_null(f.user.s);
			assert_null(f.cnonce.s);
			assert_null(f.bare.s);
		}
		scram_first_free(&f);
	}
}

static void test_first_gs2(void **state)
{
	(void)state;
	struct scram_first f;
	static const char m[] = "y,a=u=3D,n=u=3D,r=abc";
	assert_int_equal(scram_parse_first(m, strlen(m), &f), 0);
	assert_string_equal(f.gs2.s, "y,a=u=3D,");
	assert_string_equal(f.bare.s, "n=u=3D,r=abc");
	assert_string_equal(f.user.s, "u=");
	scram_first_free(&f);
}

/* "n,,n=" user ",r=" nonce [",x=" pad]: the user is n_esc "=3D" then n_plain
 * "u", the nonce nonce_len bytes of 0x21..0x7e without ','. */
static void make_first(size_t n_esc, size_t n_plain, size_t nonce_len, size_t pad, struct sbuf *out)
{
	sbuf_set_str(out, "n,,n=");
	for (size_t i = 0; i < n_esc; i++)
		sbuf_append_str(out, "=3D");
	for (size_t i = 0; i < n_plain; i++)
		sbuf_append_char(out, 'u');
	sbuf_append_str(out, ",r=");
	for (size_t i = 0; i < nonce_len; i++)
		sbuf_append_char(out, (char)('!' + i % 93 + (i % 93 >= 11)));
	if (pad > 0) {
		sbuf_append_str(out, ",x=");
		for (size_t i = 0; i < pad; i++)
			sbuf_append_char(out, 'p');
	}
}

static void test_first_limits(void **state)
{
	(void)state;
	struct sbuf m = SBUF_INIT;
	struct scram_first f;
	for (size_t d = 0; d < 3; d++) {
		size_t n = SCRAM_USER_MAX - 1 + d;
		int want = n <= SCRAM_USER_MAX ? 0 : -1;
		make_first(0, n, 8, 0, &m);
		assert_int_equal(scram_parse_first(m.s, m.len, &f), want);
		if (want == 0)
			assert_int_equal(f.user.len, n);
		scram_first_free(&f);
		/* the limit is on the decoded name: 100 "=3D" count 100 */
		make_first(100, n - 100, 8, 0, &m);
		assert_int_equal(scram_parse_first(m.s, m.len, &f), want);
		if (want == 0) {
			assert_int_equal(f.user.len, n);
			assert_memory_equal(f.user.s, "===", 3);
		}
		scram_first_free(&f);
		/* a nonce of max-1, max, max+1 */
		n = SCRAM_NONCE_MAX - 1 + d;
		make_first(0, 4, n, 0, &m);
		assert_int_equal(scram_parse_first(m.s, m.len, &f), n <= SCRAM_NONCE_MAX ? 0 : -1);
		if (n <= SCRAM_NONCE_MAX)
			assert_int_equal(f.cnonce.len, n);
		scram_first_free(&f);
		/* a client-first-bare of max-1, max, max+1: "n=uuuu,r=" 8 ",x=" pad */
		n = SCRAM_BARE_MAX - 1 + d;
		make_first(0, 4, 8, n - 20, &m);
		assert_int_equal(m.len, 3 + n);
		assert_int_equal(scram_parse_first(m.s, m.len, &f), n <= SCRAM_BARE_MAX ? 0 : -1);
		if (n <= SCRAM_BARE_MAX)
			assert_int_equal(f.bare.len, n);
		scram_first_free(&f);
	}
	sbuf_free(&m);
}

struct final_case {
	const char *msg;
	size_t len;
	int rc;
	const char *without_proof, *nonce;
};

#define P "p=" PROOF64
static const struct final_case final_cases[] = {
    {"c=biws,r=abc," P, 0, 0, "c=biws,r=abc", "abc"},
    {"c=biws,r=abc,x=1,Y=a=b," P, 0, 0, "c=biws,r=abc,x=1,Y=a=b", "abc"},
    {"c=eSws,r=!~=," P, 0, 0, "c=eSws,r=!~=", "!~="},
    {"c=biws,r=abc," P ",x=1", 0, -1, NULL, NULL},
    {"c=biws,r=abc," P ",", 0, -1, NULL, NULL},
    {"c=biws,r=abc," P "," P, 0, -1, NULL, NULL},
    {"c=biws,r=abc", 0, -1, NULL, NULL},
    {"c=biws,r=abc,x=1", 0, -1, NULL, NULL},
    {"c=biws,r=abc,p=", 0, -1, NULL, NULL},
    {"c=biws,r=abc,p=biws", 0, -1, NULL, NULL},
    {"c=biws,r=abc,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVR=", 0, -1, NULL, NULL},
    {"c=biws,r=abc,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ", 0, -1, NULL, NULL},
    {"c=biws,r=abc,m=1," P, 0, -1, NULL, NULL},
    {"c=biws,r=abc,x=," P, 0, -1, NULL, NULL},
    {"c=biws,r=abc,1=x," P, 0, -1, NULL, NULL},
    {"c=biws,r=abc,x=a\0b," P, 65, -1, NULL, NULL},
    {"c=biws,r=abc,," P, 0, -1, NULL, NULL},
    {"c=,r=abc," P, 0, -1, NULL, NULL},
    {"c=biw,r=abc," P, 0, -1, NULL, NULL},
    {"c=bi!s,r=abc," P, 0, -1, NULL, NULL},
    {"r=abc,c=biws," P, 0, -1, NULL, NULL},
    {"c=biws," P, 0, -1, NULL, NULL},
    {"c=biws,r=," P, 0, -1, NULL, NULL},
    {"c=biws,r=a c," P, 0, -1, NULL, NULL},
    {"c=biws,r=a\x80," P, 0, -1, NULL, NULL},
    {"c=biws,r=abc,x=1,r=abc" P, 0, -1, NULL, NULL},
    {"C=biws,r=abc," P, 0, -1, NULL, NULL},
    {P, 0, -1, NULL, NULL},
    {"", 0, -1, NULL, NULL},
};

static void test_parse_final(void **state)
{
	(void)state;
	struct sbuf want = SBUF_INIT;
	decode(PROOF64, &want);
	for (size_t i = 0; i < sizeof final_cases / sizeof final_cases[0]; i++) {
		const struct final_case *c = &final_cases[i];
		struct scram_final f;
		size_t len = c->len ? c->len : strlen(c->msg);
		int rc = scram_parse_final(c->msg, len, &f);
		if (rc != c->rc)
			fail_msg("case %zu: %s", i, c->msg);
		if (rc == 0) {
			assert_string_equal(f.without_proof.s, c->without_proof);
			assert_string_equal(f.nonce.s, c->nonce);
			assert_memory_equal(f.proof, want.s, SCRAM_KEY_LEN);
		} else {
			assert_null(f.without_proof.s);
			assert_null(f.nonce.s);
		}
		scram_final_free(&f);
	}
	sbuf_free(&want);
}

/* "c=biws,r=" nonce [",x=" pad] ",p=" base64(proof of proof_len bytes) */
static void make_final(size_t nonce_len, size_t pad, size_t proof_len, struct sbuf *out)
{
	unsigned char proof[SCRAM_KEY_LEN + 1];
	struct sbuf b = SBUF_INIT;
	memset(proof, 0x5a, sizeof proof);
	sbuf_set_str(out, "c=biws,r=");
	for (size_t i = 0; i < nonce_len; i++)
		sbuf_append_char(out, 'n');
	if (pad > 0) {
		sbuf_append_str(out, ",x=");
		for (size_t i = 0; i < pad; i++)
			sbuf_append_char(out, 'p');
	}
	sbuf_append_str(out, ",p=");
	base64_encode(proof, proof_len, &b);
	sbuf_append(out, b.s, b.len);
	sbuf_free(&b);
}

static void test_final_limits(void **state)
{
	(void)state;
	struct sbuf m = SBUF_INIT;
	struct scram_final f;
	const size_t nonce_max = SCRAM_NONCE_MAX + SCRAM_SNONCE_LEN;
	for (size_t d = 0; d < 3; d++) {
		size_t n = nonce_max - 1 + d;
		make_final(n, 0, SCRAM_KEY_LEN, &m);
		assert_int_equal(scram_parse_final(m.s, m.len, &f), n <= nonce_max ? 0 : -1);
		scram_final_free(&f);
		/* "c=biws,r=nnnnnnnn,x=" pad ",p=" 44 */
		n = SCRAM_FINAL_MAX - 1 + d;
		make_final(8, n - 20 - 47, SCRAM_KEY_LEN, &m);
		assert_int_equal(m.len, n);
		assert_int_equal(scram_parse_final(m.s, m.len, &f), n <= SCRAM_FINAL_MAX ? 0 : -1);
		if (n <= SCRAM_FINAL_MAX)
			assert_int_equal(f.without_proof.len, n - 47);
		scram_final_free(&f);
		n = SCRAM_KEY_LEN - 1 + d;
		make_final(8, 0, n, &m);
		assert_int_equal(scram_parse_final(m.s, m.len, &f), n == SCRAM_KEY_LEN ? 0 : -1);
		scram_final_free(&f);
	}
	sbuf_free(&m);
}

static bool check(const char *first_msg, const char *snonce, const char *final_msg)
{
	struct scram_first first;
	struct scram_final final;
	assert_int_equal(scram_parse_first(first_msg, strlen(first_msg), &first), 0);
	assert_int_equal(scram_parse_final(final_msg, strlen(final_msg), &final), 0);
	bool ok = scram_final_check(&first, snonce, &final);
	assert_int_equal(final.cbind_ok, ok);
	scram_first_free(&first);
	scram_final_free(&final);
	return ok;
}

static void test_final_check(void **state)
{
	(void)state;
	assert_true(check(rfc_first, SNONCE, rfc_final));
	/* c= must be the gs2-header byte for byte: "y,," is eSws, "n,a=user," bixhPXVzZXIs */
	assert_false(check(rfc_first, SNONCE, "c=eSws,r=" CNONCE SNONCE "," P));
	assert_true(check("y,,n=user,r=" CNONCE, SNONCE, "c=eSws,r=" CNONCE SNONCE "," P));
	assert_false(check("y,,n=user,r=" CNONCE, SNONCE, rfc_final));
	assert_true(
	    check("n,a=user,n=user,r=" CNONCE, SNONCE, "c=bixhPXVzZXIs,r=" CNONCE SNONCE "," P));
	assert_false(check("n,a=user,n=user,r=" CNONCE, SNONCE, rfc_final));
	assert_false(check(rfc_first, SNONCE, "c=biwsbj11c2VyLHI9,r=" CNONCE SNONCE "," P));
	/* the nonce must be exactly cnonce . snonce */
	assert_false(check(rfc_first, SNONCE, "c=biws,r=" CNONCE "," P));
	assert_false(check(rfc_first, SNONCE, "c=biws,r=" CNONCE SNONCE "x," P));
	assert_false(check(rfc_first, SNONCE, "c=biws,r=x" CNONCE SNONCE "," P));
	assert_false(check(rfc_first, SNONCE, "c=biws,r=" SNONCE CNONCE "," P));
	assert_false(check(rfc_first, "other", rfc_final));
	assert_false(check(rfc_first, "", "c=biws,r=" CNONCE "," P));
	assert_false(check(rfc_first, NULL, rfc_final));
	assert_true(check(rfc_first, SNONCE, "c=biws,r=" CNONCE SNONCE ",x=1," P));
	/* a never-parsed first message matches nothing */
	struct scram_first none;
	struct scram_final final;
	memset(&none, 0, sizeof none);
	assert_int_equal(scram_parse_final(rfc_final, strlen(rfc_final), &final), 0);
	assert_false(scram_final_check(&none, SNONCE, &final));
	scram_final_free(&final);
}

static void test_secret_make_limits(void **state)
{
	(void)state;
	unsigned char salt[SCRAM_SALT_MAX + 1];
	struct scram_secret s;
	memset(salt, 7, sizeof salt);
	assert_int_equal(scram_secret_make("pw", 2, salt, 16, SCRAM_ITER_MIN - 1, &s), -1);
	assert_int_equal(scram_secret_make("pw", 2, salt, 16, SCRAM_ITER_MAX + 1, &s), -1);
	assert_int_equal(scram_secret_make("pw", 2, salt, 0, SCRAM_ITER_MIN, &s), -1);
	assert_int_equal(scram_secret_make("pw", 2, NULL, 16, SCRAM_ITER_MIN, &s), -1);
	assert_int_equal(scram_secret_make("pw", 2, salt, SCRAM_SALT_MAX + 1, SCRAM_ITER_MIN, &s),
	                 -1);
	assert_int_equal(scram_secret_make("pw", 2, salt, SCRAM_SALT_MAX, SCRAM_ITER_MIN, &s), 0);
	assert_int_equal(s.salt_len, SCRAM_SALT_MAX);
	struct sbuf f = SBUF_INIT;
	struct scram_secret p;
	scram_secret_format(&s, &f);
	assert_int_equal(scram_secret_parse(f.s, f.len, &p), 0);
	assert_memory_equal(&p, &s, sizeof s);
	assert_int_equal(scram_secret_make("", 0, salt, 1, SCRAM_ITER_MIN, &s), 0);
	scram_secret_format(&s, &f);
	assert_int_equal(scram_secret_parse(f.s, f.len, &p), 0);
	assert_memory_equal(&p, &s, sizeof s);
	sbuf_free(&f);
}

#define K32 "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
#define K31 "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4g=="
#define K33 "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qYA"
#define S64                                                                                        \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
#define S65                                                                                        \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const struct {
	const char *s;
	int rc;
} secret_cases[] = {
    {"4096," SALT64 "," K32 "," K32, 0},
    {"1000000," SALT64 "," K32 "," K32, 0},
    {"4097,AA==," K32 "," K32, 0},
    {"4096," S64 "," K32 "," K32, 0},
    {"4095," SALT64 "," K32 "," K32, -1},
    {"1000001," SALT64 "," K32 "," K32, -1},
    {"04096," SALT64 "," K32 "," K32, -1},
    {"+4096," SALT64 "," K32 "," K32, -1},
    {"-4096," SALT64 "," K32 "," K32, -1},
    {" 4096," SALT64 "," K32 "," K32, -1},
    {"4096 ," SALT64 "," K32 "," K32, -1},
    {"0," SALT64 "," K32 "," K32, -1},
    {"99999999999999999999999," SALT64 "," K32 "," K32, -1},
    {"," SALT64 "," K32 "," K32, -1},
    {"4096,," K32 "," K32, -1},
    {"4096," S65 "," K32 "," K32, -1},
    {"4096,W22ZaJ0SNY7soEsUEjb6gQ=," K32 "," K32, -1},
    {"4096,W22ZaJ0SNY7soEsUEjb6gR==," K32 "," K32, -1},
    {"4096,W22ZaJ0SNY7so!sUEjb6gQ==," K32 "," K32, -1},
    {"4096," SALT64 "," K31 "," K32, -1},
    {"4096," SALT64 "," K33 "," K32, -1},
    {"4096," SALT64 "," K32 "," K31, -1},
    {"4096," SALT64 "," K32 "," K33, -1},
    {"4096," SALT64 "," K32 ",", -1},
    {"4096," SALT64 "," K32, -1},
    {"4096," SALT64 "," K32 "," K32 ",", -1},
    {"4096," SALT64 "," K32 "," K32 "," K32, -1},
    {"4096," SALT64 "," K32 "," K32 "\n", -1},
    {"", -1},
    {",,,", -1},
};

static void test_secret_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof secret_cases / sizeof secret_cases[0]; i++) {
		struct scram_secret s;
		struct sbuf f = SBUF_INIT;
		const char *in = secret_cases[i].s;
		int rc = scram_secret_parse(in, strlen(in), &s);
		if (rc != secret_cases[i].rc)
			fail_msg("case %zu: %s", i, in);
		if (rc == 0) {
			scram_secret_format(&s, &f);
			assert_string_equal(f.s, in);
		}
		sbuf_free(&f);
	}
	struct scram_secret s;
	assert_int_equal(scram_secret_parse(rfc_secret, strlen(rfc_secret) - 1, &s), -1);
	static const char nul[] = "4096,AA==," K32 "," K32 "\0";
	assert_int_equal(scram_secret_parse(nul, sizeof nul - 2, &s), 0);
	assert_int_equal(scram_secret_parse(nul, sizeof nul - 1, &s), -1);
}

static void test_fake_salt(void **state)
{
	(void)state;
	unsigned char k1[SCRAM_KEY_LEN], k2[SCRAM_KEY_LEN];
	unsigned char a[SCRAM_SALT_LEN], b[SCRAM_SALT_LEN], ref[EVP_MAX_MD_SIZE];
	unsigned int ref_len = 0;
	memset(k1, 1, sizeof k1);
	memset(k2, 2, sizeof k2);
	scram_fake_salt(k1, "alice@example.test", a);
	scram_fake_salt(k1, "alice@example.test", b);
	assert_memory_equal(a, b, sizeof a);
	assert_non_null(HMAC(EVP_sha256(), k1, sizeof k1,
	                     (const unsigned char *)"scram-salt\0alice@example.test", 29, ref,
	                     &ref_len));
	assert_memory_equal(a, ref, SCRAM_SALT_LEN);
	scram_fake_salt(k1, "bob@example.test", b);
	assert_memory_not_equal(a, b, sizeof a);
	scram_fake_salt(k2, "alice@example.test", b);
	assert_memory_not_equal(a, b, sizeof a);
	scram_fake_salt(k1, "", b);
	assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc7677),      cmocka_unit_test(test_parse_first),
	    cmocka_unit_test(test_first_gs2),    cmocka_unit_test(test_first_limits),
	    cmocka_unit_test(test_parse_final),  cmocka_unit_test(test_final_limits),
	    cmocka_unit_test(test_final_check),  cmocka_unit_test(test_secret_make_limits),
	    cmocka_unit_test(test_secret_parse), cmocka_unit_test(test_fake_salt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
