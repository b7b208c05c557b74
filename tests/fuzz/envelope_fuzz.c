/* envelope_fuzz: envelope_parse and envelope_parse_qq; a parsed envelope
 * must format back to the same bytes and its tag offsets must point at
 * T or D tags. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_env(const char *d, size_t n)
{
	struct envelope e;
	if (envelope_parse(d, n, &e) != ENV_OK)
		return;
	for (size_t i = 0; i < e.n_rcpt; i++) {
		off_t off = e.rcpt[i].tag_offset;
		if (off < 0 || (size_t)off >= n || d[off] != (e.rcpt[i].done ? 'D' : 'T'))
			abort();
	}
	struct sbuf b = SBUF_INIT;
	envelope_format(&e, &b);
	/* Only canonical numbers survive a round trip; compare re-parsed fields. */
	struct envelope e2;
	if (envelope_parse(b.s, b.len, &e2) != ENV_OK || e2.n_rcpt != e.n_rcpt ||
	    strcmp(e2.sender, e.sender) != 0 || e2.birth != e.birth || e2.size != e.size)
		abort();
	envelope_free(&e2);
	sbuf_free(&b);
	envelope_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	check_env(d, size);
	struct envelope q;
	if (envelope_parse_qq(d, size, &q) == ENV_OK) {
		for (size_t i = 0; i < q.n_rcpt; i++)
			if (strchr(q.rcpt[i].addr, '\n') || strchr(q.rcpt[i].addr, '\r'))
				abort();
		envelope_free(&q);
	}
	return 0;
}
