/*
 * mime_scan.c: the streaming MIME walker of mime_scan.h.
 */
#include "mime_scan.h"

#include <string.h>
#include <strings.h>

/* A read position in one unfolded header value. */
struct cursor {
	const char *s;
	size_t len, i;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return is_blank(c) || c == '\r' || c == '\n';
}

static void skip_space(struct cursor *c)
{
	while (c->i < c->len && is_space(c->s[c->i]))
		c->i++;
}

/* The token at c (up to a blank, a tspecial we stop at, or the end). */
static size_t token(struct cursor *c, const char *stop)
{
	size_t start = c->i;
	while (c->i < c->len && !is_space(c->s[c->i]) && strchr(stop, c->s[c->i]) == NULL)
		c->i++;
	return c->i - start;
}

static bool token_is(const struct cursor *c, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(c->s + c->i - n, word, n) == 0;
}

/* Moves past the next ';' that is outside a quoted string. */
static bool next_param(struct cursor *c)
{
	bool in_quote = false;
	for (; c->i < c->len; c->i++) {
		char ch = c->s[c->i];
		if (in_quote && ch == '\\')
			c->i++;
		else if (ch == '"')
			in_quote = !in_quote;
		else if (ch == ';' && !in_quote)
			return c->i++, true;
	}
	return false;
}

/* A parameter value, token or quoted string (RFC 2045 5.1), into b;
 * false if it does not fit or a quoted string is not closed. */
static bool param_value(struct cursor *c, struct mime_boundary *b)
{
	b->len = 0;
	if (c->i < c->len && c->s[c->i] == '"') {
		for (c->i++; c->i < c->len && c->s[c->i] != '"'; c->i++) {
			if (c->s[c->i] == '\\' && c->i + 1 < c->len)
				c->i++;
			if (b->len == MIME_BOUNDARY_MAX)
				return false;
			b->s[b->len++] = c->s[c->i];
		}
		return c->i < c->len && b->len > 0;
	}
	size_t n = token(c, ";()");
	if (n == 0 || n > MIME_BOUNDARY_MAX)
		return false;
	memcpy(b->s, c->s + c->i - n, n);
	b->len = n;
	return true;
}

static void parse_boundary(struct mime_scan *m, struct cursor *c)
{
	while (next_param(c)) {
		skip_space(c);
		size_t n = token(c, "=;");
		if (!token_is(c, n, "boundary"))
			continue;
		skip_space(c);
		if (c->i >= c->len || c->s[c->i] != '=')
			continue;
		c->i++;
		skip_space(c);
		if (!param_value(c, &m->next) || m->is_value_cut)
			m->next.len = 0;
		return;
	}
}

static void parse_type(struct mime_scan *m)
{
	struct cursor c = {m->value, m->value_len, 0};
	skip_space(&c);
	size_t n = token(&c, "/;(");
	bool is_multipart = token_is(&c, n, "multipart");
	bool is_message = token_is(&c, n, "message");
	if (c.i < c.len && c.s[c.i] == '/')
		c.i++;
	n = token(&c, ";(");
	m->has_type = true;
	m->is_multipart = is_multipart;
	m->next.is_digest = is_multipart && token_is(&c, n, "digest");
	m->is_message = is_message && (token_is(&c, n, "rfc822") || token_is(&c, n, "global"));
	if (is_multipart)
		parse_boundary(m, &c);
}

static void parse_encoding(struct mime_scan *m)
{
	struct cursor c = {m->value, m->value_len, 0};
	skip_space(&c);
	size_t n = token(&c, ";(");
	m->is_base64 = token_is(&c, n, "base64");
}

static void finish_field(struct mime_scan *m)
{
	if (m->field == MIME_FIELD_TYPE && !m->has_type)
		parse_type(m);
	else if (m->field == MIME_FIELD_ENCODING)
		parse_encoding(m);
	m->field = MIME_FIELD_OTHER;
	m->value_len = 0;
	m->is_value_cut = false;
}

static void start_entity(struct mime_scan *m, bool is_message)
{
	m->state = MIME_HEADER;
	m->field = MIME_FIELD_OTHER;
	m->value_len = 0;
	m->is_value_cut = false;
	m->has_type = m->is_multipart = m->is_base64 = false;
	m->is_message = is_message;
	m->next.len = 0;
	m->next.is_digest = false;
}

static void append_value(struct mime_scan *m, const char *p, size_t n)
{
	size_t room = MIME_FIELD_MAX - m->value_len;
	if (n > room) {
		n = room;
		m->is_value_cut = true;
	}
	memcpy(m->value + m->value_len, p, n);
	m->value_len += n;
}

static enum mime_field field_kind(const char *line, size_t name_len)
{
	while (name_len > 0 && is_blank(line[name_len - 1]))
		name_len--;
	if (name_len == 12 && strncasecmp(line, "content-type", 12) == 0)
		return MIME_FIELD_TYPE;
	if (name_len == 25 && strncasecmp(line, "content-transfer-encoding", 25) == 0)
		return MIME_FIELD_ENCODING;
	return MIME_FIELD_OTHER;
}

static void end_header(struct mime_scan *m)
{
	finish_field(m);
	if (m->is_multipart) {
		if (m->next.len == 0 || m->n_open == MIME_DEPTH_MAX)
			m->is_unscannable = true;
		else
			m->open[m->n_open++] = m->next;
		m->state = MIME_BODY;
	} else if (m->is_base64) {
		m->state = MIME_BASE64_FIRST;
	} else if (m->is_message) {
		start_entity(m, false);
	} else {
		m->state = MIME_BODY;
	}
}

static void header_line(struct mime_scan *m, const char *line, size_t len)
{
	if (len == 0) {
		end_header(m);
		return;
	}
	if (is_blank(line[0])) {
		if (m->field != MIME_FIELD_OTHER)
			append_value(m, line, len);
		return;
	}
	finish_field(m);
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	size_t name_len = (size_t)(colon - line);
	m->field = field_kind(line, name_len);
	if (m->field != MIME_FIELD_OTHER)
		append_value(m, colon + 1, len - name_len - 1);
}

static bool all_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_blank(p[i]))
			return false;
	}
	return true;
}

/* A delimiter line of an open multipart: handles it and returns true. */
static bool delimiter(struct mime_scan *m, const char *line, size_t len)
{
	if (len < 3 || line[0] != '-' || line[1] != '-')
		return false;
	for (size_t i = m->n_open; i-- > 0;) {
		const struct mime_boundary *b = &m->open[i];
		if (len - 2 < b->len || memcmp(line + 2, b->s, b->len) != 0)
			continue;
		const char *rest = line + 2 + b->len;
		size_t rest_len = len - 2 - b->len;
		if (rest_len >= 2 && rest[0] == '-' && rest[1] == '-') {
			m->n_open = i;
			m->state = MIME_BODY;
			return true;
		}
		if (all_blank(rest, rest_len)) {
			m->n_open = i + 1;
			start_entity(m, b->is_digest);
			return true;
		}
	}
	return false;
}

static void on_line(struct mime_scan *m, const char *line, size_t len)
{
	if (m->state == MIME_STOPPED || delimiter(m, line, len))
		return;
	if (m->state == MIME_HEADER) {
		header_line(m, line, len);
	} else if (m->state == MIME_BASE64_FIRST && len > 0) {
		m->state = MIME_BODY;
		m->n_base64++;
		if (m->on_base64(m->ctx, line, len))
			m->state = MIME_STOPPED;
	}
}

static void end_line(struct mime_scan *m)
{
	size_t len = m->line_len;
	if (!m->is_line_long && len > 0 && m->line[len - 1] == '\r')
		len--;
	on_line(m, m->line, len);
	m->line_len = 0;
	m->is_line_long = false;
}

void mime_scan_init(struct mime_scan *m, mime_scan_fn on_base64, void *ctx)
{
	m->on_base64 = on_base64;
	m->ctx = ctx;
	m->n_open = 0;
	m->line_len = 0;
	m->is_line_long = false;
	m->is_unscannable = false;
	m->n_base64 = 0;
	start_entity(m, false);
}

void mime_scan_feed(struct mime_scan *m, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && m->state != MIME_STOPPED) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		size_t room = MIME_LINE_KEEP - m->line_len;
		if (n > room)
			m->is_line_long = true;
		memcpy(m->line + m->line_len, data + i, n < room ? n : room);
		m->line_len += n < room ? n : room;
		i += n;
		if (nl) {
			end_line(m);
			i++;
		}
	}
}

void mime_scan_finish(struct mime_scan *m)
{
	if (m->line_len > 0 || m->is_line_long)
		end_line(m);
}
