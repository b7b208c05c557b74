/* slog.c: qmail-send's log lines (qmail's vocabulary), one per write. */
#include <stdarg.h>

#include "fdio.h"
#include "send.h"

void slog(const char *fmt, ...)
{
	struct sbuf b = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	sbuf_append_char(&b, '\n');
	(void)fd_write_all(2, b.s, b.len);
	sbuf_free(&b);
}

void slog_text(struct sbuf *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\0')
			c = '_';
		else if (c == '\n' || c == '\r')
			c = '/';
		sbuf_append_char(out, c);
	}
}

void slog_status(const struct send_state *s)
{
	slog("status: local %zu/%zu remote %zu/%zu", s->chan[CHAN_LOCAL].n_busy,
	     s->chan[CHAN_LOCAL].concurrency, s->chan[CHAN_REMOTE].n_busy,
	     s->chan[CHAN_REMOTE].concurrency);
}
