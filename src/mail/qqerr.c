#include "qqerr.h"

#include <stdbool.h>
#include <string.h>

/* Length of raw without one trailing "\n" or "\r\n". */
static size_t strip_eol(const char *raw, size_t len)
{
	if (len > 0 && raw[len - 1] == '\n') {
		len--;
		if (len > 0 && raw[len - 1] == '\r')
			len--;
	}
	return len;
}

static bool has_line_break(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			return true;
	}
	return false;
}

static char clean_byte(unsigned char c)
{
	if (c == '\t')
		return ' ';
	return c >= 0x20 && c <= 0x7e ? (char)c : '?';
}

static size_t trim_end(const char *s, size_t len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

enum qqerr_kind qqerr_parse(const char *raw, size_t len, struct qqerr *out)
{
	out->kind = QQERR_NONE;
	out->len = 0;
	out->text[0] = '\0';
	if (len == 0 || len >= QQERR_RAW_MAX || (raw[0] != 'D' && raw[0] != 'Z'))
		return QQERR_NONE;
	size_t end = strip_eol(raw, len);
	if (has_line_break(raw + 1, end - 1))
		return QQERR_NONE;
	size_t i = 1, n = 0;
	while (i < end && (raw[i] == ' ' || raw[i] == '\t'))
		i++;
	for (; i < end && n < QQERR_TEXT_MAX; i++)
		out->text[n++] = clean_byte((unsigned char)raw[i]);
	n = trim_end(out->text, n);
	out->text[n] = '\0';
	if (n == 0)
		return QQERR_NONE;
	out->len = n;
	out->kind = raw[0] == 'D' ? QQERR_PERM : QQERR_TEMP;
	return out->kind;
}

/* 1 to 3 digits at s; returns how many, 0 if none or more than 3. */
static size_t digits(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n <= 3 ? n : 0;
}

/* Length of an RFC 3463 code "C.S.D" at the start of s, followed by a
 * space or the end; 0 when there is none. */
static size_t enhanced_code_len(const char *s)
{
	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.')
		return 0;
	size_t a = digits(s + 2);
	if (a == 0 || s[2 + a] != '.')
		return 0;
	size_t b = digits(s + 3 + a);
	size_t n = 3 + a + b;
	if (b == 0 || (s[n] != ' ' && s[n] != '\0'))
		return 0;
	return n;
}

void qqerr_format_reply(const struct qqerr *e, struct sbuf *out)
{
	bool is_perm = e->kind == QQERR_PERM;
	const char *text = e->text;
	size_t code = enhanced_code_len(text);
	sbuf_clear(out);
	sbuf_append_str(out, is_perm ? "554 " : "451 ");
	if (code == 0) {
		sbuf_append_str(out, is_perm ? "5.7.1 " : "4.7.1 ");
		sbuf_append_str(out, text);
		return;
	}
	sbuf_append_char(out, is_perm ? '5' : '4');
	sbuf_append_str(out, text + 1);
}

void qqerr_format_raw(const struct qqerr *e, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_append_char(out, e->kind == QQERR_PERM ? 'D' : 'Z');
	sbuf_append(out, e->text, e->len);
}
