/*
 * lspawn.c: qmail-lspawn's poll loop (lspawn.h).
 */
#include "lspawn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "proto_limits.h"

int lspawn_report(const char *id, char status, const char *text, size_t len)
{
	struct sbuf r = SBUF_INIT;
	sbuf_append(&r, id, strlen(id) + 1);
	sbuf_append_char(&r, status);
	if (len > REPORT_TEXT_MAX)
		len = REPORT_TEXT_MAX;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		sbuf_append_char(&r, c >= 0x20 && c < 0x7f ? (char)c : '_');
	}
	sbuf_append_char(&r, '\0');
	int ret = fd_write_all(1, r.s, r.len);
	sbuf_free(&r);
	return ret;
}

/* Takes every complete request out of ls->in. */
static int handle_requests(struct lspawn *ls)
{
	size_t pos = 0;
	for (;;) {
		const char *f[4];
		size_t p = pos, nf = 0;
		while (nf < 4) {
			const char *z = memchr(ls->in.s + p, '\0', ls->in.len - p);
			if (!z)
				break;
			f[nf++] = ls->in.s + p;
			p = (size_t)(z - ls->in.s) + 1;
		}
		if (nf < 4)
			break;
		if (lspawn_start(ls, f[0], f[1], f[2], f[3]) != 0)
			return -1;
		pos = p;
	}
	memmove(ls->in.s, ls->in.s + pos, ls->in.len - pos);
	sbuf_truncate(&ls->in, ls->in.len - pos);
	if (ls->in.len > LSPAWN_REQUEST_MAX) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int read_requests(struct lspawn *ls)
{
	char buf[4096];
	ssize_t n = read(0, buf, sizeof buf);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		ls->in_eof = true;
		return 0;
	}
	sbuf_append(&ls->in, buf, (size_t)n);
	return handle_requests(ls);
}

static int poll_once(struct lspawn *ls)
{
	int timeout = pool_expire(ls);
	size_t n = ls->n_workers + 1;
	struct pollfd *p = xcalloc(n, sizeof *p);
	p[0].fd = ls->in_eof ? -1 : 0;
	p[0].events = POLLIN;
	for (size_t i = 0; i < ls->n_workers; i++) {
		p[i + 1].fd = ls->workers[i].fd;
		p[i + 1].events = POLLIN;
	}
	int r = poll(p, n, timeout);
	if (r < 0) {
		free(p);
		return errno == EINTR ? 0 : -1;
	}
	/* Workers first, from the end: a removed worker's slot gets the last. */
	for (size_t i = ls->n_workers; r >= 0 && i-- > 0;)
		if (p[i + 1].revents && pool_on_readable(ls, i) != 0)
			r = -1;
	if (r >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_requests(ls) != 0)
		r = -1;
	free(p);
	return r < 0 ? -1 : 0;
}

int lspawn_loop(struct lspawn *ls)
{
	while (!ls->in_eof || pool_n_busy(ls) > 0)
		if (poll_once(ls) != 0)
			return -1;
	pool_shutdown(ls);
	return 0;
}
