/*
 * data_encode.h: the outbound DATA encoder (RFC 5321 4.5.2, 4.1.1.4) and
 * its inverse, used by qmail-remote and by the tests.
 *
 * Input is the queued message: LF line endings (POLICY D-17); a CRLF pair
 * is accepted as one line end (normalised first), a CR not followed by LF
 * is refused (DATA_BAD_CR: the queue's invariant is broken, the caller
 * defers rather than send it), and so is NUL (DATA_BAD_NUL).  Output is
 * the wire form: every line ends in CRLF, a line starting with '.' gets
 * one more '.', the last line gets a CRLF if it had none, and
 * data_encode_finish adds the final ".\r\n".  So nothing but CRLF ends a
 * line on the wire and every line start is checked.
 *
 * The encoder is incremental: feed any split of the input.  has_8bit says
 * whether a byte >= 0x80 was seen (for BODY=8BITMIME).
 *
 * data_decode undoes it (wire form with the final dot -> LF form), strictly:
 * DATA_BAD_* for a lone CR or LF, DATA_BAD_END for a missing final dot or
 * bytes after it.
 */
#ifndef QNG_DATA_ENCODE_H
#define QNG_DATA_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

enum data_status { DATA_OK = 0, DATA_BAD_CR, DATA_BAD_NUL, DATA_BAD_LF, DATA_BAD_END };

struct data_encoder {
	bool at_line_start;
	bool pending_cr;        /* a CR was the last byte fed */
	bool has_8bit;
	bool is_empty;
	enum data_status status;
};

void data_encode_init(struct data_encoder *e);
/* Appends the wire form of in[0..n) to out; DATA_OK or the first error
 * (sticky: later calls keep failing). */
enum data_status data_encode_chunk(struct data_encoder *e, const char *in, size_t n,
                                   struct sbuf *out);
enum data_status data_encode_finish(struct data_encoder *e, struct sbuf *out);

/* Checks a whole message without encoding it (has_8bit set on success). */
enum data_status data_encode_check(const char *in, size_t n, bool *has_8bit);

enum data_status data_decode(const char *wire, size_t n, struct sbuf *out);

#endif
