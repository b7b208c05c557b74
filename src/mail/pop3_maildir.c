/* pop3_maildir.c: a Maildir as a POP3 maildrop (pop3_maildir.h). */
#include "pop3_maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
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

static uint64_t name_field(const char *name, const char *key)
{
	const char *colon = strchr(name, ':');
	size_t end = colon ? (size_t)(colon - name) : strlen(name);
	size_t klen = strlen(key);
	for (size_t i = 0; i + klen <= end; i++) {
		if (memcmp(name + i, key, klen) != 0)
			continue;
		uint64_t v;
		size_t used = scan_u64_prefix(name + i + klen, end - i - klen, UINT64_MAX / 2, &v);
		size_t after = i + klen + used;
		if (used > 0 && (after == end || name[after] == ','))
			return v + 1; /* 0 means absent */
	}
	return 0;
}

bool pop3_name_size(const char *name, uint64_t *out)
{
	uint64_t v = name_field(name, ",W=");
	if (v == 0)
		v = name_field(name, ",S=");
	if (v == 0)
		return false;
	*out = v - 1;
	return true;
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
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
	sbuf_printf(out, "X%016llx", (unsigned long long)h);
}

static void add_msg(struct pop3_box *b, const char *name, uint64_t size)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xreallocarray(b->v, b->cap, sizeof *b->v);
	}
	b->v[b->n].name = xstrdup(name);
	b->v[b->n].size = size;
	b->v[b->n].is_deleted = false;
	b->n++;
}

/* One readdir of cur/; fstatat only for names without a size. */
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
		uint64_t size;
		if (!name_ok(de->d_name) || de->d_type == DT_DIR || de->d_type == DT_LNK)
			continue;
		bool known = pop3_name_size(de->d_name, &size) && de->d_type == DT_REG;
		if (!known) {
			struct stat st;
			if (fstatat(b->cur_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == ENOENT)
					continue;
				closedir(d);
				return -1;
			}
			if (!S_ISREG(st.st_mode))
				continue;
			size = (uint64_t)st.st_size;
		}
		add_msg(b, de->d_name, size);
	}
	closedir(d);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pop3_msg *)a)->name, ((const struct pop3_msg *)b)->name);
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
	int saved = errno;
	close(dir_fd);
	errno = saved;
	if (rc < 0 || scan_cur(b) < 0)
		return -1;
	if (b->n > 1)
		qsort(b->v, b->n, sizeof *b->v, by_name);
	while (b->n > POP3_BOX_MAX)
		free(b->v[--b->n].name);
	for (size_t i = 0; i < b->n; i++)
		b->total_size += b->v[i].size;
	return 0;
}

void pop3_box_close(struct pop3_box *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].name);
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
