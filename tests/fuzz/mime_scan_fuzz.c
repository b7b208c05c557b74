/* mime_scan_fuzz.c: the streaming MIME walker (mime_scan.h).  Properties:
 * no line passed on is longer than MIME_LINE_KEEP; at most MIME_DEPTH_MAX
 * multiparts are open; feeding the input at once or in chunks (sizes
 * taken from the input's first byte) gives the same lines and verdict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime_scan.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool collect(void *ctx, const char *line, size_t len)
{
	struct sbuf *b = ctx;
	if (len == 0 || len > MIME_LINE_KEEP)
		abort();
	sbuf_append_ulong(b, len);
	sbuf_append_char(b, ':');
	sbuf_append(b, line, len);
	return false;
}

static struct mime_scan whole, chunked;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf a = SBUF_INIT, b = SBUF_INIT;
	size_t step = size > 0 ? (size_t)data[0] % 64 + 1 : 1;
	const char *msg = (const char *)data;
	mime_scan_init(&whole, collect, &a);
	mime_scan_feed(&whole, msg, size);
	mime_scan_finish(&whole);
	mime_scan_init(&chunked, collect, &b);
	for (size_t i = 0; i < size; i += step)
		mime_scan_feed(&chunked, msg + i, size - i < step ? size - i : step);
	mime_scan_finish(&chunked);
	if (whole.n_open > MIME_DEPTH_MAX || a.len != b.len ||
	    (a.len > 0 && memcmp(a.s, b.s, a.len) != 0) ||
	    whole.is_unscannable != chunked.is_unscannable || whole.n_base64 != chunked.n_base64)
		abort();
	sbuf_free(&a);
	sbuf_free(&b);
	return 0;
}
