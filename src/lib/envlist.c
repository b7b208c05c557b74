#include "envlist.h"

#include "alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool name_ok(const char *name, size_t len)
{
	return len > 0 && memchr(name, '=', len) == NULL;
}

static bool entry_is(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

static void reserve(struct envlist *e, size_t extra)
{
	size_t need;
	if (!size_add(e->n, extra + 1, &need))
		alloc_fatal();
	if (need <= e->cap)
		return;
	size_t cap = e->cap ? e->cap : 16;
	while (cap < need)
		if (!size_mul(cap, 2, &cap))
			alloc_fatal();
	e->v = xreallocarray(e->v, cap, sizeof *e->v);
	e->cap = cap;
}

void envlist_init(struct envlist *e, char *const *base)
{
	memset(e, 0, sizeof *e);
	size_t n = 0;
	while (base && base[n])
		n++;
	reserve(e, n);
	for (size_t i = 0; i < n; i++)
		e->v[i] = base[i];
	e->n = n;
	e->v[n] = NULL;
}

static void drop(struct envlist *e, const char *name, size_t len)
{
	size_t j = 0;
	for (size_t i = 0; i < e->n; i++)
		if (!entry_is(e->v[i], name, len))
			e->v[j++] = e->v[i];
	e->n = j;
	e->v[j] = NULL;
}

static void own(struct envlist *e, char *s)
{
	if (e->n_owned == e->cap_owned) {
		size_t cap = e->cap_owned ? e->cap_owned : 8;
		if (!size_mul(cap, 2, &cap))
			alloc_fatal();
		e->owned = xreallocarray(e->owned, cap, sizeof *e->owned);
		e->cap_owned = cap;
	}
	e->owned[e->n_owned++] = s;
}

static int set_len(struct envlist *e, const char *name, size_t len, const char *value)
{
	if (!name_ok(name, len))
		return -1;
	drop(e, name, len);
	size_t vlen = strlen(value), total;
	if (!size_add(len, vlen, &total) || !size_add(total, 2, &total))
		alloc_fatal();
	char *s = xmalloc(total);
	memcpy(s, name, len);
	s[len] = '=';
	memcpy(s + len + 1, value, vlen + 1);
	own(e, s);
	reserve(e, 1);
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
	return 0;
}

int envlist_set(struct envlist *e, const char *name, const char *value)
{
	return set_len(e, name, strlen(name), value);
}

int envlist_unset(struct envlist *e, const char *name)
{
	size_t len = strlen(name);
	if (!name_ok(name, len))
		return -1;
	drop(e, name, len);
	return 0;
}

int envlist_apply(struct envlist *e, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	if (!eq)
		return envlist_unset(e, assignment);
	return set_len(e, assignment, (size_t)(eq - assignment), eq + 1);
}

const char *envlist_get(const struct envlist *e, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < e->n; i++)
		if (entry_is(e->v[i], name, len))
			return e->v[i] + len + 1;
	return NULL;
}

char **envlist_vec(struct envlist *e)
{
	if (!e->v)
		reserve(e, 0);
	e->v[e->n] = NULL;
	return e->v;
}

void envlist_free(struct envlist *e)
{
	for (size_t i = 0; i < e->n_owned; i++)
		free(e->owned[i]);
	free(e->owned);
	free(e->v);
	memset(e, 0, sizeof *e);
}
