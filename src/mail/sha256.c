/*
 * sha256.c: SHA-256 (FIPS 180-4 6.2), HMAC-SHA-256 and PBKDF2-HMAC-SHA-256
 * (see sha256.h).
 */
#include "sha256.h"

#include <string.h>

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t round_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t rotr(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

static void compress(uint32_t h[8], const unsigned char block[SHA256_BLOCK_LEN])
{
	uint32_t w[64];
	for (size_t t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	for (size_t t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ w[t - 15] >> 3;
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ w[t - 2] >> 10;
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (size_t t = 0; t < 64; t++) {
		uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
		              round_k[t] + w[t];
		uint32_t t2 =
		    (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	uint32_t v[8] = {a, b, c, d, e, f, g, hh};
	for (size_t i = 0; i < 8; i++)
		h[i] += v[i];
}

void sha256_init(struct sha256 *c)
{
	/* FIPS 180-4 5.3.3 */
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memset(c, 0, sizeof *c);
	memcpy(c->h, iv, sizeof iv);
}

void sha256_update(struct sha256 *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	c->n_bytes += len;
	while (len > 0) {
		size_t n = SHA256_BLOCK_LEN - c->buf_len;
		if (n > len)
			n = len;
		memcpy(c->buf + c->buf_len, p, n);
		c->buf_len += n;
		p += n;
		len -= n;
		if (c->buf_len == SHA256_BLOCK_LEN) {
			compress(c->h, c->buf);
			c->buf_len = 0;
		}
	}
}

void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN])
{
	/* FIPS 180-4 5.1.1: 0x80, zeros to 56 mod 64, the bit length big-endian */
	unsigned char pad[SHA256_BLOCK_LEN + 8] = {0x80};
	uint64_t bits = c->n_bytes * 8;
	size_t n = (c->buf_len < 56 ? 56 : 120) - c->buf_len;
	for (size_t i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, pad, n + 8);
	for (size_t i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->h[i]);
	explicit_bzero(c, sizeof *c);
}

void sha256_digest(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, data, len);
	sha256_final(&c, out);
}

/* The two HMAC states after their key block (RFC 2104 2): a message then
 * costs two copies and the hashing of the message and of one digest. */
struct hmac_keys {
	struct sha256 inner, outer;
};

static void hmac_keys_init(struct hmac_keys *k, const void *key, size_t key_len)
{
	unsigned char block[SHA256_BLOCK_LEN] = {0}, pad[SHA256_BLOCK_LEN];
	if (key_len > SHA256_BLOCK_LEN)
		sha256_digest(key, key_len, block);
	else if (key_len > 0)
		memcpy(block, key, key_len);
	for (size_t i = 0; i < SHA256_BLOCK_LEN; i++)
		pad[i] = block[i] ^ 0x36;
	sha256_init(&k->inner);
	sha256_update(&k->inner, pad, sizeof pad);
	for (size_t i = 0; i < SHA256_BLOCK_LEN; i++)
		pad[i] = block[i] ^ 0x5c;
	sha256_init(&k->outer);
	sha256_update(&k->outer, pad, sizeof pad);
	explicit_bzero(block, sizeof block);
	explicit_bzero(pad, sizeof pad);
}

/* HMAC of the message m1 . m2 (m2 may be empty). */
static void hmac_keys_run(const struct hmac_keys *k, const void *m1, size_t l1, const void *m2,
                          size_t l2, unsigned char out[SHA256_LEN])
{
	struct sha256 c = k->inner;
	unsigned char inner[SHA256_LEN];
	sha256_update(&c, m1, l1);
	sha256_update(&c, m2, l2);
	sha256_final(&c, inner);
	c = k->outer;
	sha256_update(&c, inner, sizeof inner);
	sha256_final(&c, out);
	explicit_bzero(inner, sizeof inner);
}

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                 unsigned char out[SHA256_LEN])
{
	struct hmac_keys k;
	hmac_keys_init(&k, key, key_len);
	hmac_keys_run(&k, msg, len, NULL, 0, out);
	explicit_bzero(&k, sizeof k);
}

/* RFC 8018 5.2, block 1: U1 = PRF(P, S . INT(1)), Ui = PRF(P, Ui-1),
 * T1 = U1 ^ U2 ^ ... ^ Uc. */
void pbkdf2_sha256(const void *pass, size_t pass_len, const void *salt, size_t salt_len,
                   uint32_t iter, unsigned char out[SHA256_LEN])
{
	static const unsigned char block_index[4] = {0, 0, 0, 1};
	struct hmac_keys k;
	unsigned char u[SHA256_LEN];
	hmac_keys_init(&k, pass, pass_len);
	hmac_keys_run(&k, salt, salt_len, block_index, sizeof block_index, u);
	memcpy(out, u, SHA256_LEN);
	for (uint32_t i = 1; i < iter; i++) {
		hmac_keys_run(&k, u, sizeof u, NULL, 0, u);
		for (size_t j = 0; j < SHA256_LEN; j++)
			out[j] ^= u[j];
	}
	explicit_bzero(&k, sizeof k);
	explicit_bzero(u, sizeof u);
}
