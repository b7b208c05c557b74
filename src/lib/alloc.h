/*
 * alloc.h: the one allocator, with checked size arithmetic.
 *
 * Out of memory is not a return value: every function here calls the
 * program's fatal hook (set with alloc_set_fatal) and never returns NULL.
 * The default hook writes one line to stderr and exits 111.  Sizes are
 * size_t; size_add/size_mul report overflow instead of wrapping.
 */
#ifndef QNG_ALLOC_H
#define QNG_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*alloc_fatal_fn)(void);

void alloc_set_fatal(alloc_fatal_fn fn);
void alloc_fatal(void) __attribute__((noreturn));

/* Checked arithmetic: return false (and leave *out untouched) on overflow. */
bool size_add(size_t a, size_t b, size_t *out);
bool size_mul(size_t a, size_t b, size_t *out);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Resize an array of n elements of size each; overflow is fatal. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xmemdup(const void *p, size_t n);   /* returns n bytes plus a NUL */

#endif
