/*
 * cdbmap.h: constant databases (cdb) over tinycdb, for lookups and builds.
 *
 * Lookups return 1 found (value copied into out, replacing its contents),
 * 0 not found, -1 error with errno (ENOENT: the file does not exist;
 * EFBIG: the value is larger than CDBMAP_VALUE_MAX; EINVAL: key too long).
 * With duplicate keys, the first record added wins (as in tcprules).
 *
 * Builds write "<path>.tmp" (or a given temporary name) and make the new
 * database visible only in cdbmap_build_commit: finish, fsync, close
 * checked, rename over path, fsync the directory.  A reader sees either the
 * old or the new file, never a partial one.  On any failure the temporary
 * file is removed (cdbmap_build_abort after a failed add).
 */
#ifndef QNG_CDBMAP_H
#define QNG_CDBMAP_H

#include <cdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define CDBMAP_VALUE_MAX (16u * 1024u * 1024u)
#define CDBMAP_KEY_MAX (64u * 1024u)

struct cdbmap {
	int fd;
	struct cdb cdb;
	bool is_open;
};

/* 0 ok, -1 error (ENOENT if missing). */
int cdbmap_open(struct cdbmap *m, const char *path);
int cdbmap_get(struct cdbmap *m, const void *key, size_t keylen, struct sbuf *out);
void cdbmap_close(struct cdbmap *m);
/* One-shot: open, get, close. */
int cdbmap_lookup(const char *path, const void *key, size_t keylen, struct sbuf *out);

struct cdbmap_build {
	int fd;
	struct cdb_make cm;
	char *path;
	char *tmp;
};

/* tmp NULL: "<path>.tmp".  mode: file mode of the result (e.g. 0644). */
int cdbmap_build_begin(struct cdbmap_build *b, const char *path, const char *tmp, int mode);
int cdbmap_build_add(struct cdbmap_build *b, const void *key, size_t keylen,
                     const void *val, size_t vallen);
/* 0 ok, -1 error (the temporary file is gone either way). */
int cdbmap_build_commit(struct cdbmap_build *b);
void cdbmap_build_abort(struct cdbmap_build *b);

#endif
