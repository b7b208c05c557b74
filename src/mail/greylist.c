/*
 * greylist.c: the greylisting store (see greylist.h).
 */
#include "greylist.h"
#include "hash.h"

#include "fdio.h"
#include "scan.h"
#include "spf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define ENTRY_MAX 2048

static void append_lower(struct sbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c > 0x7e)
			c = '?'; /* the file is line-based: no control byte */
		sbuf_append_char(out, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
	}
}

bool greylist_triple(const char *ip, const char *sender, const char *rcpt, struct sbuf *out)
{
	int family;
	unsigned char a[16];
	sbuf_clear(out);
	if (!spf_parse_ip(ip, &family, a))
		return false;
	if (family == AF_INET) {
		sbuf_printf(out, "%u.%u.%u.0/24 ", a[0], a[1], a[2]);
	} else {
		for (size_t i = 0; i < 8; i += 2)
			sbuf_printf(out, "%x:", (unsigned)(a[i] << 8 | a[i + 1]));
		sbuf_append_str(out, ":/64 ");
	}
	append_lower(out, sender);
	sbuf_append_char(out, ' ');
	append_lower(out, rcpt);
	if (out->len > GREYLIST_TRIPLE_MAX)
		sbuf_truncate(out, GREYLIST_TRIPLE_MAX);
	return true;
}

bool greylist_parse_entry(const char *data, size_t len, const char *triple, uint64_t *first,
                          uint64_t *last)
{
	size_t n = scan_u64_prefix(data, len, UINT64_MAX, first);
	if (n == 0 || n >= len || data[n] != ' ')
		return false;
	size_t m = scan_u64_prefix(data + n + 1, len - n - 1, UINT64_MAX, last);
	size_t pos = n + 1 + m;
	if (m == 0 || pos >= len || data[pos] != '\n')
		return false;
	size_t tl = strlen(triple);
	pos++;
	return len - pos == tl + 1 && memcmp(data + pos, triple, tl) == 0 && data[len - 1] == '\n';
}

static int write_entry(const char *path, const char *triple, uint64_t first, uint64_t last)
{
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "%llu %llu\n%s\n", (unsigned long long)first, (unsigned long long)last,
	            triple);
	int r = file_write_atomic(path, b.s, b.len, 0600);
	sbuf_free(&b);
	return r;
}

static int entry_path(const char *dir, const char *triple, struct sbuf *path)
{
	char hash[17];
	uint64_t h = hash_fnv1a(HASH_STORE_BASIS, triple, strlen(triple));
	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)h);
	sbuf_printf(path, "%s/%.2s", dir, hash);
	if (mkdir(path->s, 0700) < 0 && errno != EEXIST)
		return -1;
	sbuf_printf(path, "/%s", hash);
	return 0;
}

enum greylist_verdict greylist_check(const char *dir, const char *triple, uint64_t now,
                                     uint64_t delay)
{
	struct sbuf path = SBUF_INIT, data = SBUF_INIT;
	uint64_t first = 0, last = 0;
	enum greylist_verdict v = GREYLIST_ERROR;
	if (entry_path(dir, triple, &path) < 0)
		goto out;
	bool known = file_read_all(path.s, &data, ENTRY_MAX) == 0 &&
	             greylist_parse_entry(data.s, data.len, triple, &first, &last);
	if (known && (first > now || last > now))
		known = false; /* a clock that went back: start over, recorded (D-18) */
	if (!known || now - last > GREYLIST_EXPIRE) {
		v = write_entry(path.s, triple, now, now) < 0 ? GREYLIST_ERROR : GREYLIST_WAIT;
	} else if (now - first < delay) {
		v = GREYLIST_WAIT;
	} else {
		/* refresh "last seen" at most once an hour: a pass costs no write */
		if (now - last > 3600 && write_entry(path.s, triple, first, now) < 0)
			goto out;
		v = GREYLIST_PASS;
	}
out:
	sbuf_free(&path);
	sbuf_free(&data);
	return v;
}
