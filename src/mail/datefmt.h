/*
 * datefmt.h: the dates the queue programs print, always in GMT.
 *
 *   datefmt_received  "21 Nov 2026 12:15:00 -0000"   (qmail's Received: lines)
 *   datefmt_rfc5322   "Sat, 21 Nov 2026 12:15:00 +0000" (Date:, Arrival-Date:)
 *   datefmt_qread     "21 Nov 2026 12:15:00 GMT"     (qmail-qread; day unpadded)
 *
 * Each writes a NUL-terminated string of at most DATEFMT_MAX bytes
 * (including the NUL) into buf and returns its length.  A time that
 * gmtime cannot represent prints as the epoch.
 */
#ifndef QNG_DATEFMT_H
#define QNG_DATEFMT_H

#include <stddef.h>
#include <time.h>

#define DATEFMT_MAX 64

size_t datefmt_received(char buf[DATEFMT_MAX], time_t t);
size_t datefmt_rfc5322(char buf[DATEFMT_MAX], time_t t);
size_t datefmt_qread(char buf[DATEFMT_MAX], time_t t);

#endif
