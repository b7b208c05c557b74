#include "smtp_reply.h"

#include <string.h>
#include <strings.h>

void smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof *r);
}

void smtp_reply_reset(struct smtp_reply *r)
{
	strlist_free(&r->lines);
	sbuf_clear(&r->text);
	r->code = 0;
	r->enh[0] = '\0';
}

void smtp_reply_free(struct smtp_reply *r)
{
	strlist_free(&r->lines);
	sbuf_free(&r->text);
	r->code = 0;
	r->enh[0] = '\0';
}

void smtp_reply_sanitize(struct sbuf *out, const char *s, size_t n)
{
	sbuf_reserve(out, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		sbuf_append_char(out, (c >= 0x20 && c <= 0x7e) ? (char)c : '_');
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1..max digits at s[*pos]; advances *pos. */
static bool digits(const char *s, size_t n, size_t *pos, size_t max)
{
	size_t start = *pos;
	while (*pos < n && is_digit(s[*pos]) && *pos - start < max)
		(*pos)++;
	return *pos > start && (*pos >= n || !is_digit(s[*pos]));
}

size_t smtp_reply_enhanced(const char *s, size_t n, char out[SMTP_REPLY_ENH_MAX])
{
	size_t pos = 0;
	out[0] = '\0';
	if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	pos = 2;
	if (!digits(s, n, &pos, 3) || pos >= n || s[pos] != '.')
		return 0;
	pos++;
	if (!digits(s, n, &pos, 3))
		return 0;
	if (pos < n && s[pos] != ' ')
		return 0;
	memcpy(out, s, pos);
	out[pos] = '\0';
	return pos;
}

static int parse_code(const char *line)
{
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || !is_digit(line[2]))
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

static void store_line(struct smtp_reply *r, const char *t, size_t n)
{
	struct sbuf clean = SBUF_INIT;
	smtp_reply_sanitize(&clean, t, n);
	if (r->lines.n > 0)
		sbuf_append_str(&r->text, " / ");
	sbuf_append(&r->text, sbuf_cstr(&clean), clean.len);
	strlist_add(&r->lines, sbuf_cstr(&clean), clean.len);
	sbuf_free(&clean);
}

enum smtp_reply_status smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	if (len < 3 || len > SMTP_REPLY_LINE_MAX || r->lines.n >= SMTP_REPLY_LINES_MAX)
		return REPLY_BAD;
	int code = parse_code(line);
	if (code < 0 || (r->code && code != r->code))
		return REPLY_BAD;
	bool is_last = len == 3 || line[3] == ' ';
	if (!is_last && line[3] != '-')
		return REPLY_BAD;
	const char *t = len > 3 ? line + 4 : line + 3;
	size_t tn = len > 3 ? len - 4 : 0;
	if (r->lines.n == 0) {
		char enh[SMTP_REPLY_ENH_MAX];
		if (smtp_reply_enhanced(t, tn, enh) && enh[0] == line[0])
			memcpy(r->enh, enh, sizeof enh);
	}
	r->code = code;
	store_line(r, t, tn);
	return is_last ? REPLY_DONE : REPLY_MORE;
}

bool smtp_reply_has_keyword(const struct smtp_reply *r, const char *kw, const char **args)
{
	size_t kn = strlen(kw);
	for (size_t i = 1; i < r->lines.n; i++) {
		const char *l = r->lines.v[i];
		if (strncasecmp(l, kw, kn) == 0 && (l[kn] == '\0' || l[kn] == ' ' || l[kn] == '=')) {
			if (args)
				*args = l[kn] ? l + kn + 1 : l + kn;
			return true;
		}
	}
	return false;
}
