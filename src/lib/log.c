#include "log.h"

#include "alloc.h"
#include "fdio.h"
#include "sbuf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static char *log_ident;
static int log_fd = 2;
static enum log_level log_min = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void log_set_ident(const char *ident)
{
	free(log_ident);
	log_ident = ident ? xstrdup(ident) : NULL;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

void log_set_min_level(enum log_level level)
{
	log_min = level;
}

/* Cuts the record to LOG_LINE_MAX, adds LF, writes it in one call. */
static void emit(struct sbuf *line)
{
	if (line->len > LOG_LINE_MAX) {
		sbuf_truncate(line, LOG_LINE_MAX - 3);
		sbuf_append_str(line, "...");
	}
	sbuf_append_char(line, '\n');
	(void)fd_write_all(log_fd, line->s, line->len);
}

static void start_line(struct sbuf *line)
{
	if (log_ident) {
		sbuf_append_str(line, log_ident);
		sbuf_append_str(line, ": ");
	}
}

void log_text(const char *fmt, ...)
{
	struct sbuf line = SBUF_INIT;
	start_line(&line);
	size_t from = line.len;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vprintf(&line, fmt, ap);
	va_end(ap);
	for (size_t i = from; i < line.len; i++) {
		unsigned char c = (unsigned char)line.s[i];
		if (c < 0x20 || c >= 0x7f)
			line.s[i] = '_';
	}
	emit(&line);
	sbuf_free(&line);
}

static bool needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '=')
			return true;
	}
	return false;
}

void log_escape_value(struct sbuf *out, const char *v)
{
	if (!v) {
		sbuf_append_char(out, '-');
		return;
	}
	if (!needs_quotes(v)) {
		sbuf_append_str(out, v);
		return;
	}
	sbuf_append_char(out, '"');
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		switch (c) {
		case '"': sbuf_append_str(out, "\\\""); break;
		case '\\': sbuf_append_str(out, "\\\\"); break;
		case '\n': sbuf_append_str(out, "\\n"); break;
		case '\r': sbuf_append_str(out, "\\r"); break;
		case '\t': sbuf_append_str(out, "\\t"); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				sbuf_printf(out, "\\x%02x", c);
			else
				sbuf_append_char(out, (char)c);
		}
	}
	sbuf_append_char(out, '"');
}

static void append_key(struct sbuf *out, const char *k)
{
	if (!*k)
		sbuf_append_char(out, '_');
	for (; *k; k++) {
		char c = *k;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		sbuf_append_char(out, ok ? c : '_');
	}
}

void log_kv(enum log_level level, const char *event, ...)
{
	if (level < log_min)
		return;
	struct sbuf line = SBUF_INIT;
	start_line(&line);
	sbuf_append_str(&line, "level=");
	sbuf_append_str(&line, (unsigned)level <= LOG_LEVEL_ERROR ? level_names[level] : "error");
	sbuf_append_str(&line, " event=");
	log_escape_value(&line, event);
	va_list ap;
	va_start(ap, event);
	const char *k;
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		sbuf_append_char(&line, ' ');
		append_key(&line, k);
		sbuf_append_char(&line, '=');
		log_escape_value(&line, v);
	}
	va_end(ap);
	emit(&line);
	sbuf_free(&line);
}

void log_session_id(char out[LOG_SESSION_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[LOG_SESSION_ID_LEN / 2];
	if (getrandom(raw, sizeof raw, GRND_NONBLOCK) != (ssize_t)sizeof raw) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
			     ((uint64_t)getpid() << 40);
		memcpy(raw, &x, sizeof raw < sizeof x ? sizeof raw : sizeof x);
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[LOG_SESSION_ID_LEN] = '\0';
}
