/*
 * regex_list.c: compiled pattern lists for qmail-rcptcheck-qregex
 * (regex_list.h).
 */
#include "regex_list.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct regex_list *out, int e, size_t line, size_t *bad_line)
{
	regex_list_free(out);
	*bad_line = line;
	errno = e;
	return -1;
}

/* Compiles one line into e; 0, or -1 with errno and the reason in err. */
static int compile_line(const char *line, struct regex_entry *e, struct sbuf *err)
{
	size_t len = strlen(line);
	if (len > REGEX_LIST_LINE_MAX) {
		sbuf_printf(err, "pattern longer than %u bytes", REGEX_LIST_LINE_MAX);
		return errno = E2BIG, -1;
	}
	e->is_negated = line[0] == '!';
	const char *pat = e->is_negated ? line + 1 : line;
	if (*pat == '\0') {
		sbuf_set_str(err, "empty pattern");
		return errno = EINVAL, -1;
	}
	int rc = regcomp(&e->re, pat, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &e->re, msg, sizeof msg);
		sbuf_set_str(err, msg);
		return errno = EINVAL, -1;
	}
	return 0;
}

int regex_list_compile(const struct strlist *lines, struct regex_list *out, size_t *bad_line,
                       struct sbuf *err)
{
	out->v = NULL;
	out->n = 0;
	sbuf_clear(err);
	if (lines->n > REGEX_LIST_MAX) {
		sbuf_printf(err, "more than %u patterns", REGEX_LIST_MAX);
		return fail(out, E2BIG, 0, bad_line);
	}
	if (lines->n == 0)
		return 0;
	out->v = xreallocarray(NULL, lines->n, sizeof *out->v);
	for (size_t i = 0; i < lines->n; i++) {
		if (compile_line(lines->v[i], &out->v[i], err) < 0)
			return fail(out, errno, i + 1, bad_line);
		out->n = i + 1;
	}
	return 0;
}

size_t regex_list_match(const struct regex_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		bool hit = regexec(&l->v[i].re, s, 0, NULL, 0) == 0;
		if (hit != l->v[i].is_negated)
			return i + 1;
	}
	return 0;
}

void regex_list_free(struct regex_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		regfree(&l->v[i].re);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
