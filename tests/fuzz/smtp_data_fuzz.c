/*
 * smtp_data_fuzz.c: the DATA state machine.  The first byte picks a chunk
 * size; feeding in chunks must give the same result as feeding at once,
 * and the output never holds a CR.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t run(const char *p, size_t n, size_t chunk, struct smtp_data *d, struct sbuf *out)
{
	size_t used = 0;
	smtp_data_init(d, 4096);
	while (used < n && d->state != SD_DONE && d->state != SD_FATAL) {
		size_t k = n - used < chunk ? n - used : chunk;
		size_t got = smtp_data_feed(d, p + used, k, out);
		if (got > k)
			abort();
		used += got;
		if (got < k && d->state != SD_DONE && d->state != SD_FATAL)
			abort();
	}
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t chunk = (size_t)(data[0] % 17) + 1;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct smtp_data a, b;
	struct sbuf oa = SBUF_INIT, ob = SBUF_INIT;
	size_t ua = run(p, n, n ? n : 1, &a, &oa);
	size_t ub = run(p, n, chunk, &b, &ob);
	if (ua != ub || a.state != b.state || a.error != b.error || a.stored != b.stored)
		abort();
	if (oa.len != ob.len || (oa.len && memcmp(oa.s, ob.s, oa.len) != 0))
		abort();
	if (oa.len && memchr(oa.s, '\r', oa.len))
		abort();
	if (a.error == SD_ERR_NONE && oa.len != a.stored)
		abort();
	if (smtp_data_reply(&a) == NULL)
		abort();
	sbuf_free(&oa);
	sbuf_free(&ob);
	return 0;
}
