/*
 * proclimit.h: the address-space limit every daemon and delivery process
 * runs with (POLICY.md D-07).
 *
 * proclimit_address_space lowers RLIMIT_AS to max bytes (or keeps a lower
 * hard limit already in force).  In a sanitizer build it does nothing:
 * ASan reserves terabytes of address space for its shadow memory, and a
 * limit would make every process fail at start.  Returns 0, or -1 with
 * errno when setrlimit failed.
 */
#ifndef QNG_PROCLIMIT_H
#define QNG_PROCLIMIT_H

#include <stddef.h>

int proclimit_address_space(size_t max);

#endif
