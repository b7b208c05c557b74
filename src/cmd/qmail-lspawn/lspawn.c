/*
 * lspawn.c: qmail-lspawn's poll loop (lspawn.h).
 */
#include "lspawn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static int finish_job(struct lspawn *ls, size_t i)
{
	struct lspawn_job *j = &ls->jobs[i];
	int st;
	close(j->fd);
	while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
		;
	int r;
	if (j->result.len == 0)
		r = lspawn_report(j->id, 'Z', "Delivery process crashed. (#4.3.0)", 34);
	else
		r = lspawn_report(j->id, j->result.s[0], j->result.s + 1, j->result.len - 1);
	free(j->id);
	sbuf_free(&j->result);
	ls->jobs[i] = ls->jobs[--ls->n_jobs];
	return r;
}

static int read_job(struct lspawn *ls, size_t i)
{
	char buf[2048];
	struct lspawn_job *j = &ls->jobs[i];
	ssize_t n = read(j->fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n > 0) {
		if (j->result.len < REPORT_TEXT_MAX + 1)
			sbuf_append(&j->result, buf, (size_t)n);
		return 0;
	}
	return finish_job(ls, i);
}

static int poll_once(struct lspawn *ls)
{
	size_t n = ls->n_jobs + 1;
	struct pollfd *p = xcalloc(n, sizeof *p);
	p[0].fd = ls->in_eof ? -1 : 0;
	p[0].events = POLLIN;
	for (size_t i = 0; i < ls->n_jobs; i++) {
		p[i + 1].fd = ls->jobs[i].fd;
		p[i + 1].events = POLLIN;
	}
	int r = poll(p, n, -1);
	if (r < 0) {
		free(p);
		return errno == EINTR ? 0 : -1;
	}
	/* Jobs first, from the end: finish_job moves the last job into slot i. */
	for (size_t i = ls->n_jobs; r >= 0 && i-- > 0;)
		if (p[i + 1].revents && read_job(ls, i) != 0)
			r = -1;
	if (r >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_requests(ls) != 0)
		r = -1;
	free(p);
	return r < 0 ? -1 : 0;
}

int lspawn_loop(struct lspawn *ls)
{
	while (!ls->in_eof || ls->n_jobs > 0)
		if (poll_once(ls) != 0)
			return -1;
	return 0;
}
