/* addr_fuzz.c: the RFC 5321 path parser and normaliser (addr.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "proto_limits.h"

static void check_output(const struct sbuf *out)
{
	/* An accepted address never holds a control byte and fits the limit. */
	for (size_t i = 0; i < out->len; i++) {
		unsigned char c = (unsigned char)out->s[i];
		if (c < 0x20 || c == 0x7f)
			abort();
	}
	if (out->len > ADDR_PATH_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sbuf out = SBUF_INIT, again = SBUF_INIT;
	size_t used = 0;
	bool allow_null = size > 0 && (data[0] & 1);
	if (addr_parse_path(s, size, allow_null, "default.example", &out, &used) == ADDR_OK) {
		if (used > size)
			abort();
		check_output(&out);
		/* Normalising a normalised address is the identity. */
		if (out.len > 0) {
			if (addr_normalize(out.s, out.len, NULL, &again) != ADDR_OK ||
			    strcmp(sbuf_cstr(&again), sbuf_cstr(&out)) != 0)
				abort();
		}
	}
	if (addr_normalize(s, size, NULL, &out) == ADDR_OK)
		check_output(&out);
	sbuf_free(&out);
	sbuf_free(&again);
	return 0;
}
