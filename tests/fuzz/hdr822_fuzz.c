/* hdr822_fuzz.c: libFuzzer harness for the header section and address-list
 * parsers (hdr822.h) and qmail-inject's line-ending normaliser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr822.h"
#include "inject_msg.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf norm = SBUF_INIT;
	inject_msg_normalize((const char *)data, size, &norm);
	if (memchr(norm.s ? norm.s : "", '\r', norm.len))
		abort();
	struct hdr_list h;
	size_t off = 0;
	if (hdr822_parse(sbuf_cstr(&norm), norm.len, &h, &off) == HDR_OK) {
		if (off > norm.len)
			abort();
		for (size_t i = 0; i < h.n; i++) {
			size_t vlen;
			const char *v = hdr822_value(&h.v[i], &vlen);
			struct strlist l = { NULL, 0, 0 };
			(void)hdr822_addrlist(v, vlen, &l);
			strlist_free(&l);
		}
		hdr822_free(&h);
	}
	struct strlist l = { NULL, 0, 0 };
	(void)hdr822_addrlist((const char *)data, size, &l);
	strlist_free(&l);
	sbuf_free(&norm);
	return 0;
}
