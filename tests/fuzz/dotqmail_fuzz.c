/* dotqmail_fuzz.c: the .qmail parser must never crash, leak or return an
 * instruction with an empty target. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotqmail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotqmail d;
	if (dotqmail_parse((const char *)data, size, &d) != DQ_OK)
		return 0;
	if (d.n > DOTQMAIL_DELIVERIES_MAX)
		abort();
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].text[0] == '\0' || strchr(d.v[i].text, '\n'))
			abort();
	dotqmail_free(&d);
	return 0;
}
