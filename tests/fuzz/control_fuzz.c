/* libFuzzer harness for control_parse_lines (qmail-control(5) line rules). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int skip = 0; skip <= 1; skip++) {
		struct strlist l = { 0 };
		int rc = control_parse_lines((const char *)data, size, skip, &l);
		if (rc == 0) {
			if (memchr(data, '\0', size))
				abort();
			for (size_t i = 0; i < l.n; i++) {
				size_t n = strlen(l.v[i]);
				if (strchr(l.v[i], '\n'))
					abort();
				if (n > 0 && strchr(" \t\r", l.v[i][n - 1]))
					abort();
				if (skip && (n == 0 || l.v[i][0] == '#'))
					abort();
			}
		} else if (l.n != 0) {
			abort();
		}
		strlist_free(&l);
	}
	return 0;
}
