/*
 * assign.c: users/assign line parser (assign.h).
 */
#include "assign.h"

#include <string.h>

#include "scan.h"

enum { F_LOCAL, F_USER, F_UID, F_GID, F_HOME, F_DASH, F_EXT, F_COUNT };

static bool split_fields(const char *s, size_t len, const char **f, size_t *flen)
{
	size_t nf = 0, start = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ':')
			continue;
		if (nf == F_COUNT)
			return false;
		f[nf] = s + start;
		flen[nf++] = i - start;
		start = i + 1;
	}
	return nf == F_COUNT && start == len;
}

static bool number_ok(const char *s, size_t len)
{
	uint64_t v;
	return scan_u64(s, len, 4294967294u, &v);
}

enum assign_status assign_parse_line(const char *line, size_t len, struct assign_entry *out)
{
	const char *f[F_COUNT];
	size_t fl[F_COUNT];
	if (len > ASSIGN_LINE_MAX || memchr(line, '\0', len) || memchr(line, '\r', len))
		return ASSIGN_BAD_CHAR;
	if (len == 0 || (len == 1 && line[0] == '.'))
		return ASSIGN_SKIP;
	if (line[0] != '=' && line[0] != '+')
		return ASSIGN_BAD_TYPE;
	if (!split_fields(line + 1, len - 1, f, fl))
		return ASSIGN_BAD_FIELDS;
	if (!number_ok(f[F_UID], fl[F_UID]) || !number_ok(f[F_GID], fl[F_GID]))
		return ASSIGN_BAD_NUMBER;
	if (fl[F_HOME] == 0 || f[F_HOME][0] != '/')
		return ASSIGN_BAD_HOME;
	out->is_wildcard = line[0] == '+';
	sbuf_set_str(&out->key, "!");
	for (size_t i = 0; i < fl[F_LOCAL]; i++) {
		char c = f[F_LOCAL][i];
		sbuf_append_char(&out->key, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
	if (!out->is_wildcard)
		sbuf_append_char(&out->key, '\0');
	sbuf_clear(&out->value);
	for (int i = F_USER; i < F_COUNT; i++) {
		sbuf_append(&out->value, f[i], fl[i]);
		sbuf_append_char(&out->value, '\0');
	}
	return ASSIGN_ENTRY;
}

void assign_entry_free(struct assign_entry *e)
{
	sbuf_free(&e->key);
	sbuf_free(&e->value);
}

const char *assign_status_str(enum assign_status st)
{
	static const char *const text[] = {
		"ok", "skipped", "line must start with '=', '+' or '.'",
		"expected 7 fields each ending with ':'", "bad uid or gid",
		"home directory must be an absolute path", "bad character or line too long",
	};
	return (size_t)st < sizeof text / sizeof *text ? text[st] : "unknown";
}
