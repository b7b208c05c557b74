/* greylist_fuzz.c: the greylist entry reader and the triple builder.
 * Properties: a parsed entry names exactly the expected triple; a triple
 * never holds a line break and stays bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "greylist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t first, last;
	const char *nl = memchr(data, '\n', size);
	if (greylist_parse_entry((const char *)data, size, "192.0.2.0/24 a@b c@d", &first,
	                         &last)) {
		if (!nl || size - (size_t)((const uint8_t *)nl - data) != 22)
			abort();
	}
	char *s = xmemdup(data, size);
	struct sbuf t = SBUF_INIT;
	if (greylist_triple("192.0.2.9", s, s, &t)) {
		if (strchr(t.s, '\n') || strchr(t.s, '\r') || t.len > GREYLIST_TRIPLE_MAX)
			abort();
	}
	greylist_triple(s, "a@b", "c@d", &t);
	sbuf_free(&t);
	free(s);
	return 0;
}
