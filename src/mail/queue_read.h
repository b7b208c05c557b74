/*
 * queue_read.h: qmail-qread's output lines, byte-compatible with qmail's.
 *
 *   "<date>  #<N>  <size>  <<sender>> [ bouncing]\n"
 *   "[  done]\t<local|remote>\t<address>\n"
 * The date is datefmt_qread's ("21 Nov 2026 12:15:00 GMT").  Bytes outside
 * printable ASCII are printed as '_'.
 */
#ifndef QNG_QUEUE_READ_H
#define QNG_QUEUE_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sbuf.h"

void queue_read_header(struct sbuf *out, time_t t, uint64_t id, uint64_t size,
                       const char *sender, bool bouncing);
void queue_read_rcpt(struct sbuf *out, bool local, bool done, const char *addr);
/* Appends s with every byte outside 0x20..0x7e replaced by '_'. */
void queue_read_printable(struct sbuf *out, const char *s);

#endif
