#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void default_fatal(void)
{
	static const char msg[] = "fatal: out of memory\n";
	(void)!write(2, msg, sizeof msg - 1);
	_exit(111);
}

static alloc_fatal_fn fatal_hook = default_fatal;

void alloc_set_fatal(alloc_fatal_fn fn)
{
	fatal_hook = fn ? fn : default_fatal;
}

void alloc_fatal(void)
{
	fatal_hook();
	_exit(111);     /* the hook must not return; make sure of it */
}

bool size_add(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return false;
	*out = a + b;
	return true;
}

bool size_mul(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return false;
	*out = a * b;
	return true;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		alloc_fatal();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	size_t total;
	if (!size_mul(n, size, &total))
		alloc_fatal();
	void *p = calloc(total ? total : 1, 1);
	if (!p)
		alloc_fatal();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		alloc_fatal();
	return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	size_t total;
	if (!size_mul(n, size, &total))
		alloc_fatal();
	return xrealloc(p, total);
}

char *xmemdup(const void *p, size_t n)
{
	size_t total;
	if (!size_add(n, 1, &total))
		alloc_fatal();
	char *q = xmalloc(total);
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s));
}
