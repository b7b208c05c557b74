/*
 * ratelimit.c: rate-limit rules, the sliding window and its store (see
 * ratelimit.h).
 */
#include "ratelimit.h"
#include "hash.h"

#include "alloc.h"
#include "fdio.h"
#include "scan.h"
#include "spf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_MAX (128 + RATELIMIT_KEY_MAX)
#define FIELD_COUNT_MAX 9999999999ull /* ten digits */
#define OPEN_TRIES 4

/* ---- rules ---- */

static bool scan_field(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	return len > 0 && scan_u64(s, len, max, out);
}

static bool parse_ip_match(const char *m, struct ratelimit_rule *r)
{
	const char *slash = strchr(m, '/');
	char addr[64];
	size_t alen = slash ? (size_t)(slash - m) : strlen(m);
	if (alen == 0 || alen >= sizeof addr)
		return false;
	memcpy(addr, m, alen);
	addr[alen] = '\0';
	if (!spf_parse_ip(addr, &r->family, r->net))
		return false;
	uint64_t bits = r->family == AF_INET ? 32 : 128, len = bits;
	if (slash && !scan_field(slash + 1, strlen(slash + 1), bits, &len))
		return false;
	r->prefix_len = (unsigned)len;
	return true;
}

static bool parse_user_match(const char *m)
{
	for (const char *c = m; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
			return false;
	return *m != '\0' && strlen(m) <= RATELIMIT_KEY_MAX && strcmp(m, "@") != 0;
}

/* Splits line into at most 5 blank-separated fields; the count. */
static size_t split_fields(const char *line, const char *f[5], size_t flen[5])
{
	size_t n = 0;
	const char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == 5)
			return 6;
		f[n] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	return n;
}

static bool parse_rule(const char *line, enum ratelimit_kind kind, struct ratelimit_rule *r)
{
	const char *f[5];
	size_t flen[5];
	memset(r, 0, sizeof *r);
	if (split_fields(line, f, flen) != 4)
		return false;
	if (!scan_field(f[1], flen[1], RATELIMIT_COUNT_MAX, &r->max[RATELIMIT_MESSAGES]) ||
	    !scan_field(f[2], flen[2], RATELIMIT_COUNT_MAX, &r->max[RATELIMIT_RECIPIENTS]) ||
	    !scan_field(f[3], flen[3], RATELIMIT_WINDOW_MAX, &r->window_s))
		return false;
	bool is_limited = r->max[0] > 0 || r->max[1] > 0;
	if (is_limited && r->window_s == 0)
		return false;
	r->match = xmemdup(f[0], flen[0]);
	r->is_any = strcmp(r->match, "*") == 0;
	bool ok = r->is_any || (kind == RATELIMIT_BY_IP ? parse_ip_match(r->match, r)
	                                                : parse_user_match(r->match));
	if (!ok) {
		free(r->match);
		r->match = NULL;
	}
	return ok;
}

void ratelimit_rules_free(struct ratelimit_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].match);
	free(r->v);
	memset(r, 0, sizeof *r);
}

bool ratelimit_rules_parse(const struct strlist *lines, enum ratelimit_kind kind,
                           struct ratelimit_rules *out, size_t *bad_line)
{
	memset(out, 0, sizeof *out);
	*bad_line = 0;
	for (size_t i = 0; i < lines->n; i++) {
		struct ratelimit_rule r;
		if (!parse_rule(lines->v[i], kind, &r)) {
			ratelimit_rules_free(out);
			*bad_line = i + 1;
			return false;
		}
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 8;
			out->v = xreallocarray(out->v, out->cap, sizeof *out->v);
		}
		out->v[out->n++] = r;
	}
	return true;
}

static bool net_contains(const struct ratelimit_rule *r, int family, const unsigned char *a)
{
	if (family != r->family)
		return false;
	unsigned full = r->prefix_len / 8, rest = r->prefix_len % 8;
	if (memcmp(a, r->net, full) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return rest == 0 || (a[full] & mask) == (r->net[full] & mask);
}

const struct ratelimit_rule *ratelimit_rules_match_ip(const struct ratelimit_rules *r,
                                                      const char *ip)
{
	int family;
	unsigned char a[16];
	if (!spf_parse_ip(ip, &family, a))
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].is_any || net_contains(&r->v[i], family, a))
			return &r->v[i];
	return NULL;
}

const struct ratelimit_rule *ratelimit_rules_match_user(const struct ratelimit_rules *r,
                                                        const char *user)
{
	const char *at = strrchr(user, '@');
	for (size_t i = 0; i < r->n; i++) {
		const char *m = r->v[i].match;
		if (r->v[i].is_any || strcasecmp(m, user) == 0 ||
		    (m[0] == '@' && at && strcasecmp(m + 1, at + 1) == 0))
			return &r->v[i];
	}
	return NULL;
}

uint64_t ratelimit_rules_window_max(const struct ratelimit_rules *r)
{
	uint64_t w = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].window_s > w)
			w = r->v[i].window_s;
	return w;
}

/* ---- keys ---- */

bool ratelimit_key_ip(const char *ip, struct sbuf *out)
{
	int family;
	unsigned char a[16];
	sbuf_clear(out);
	if (!spf_parse_ip(ip, &family, a))
		return false;
	if (family == AF_INET) {
		sbuf_printf(out, "ip %u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	} else {
		sbuf_append_str(out, "ip ");
		for (size_t i = 0; i < 8; i += 2)
			sbuf_printf(out, "%x:", (unsigned)(a[i] << 8 | a[i + 1]));
		sbuf_append_str(out, ":/64");
	}
	return true;
}

void ratelimit_key_user(const char *user, struct sbuf *out)
{
	sbuf_set_str(out, "user ");
	for (; *user && out->len < RATELIMIT_KEY_MAX; user++) {
		unsigned char c = (unsigned char)*user;
		if (c < 0x21 || c > 0x7e)
			c = '?'; /* the file is line-based: no control byte */
		sbuf_append_char(out, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
	}
}

/* ---- the window ---- */

static void entry_roll(struct ratelimit_entry *e, uint64_t now, uint64_t window_s)
{
	uint64_t aligned = now - now % window_s;
	if (e->window_s != window_s || e->start > now || now - e->start >= 2 * window_s) {
		memset(e, 0, sizeof *e);
		e->start = aligned;
		e->window_s = window_s;
	} else if (now - e->start >= window_s) {
		for (int c = 0; c < 2; c++) {
			e->prev[c] = e->cur[c];
			e->cur[c] = 0;
		}
		e->start = aligned;
	}
}

bool ratelimit_entry_step(struct ratelimit_entry *e, enum ratelimit_counter c, uint64_t now,
                          uint64_t max, uint64_t window_s)
{
	if (max == 0 || window_s == 0)
		return true;
	entry_roll(e, now, window_s);
	/* prev * (window - elapsed) / window + cur < max, without division;
	 * every term is at most ten digits times RATELIMIT_WINDOW_MAX */
	uint64_t elapsed = now - e->start;
	uint64_t used = e->prev[c] * (window_s - elapsed) + e->cur[c] * window_s;
	if (used >= max * window_s)
		return false;
	e->cur[c]++;
	return true;
}

void ratelimit_entry_format(const struct ratelimit_entry *e, const char *key, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_printf(out, "%020llu %010llu %010llu %010llu %010llu %010llu\n%s\n",
	            (unsigned long long)e->start, (unsigned long long)e->window_s,
	            (unsigned long long)e->prev[0], (unsigned long long)e->cur[0],
	            (unsigned long long)e->prev[1], (unsigned long long)e->cur[1], key);
}

bool ratelimit_entry_parse(const char *data, size_t len, const char *key, struct ratelimit_entry *e)
{
	uint64_t *fields[6] = {&e->start,  &e->window_s, &e->prev[0],
	                       &e->cur[0], &e->prev[1],  &e->cur[1]};
	size_t pos = 0;
	for (size_t i = 0; i < 6; i++) {
		size_t width = i == 0 ? 20 : 10;
		uint64_t max = i == 0   ? UINT64_MAX
		               : i == 1 ? RATELIMIT_WINDOW_MAX
		                        : FIELD_COUNT_MAX;
		if (len - pos < width + 1 || !scan_u64(data + pos, width, max, fields[i]) ||
		    data[pos + width] != (i == 5 ? '\n' : ' '))
			return false;
		pos += width + 1;
	}
	size_t kl = strlen(key);
	return e->window_s > 0 && len - pos == kl + 1 && memcmp(data + pos, key, kl) == 0 &&
	       data[len - 1] == '\n';
}

/* ---- the store ---- */

/* Opens (creating) key's file with an exclusive lock held; -1 on error. */
static int open_locked(const char *dir, const char *key)
{
	char hash[17];
	struct sbuf path = SBUF_INIT;
	int fd = -1;
	uint64_t h = hash_fnv1a(HASH_STORE_BASIS, key, strlen(key));
	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)h);
	sbuf_printf(&path, "%s/%.2s", dir, hash);
	if (mkdir(path.s, 0700) < 0 && errno != EEXIST)
		goto out;
	sbuf_printf(&path, "/%s", hash);
	for (int i = 0; i < OPEN_TRIES; i++) {
		struct stat st;
		fd = open(path.s, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR)
				goto fail;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			goto fail;
		if (st.st_nlink > 0)
			goto out; /* not removed by a sweep while we waited */
		close(fd);
		fd = -1;
	}
	goto out; /* open failed (errno set), or every try lost to a sweep */
fail:
	close(fd);
	fd = -1;
out:
	sbuf_free(&path);
	return fd;
}

static int write_entry(int fd, const struct ratelimit_entry *e, const char *key, size_t old_len)
{
	struct sbuf b = SBUF_INIT;
	ratelimit_entry_format(e, key, &b);
	int r = fd_pwrite_all(fd, b.s, b.len, 0);
	if (r == 0 && old_len > b.len)
		r = ftruncate(fd, (off_t)b.len);
	sbuf_free(&b);
	return r;
}

enum ratelimit_verdict ratelimit_check(const char *dir, const char *key, enum ratelimit_counter c,
                                       uint64_t now, uint64_t max, uint64_t window_s)
{
	if (max == 0 || window_s == 0)
		return RATELIMIT_PASS;
	int fd = open_locked(dir, key);
	if (fd < 0)
		return RATELIMIT_ERROR;
	char data[ENTRY_MAX];
	struct ratelimit_entry e = {0};
	ssize_t n = fd_pread_full(fd, data, sizeof data, 0);
	enum ratelimit_verdict v = RATELIMIT_ERROR;
	if (n < 0)
		goto out;
	if (!ratelimit_entry_parse(data, (size_t)n, key, &e))
		memset(&e, 0, sizeof e);
	if (!ratelimit_entry_step(&e, c, now, max, window_s))
		v = RATELIMIT_OVER;
	else if (write_entry(fd, &e, key, (size_t)n) == 0)
		v = RATELIMIT_PASS;
out:
	close(fd); /* releases the lock */
	return v;
}

static bool is_entry_name(const char *name)
{
	size_t n = strlen(name);
	return n == 16 && strspn(name, "0123456789abcdef") == 16;
}

/* Removes one idle file under an exclusive lock: 1 removed, 0 kept. */
static int sweep_one(int dfd, const char *name, uint64_t now, uint64_t max_age)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_mtime < 0 || (uint64_t)st.st_mtime + max_age >= now)
		return 0;
	int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int removed = 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0 &&
	    (uint64_t)st.st_mtime + max_age < now && unlinkat(dfd, name, 0) == 0)
		removed = 1;
	close(fd);
	return removed;
}

long ratelimit_sweep(const char *dir, unsigned bucket, uint64_t now, uint64_t max_age)
{
	struct sbuf path = SBUF_INIT;
	sbuf_printf(&path, "%s/%02x", dir, bucket % RATELIMIT_BUCKETS);
	int dfd = open(path.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	sbuf_free(&path);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	long removed = 0;
	size_t seen = 0;
	struct dirent *de;
	while (seen < RATELIMIT_SWEEP_MAX && (de = readdir(d)) != NULL) {
		if (!is_entry_name(de->d_name))
			continue;
		seen++;
		removed += sweep_one(dirfd(d), de->d_name, now, max_age);
	}
	closedir(d);
	return removed;
}
