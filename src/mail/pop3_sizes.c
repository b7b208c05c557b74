/* pop3_sizes.c: qmail-pop3d's size cache (pop3_sizes.h). */
#include "pop3_sizes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "scan.h"

static const char magic[] = "qng-pop3-sizes 1"; /* and its NUL */

static bool name_valid(const char *name, size_t len)
{
	return len >= 1 && len <= POP3_SIZES_NAME_MAX && name[0] != '.' &&
	       !memchr(name, '/', len) && !memchr(name, '\0', len);
}

/* One NUL-terminated field at p[*off..len): its length, or false. */
static bool field(const char *p, size_t len, size_t *off, const char **out, size_t *out_len)
{
	const char *nul = memchr(p + *off, '\0', len - *off);
	if (!nul)
		return false;
	*out = p + *off;
	*out_len = (size_t)(nul - *out);
	*off += *out_len + 1;
	return true;
}

static bool number(const char *p, size_t len, size_t *off, uint64_t *v)
{
	const char *s;
	size_t n;
	return field(p, len, off, &s, &n) && n <= 20 && scan_u64(s, n, UINT64_MAX, v);
}

static void add_ent(struct pop3_sizes *s, size_t *cap, const char *name, uint64_t ino,
                    uint64_t size)
{
	if (s->n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		s->v = xreallocarray(s->v, *cap, sizeof *s->v);
	}
	s->v[s->n].name = name;
	s->v[s->n].ino = ino;
	s->v[s->n].size = size;
	s->n++;
}

/* Parses data[0..len) and takes ownership of data (freed on failure). */
static bool parse_owned(struct pop3_sizes *s, char *data, size_t len)
{
	memset(s, 0, sizeof *s);
	s->data = data;
	if (len > POP3_SIZES_MAX || len < sizeof magic || memcmp(data, magic, sizeof magic) != 0)
		goto bad;
	size_t off = sizeof magic, cap = 0;
	for (;;) {
		const char *name;
		size_t name_len;
		uint64_t ino, size;
		if (!field(data, len, &off, &name, &name_len))
			break;
		if (name_len == 0) {
			if (off == len)
				return true; /* the end marker, then end of file */
			break;
		}
		if (s->n == POP3_BOX_MAX || !name_valid(name, name_len) ||
		    !number(data, len, &off, &ino) || !number(data, len, &off, &size))
			break;
		add_ent(s, &cap, name, ino, size);
	}
bad:
	pop3_sizes_free(s);
	return false;
}

bool pop3_sizes_parse(struct pop3_sizes *s, const char *p, size_t len)
{
	if (len > POP3_SIZES_MAX) {
		memset(s, 0, sizeof *s);
		return false;
	}
	return parse_owned(s, xmemdup(p, len), len);
}

void pop3_sizes_load(struct pop3_sizes *s, int dir_fd)
{
	memset(s, 0, sizeof *s);
	int fd = openat(dir_fd, POP3_SIZES_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	struct sbuf b = SBUF_INIT;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= POP3_SIZES_MAX && fd_read_all(fd, &b, POP3_SIZES_MAX) == 0 &&
	    b.s) {
		(void)parse_owned(s, b.s, b.len);
		b = (struct sbuf)SBUF_INIT; /* the cache owns the memory now */
	}
	close(fd);
	sbuf_free(&b);
}

void pop3_sizes_free(struct pop3_sizes *s)
{
	free(s->data);
	free(s->v);
	memset(s, 0, sizeof *s);
}

void pop3_sizes_begin(struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_append(out, magic, sizeof magic);
}

static void append_u64(struct sbuf *b, uint64_t v)
{
	char tmp[21];
	size_t i = sizeof tmp;
	tmp[--i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	sbuf_append(b, tmp + i, sizeof tmp - i);
}

bool pop3_sizes_add(struct sbuf *out, const char *name, uint64_t ino, uint64_t size)
{
	size_t len = strlen(name);
	if (!name_valid(name, len))
		return false;
	sbuf_append(out, name, len + 1);
	append_u64(out, ino);
	append_u64(out, size);
	return true;
}

void pop3_sizes_end(struct sbuf *out)
{
	sbuf_append_char(out, '\0');
}

int pop3_sizes_save(int dir_fd, const struct sbuf *img)
{
	if (img->len > POP3_SIZES_MAX) {
		errno = E2BIG;
		return -1;
	}
	char tmp[64];
	snprintf(tmp, sizeof tmp, "tmp/%s.%ld", POP3_SIZES_FILE, (long)getpid());
	(void)unlinkat(dir_fd, tmp, 0); /* a leftover of an earlier pid */
	int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	int rc = fd_write_all(fd, img->s, img->len);
	int saved = errno;
	if (fd_close_checked(fd) < 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && renameat(dir_fd, tmp, dir_fd, POP3_SIZES_FILE) < 0) {
		rc = -1;
		saved = errno;
	}
	if (rc < 0) {
		(void)unlinkat(dir_fd, tmp, 0);
		errno = saved;
	}
	return rc;
}
