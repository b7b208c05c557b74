/* assign_fuzz.c: users/assign lines; an accepted line has a key starting
 * with '!' and a value of exactly six NUL-terminated fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct assign_entry e = { false, SBUF_INIT, SBUF_INIT };
	if (assign_parse_line((const char *)data, size, &e) == ASSIGN_ENTRY) {
		size_t nul = 0;
		for (size_t i = 0; i < e.value.len; i++)
			nul += e.value.s[i] == '\0';
		if (e.key.s[0] != '!' || nul != 6 || e.value.s[e.value.len - 1] != '\0')
			abort();
	}
	assign_entry_free(&e);
	return 0;
}
