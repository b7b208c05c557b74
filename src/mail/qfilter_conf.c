#include "qfilter_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fdio.h"
#include "proto_limits.h"
#include "sbuf.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void filter_add_word(struct qfilter *f, const char *p, size_t n)
{
	f->argv = xreallocarray(f->argv, f->argc + 2, sizeof *f->argv);
	f->argv[f->argc++] = xmemdup(p, n);
	f->argv[f->argc] = NULL;
}

static void filter_free(struct qfilter *f)
{
	for (size_t i = 0; i < f->argc; i++)
		free(f->argv[i]);
	free(f->argv);
	f->argv = NULL;
	f->argc = 0;
}

/* Splits one line (no LF) into words; -1 on anything invalid. */
static int parse_line(const char *line, size_t len, struct qfilter *f)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && !is_blank(line[i]))
			i++;
		if (f->argc == QFILTER_ARGS_MAX)
			return -1;
		filter_add_word(f, line + start, i - start);
	}
	if (f->argc == 0 || f->argv[0][0] != '/')
		return -1;
	return 0;
}

static int is_skipped(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && is_blank(line[i]))
		i++;
	return i == len || line[0] == '#';
}

/* Adds the filter on one line to c; 0 ok (or skipped), -1 invalid. */
static int conf_add_line(struct qfilter_conf *c, const char *line, size_t len)
{
	if (len > QFILTER_LINE_MAX || memchr(line, '\r', len) != NULL)
		return -1;
	if (is_skipped(line, len))
		return 0;
	if (c->n == QFILTER_MAX)
		return -1;
	struct qfilter f = {NULL, 0};
	if (parse_line(line, len, &f) < 0) {
		filter_free(&f);
		return -1;
	}
	c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
	c->v[c->n++] = f;
	return 0;
}

int qfilter_conf_parse(const char *data, size_t len, struct qfilter_conf *out)
{
	out->v = NULL;
	out->n = 0;
	if (len > 0 && memchr(data, 0, len) != NULL)
		goto invalid;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		if (conf_add_line(out, data + pos, end - pos) < 0)
			goto invalid;
		pos = end + 1;
	}
	return 0;
invalid:
	qfilter_conf_free(out);
	errno = EINVAL;
	return -1;
}

int qfilter_conf_read(const char *path, struct qfilter_conf *out)
{
	struct sbuf b = SBUF_INIT;
	out->v = NULL;
	out->n = 0;
	if (file_read_all(path, &b, CONTROL_FILE_MAX) < 0) {
		int e = errno;
		sbuf_free(&b);
		errno = e;
		return e == ENOENT ? 0 : -1;
	}
	int r = qfilter_conf_parse(b.s != NULL ? b.s : "", b.len, out);
	sbuf_free(&b);
	if (r < 0)
		errno = EINVAL;
	return r;
}

void qfilter_conf_free(struct qfilter_conf *c)
{
	for (size_t i = 0; i < c->n; i++)
		filter_free(&c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
