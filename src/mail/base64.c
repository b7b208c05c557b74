/*
 * base64.c: strict base64 (see base64.h).
 */
#include "base64.h"

#include <stdbool.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *p, size_t n, struct sbuf *out)
{
	const unsigned char *b = p;
	sbuf_clear(out);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)b[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)b[i + 1] << 8;
		if (i + 2 < n)
			v |= b[i + 2];
		sbuf_append_char(out, alphabet[(v >> 18) & 63]);
		sbuf_append_char(out, alphabet[(v >> 12) & 63]);
		sbuf_append_char(out, i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
		sbuf_append_char(out, i + 2 < n ? alphabet[v & 63] : '=');
	}
	sbuf_append(out, "", 0);
}

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One group of four; pad is how many '=' it may end with (last group). */
static int group(const char *s, bool is_last, struct sbuf *out)
{
	int v[4];
	size_t pad = 0;
	for (size_t i = 0; i < 4; i++) {
		if (s[i] == '=' && is_last && i >= 2) {
			pad++;
			v[i] = 0;
			continue;
		}
		if (pad > 0 || (v[i] = value(s[i])) < 0)
			return -1;
	}
	unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
	             (unsigned)v[3];
	if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0))
		return -1; /* non-canonical: stray bits */
	char bytes[3] = {(char)(w >> 16), (char)(w >> 8), (char)w};
	sbuf_append(out, bytes, 3 - pad);
	return 0;
}

int base64_decode(const char *s, size_t n, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_append(out, "", 0);
	if (n % 4 != 0 || n > BASE64_IN_MAX)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		if (group(s + i, i + 4 == n, out) < 0) {
			sbuf_clear(out);
			return -1;
		}
	}
	return 0;
}
