/*
 * md5.c: MD5 (RFC 1321) and HMAC-MD5 with a saved key schedule (see md5.h).
 */
#include "md5.h"

#include <string.h>

static const uint32_t sines[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts per round (four per round, repeated). */
static const unsigned shifts[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static uint32_t load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t rotl(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static void compress(uint32_t h[4], const unsigned char block[MD5_BLOCK_LEN])
{
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3];
	for (size_t i = 0; i < 16; i++)
		x[i] = load_le32(block + 4 * i);
	for (unsigned i = 0; i < 64; i++) {
		uint32_t f;
		unsigned k;
		switch (i / 16) {
		case 0:
			f = (b & c) | (~b & d), k = i;
			break;
		case 1:
			f = (d & b) | (~d & c), k = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d, k = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d), k = (7 * i) % 16;
			break;
		}
		uint32_t t = d;
		d = c;
		c = b;
		b = b + rotl(a + f + sines[i] + x[k], shifts[i / 16][i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void md5_init(struct md5 *m)
{
	static const unsigned char iv[MD5_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	                                          0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
	md5_init_state(m, iv, 0);
}

void md5_init_state(struct md5 *m, const unsigned char state[MD5_LEN], uint64_t n_blocks)
{
	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < 4; i++)
		m->h[i] = load_le32(state + 4 * i);
	m->n_bytes = n_blocks * MD5_BLOCK_LEN;
}

void md5_update(struct md5 *m, const void *data, size_t len)
{
	const unsigned char *p = data;
	m->n_bytes += len;
	while (len > 0) {
		size_t n = MD5_BLOCK_LEN - m->buf_len;
		if (n > len)
			n = len;
		memcpy(m->buf + m->buf_len, p, n);
		m->buf_len += n;
		p += n;
		len -= n;
		if (m->buf_len == MD5_BLOCK_LEN) {
			compress(m->h, m->buf);
			m->buf_len = 0;
		}
	}
}

void md5_final(struct md5 *m, unsigned char out[MD5_LEN])
{
	unsigned char pad[MD5_BLOCK_LEN + 8] = {0x80};
	uint64_t bits = m->n_bytes * 8;
	size_t n = (m->buf_len < 56 ? 56 : 120) - m->buf_len;
	for (size_t i = 0; i < 8; i++)
		pad[n + i] = (unsigned char)(bits >> (8 * i));
	md5_update(m, pad, n + 8);
	for (size_t i = 0; i < 4; i++)
		store_le32(out + 4 * i, m->h[i]);
	explicit_bzero(m, sizeof *m);
}

void md5_digest(const void *data, size_t len, unsigned char out[MD5_LEN])
{
	struct md5 m;
	md5_init(&m);
	md5_update(&m, data, len);
	md5_final(&m, out);
}

/* The state after one block of key ^ pad. */
static void pad_state(const unsigned char key[MD5_BLOCK_LEN], unsigned char pad,
                      unsigned char out[MD5_LEN])
{
	unsigned char block[MD5_BLOCK_LEN];
	struct md5 m;
	for (size_t i = 0; i < MD5_BLOCK_LEN; i++)
		block[i] = key[i] ^ pad;
	md5_init(&m);
	compress(m.h, block);
	for (size_t i = 0; i < 4; i++)
		store_le32(out + 4 * i, m.h[i]);
	explicit_bzero(block, sizeof block);
	explicit_bzero(&m, sizeof m);
}

void md5_hmac_prepare(const void *key, size_t key_len, unsigned char prep[MD5_HMAC_PREP_LEN])
{
	unsigned char k[MD5_BLOCK_LEN] = {0};
	if (key_len > MD5_BLOCK_LEN)
		md5_digest(key, key_len, k);
	else if (key_len > 0)
		memcpy(k, key, key_len);
	pad_state(k, 0x5c, prep);
	pad_state(k, 0x36, prep + MD5_LEN);
	explicit_bzero(k, sizeof k);
}

void md5_hmac_finish(const unsigned char prep[MD5_HMAC_PREP_LEN], const void *msg, size_t len,
                     unsigned char out[MD5_LEN])
{
	struct md5 m;
	unsigned char inner[MD5_LEN];
	md5_init_state(&m, prep + MD5_LEN, 1);
	md5_update(&m, msg, len);
	md5_final(&m, inner);
	md5_init_state(&m, prep, 1);
	md5_update(&m, inner, sizeof inner);
	md5_final(&m, out);
}

void md5_hmac(const void *key, size_t key_len, const void *msg, size_t len,
              unsigned char out[MD5_LEN])
{
	unsigned char prep[MD5_HMAC_PREP_LEN];
	md5_hmac_prepare(key, key_len, prep);
	md5_hmac_finish(prep, msg, len, out);
	explicit_bzero(prep, sizeof prep);
}
