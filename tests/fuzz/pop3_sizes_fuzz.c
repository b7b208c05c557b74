/* pop3_sizes_fuzz.c: the size cache parser of qmail-pop3d (pop3_sizes.h)
 * and the Maildir name parsers (pop3_name_size, pop3_name_uidl).  A parsed
 * cache must hold only valid names inside its own data, and writing it out
 * again must give back the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_sizes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct pop3_sizes *s, size_t size, size_t i)
{
	const char *name = s->v[i].name;
	size_t len = strlen(name);
	if (name < s->data || name + len >= s->data + size)
		abort();
	if (len == 0 || len > POP3_SIZES_NAME_MAX || name[0] == '.' || strchr(name, '/'))
		abort();
}

/* The input up to its first NUL as a file name. */
static void check_name(const uint8_t *data, size_t size)
{
	char name[POP3_SIZES_NAME_MAX + 1];
	size_t len = size < POP3_SIZES_NAME_MAX ? size : POP3_SIZES_NAME_MAX;
	memcpy(name, data, len);
	name[len] = '\0';
	uint64_t n;
	if (pop3_name_size(name, &n) && n > UINT64_MAX / 2)
		abort();
	struct sbuf uid = SBUF_INIT;
	pop3_name_uidl(name, &uid);
	if (uid.len < 1 || uid.len > POP3_UIDL_MAX)
		abort();
	for (size_t i = 0; i < uid.len; i++) {
		if ((unsigned char)uid.s[i] < 0x21 || (unsigned char)uid.s[i] > 0x7e)
			abort();
	}
	sbuf_free(&uid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_name(data, size);
	struct pop3_sizes s;
	if (!pop3_sizes_parse(&s, (const char *)data, size)) {
		if (s.n != 0 || s.v || s.data)
			abort();
		return 0;
	}
	if (s.n > POP3_BOX_MAX)
		abort();
	struct sbuf img = SBUF_INIT;
	pop3_sizes_begin(&img);
	for (size_t i = 0; i < s.n; i++) {
		check_entry(&s, size, i);
		if (!pop3_sizes_add(&img, s.v[i].name, s.v[i].ino, s.v[i].size))
			abort();
	}
	pop3_sizes_end(&img);
	struct pop3_sizes t;
	if (!pop3_sizes_parse(&t, img.s, img.len) || t.n != s.n)
		abort();
	for (size_t i = 0; i < s.n; i++) {
		if (strcmp(s.v[i].name, t.v[i].name) != 0 || s.v[i].ino != t.v[i].ino ||
		    s.v[i].size != t.v[i].size)
			abort();
	}
	pop3_sizes_free(&t);
	pop3_sizes_free(&s);
	sbuf_free(&img);
	return 0;
}
