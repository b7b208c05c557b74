/* base64_fuzz.c: the strict base64 decoder (base64.h): whatever it accepts
 * re-encodes to exactly the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT, again = SBUF_INIT;
	if (base64_decode((const char *)data, size, &out) == 0) {
		if (out.len > size / 4 * 3)
			abort();
		base64_encode(out.s, out.len, &again);
		if (again.len != size || memcmp(again.s, data, size) != 0)
			abort();
	}
	sbuf_free(&out);
	sbuf_free(&again);
	return 0;
}
