/*
 * scan.h: the one number scanner.
 *
 * Decimal only; rejects empty input, signs, leading/trailing junk and
 * overflow.  The _prefix variant stops at the first non-digit and reports
 * how many bytes it consumed (0 means no number there).
 */
#ifndef QNG_SCAN_H
#define QNG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whole string s[0..len) must be a decimal number <= max. */
bool scan_u64(const char *s, size_t len, uint64_t max, uint64_t *out);
/* NUL-terminated convenience form. */
bool scan_u64_str(const char *s, uint64_t max, uint64_t *out);
/* Leading digits of s[0..len); returns bytes consumed, 0 on none/overflow. */
size_t scan_u64_prefix(const char *s, size_t len, uint64_t max, uint64_t *out);
/* The value of one hex digit (either case), -1 for anything else. */
int scan_hex_digit(char c);

#endif
