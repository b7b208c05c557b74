/*
 * dotqmail_find.c: locate the .qmail file for an extension (dotqmail_find.h).
 */
#include "dotqmail_find.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static void append_ext(struct sbuf *out, const char *ext, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = ext[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.')
			c = ':';
		sbuf_append_char(out, c);
	}
}

void dotqmail_find_name(const char *dash, const char *ext, struct sbuf *out)
{
	sbuf_set_str(out, ".qmail");
	sbuf_append_str(out, dash);
	append_ext(out, ext, strlen(ext));
}

/* 1 exists, 0 missing, -1 error. */
static int probe(const char *home, const char *name)
{
	struct sbuf path = SBUF_INIT;
	struct stat st;
	sbuf_set_str(&path, home);
	sbuf_append_char(&path, '/');
	sbuf_append_str(&path, name);
	int r = stat(path.s, &st);
	int saved = errno;
	sbuf_free(&path);
	if (r == 0)
		return 1;
	errno = saved;
	return (saved == ENOENT || saved == ENOTDIR) ? 0 : -1;
}

static int try_candidate(const char *home, struct dotqmail_match *m,
                         const char *dash, const char *ext, size_t prefix_len)
{
	sbuf_set_str(&m->name, ".qmail");
	sbuf_append_str(&m->name, dash);
	append_ext(&m->name, ext, prefix_len);
	if (prefix_len > 0)
		sbuf_append_char(&m->name, '-');
	sbuf_append_str(&m->name, "default");
	int r = probe(home, m->name.s);
	if (r == 1) {
		size_t skip = prefix_len > 0 ? prefix_len + 1 : 0;
		sbuf_set_str(&m->deflt, ext + skip);
		m->is_default = true;
	}
	return r;
}

int dotqmail_find(const char *home, const char *dash, const char *ext,
                  struct dotqmail_match *m)
{
	m->is_default = false;
	sbuf_set_str(&m->deflt, "");
	dotqmail_find_name(dash, ext, &m->name);
	int r = probe(home, m->name.s);
	if (r != 0 || *ext == '\0')
		return r;
	for (size_t i = strlen(ext); i > 0; i--) {
		if (ext[i - 1] != '-')
			continue;
		r = try_candidate(home, m, dash, ext, i - 1);
		if (r != 0)
			return r;
	}
	return try_candidate(home, m, dash, ext, 0);
}

void dotqmail_match_free(struct dotqmail_match *m)
{
	sbuf_free(&m->name);
	sbuf_free(&m->deflt);
}
