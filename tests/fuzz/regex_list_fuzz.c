/* regex_list_fuzz.c: control/badmailfromregex as qmail-rcptcheck-qregex
 * reads it (control_parse_lines, then regex_list_compile).  Properties: on
 * failure the list is empty and the bad line is within the file; on
 * success there is one pattern per line and a match names one of them.
 * Only a small alphabet is let through (no repetition operators): glibc's
 * regcomp blows up on some of those (e.g. long runs of '+'), which is
 * glibc's compiler, not the list logic this harness is about. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "regex_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALPHABET "abcxyzABC019@.^$!#[]():|-_ \t\r\n"

static const char *const subjects[] = {"", "a@b.example", "SPAM@EVIL.EXAMPLE", "x"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\0' || strchr(ALPHABET, data[i]) == NULL)
			return 0;
	}
	struct strlist lines = {0};
	if (control_parse_lines((const char *)data, size, 1, &lines) < 0)
		return 0;
	struct regex_list rl;
	struct sbuf err = SBUF_INIT;
	size_t bad = 0;
	if (regex_list_compile(&lines, &rl, &bad, &err) < 0) {
		if (rl.n != 0 || rl.v != NULL || bad > lines.n || err.len == 0)
			abort();
	} else {
		if (rl.n != lines.n)
			abort();
		for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
			if (regex_list_match(&rl, subjects[i]) > rl.n)
				abort();
		}
		regex_list_free(&rl);
	}
	strlist_free(&lines);
	sbuf_free(&err);
	return 0;
}
