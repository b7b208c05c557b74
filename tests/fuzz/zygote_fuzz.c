/* zygote_fuzz: the zygote's request parser (zygote.h) on arbitrary packets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zygote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ZYGOTE_MSG_MAX)
		return 0;
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char *out[16];
	size_t n = 0;
	if (zygote_parse(buf, size, out, 16, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(out[i]);
			if (len == 0 || out[i] < buf || out[i] + len >= buf + size)
				abort();
		}
	}
	free(buf);
	return 0;
}
