/* inject_aliases_fuzz.c: libFuzzer harness for the aliases(5) parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "inject_aliases.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alias_list l = { NULL, 0, 0 };
	struct sbuf err = SBUF_INIT;
	if (inject_aliases_parse((const char *)data, size, "me.example", &l, &err) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].value.len == 0 || l.v[i].value.s[l.v[i].value.len - 1] != '\0')
				abort();
		}
	}
	inject_aliases_free(&l);
	sbuf_free(&err);
	return 0;
}
