/* data_encode_fuzz.c: the outbound DATA encoder.  Properties: the input is
 * encoded in a fuzzer-chosen split; on success the wire form has no lone
 * CR or LF, no line starting with a single '.' before the final dot, and
 * decode(encode(m)) == m with CRLF normalised to LF and a final LF added;
 * inputs with a bare CR or NUL are refused (and data_encode_check agrees). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data_encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expected(const char *m, size_t n, struct sbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
			continue;
		sbuf_append_char(out, m[i]);
	}
	if (out->len && out->s[out->len - 1] != '\n')
		sbuf_append_char(out, '\n');
}

static void check_wire(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (w[i] == '\r' && (i + 1 >= n || w[i + 1] != '\n'))
			abort();
		if (w[i] == '\n' && (i == 0 || w[i - 1] != '\r'))
			abort();
		bool at_start = i == 0 || w[i - 1] == '\n';
		if (at_start && w[i] == '.' && i + 3 != n && (i + 1 >= n || w[i + 1] != '.'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t split = data[0] % (size);
	const char *m = (const char *)data + 1;
	size_t n = size - 1;
	split = split > n ? n : split;
	struct data_encoder e;
	struct sbuf wire = SBUF_INIT, back = SBUF_INIT, want = SBUF_INIT;
	data_encode_init(&e);
	enum data_status st = data_encode_chunk(&e, m, split, &wire);
	if (st == DATA_OK)
		st = data_encode_chunk(&e, m + split, n - split, &wire);
	if (st == DATA_OK)
		st = data_encode_finish(&e, &wire);
	bool has8;
	if ((st == DATA_OK) != (data_encode_check(m, n, &has8) == DATA_OK))
		abort();
	if (st == DATA_OK) {
		check_wire(wire.s, wire.len);
		if (data_decode(wire.s, wire.len, &back) != DATA_OK)
			abort();
		expected(m, n, &want);
		if (back.len != want.len || (want.len && memcmp(back.s, want.s, want.len)))
			abort();
		if (has8 != e.has_8bit)
			abort();
	}
	sbuf_clear(&back);
	(void)data_decode(m, n, &back);
	sbuf_free(&wire);
	sbuf_free(&back);
	sbuf_free(&want);
	return 0;
}
