/*
 * received.c: the Received header field (see received.h).
 */
#include "received.h"

#include "datefmt.h"

#include <string.h>

static void append_clean(struct sbuf *out, const char *s)
{
	if (s == NULL || *s == '\0') {
		sbuf_append_str(out, "unknown");
		return;
	}
	for (size_t i = 0; s[i] != '\0' && i < RECEIVED_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 32 || c >= 127 || strchr("()[]\\;", c) != NULL)
			c = '?';
		sbuf_append_char(out, (char)c);
	}
}

void received_format(const struct received_info *ri, struct sbuf *out)
{
	char date[DATEFMT_MAX];
	datefmt_received(date, ri->when);
	sbuf_append_str(out, "Received: from ");
	append_clean(out, ri->helo);
	sbuf_append_str(out, " (");
	append_clean(out, ri->remote_host);
	sbuf_append_str(out, " [");
	append_clean(out, ri->remote_ip);
	sbuf_append_str(out, "])\n\tby ");
	append_clean(out, ri->me);
	sbuf_append_str(out, " (qmail-ng) with ");
	append_clean(out, ri->protocol);
	sbuf_append_str(out, " id ");
	append_clean(out, ri->id);
	sbuf_append_str(out, ";\n\t");
	sbuf_append_str(out, date);
	sbuf_append_char(out, '\n');
}
