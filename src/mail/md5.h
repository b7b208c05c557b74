/*
 * md5.h: MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for AUTH CRAM-MD5
 * (RFC 2195): qmail-smtpd's checker and qmail-remote's client.
 *
 * Our own small MD5 because CRAM-MD5 needs what a library hash hides: the
 * chaining state.  HMAC-MD5(K, m) = MD5(K^opad . MD5(K^ipad . m)); the
 * hashes of the two 64-byte key blocks depend on the password only, so a
 * password store may keep those two states (the "key schedule", 32 bytes,
 * what Dovecot's CRAM-MD5 scheme stores) instead of the password and
 * still answer any challenge: md5_hmac_prepare makes it, md5_hmac_finish
 * uses it.  A state is the four chaining words, little-endian (the layout
 * of an MD5 digest); the outer one comes first, as in Dovecot's scheme, so
 * the hex of `doveadm pw -s CRAM-MD5` is the same 32 bytes.  The key schedule is
 * password-equivalent for CRAM-MD5 (docs/SECURITY.md).  MD5 serves
 * nothing but CRAM-MD5.  Pure.
 */
#ifndef QNG_MD5_H
#define QNG_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_LEN 16
#define MD5_BLOCK_LEN 64
#define MD5_HMAC_PREP_LEN (2 * MD5_LEN) /* outer state, then inner state */

struct md5 {
	uint32_t h[4];
	uint64_t n_bytes; /* hashed so far, for the length padding */
	unsigned char buf[MD5_BLOCK_LEN];
	size_t buf_len;
};

void md5_init(struct md5 *m);
/* Continues from a saved state after n_blocks whole 64-byte blocks. */
void md5_init_state(struct md5 *m, const unsigned char state[MD5_LEN], uint64_t n_blocks);
void md5_update(struct md5 *m, const void *data, size_t len);
void md5_final(struct md5 *m, unsigned char out[MD5_LEN]); /* wipes m */
void md5_digest(const void *data, size_t len, unsigned char out[MD5_LEN]);

void md5_hmac_prepare(const void *key, size_t key_len, unsigned char prep[MD5_HMAC_PREP_LEN]);
void md5_hmac_finish(const unsigned char prep[MD5_HMAC_PREP_LEN], const void *msg, size_t len,
                     unsigned char out[MD5_LEN]);
void md5_hmac(const void *key, size_t key_len, const void *msg, size_t len,
              unsigned char out[MD5_LEN]);

#endif
