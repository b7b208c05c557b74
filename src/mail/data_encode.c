#include "data_encode.h"

#include <string.h>

void data_encode_init(struct data_encoder *e)
{
	memset(e, 0, sizeof *e);
	e->at_line_start = true;
	e->is_empty = true;
	e->status = DATA_OK;
}

static void line_end(struct data_encoder *e, struct sbuf *out)
{
	sbuf_append(out, "\r\n", 2);
	e->at_line_start = true;
}

/* One input byte; CR is held back until we know whether LF follows. */
static enum data_status encode_byte(struct data_encoder *e, char c, struct sbuf *out)
{
	if (e->pending_cr) {
		e->pending_cr = false;
		if (c != '\n')
			return DATA_BAD_CR;
		line_end(e, out);
		return DATA_OK;
	}
	if (c == '\r') {
		e->pending_cr = true;
		return DATA_OK;
	}
	if (c == '\0')
		return DATA_BAD_NUL;
	if (c == '\n') {
		line_end(e, out);
		return DATA_OK;
	}
	if (e->at_line_start && c == '.')
		sbuf_append_char(out, '.');
	if ((unsigned char)c >= 0x80)
		e->has_8bit = true;
	e->at_line_start = false;
	sbuf_append_char(out, c);
	return DATA_OK;
}

enum data_status data_encode_chunk(struct data_encoder *e, const char *in, size_t n,
                                   struct sbuf *out)
{
	if (e->status != DATA_OK)
		return e->status;
	sbuf_reserve(out, n + n / 8 + 4);
	for (size_t i = 0; i < n; i++) {
		e->is_empty = false;
		enum data_status st = encode_byte(e, in[i], out);
		if (st != DATA_OK) {
			e->status = st;
			return st;
		}
	}
	return DATA_OK;
}

enum data_status data_encode_finish(struct data_encoder *e, struct sbuf *out)
{
	if (e->status != DATA_OK)
		return e->status;
	if (e->pending_cr) {
		e->status = DATA_BAD_CR;
		return e->status;
	}
	if (!e->at_line_start)
		line_end(e, out);
	sbuf_append(out, ".\r\n", 3);
	return DATA_OK;
}

enum data_status data_encode_check(const char *in, size_t n, bool *has_8bit)
{
	*has_8bit = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\r' && (i + 1 == n || in[i + 1] != '\n'))
			return DATA_BAD_CR;
		if (c == '\0')
			return DATA_BAD_NUL;
		if (c >= 0x80)
			*has_8bit = true;
	}
	return DATA_OK;
}

/* One wire line w[0..n) (without CRLF) into out; true at the final dot. */
static bool decode_line(const char *w, size_t n, struct sbuf *out)
{
	if (n == 1 && w[0] == '.')
		return true;
	if (n > 0 && w[0] == '.') {
		w++;
		n--;
	}
	sbuf_append(out, w, n);
	sbuf_append_char(out, '\n');
	return false;
}

enum data_status data_decode(const char *wire, size_t n, struct sbuf *out)
{
	size_t pos = 0;
	while (pos < n) {
		const char *lf = memchr(wire + pos, '\n', n - pos);
		if (!lf)
			return DATA_BAD_END;
		size_t end = (size_t)(lf - wire);
		if (end == pos || wire[end - 1] != '\r')
			return DATA_BAD_LF;
		const char *cr = memchr(wire + pos, '\r', end - 1 - pos);
		if (cr)
			return DATA_BAD_CR;
		if (memchr(wire + pos, '\0', end - 1 - pos))
			return DATA_BAD_NUL;
		if (decode_line(wire + pos, end - 1 - pos, out))
			return end + 1 == n ? DATA_OK : DATA_BAD_END;
		pos = end + 1;
	}
	return DATA_BAD_END;
}
