/*
 * sha256.h: SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104) and
 * PBKDF2-HMAC-SHA-256 (RFC 8018 5.2) for AUTH SCRAM-SHA-256 (RFC 7677).
 *
 * Our own, like md5.c, so that qmail-checkpassword (run for every AUTH and
 * POP3 login) does not load libcrypto for the one mechanism that needs a
 * hash: an exec of an OpenSSL-linked program costs about 1 ms more here
 * (docs/INTERNALS.md).  Contexts are wiped by the final step.  Pure.
 */
#ifndef QNG_SHA256_H
#define QNG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_BLOCK_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t n_bytes; /* hashed so far, for the length padding */
	unsigned char buf[SHA256_BLOCK_LEN];
	size_t buf_len;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]); /* wipes c */
void sha256_digest(const void *data, size_t len, unsigned char out[SHA256_LEN]);

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                 unsigned char out[SHA256_LEN]);
/* PBKDF2 with HMAC-SHA-256, one output block (dkLen = SHA256_LEN): what
 * SCRAM calls Hi(password, salt, i).  iter >= 1. */
void pbkdf2_sha256(const void *pass, size_t pass_len, const void *salt, size_t salt_len,
                   uint32_t iter, unsigned char out[SHA256_LEN]);

#endif
