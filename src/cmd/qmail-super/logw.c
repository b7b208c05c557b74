#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "super.h"

static int open_current(struct logw *w)
{
	struct sbuf p = SBUF_INIT;
	struct stat st;
	sbuf_printf(&p, "%s/current", w->dir);
	w->fd = open(p.s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	sbuf_free(&p);
	if (w->fd < 0)
		return -1;
	w->size = fstat(w->fd, &st) == 0 ? (size_t)st.st_size : 0;
	return 0;
}

int logw_open(struct logw *w, const char *dir)
{
	memset(w, 0, sizeof *w);
	w->dir = xstrdup(dir);
	w->fd = -1;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -1;
	return open_current(w);
}

static void rotate(struct logw *w)
{
	struct sbuf from = SBUF_INIT, to = SBUF_INIT;
	if (w->fd >= 0) {
		(void)fsync(w->fd);
		close(w->fd);
	}
	for (int i = LOGW_KEEP; i >= 1; i--) {
		sbuf_clear(&from);
		sbuf_clear(&to);
		if (i == 1)
			sbuf_printf(&from, "%s/current", w->dir);
		else
			sbuf_printf(&from, "%s/current.%d", w->dir, i - 1);
		sbuf_printf(&to, "%s/current.%d", w->dir, i);
		(void)rename(from.s, to.s);
	}
	sbuf_free(&from);
	sbuf_free(&to);
	(void)open_current(w);
}

static void stamp(struct sbuf *b)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	sbuf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ", tm.tm_year + 1900, tm.tm_mon + 1,
	            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

/* Writes the lines collected in w->out with one write. */
static void commit(struct logw *w)
{
	if (w->out.len == 0)
		return;
	if (w->fd >= 0 && fd_write_all(w->fd, w->out.s, w->out.len) == 0)
		w->size += w->out.len;
	sbuf_clear(&w->out);
}

/* Adds one stamped line to w->out; rotation happens between lines, so a
 * file ends on a whole line and holds at most LOGW_ROTATE_SIZE plus one. */
static void add_line(struct logw *w, const char *p, size_t n)
{
	if (w->size + w->out.len >= LOGW_ROTATE_SIZE) {
		commit(w);
		rotate(w);
	}
	stamp(&w->out);
	sbuf_append(&w->out, p, n);
	sbuf_append_char(&w->out, '\n');
}

void logw_feed(struct logw *w, const char *p, size_t n)
{
	while (n > 0) {
		const char *lf = memchr(p, '\n', n);
		size_t take = lf ? (size_t)(lf - p) : n;
		if (w->partial.len + take > LOGW_LINE_MAX)
			take = LOGW_LINE_MAX - w->partial.len;
		sbuf_append(&w->partial, p, take);
		p += take;
		n -= take;
		bool eol = n > 0 && *p == '\n';
		if (eol || w->partial.len >= LOGW_LINE_MAX) {
			add_line(w, w->partial.s, w->partial.len);
			sbuf_clear(&w->partial);
		}
		if (eol)
			p++, n--;
	}
	commit(w);
}

void logw_flush(struct logw *w)
{
	if (w->partial.len) {
		add_line(w, w->partial.s, w->partial.len);
		sbuf_clear(&w->partial);
	}
	commit(w);
}

void logw_line(struct logw *w, const char *fmt, ...)
{
	struct sbuf b = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	add_line(w, b.s, b.len);
	commit(w);
	sbuf_free(&b);
}
