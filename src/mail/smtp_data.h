/*
 * smtp_data.h: the SMTP DATA state machine (RFC 5321 4.1.1.4, 4.5.2).
 *
 * A pure function over input chunks, so it can be fuzzed: feed the bytes
 * that arrive after "354"; the machine removes dot-stuffing, turns CRLF
 * into LF (the queue's format, D-17) and appends the message to an output
 * buffer, until it sees the end marker CRLF "." CRLF.
 *
 * Fatal (the caller replies and closes, nothing is queued):
 *   bare LF or bare CR anywhere (D-01, D-02): 451 4.5.2.
 * Sticky errors (the machine keeps reading to the end marker but stops
 * producing output; the caller replies after the end):
 *   a header field over HEADER_FIELD_MAX or a header section over
 *   HEADER_SECTION_MAX (D-06): 552 5.3.4;
 *   more than max_bytes stored bytes (D-07): 552 5.3.4;
 *   HOPS_MAX or more "Received"/"Delivered-To" fields in the header
 *   section (D-09): 554 5.4.6.
 * The header section ends at the first empty line or at the first line
 * that cannot start a header field (no "name:" prefix).
 */
#ifndef QNG_SMTP_DATA_H
#define QNG_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

enum smtp_data_state {
	SD_LINE_START, /* at the start of a line */
	SD_DOT,        /* a line started with '.' */
	SD_DOT_CR,     /* ".\r" at a line start */
	SD_TEXT,       /* inside a line */
	SD_CR,         /* CR inside a line */
	SD_DONE,       /* end marker seen */
	SD_FATAL,      /* bare CR or LF */
};

enum smtp_data_error {
	SD_ERR_NONE = 0,
	SD_ERR_TOO_BIG, /* 552 5.3.4 */
	SD_ERR_HEADER,  /* 552 5.3.4 */
	SD_ERR_LOOP,    /* 554 5.4.6 */
	SD_ERR_BARE_LF, /* 451 4.5.2, close */
	SD_ERR_BARE_CR, /* 451 4.5.2, close */
};

enum field_scan { FS_NAME, FS_WSP, FS_FIELD, FS_NOT_FIELD, FS_CONT };

struct smtp_data {
	enum smtp_data_state state;
	enum smtp_data_error error;
	bool in_header;
	enum field_scan field; /* what the current header line is */
	char name[16];         /* first bytes of the current line, lower-cased */
	size_t name_len;
	size_t line_len;  /* bytes of the current line so far */
	size_t field_len; /* bytes of the current header field (with folds) */
	size_t header_len;
	size_t hops;
	uint64_t stored; /* bytes the message has (LF line endings) */
	uint64_t max_bytes;
};

void smtp_data_init(struct smtp_data *d, uint64_t max_bytes);

/*
 * Consumes bytes from p[0..n) and appends message text to out.  Returns
 * the bytes consumed: all of them, or fewer when the end marker or a fatal
 * error was reached (the rest belongs to the next command, or is junk).
 * Check d->state for SD_DONE / SD_FATAL afterwards.
 */
size_t smtp_data_feed(struct smtp_data *d, const char *p, size_t n, struct sbuf *out);

/* The reply line (no CRLF) for a finished machine with an error. */
const char *smtp_data_reply(const struct smtp_data *d);

#endif
