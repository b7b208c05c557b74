/* qfilter_conf_fuzz.c: the control/qfilters parser.  Properties: on
 * success every filter has 1..QFILTER_ARGS_MAX words, argv[0] is absolute,
 * no word is empty or holds a blank, CR, LF or NUL; on failure the result
 * is empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qfilter_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *w)
{
	if (w[0] == '\0' || strpbrk(w, " \t\r\n") != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qfilter_conf c;
	if (qfilter_conf_parse((const char *)data, size, &c) < 0) {
		if (c.n != 0 || c.v != NULL)
			abort();
		return 0;
	}
	if (c.n > QFILTER_MAX)
		abort();
	for (size_t i = 0; i < c.n; i++) {
		const struct qfilter *f = &c.v[i];
		if (f->argc == 0 || f->argc > QFILTER_ARGS_MAX || f->argv[0][0] != '/' ||
		    f->argv[f->argc] != NULL)
			abort();
		for (size_t j = 0; j < f->argc; j++)
			check_word(f->argv[j]);
	}
	qfilter_conf_free(&c);
	return 0;
}
