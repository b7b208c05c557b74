/*
 * pop3_sizes.h: qmail-pop3d's size cache for the messages of a Maildir's
 * cur/ whose names carry no ",S=" / ",W=" size (qmail-ng's own delivery
 * names do not), so that a login does not stat every message.
 *
 * The file is DIR/qmail-ng-pop3.sizes, owned and written by the mailbox
 * owner (qmail-pop3d runs as that user).  Format (NUL-separated, nothing
 * else in it):
 *
 *   "qng-pop3-sizes 1" NUL, then per message NAME NUL INODE NUL SIZE NUL
 *   (decimal, no sign, no leading junk), then one more NUL (the end
 *   marker) and end of file.
 *
 * NAME is a cur/ file name: 1..255 octets, no '/', not starting with '.'.
 * A file that is not exactly this (truncated by a crash, damaged, larger
 * than POP3_SIZES_MAX octets or POP3_BOX_MAX records) is ignored as a
 * whole: the cache is a hint, every miss costs one fstatat and nothing
 * else.  An entry is used only when its
 * NAME and INODE both match what readdir returned for a regular file, so a
 * file replaced under the same name is not given the old size.
 *
 * pop3_sizes_load never fails (a missing or bad file is an empty cache);
 * pop3_sizes_save writes DIR/tmp/qmail-ng-pop3.sizes.PID and renames it
 * over the cache (no fsync: losing it only costs a rescan; a leftover in
 * tmp/ is cleaned like any other, e.g. by Dovecot after 36 hours); -1 with
 * errno.
 * Fuzzed by tests/fuzz/pop3_sizes_fuzz.c.
 */
#ifndef QNG_POP3_SIZES_H
#define QNG_POP3_SIZES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3_maildir.h"
#include "sbuf.h"

#define POP3_SIZES_FILE "qmail-ng-pop3.sizes"
#define POP3_SIZES_MAX (32u * 1024u * 1024u)
#define POP3_SIZES_NAME_MAX 255u

struct pop3_size_ent {
	const char *name; /* points into the cache's data */
	uint64_t ino;
	uint64_t size;
};

struct pop3_sizes {
	char *data;
	struct pop3_size_ent *v;
	size_t n;
};

/* p[0..len) as a cache file: true and s filled (with its own copy of the
 * data), or false and s empty. */
bool pop3_sizes_parse(struct pop3_sizes *s, const char *p, size_t len);
/* DIR_FD/POP3_SIZES_FILE, or an empty cache. */
void pop3_sizes_load(struct pop3_sizes *s, int dir_fd);
void pop3_sizes_free(struct pop3_sizes *s);

/* The file image, built record by record. */
void pop3_sizes_begin(struct sbuf *out);
/* False (nothing added) when name is not a valid NAME. */
bool pop3_sizes_add(struct sbuf *out, const char *name, uint64_t ino, uint64_t size);
void pop3_sizes_end(struct sbuf *out);
/* Replaces DIR_FD/POP3_SIZES_FILE with img; -1 errno (E2BIG when img is
 * larger than POP3_SIZES_MAX). */
int pop3_sizes_save(int dir_fd, const struct sbuf *img);

#endif
