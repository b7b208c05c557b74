#include "inject_aliases.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "alloc.h"
#include "aliasdb.h"
#include "cdbmap.h"
#include "fdio.h"

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static int add_target(const char *t, size_t len, const char *defdomain, struct sbuf *value)
{
	struct sbuf norm = SBUF_INIT;
	trim(&t, &len);
	if (len >= 2 && t[0] == '"' && t[len - 1] == '"')
		t++, len -= 2;
	if (len == 0 || memchr(t, '\0', len))
		return -1;
	if (t[0] == '|' || t[0] == '/') {
		sbuf_append(value, t, len);
	} else {
		if (addr_normalize(t, len, defdomain, &norm) != ADDR_OK || norm.len == 0) {
			sbuf_free(&norm);
			return -1;
		}
		sbuf_append(value, norm.s, norm.len);
	}
	sbuf_append_char(value, '\0');
	sbuf_free(&norm);
	return value->len > ALIASDB_VALUE_MAX ? -1 : 0;
}

/* Splits at commas outside double quotes. */
static int parse_targets(const char *s, size_t len, const char *defdomain, struct sbuf *value)
{
	size_t start = 0;
	bool quoted = false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '"')
			quoted = !quoted;
		if (i < len && (quoted || s[i] != ','))
			continue;
		if (add_target(s + start, i - start, defdomain, value) < 0)
			return -1;
		start = i + 1;
	}
	return quoted ? -1 : 0;
}

static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '@' || c == ':' || c == '"')
			return false;
	}
	return true;
}

static int add_entry(const char *line, size_t len, const char *defdomain, struct alias_list *out)
{
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return -1;
	const char *name = line;
	size_t nlen = (size_t)(colon - line);
	trim(&name, &nlen);
	if (!name_ok(name, nlen) || memmem(line, len, ":include:", 9))
		return -1;
	char *key = xmemdup(name, nlen);
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->v[i].name, key) == 0) {
			free(key);
			return -1;
		}
	}
	struct alias_entry e = {key, SBUF_INIT};
	size_t rest = len - (size_t)(colon - line) - 1;
	if (parse_targets(colon + 1, rest, defdomain, &e.value) < 0) {
		free(key);
		sbuf_free(&e.value);
		return -1;
	}
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 16;
		out->v = xreallocarray(out->v, out->cap, sizeof *out->v);
	}
	out->v[out->n++] = e;
	return 0;
}

static int flush_logical(struct sbuf *logical, size_t lineno, const char *defdomain,
                         struct alias_list *out, struct sbuf *err)
{
	if (logical->len == 0)
		return 0;
	int rc = add_entry(logical->s, logical->len, defdomain, out);
	if (rc < 0)
		sbuf_printf(err, "line %zu: bad alias entry", lineno);
	sbuf_clear(logical);
	return rc;
}

int inject_aliases_parse(const char *data, size_t len, const char *defdomain,
                         struct alias_list *out, struct sbuf *err)
{
	struct sbuf logical = SBUF_INIT;
	size_t pos = 0, lineno = 0, start_line = 0;
	int rc = memchr(data, '\0', len) ? -1 : 0;
	if (rc < 0)
		sbuf_set_str(err, "NUL byte in file");
	while (rc == 0 && pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		pos += n + (lf ? 1 : 0);
		lineno++;
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] != ' ' && line[0] != '\t') {
			rc = flush_logical(&logical, start_line, defdomain, out, err);
			start_line = lineno;
		} else if (logical.len == 0) {
			sbuf_printf(err, "line %zu: continuation without an entry", lineno);
			rc = -1;
		}
		if (rc == 0 && logical.len + n > ALIASES_LINE_MAX) {
			sbuf_printf(err, "line %zu: entry too long", lineno);
			rc = -1;
		}
		if (rc == 0)
			sbuf_append(&logical, line, n);
	}
	if (rc == 0)
		rc = flush_logical(&logical, start_line, defdomain, out, err);
	sbuf_free(&logical);
	if (rc < 0)
		inject_aliases_free(out);
	return rc;
}

void inject_aliases_free(struct alias_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		sbuf_free(&l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

int inject_aliases_compile(const char *src, const char *cdb_path, const char *defdomain,
                           struct sbuf *err)
{
	struct sbuf data = SBUF_INIT;
	struct alias_list l = {NULL, 0, 0};
	if (file_read_all(src, &data, ALIASES_FILE_MAX) < 0 && errno != ENOENT) {
		sbuf_printf(err, "cannot read %s", src);
		sbuf_free(&data);
		return -1;
	}
	int rc = inject_aliases_parse(sbuf_cstr(&data), data.len, defdomain, &l, err);
	sbuf_free(&data);
	if (rc < 0)
		return -1;
	struct cdbmap_build b;
	rc = cdbmap_build_begin(&b, cdb_path, NULL, 0644);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		rc = cdbmap_build_add(&b, l.v[i].name, strlen(l.v[i].name), l.v[i].value.s,
		                      l.v[i].value.len);
		if (rc < 0)
			cdbmap_build_abort(&b);
	}
	if (rc == 0)
		rc = cdbmap_build_commit(&b);
	if (rc < 0 && err->len == 0)
		sbuf_printf(err, "cannot write %s", cdb_path);
	inject_aliases_free(&l);
	return rc;
}
