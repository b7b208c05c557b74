/*
 * base64.h: base64 (RFC 4648 4) for SMTP AUTH (RFC 4954).
 *
 * base64_decode is strict and fails closed (-1): only the alphabet, length
 * a multiple of 4, '=' only as one or two final padding characters, the
 * unused bits of the last group zero, input at most BASE64_IN_MAX bytes
 * (D-06: an AUTH line).  out is replaced by the decoded bytes (it may hold
 * NUL bytes; out->s is NUL-terminated after them).  Pure.
 */
#ifndef QNG_BASE64_H
#define QNG_BASE64_H

#include <stddef.h>

#include "sbuf.h"

#define BASE64_IN_MAX 12288

void base64_encode(const void *p, size_t n, struct sbuf *out);
int base64_decode(const char *s, size_t n, struct sbuf *out);

#endif
