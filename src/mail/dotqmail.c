/*
 * dotqmail.c: .qmail parser (dotqmail.h).
 */
#include "dotqmail.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static size_t trim_blanks(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

int dotqmail_parse_line(const char *line, size_t len, enum dotqmail_kind *kind,
                        size_t *start, size_t *tlen)
{
	if (memchr(line, '\0', len))
		return -1;
	size_t trimmed = trim_blanks(line, len);
	if (trimmed == 0 || line[0] == '#')
		return 0;
	*start = 0;
	*tlen = trimmed;
	switch (line[0]) {
	case '|':
		*kind = DQ_PROGRAM;
		*start = 1;
		*tlen = len - 1;
		return trimmed > 1 ? 1 : -1;
	case '&':
		*kind = DQ_FORWARD;
		*start = 1;
		*tlen = trimmed - 1;
		return trimmed > 1 ? 1 : -1;
	case '/':
	case '.':
		*kind = line[trimmed - 1] == '/' ? DQ_MAILDIR : DQ_MBOX;
		return 1;
	default:
		*kind = DQ_FORWARD;
		return 1;
	}
}

static void add_line(struct dotqmail *d, enum dotqmail_kind kind, const char *s,
                     size_t len, size_t lineno)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof *d->v);
	}
	d->v[d->n].kind = kind;
	d->v[d->n].text = xmemdup(s, len);
	d->v[d->n].lineno = lineno;
	d->n++;
}

static enum dotqmail_status parse_one(struct dotqmail *d, const char *line,
                                      size_t len, size_t lineno)
{
	enum dotqmail_kind kind;
	size_t start, tlen;
	if (len > DOTQMAIL_LINE_MAX)
		return DQ_TOO_BIG;
	int r = dotqmail_parse_line(line, len, &kind, &start, &tlen);
	if (r < 0)
		return memchr(line, '\0', len) ? DQ_BAD_CHAR : DQ_EMPTY_TARGET;
	if (r == 0)
		return DQ_OK;
	if (d->n >= DOTQMAIL_DELIVERIES_MAX)
		return DQ_TOO_BIG;
	add_line(d, kind, line + start, tlen, lineno);
	return DQ_OK;
}

enum dotqmail_status dotqmail_parse(const char *data, size_t len, struct dotqmail *out)
{
	struct dotqmail d = { 0 };
	enum dotqmail_status st = DQ_OK;
	size_t lineno = 0, pos = 0;
	if (len > DOTQMAIL_FILE_MAX)
		return DQ_TOO_BIG;
	while (pos < len && st == DQ_OK) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		st = parse_one(&d, data + pos, end - pos, ++lineno);
		pos = end + 1;
	}
	if (st != DQ_OK) {
		dotqmail_free(&d);
		return st;
	}
	*out = d;
	return DQ_OK;
}

void dotqmail_free(struct dotqmail *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	memset(d, 0, sizeof *d);
}

const char *dotqmail_status_str(enum dotqmail_status st)
{
	switch (st) {
	case DQ_OK:
		return "ok";
	case DQ_TOO_BIG:
		return "file, line or delivery count over the limit";
	case DQ_BAD_CHAR:
		return "NUL byte in file";
	case DQ_EMPTY_TARGET:
		return "empty program or forward line";
	}
	return "unknown";
}
