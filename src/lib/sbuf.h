/*
 * sbuf.h: a growable byte buffer.
 *
 * len bytes are in use, cap allocated; the bytes are always followed by a
 * NUL (not counted in len) so that a buffer holding text is a C string.
 * Growth is overflow-checked; out of memory goes to the alloc fatal hook.
 * A zero-initialised struct sbuf is a valid empty buffer.
 */
#ifndef QNG_SBUF_H
#define QNG_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *s;
	size_t len;
	size_t cap;
};

#define SBUF_INIT { NULL, 0, 0 }

void sbuf_reserve(struct sbuf *b, size_t extra);
void sbuf_append(struct sbuf *b, const void *p, size_t n);
void sbuf_append_str(struct sbuf *b, const char *s);
void sbuf_append_char(struct sbuf *b, char c);
void sbuf_append_ulong(struct sbuf *b, unsigned long long v);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void sbuf_set(struct sbuf *b, const void *p, size_t n);
void sbuf_set_str(struct sbuf *b, const char *s);
void sbuf_truncate(struct sbuf *b, size_t len);
void sbuf_clear(struct sbuf *b);        /* len = 0, keeps the memory */
void sbuf_free(struct sbuf *b);         /* releases the memory */
/* Always a valid C string, even for an empty never-grown buffer. */
const char *sbuf_cstr(const struct sbuf *b);

#endif
