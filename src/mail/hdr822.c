#include "hdr822.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "proto_limits.h"
#include "sbuf.h"

/* Length of the field name at s (RFC 5322 ftext), 0 when s is no field. */
static size_t field_name_len(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && s[i] > ' ' && s[i] < 0x7f && s[i] != ':')
		i++;
	size_t name = i;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return name > 0 && i < len && s[i] == ':' ? name : 0;
}

static size_t line_len(const char *s, size_t len)
{
	const char *lf = memchr(s, '\n', len);
	return lf ? (size_t)(lf - s) + 1 : len;
}

static void add_field(struct hdr_list *out, const char *s, size_t len, size_t name_len)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 16;
		out->v = xreallocarray(out->v, out->cap, sizeof *out->v);
	}
	struct hdr_field *f = &out->v[out->n++];
	f->text = xmemdup(s, len);
	f->len = len;
	f->name_len = name_len;
	f->is_deleted = false;
}

enum hdr_status hdr822_parse(const char *data, size_t len, struct hdr_list *out, size_t *body_off)
{
	size_t pos = 0;
	memset(out, 0, sizeof *out);
	while (pos < len) {
		size_t n = line_len(data + pos, len - pos);
		if (data[pos] == '\n') {
			pos += 1;
			break;
		}
		size_t name = field_name_len(data + pos, n);
		if (name == 0)
			break;
		size_t start = pos;
		pos += n;
		while (pos < len && (data[pos] == ' ' || data[pos] == '\t')) {
			pos += line_len(data + pos, len - pos);
			if (pos - start > HEADER_FIELD_MAX)
				break;
		}
		enum hdr_status st = HDR_OK;
		if (pos - start > HEADER_FIELD_MAX)
			st = HDR_FIELD_TOO_BIG;
		else if (pos > HEADER_SECTION_MAX)
			st = HDR_SECTION_TOO_BIG;
		if (st != HDR_OK) {
			hdr822_free(out);
			return st;
		}
		add_field(out, data + start, pos - start, name);
	}
	*body_off = pos;
	return HDR_OK;
}

void hdr822_free(struct hdr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof *l);
}

bool hdr822_is(const struct hdr_field *f, const char *name)
{
	return strlen(name) == f->name_len && strncasecmp(f->text, name, f->name_len) == 0;
}

long hdr822_find(const struct hdr_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].is_deleted && hdr822_is(&l->v[i], name))
			return (long)i;
	}
	return -1;
}

const char *hdr822_value(const struct hdr_field *f, size_t *len)
{
	const char *colon = memchr(f->text, ':', f->len);
	*len = f->len - (size_t)(colon + 1 - f->text);
	return colon + 1;
}

struct alp {
	struct sbuf cur;   /* addr-spec text outside angle brackets */
	struct sbuf angle; /* text inside <...> */
	bool has_angle;
	bool in_angle;
	struct strlist *out;
};

static int emit(struct alp *a)
{
	struct sbuf *s = a->has_angle ? &a->angle : &a->cur;
	int rc = 0;
	if (s->len > 0) {
		if (a->out->n >= HDR822_ADDRS_MAX)
			rc = -1;
		else
			strlist_add(a->out, s->s, s->len);
	}
	sbuf_clear(&a->cur);
	sbuf_clear(&a->angle);
	a->has_angle = false;
	return rc;
}

/* Skips a comment starting at v[*i] == '('; -1 if unterminated. */
static int skip_comment(const char *v, size_t len, size_t *i)
{
	size_t depth = 0;
	for (; *i < len; (*i)++) {
		if (v[*i] == '\\')
			(*i)++;
		else if (v[*i] == '(')
			depth++;
		else if (v[*i] == ')' && --depth == 0)
			return 0;
	}
	return -1;
}

/* Copies a quoted string starting at v[*i] == '"', quotes included. */
static int copy_quoted(const char *v, size_t len, size_t *i, struct sbuf *to)
{
	sbuf_append_char(to, '"');
	for ((*i)++; *i < len; (*i)++) {
		if (v[*i] == '\\' && *i + 1 < len) {
			sbuf_append(to, v + *i, 2);
			(*i)++;
		} else if (v[*i] == '"') {
			sbuf_append_char(to, '"');
			return 0;
		} else if (v[*i] != '\n') {
			sbuf_append_char(to, v[*i]);
		}
	}
	return -1;
}

static int step(struct alp *a, const char *v, size_t len, size_t *i)
{
	char c = v[*i];
	struct sbuf *to = a->in_angle ? &a->angle : &a->cur;
	if (c == '(')
		return skip_comment(v, len, i);
	if (c == '"')
		return copy_quoted(v, len, i, to);
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return 0;
	if (c == '<') {
		if (a->in_angle || a->has_angle)
			return -1;
		a->in_angle = a->has_angle = true;
		return 0;
	}
	if (c == '>') {
		if (!a->in_angle)
			return -1;
		a->in_angle = false;
		return 0;
	}
	if (a->in_angle && c == ':') {
		sbuf_clear(&a->angle); /* source route "@a,@b:user@d" */
		return 0;
	}
	if (!a->in_angle && (c == ',' || c == ';'))
		return emit(a);
	if (!a->in_angle && c == ':') {
		sbuf_clear(&a->cur); /* group display name */
		return a->has_angle ? -1 : 0;
	}
	if (c == '\\' && *i + 1 < len) {
		sbuf_append(to, v + *i, 2);
		(*i)++;
		return 0;
	}
	if ((unsigned char)c < 0x20 || c == 0x7f)
		return -1;
	sbuf_append_char(to, c);
	return 0;
}

int hdr822_addrlist(const char *value, size_t len, struct strlist *out)
{
	struct alp a = {SBUF_INIT, SBUF_INIT, false, false, out};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < len; i++)
		rc = step(&a, value, len, &i);
	if (rc == 0 && a.in_angle)
		rc = -1;
	if (rc == 0)
		rc = emit(&a);
	sbuf_free(&a.cur);
	sbuf_free(&a.angle);
	return rc;
}
