/* smtp_reply_fuzz.c: the SMTP reply parser, fed line by line as the client
 * reads them.  Properties: bounded (line and line-count limits), no byte
 * outside 0x20..0x7e in any stored text, a done reply has a valid code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r;
	smtp_reply_init(&r);
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = lf ? (size_t)(lf - p) : (size_t)(end - p);
		size_t ln = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
		enum smtp_reply_status st = smtp_reply_feed(&r, p, ln);
		if (r.lines.n > SMTP_REPLY_LINES_MAX)
			abort();
		check_text(sbuf_cstr(&r.text), r.text.len);
		if (st == REPLY_DONE) {
			if (r.code < 200 || r.code > 559 || r.lines.n == 0)
				abort();
			const char *args;
			(void)smtp_reply_has_keyword(&r, "SIZE", &args);
			smtp_reply_reset(&r);
		} else if (st == REPLY_BAD) {
			smtp_reply_reset(&r);
		}
		p += n + (lf ? 1 : 0);
	}
	char enh[SMTP_REPLY_ENH_MAX];
	size_t en = smtp_reply_enhanced((const char *)data, size, enh);
	if (en >= SMTP_REPLY_ENH_MAX || strlen(enh) != en)
		abort();
	smtp_reply_free(&r);
	return 0;
}
