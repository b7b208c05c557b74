#include "sbuf.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need;
	if (!size_add(b->len, extra, &need) || !size_add(need, 1, &need))
		alloc_fatal();
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (!size_mul(cap, 2, &cap))
			cap = need;
	}
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
	b->s[b->len] = '\0'; /* the invariant holds even before the first append */
}

void sbuf_append(struct sbuf *b, const void *p, size_t n)
{
	sbuf_reserve(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sbuf_append_str(struct sbuf *b, const char *s)
{
	sbuf_append(b, s, strlen(s));
}

void sbuf_append_char(struct sbuf *b, char c)
{
	sbuf_append(b, &c, 1);
}

void sbuf_append_ulong(struct sbuf *b, unsigned long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%llu", v);
	sbuf_append(b, tmp, (size_t)n);
}

void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	/* Short results (the common case) are formatted once, on the stack. */
	char small[256];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		sbuf_append(b, small, (size_t)n);
		return;
	}
	sbuf_reserve(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

void sbuf_set(struct sbuf *b, const void *p, size_t n)
{
	b->len = 0;
	sbuf_append(b, p, n);
}

void sbuf_set_str(struct sbuf *b, const char *s)
{
	sbuf_set(b, s, strlen(s));
}

void sbuf_truncate(struct sbuf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->s[len] = '\0';
	}
}

void sbuf_clear(struct sbuf *b)
{
	sbuf_truncate(b, 0);
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

const char *sbuf_cstr(const struct sbuf *b)
{
	return b->s ? b->s : "";
}
