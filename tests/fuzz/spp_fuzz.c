/* spp_fuzz.c: the qmail-spp plugin output reader.  Properties: a reply is
 * one printable line starting with 2, 4 or 5; headers are printable lines
 * "Name: value"; environment entries hold "=" (set) or not (unset). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spp_result r;
	spp_parse_output((const char *)data, size, &r);
	if (r.reply.len > SPP_LINE_MAX || strchr(sbuf_cstr(&r.reply), '\n'))
		abort();
	if (r.reply.len > 0 && !strchr("245", r.reply.s[0]))
		abort();
	for (size_t i = 0; i < r.headers.len; i++) {
		unsigned char c = (unsigned char)r.headers.s[i];
		if (c != '\n' && (c < 0x20 || c > 0x7e))
			abort();
		if (c == '\n' && i + 1 < r.headers.len && r.headers.s[i + 1] == ' ')
			abort();
	}
	for (size_t i = 0; i < r.setenv.n; i++) {
		if (!strchr(r.setenv.v[i], '=') || r.setenv.v[i][0] == '=')
			abort();
	}
	for (size_t i = 0; i < r.unsetenv.n; i++) {
		if (strchr(r.unsetenv.v[i], '='))
			abort();
	}
	spp_result_free(&r);
	return 0;
}
