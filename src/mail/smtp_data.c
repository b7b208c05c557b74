/*
 * smtp_data.c: the DATA state machine (see smtp_data.h).
 */
#include "smtp_data.h"

#include "proto_limits.h"

#include <string.h>

void smtp_data_init(struct smtp_data *d, uint64_t max_bytes)
{
	memset(d, 0, sizeof *d);
	d->state = SD_LINE_START;
	d->in_header = true;
	d->field = FS_NAME;
	d->max_bytes = max_bytes;
}

static void set_error(struct smtp_data *d, enum smtp_data_error e)
{
	if (d->error == SD_ERR_NONE)
		d->error = e;
}

static void emit(struct smtp_data *d, struct sbuf *out, const char *p, size_t n)
{
	d->stored += n;
	if (d->stored > d->max_bytes)
		set_error(d, SD_ERR_TOO_BIG);
	if (d->error == SD_ERR_NONE)
		sbuf_append(out, p, n);
}

static bool is_hop_field(const struct smtp_data *d)
{
	static const char *const names[] = {"received", "delivered-to"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (d->name_len == strlen(names[i]) && memcmp(d->name, names[i], d->name_len) == 0)
			return true;
	}
	return false;
}

/* Advances the "is this line a header field" scan by one byte. */
static void scan_field(struct smtp_data *d, unsigned char c)
{
	if (d->line_len == 1 && (c == ' ' || c == '\t')) {
		/* a fold continues the previous field; none before it: body */
		d->field = d->header_len > 1 ? FS_CONT : FS_NOT_FIELD;
	} else if (d->field == FS_NAME && c == ':' && d->name_len > 0) {
		d->field = FS_FIELD;
	} else if (d->field == FS_NAME && (c == ' ' || c == '\t') && d->name_len > 0) {
		d->field = FS_WSP;
	} else if (d->field == FS_NAME && c > 32 && c < 127 && c != ':') {
		if (d->name_len < sizeof d->name)
			d->name[d->name_len] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
		d->name_len++;
		return;
	} else if (d->field == FS_WSP && c == ':') {
		d->field = FS_FIELD;
	} else if (d->field == FS_WSP && (c == ' ' || c == '\t')) {
		return;
	} else if (d->field == FS_NAME || d->field == FS_WSP) {
		d->field = FS_NOT_FIELD;
	} else {
		return;
	}
	if (d->field == FS_FIELD && is_hop_field(d) && ++d->hops >= HOPS_MAX)
		set_error(d, SD_ERR_LOOP);
	if (d->field == FS_NOT_FIELD)
		d->in_header = false;
}

static void header_count(struct smtp_data *d, size_t n)
{
	d->field_len += n;
	d->header_len += n;
	if (d->field_len > HEADER_FIELD_MAX || d->header_len > HEADER_SECTION_MAX)
		set_error(d, SD_ERR_HEADER);
}

static void content_byte(struct smtp_data *d, char c, struct sbuf *out)
{
	if (d->in_header) {
		d->line_len++;
		if (d->line_len == 1 && c != ' ' && c != '\t')
			d->field_len = 0;
		header_count(d, 1);
		scan_field(d, (unsigned char)c);
	}
	emit(d, out, &c, 1);
	d->state = SD_TEXT;
}

static void end_line(struct smtp_data *d, struct sbuf *out)
{
	if (d->in_header) {
		if (d->line_len == 0 || d->field == FS_NAME || d->field == FS_WSP)
			d->in_header = false; /* empty line, or no "name:" */
		else
			header_count(d, 1);
	}
	d->line_len = 0;
	d->name_len = 0;
	d->field = FS_NAME;
	emit(d, out, "\n", 1);
	d->state = SD_LINE_START;
}

static void fatal(struct smtp_data *d, enum smtp_data_error e)
{
	d->error = e;
	d->state = SD_FATAL;
}

/* Body text fast path: a run of bytes without CR or LF. */
static size_t text_run(struct smtp_data *d, const char *p, size_t n, struct sbuf *out)
{
	size_t k = 0;
	while (k < n && p[k] != '\r' && p[k] != '\n')
		k++;
	emit(d, out, p, k);
	return k;
}

static void step(struct smtp_data *d, char c, struct sbuf *out)
{
	switch (d->state) {
	case SD_LINE_START:
	case SD_TEXT:
		if (c == '\r')
			d->state = SD_CR;
		else if (c == '\n')
			fatal(d, SD_ERR_BARE_LF);
		else if (c == '.' && d->state == SD_LINE_START)
			d->state = SD_DOT;
		else
			content_byte(d, c, out);
		break;
	case SD_DOT:
		if (c == '\r')
			d->state = SD_DOT_CR;
		else if (c == '\n')
			fatal(d, SD_ERR_BARE_LF);
		else
			content_byte(d, c, out); /* RFC 5321 4.5.2: drop the dot */
		break;
	case SD_DOT_CR:
		if (c == '\n')
			d->state = SD_DONE;
		else
			fatal(d, SD_ERR_BARE_CR);
		break;
	case SD_CR:
		if (c == '\n')
			end_line(d, out);
		else
			fatal(d, SD_ERR_BARE_CR);
		break;
	case SD_DONE:
	case SD_FATAL:
		break;
	}
}

size_t smtp_data_feed(struct smtp_data *d, const char *p, size_t n, struct sbuf *out)
{
	size_t i = 0;
	while (i < n && d->state != SD_DONE && d->state != SD_FATAL) {
		if (d->state == SD_TEXT && !d->in_header) {
			size_t k = text_run(d, p + i, n - i, out);
			i += k;
			if (k > 0)
				continue;
		}
		step(d, p[i], out);
		i++;
	}
	return i;
}

const char *smtp_data_reply(const struct smtp_data *d)
{
	switch (d->error) {
	case SD_ERR_NONE:
		return "250 2.0.0 ok";
	case SD_ERR_TOO_BIG:
		return "552 5.3.4 message too big";
	case SD_ERR_HEADER:
		return "552 5.3.4 header field or header section too big";
	case SD_ERR_LOOP:
		return "554 5.4.6 too many hops, mail loop";
	case SD_ERR_BARE_LF:
		return "451 4.5.2 bare LF in message, see RFC 5321 2.3.8";
	case SD_ERR_BARE_CR:
		return "451 4.5.2 bare CR in message, see RFC 5321 2.3.8";
	}
	return "451 4.3.0 internal error";
}
