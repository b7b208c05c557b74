/* inject_svc_fuzz.c: libFuzzer harness for etc/services and --listen parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inject_svc.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_table t, u;
	if (inject_svc_parse((const char *)data, size, &t) == 0) {
		struct sbuf b = SBUF_INIT;
		inject_svc_format(&t, &b);
		if (inject_svc_parse(b.s, b.len, &u) != 0)
			abort();
		sbuf_free(&b);
	}
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	inject_svc_defaults(&t, false);
	(void)inject_svc_apply_listen(&t, s);
	free(s);
	return 0;
}
