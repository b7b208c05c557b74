#include "queue_read.h"

#include "datefmt.h"

void queue_read_printable(struct sbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		sbuf_append_char(out, (c >= 0x20 && c <= 0x7e) ? (char)c : '_');
	}
}

void queue_read_header(struct sbuf *out, time_t t, uint64_t id, uint64_t size,
                       const char *sender, bool bouncing)
{
	char date[DATEFMT_MAX];
	datefmt_qread(date, t);
	sbuf_append_str(out, date);
	sbuf_printf(out, "  #%llu  %llu  <", (unsigned long long)id, (unsigned long long)size);
	queue_read_printable(out, sender);
	sbuf_append_str(out, "> ");
	if (bouncing)
		sbuf_append_str(out, " bouncing");
	sbuf_append_char(out, '\n');
}

void queue_read_rcpt(struct sbuf *out, bool local, bool done, const char *addr)
{
	if (done)
		sbuf_append_str(out, "  done");
	sbuf_append_str(out, local ? "\tlocal\t" : "\tremote\t");
	queue_read_printable(out, addr);
	sbuf_append_char(out, '\n');
}
