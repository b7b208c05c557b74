/*
 * msgio.c: message copying for deliveries (msgio.h).
 */
#include "msgio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"

static int rewind_fd(int fd, bool *is_read_error)
{
	*is_read_error = true;
	if (lseek(fd, 0, SEEK_SET) == (off_t)-1)
		return errno == ESPIPE ? 0 : -1;   /* a pipe: read what is left */
	return 0;
}

int msgio_copy(int msg_fd, int out_fd, bool *is_read_error)
{
	if (rewind_fd(msg_fd, is_read_error) != 0)
		return -1;
	char *buf = xmalloc(MSGIO_CHUNK);
	int r = 0;
	for (;;) {
		ssize_t n = fd_read_full(msg_fd, buf, MSGIO_CHUNK);
		if (n < 0) {
			*is_read_error = true;
			r = -1;
			break;
		}
		if (n == 0)
			break;
		if (fd_write_all(out_fd, buf, (size_t)n) != 0) {
			*is_read_error = false;
			r = -1;
			break;
		}
	}
	free(buf);
	if (r == 0)
		*is_read_error = false;
	return r;
}

/* True when line[0..len) starts with ">*From ". */
static bool needs_quote(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && line[i] == '>')
		i++;
	return len - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

static int flush_out(struct sbuf *out, int fd, bool force)
{
	if (out->len < MSGIO_CHUNK && !force)
		return 0;
	int r = fd_write_all(fd, out->s, out->len);
	sbuf_clear(out);
	return r;
}

int msgio_copy_mbox(int msg_fd, int out_fd, bool *is_read_error)
{
	if (rewind_fd(msg_fd, is_read_error) != 0)
		return -1;
	char *buf = xmalloc(MSGIO_CHUNK);
	struct sbuf out = SBUF_INIT, line = SBUF_INIT;
	int r = 0;
	ssize_t n;
	while ((n = fd_read_full(msg_fd, buf, MSGIO_CHUNK)) > 0 && r == 0) {
		for (ssize_t i = 0; i < n && r == 0; i++) {
			sbuf_append_char(&line, buf[i]);
			if (buf[i] != '\n')
				continue;
			if (needs_quote(line.s, line.len))
				sbuf_append_char(&out, '>');
			sbuf_append(&out, line.s, line.len);
			sbuf_clear(&line);
			r = flush_out(&out, out_fd, false);
		}
	}
	*is_read_error = n < 0;
	if (n < 0)
		r = -1;
	if (r == 0) {
		if (line.len > 0 && needs_quote(line.s, line.len))
			sbuf_append_char(&out, '>');
		sbuf_append(&out, line.s, line.len);
		sbuf_append_str(&out, line.len > 0 ? "\n\n" : "\n");
		r = flush_out(&out, out_fd, true);
	}
	free(buf);
	sbuf_free(&out);
	sbuf_free(&line);
	return r;
}

int msgio_read_header(int msg_fd, struct sbuf *out, size_t max)
{
	char buf[4096];
	off_t off = 0;
	sbuf_clear(out);
	while (out->len < max) {
		size_t want = sizeof buf;
		if (want > max - out->len)
			want = max - out->len;
		ssize_t n = fd_pread_full(msg_fd, buf, want, off);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		sbuf_append(out, buf, (size_t)n);
		off += n;
		char *end = memmem(out->s, out->len, "\n\n", 2);
		if (end || (out->len > 0 && out->s[0] == '\n')) {
			sbuf_truncate(out, end ? (size_t)(end - out->s) + 1 : 0);
			break;
		}
	}
	return 0;
}
