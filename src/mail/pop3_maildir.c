/* pop3_maildir.c: a Maildir as a POP3 maildrop (pop3_maildir.h). */
#include "pop3_maildir.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "pop3_sizes.h"
#include "scan.h"

static bool name_ok(const char *name)
{
	return name[0] != '.' && name[0] != '\0' && !strchr(name, '/');
}

/* new/NAME -> cur/NAME:2, (a name that already has an info part keeps it). */
static int move_new(struct pop3_box *b, int dir_fd)
{
	int new_fd = openat(dir_fd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (new_fd < 0)
		return -1;
	DIR *d = fdopendir(new_fd);
	if (!d) {
		close(new_fd);
		return -1;
	}
	struct sbuf to = SBUF_INIT;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!name_ok(de->d_name) || de->d_type == DT_DIR)
			continue;
		sbuf_set_str(&to, de->d_name);
		if (!strchr(de->d_name, ':'))
			sbuf_append_str(&to, ":2,");
		if (renameat(new_fd, de->d_name, b->cur_fd, to.s) == 0)
			b->n_moved++;
		else if (errno != ENOENT)
			rc = -1;
	}
	closedir(d);
	sbuf_free(&to);
	return rc;
}

/* ",S=n" / ",W=n" in the unique part (before ':'): one pass over the
 * commas; the first well-formed field of each kind counts. */
static bool size_field(const char *name, size_t end, size_t i, uint64_t *v)
{
	uint64_t n;
	size_t used = scan_u64_prefix(name + i + 3, end - i - 3, UINT64_MAX / 2, &n);
	size_t after = i + 3 + used;
	if (used == 0 || (after != end && name[after] != ','))
		return false;
	*v = n;
	return true;
}

bool pop3_name_size(const char *name, uint64_t *out)
{
	size_t end = strcspn(name, ":");
	bool has_s = false;
	uint64_t s_val = 0;
	const char *p = name;
	while ((p = memchr(p, ',', end - (size_t)(p - name))) != NULL) {
		size_t i = (size_t)(p - name);
		p++;
		if (i + 3 > end || name[i + 2] != '=')
			continue;
		if (name[i + 1] == 'W' && size_field(name, end, i, out))
			return true;
		if (name[i + 1] == 'S' && !has_s)
			has_s = size_field(name, end, i, &s_val);
	}
	if (has_s)
		*out = s_val;
	return has_s;
}

void pop3_name_uidl(const char *name, struct sbuf *out)
{
	const char *colon = strchr(name, ':');
	size_t len = colon ? (size_t)(colon - name) : strlen(name);
	bool ok = len >= 1 && len <= POP3_UIDL_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = (unsigned char)name[i] >= 0x21 && (unsigned char)name[i] <= 0x7e;
	sbuf_clear(out);
	if (ok) {
		sbuf_append(out, name, len);
		return;
	}
	uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, name, len);
	sbuf_printf(out, "X%016llx", (unsigned long long)h);
}

/* Names live in blocks of NAME_BLOCK octets (a name is at most NAME_MAX),
 * so a box of 100,000 messages costs a few dozen allocations, not 100,000. */
#define NAME_BLOCK 65536

struct pop3_name_block {
	struct pop3_name_block *next;
	size_t len, cap;
	char data[];
};

static char *keep_name(struct pop3_box *b, const char *name)
{
	size_t len = strlen(name) + 1;
	if (!b->names || b->names->cap - b->names->len < len) {
		size_t cap = len > NAME_BLOCK ? len : NAME_BLOCK, total;
		if (!size_add(sizeof(struct pop3_name_block), cap, &total))
			alloc_fatal();
		struct pop3_name_block *blk = xmalloc(total);
		blk->next = b->names;
		blk->len = 0;
		blk->cap = cap;
		b->names = blk;
	}
	char *out = b->names->data + b->names->len;
	memcpy(out, name, len);
	b->names->len += len;
	return out;
}

/* The delivery time a name starts with (its leading digits), for sorting. */
static uint64_t name_key(const char *name)
{
	uint64_t v = 0;
	if (scan_u64_prefix(name, strcspn(name, "."), UINT64_MAX, &v) == 0)
		return 0;
	return v;
}

static void add_msg(struct pop3_box *b, const struct dirent *de, bool has_size, uint64_t size)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xreallocarray(b->v, b->cap, sizeof *b->v);
	}
	struct pop3_msg *m = &b->v[b->n++];
	m->name = keep_name(b, de->d_name);
	m->key = name_key(de->d_name);
	m->size = size;
	m->ino = de->d_type == DT_REG ? (uint64_t)de->d_ino : 0;
	m->size_from = has_size ? POP3_SIZE_NAME : POP3_SIZE_UNKNOWN;
	m->is_deleted = false;
}

/* One readdir of cur/: names, inodes and the sizes the names carry. */
static int scan_cur(struct pop3_box *b)
{
	int fd = dup(b->cur_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint64_t size = 0;
		if (!name_ok(de->d_name) || de->d_type == DT_DIR || de->d_type == DT_LNK)
			continue;
		bool known = pop3_name_size(de->d_name, &size) && de->d_type == DT_REG;
		add_msg(b, de, known, known ? size : 0);
	}
	closedir(d);
	return 0;
}

static int cmp_key_name(uint64_t ka, const char *a, uint64_t kb, const char *b)
{
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return strcmp(a, b);
}

/* Sizes from the cache, walked in step with the sorted box (the cache is
 * written in box order); an entry counts only with the same inode. */
static size_t sizes_from_cache(struct pop3_box *b, const struct pop3_sizes *c)
{
	size_t j = 0, used = 0;
	for (size_t i = 0; i < b->n && j < c->n; i++) {
		struct pop3_msg *m = &b->v[i];
		if (m->size_from != POP3_SIZE_UNKNOWN || m->ino == 0)
			continue;
		int cmp = -1;
		while (j < c->n && (cmp = cmp_key_name(name_key(c->v[j].name), c->v[j].name, m->key,
		                                       m->name)) < 0)
			j++;
		if (cmp == 0 && c->v[j].ino == m->ino) {
			m->size = c->v[j].size;
			m->size_from = POP3_SIZE_CACHE;
			used++;
		}
	}
	return used;
}

/* fstatat for the sizes still unknown; drops names gone or not regular. */
static int sizes_from_stat(struct pop3_box *b)
{
	size_t out = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct pop3_msg *m = &b->v[i];
		if (m->size_from == POP3_SIZE_UNKNOWN) {
			struct stat st;
			if (fstatat(b->cur_fd, m->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue;
				return -1;
			}
			if (!S_ISREG(st.st_mode))
				continue;
			m->size = (uint64_t)st.st_size;
			m->ino = (uint64_t)st.st_ino;
			m->size_from = POP3_SIZE_STAT;
			b->n_stat++;
		}
		b->v[out++] = *m;
	}
	b->n = out;
	return 0;
}

/* Rewrites the cache when it missed or held entries no longer in cur/;
 * a cache that cannot be written is only slower next time. */
static void sizes_save(struct pop3_box *b, int dir_fd, size_t n_cached, size_t used)
{
	if (b->n_stat == 0 && used == n_cached)
		return;
	struct sbuf img = SBUF_INIT;
	pop3_sizes_begin(&img);
	for (size_t i = 0; i < b->n; i++) {
		const struct pop3_msg *m = &b->v[i];
		if (m->size_from == POP3_SIZE_CACHE || m->size_from == POP3_SIZE_STAT)
			(void)pop3_sizes_add(&img, m->name, m->ino, m->size);
	}
	pop3_sizes_end(&img);
	b->is_cache_saved = pop3_sizes_save(dir_fd, &img) == 0;
	sbuf_free(&img);
}

static int sizes_fill(struct pop3_box *b, int dir_fd)
{
	struct pop3_sizes cache;
	pop3_sizes_load(&cache, dir_fd);
	size_t used = sizes_from_cache(b, &cache);
	size_t n_cached = cache.n;
	pop3_sizes_free(&cache);
	if (sizes_from_stat(b) < 0)
		return -1;
	sizes_save(b, dir_fd, n_cached, used);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct pop3_msg *x = a, *y = b;
	return cmp_key_name(x->key, x->name, y->key, y->name);
}

int pop3_box_open(struct pop3_box *b, const char *dir)
{
	memset(b, 0, sizeof *b);
	b->cur_fd = -1;
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	b->dir = xmemdup(dir, len);
	int dir_fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -1;
	b->cur_fd = openat(dir_fd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = b->cur_fd < 0 ? -1 : move_new(b, dir_fd);
	if (rc == 0)
		rc = scan_cur(b);
	if (rc == 0) {
		if (b->n > 1)
			qsort(b->v, b->n, sizeof *b->v, by_name);
		if (b->n > POP3_BOX_MAX)
			b->n = POP3_BOX_MAX;
		rc = sizes_fill(b, dir_fd);
	}
	int saved = errno;
	close(dir_fd);
	errno = saved;
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		b->total_size += b->v[i].size;
	return 0;
}

void pop3_box_close(struct pop3_box *b)
{
	while (b->names) {
		struct pop3_name_block *next = b->names->next;
		free(b->names);
		b->names = next;
	}
	free(b->v);
	free(b->dir);
	if (b->cur_fd >= 0)
		close(b->cur_fd);
	memset(b, 0, sizeof *b);
	b->cur_fd = -1;
}

const struct pop3_msg *pop3_box_get(const struct pop3_box *b, size_t i)
{
	if (i == 0 || i > b->n || b->v[i - 1].is_deleted)
		return NULL;
	return &b->v[i - 1];
}

void pop3_box_delete(struct pop3_box *b, size_t i)
{
	if (i == 0 || i > b->n || b->v[i - 1].is_deleted)
		return;
	b->v[i - 1].is_deleted = true;
	b->n_deleted++;
	b->deleted_size += b->v[i - 1].size;
}

void pop3_box_reset(struct pop3_box *b)
{
	for (size_t i = 0; i < b->n; i++)
		b->v[i].is_deleted = false;
	b->n_deleted = 0;
	b->deleted_size = 0;
}

int pop3_box_open_msg(const struct pop3_box *b, size_t i)
{
	if (i == 0 || i > b->n) {
		errno = EINVAL;
		return -1;
	}
	return openat(b->cur_fd, b->v[i - 1].name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

long pop3_box_commit(struct pop3_box *b)
{
	long failed = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].is_deleted && unlinkat(b->cur_fd, b->v[i].name, 0) < 0 &&
		    errno != ENOENT)
			failed++;
	}
	if (b->n_deleted > 0 && fsync(b->cur_fd) < 0)
		return -1;
	return failed;
}

void pop3_enc_init(struct pop3_enc *e, bool is_top, uint64_t max_lines)
{
	memset(e, 0, sizeof *e);
	e->at_line_start = true;
	e->in_header = true;
	e->header_line_empty = true;
	e->is_top = is_top;
	e->max_lines = max_lines;
}

static void put_bytes(struct pop3_enc *e, const char *p, size_t n, struct sbuf *out)
{
	if (e->at_line_start && p[0] == '.')
		sbuf_append_char(out, '.'); /* RFC 1939 3: byte-stuffing */
	sbuf_append(out, p, n);
	e->at_line_start = false;
	e->header_line_empty = false;
}

static void end_line(struct pop3_enc *e, struct sbuf *out)
{
	sbuf_append(out, "\r\n", 2);
	bool was_empty = e->header_line_empty;
	e->at_line_start = true;
	e->header_line_empty = true;
	if (!e->is_top)
		return;
	if (e->in_header) {
		if (was_empty) {
			e->in_header = false;
			e->is_done = e->max_lines == 0;
		}
		return;
	}
	if (--e->max_lines == 0)
		e->is_done = true;
}

bool pop3_enc_chunk(struct pop3_enc *e, const char *p, size_t n, struct sbuf *out)
{
	size_t i = 0;
	while (i < n && !e->is_done) {
		if (e->pending_cr) {
			e->pending_cr = false;
			if (p[i] == '\n') {
				i++;
				end_line(e, out);
				continue;
			}
			put_bytes(e, "\r", 1, out);
		}
		const char *lf = memchr(p + i, '\n', n - i);
		size_t end = lf ? (size_t)(lf - p) : n;
		size_t len = end - i;
		bool has_cr = len > 0 && p[end - 1] == '\r';
		if (has_cr)
			len--;
		if (len > 0)
			put_bytes(e, p + i, len, out);
		if (!lf) {
			e->pending_cr = has_cr;
			break;
		}
		i = end + 1;
		end_line(e, out);
	}
	return !e->is_done;
}

void pop3_enc_finish(struct pop3_enc *e, struct sbuf *out)
{
	if (e->pending_cr && !e->is_done)
		put_bytes(e, "\r", 1, out);
	e->pending_cr = false;
	if (!e->at_line_start)
		sbuf_append(out, "\r\n", 2);
	sbuf_append(out, ".\r\n", 3);
	e->at_line_start = true;
	e->is_done = true;
}
