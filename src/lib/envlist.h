/*
 * envlist.h: an environment for execve built without touching this
 * process's own environ (qmail-listen prepares each connection's
 * environment in the accept loop and starts the program with vfork, whose
 * child must not call setenv).
 *
 * envlist_init copies the pointers of a base vector (environ); set and
 * unset replace or drop NAME=..., newest first wins; vec returns a
 * NULL-terminated vector valid until the next change or free.  Strings the
 * list made are freed by envlist_free; the base strings are never freed.
 * A name must be non-empty and hold no '='; otherwise set/unset return -1
 * and change nothing.
 */
#ifndef QNG_ENVLIST_H
#define QNG_ENVLIST_H

#include <stddef.h>

struct envlist {
	char **v;       /* n entries + NULL */
	size_t n, cap;
	char **owned;   /* strings made by set, freed by envlist_free */
	size_t n_owned, cap_owned;
};

void envlist_init(struct envlist *e, char *const *base);
int envlist_set(struct envlist *e, const char *name, const char *value);
int envlist_unset(struct envlist *e, const char *name);
/* "NAME=value" sets, "NAME" unsets (tcprules' env syntax). */
int envlist_apply(struct envlist *e, const char *assignment);
const char *envlist_get(const struct envlist *e, const char *name);
char **envlist_vec(struct envlist *e);
void envlist_free(struct envlist *e);

#endif
