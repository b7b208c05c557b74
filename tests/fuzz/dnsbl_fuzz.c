/* dnsbl_fuzz.c: control/dnsbl lines and the RCPTCHECK output reader.
 * Properties: a zone holds only name characters, texts and replies are
 * printable and bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dnsbl.h"
#include "rcptcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const struct sbuf *b, size_t max)
{
	if (b->len > max)
		abort();
	for (size_t i = 0; i < b->len; i++) {
		if ((unsigned char)b->s[i] < 0x20 || (unsigned char)b->s[i] > 0x7e)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmemdup(data, size);
	struct sbuf zone = SBUF_INIT, text = SBUF_INIT, reply = SBUF_INIT;
	if (dnsbl_line_parse(s, &zone, &text)) {
		if (strspn(zone.s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") !=
		    zone.len)
			abort();
		printable(&text, DNSBL_TEXT_MAX);
	}
	for (int code = 99; code <= 112; code += 1) {
		rcptcheck_reply(code, s, size, &reply);
		printable(&reply, RCPTCHECK_LINE_MAX);
	}
	sbuf_free(&zone);
	sbuf_free(&text);
	sbuf_free(&reply);
	free(s);
	return 0;
}
