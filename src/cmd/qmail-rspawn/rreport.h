/*
 * rreport.h: turns qmail-remote's output (docs/PROTOCOLS.md) into one
 * spawner report "<status><text>" for qmail-send (pure; unit-tested).
 *
 * Output: per recipient one of r/h/s + text + NUL, then K/Z/D + text +
 * NUL for the message.  The recipient record decides (r -> K, h -> D,
 * s -> Z); without one, the message record does (K, D, anything else Z).
 * No record at all: Z with a "crashed" or "no report" text.  The texts of
 * both records are joined with '/'; bytes outside printable ASCII become
 * '_'; the text is cut at REPORT_TEXT_MAX.
 */
#ifndef QNG_RREPORT_H
#define QNG_RREPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

void rreport_convert(const char *out, size_t len, bool crashed, struct sbuf *report);

#endif
