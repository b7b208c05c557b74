/* smtproutes_fuzz.c: route values and the domain lookup.  Properties: a
 * parsed route has a bounded host of name/literal characters, a port in
 * range, credentials of printable bytes only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "smtproutes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmemdup(data, size);
	struct smtproute r;
	if (strlen(s) == size && smtproutes_parse(s, &r) == 0) {
		if (strlen(r.host) > ADDR_DOMAIN_MAX || r.port > 65535)
			abort();
		for (const char *p = r.user; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p > 0x7e)
				abort();
		if (strpbrk(r.host, " \t\r\n/"))
			abort();
	}
	struct strlist l = { 0 };
	control_parse_lines((const char *)data, size, 1, &l);
	const char *v = smtproutes_find(&l, "a.b.example");
	if (v && (strlen(v) > size))
		abort();
	strlist_free(&l);
	free(s);
	return 0;
}
