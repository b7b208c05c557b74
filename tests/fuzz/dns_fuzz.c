/* dns_fuzz.c: MX rdata and wire-name parsing (the bytes come from the
 * network).  Properties: names are bounded and hold only [A-Za-z0-9._-];
 * sorting keeps preference order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t fixed(void)
{
	return 7;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_mx mx[8];
	size_t n = 0;
	char name[ADDR_DOMAIN_MAX + 1];
	size_t used = dns_name_parse(data, size, name);
	if (used > size || strlen(name) > ADDR_DOMAIN_MAX)
		abort();
	if (used && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
			    strlen(name))
		abort();
	/* the visible-ASCII form accepts a superset, never a '\\' or a space */
	char visible[ADDR_DOMAIN_MAX + 1];
	size_t used_v = dns_name_parse_as(data, size, DNS_NAME_VISIBLE, visible);
	if (used_v > size || strlen(visible) > ADDR_DOMAIN_MAX || (used && used_v != used) ||
	    (used_v && strpbrk(visible, "\\ ") != NULL))
		abort();
	for (size_t off = 0; off < size && n < 8; off += 16)
		if (dns_mx_parse(data + off, size - off < 16 ? size - off : 16, &mx[n]))
			n++;
	dns_mx_sort(mx, n, fixed);
	for (size_t i = 1; i < n; i++)
		if (mx[i - 1].pref > mx[i].pref)
			abort();
	return 0;
}
