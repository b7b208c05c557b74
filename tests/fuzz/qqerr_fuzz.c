/* qqerr_fuzz.c: the queue program reply parser (qqerr.h).  Properties: an
 * invalid message leaves an empty text; a valid one is D/Z, printable
 * ASCII, at most QQERR_TEXT_MAX bytes, no space at either end; the SMTP
 * reply is one line starting "554 5." or "451 4." that fits in 512 octets
 * with its CRLF (RFC 5321 4.5.3.1.5). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qqerr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const struct qqerr *e)
{
	if (e->len == 0 || e->len > QQERR_TEXT_MAX || strlen(e->text) != e->len)
		abort();
	if (e->text[0] == ' ' || e->text[e->len - 1] == ' ')
		abort();
	for (size_t i = 0; i < e->len; i++) {
		if (e->text[i] < 0x20 || e->text[i] > 0x7e)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qqerr e;
	enum qqerr_kind k = qqerr_parse((const char *)data, size, &e);
	if (k != e.kind)
		abort();
	if (k == QQERR_NONE) {
		if (e.len != 0 || e.text[0] != '\0')
			abort();
		return 0;
	}
	if ((k == QQERR_PERM) != (data[0] == 'D'))
		abort();
	check_text(&e);
	struct sbuf r = SBUF_INIT;
	qqerr_format_reply(&e, &r);
	const char *want = k == QQERR_PERM ? "554 5." : "451 4.";
	if (r.len + 2 > 512 || memcmp(r.s, want, 6) != 0 || strlen(r.s) != r.len)
		abort();
	for (size_t i = 0; i < r.len; i++) {
		if (r.s[i] < 0x20 || r.s[i] > 0x7e)
			abort();
	}
	sbuf_free(&r);
	return 0;
}
