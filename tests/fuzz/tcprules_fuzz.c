/* libFuzzer harness for the tcprules(1) source parser and cdb value decoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcprules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcprules_set s = { 0 };
	size_t bad = 0;
	const char *err = NULL;
	if (tcprules_parse((const char *)data, size, &s, &bad, &err) == 0) {
		struct sbuf val = SBUF_INIT;
		for (size_t i = 0; i < s.n; i++) {
			struct strlist keys = { 0 };
			(void)tcprules_keys(sbuf_cstr(&s.v[i].address), &keys);
			if (keys.n > 256)
				abort();
			strlist_free(&keys);
			/* Encoding then decoding gives the rule back. */
			struct tcprules_result r = { false, { 0 }, SBUF_INIT };
			tcprules_encode(&s.v[i], &val);
			int rc = tcprules_decode(val.s, val.len, &r);
			if (rc == 0 && (r.is_allow != s.v[i].is_allow || r.env.n != s.v[i].env.n))
				abort();
			tcprules_result_free(&r);
		}
		sbuf_free(&val);
	} else if (bad == 0 || err == NULL) {
		abort();
	}
	tcprules_set_free(&s);
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	if (tcprules_decode((const char *)data, size, &r) < 0 && (r.is_allow || r.env.n))
		abort();
	tcprules_result_free(&r);
	return 0;
}
