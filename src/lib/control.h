/*
 * control.h: qmail-control(5) file reader.
 *
 * Control files live in $QMAILHOME/control.  Rules (qmail-control(5)):
 * trailing spaces and tabs on a line are ignored; in list files, lines
 * that are empty or start with '#' are ignored; a missing file means the
 * default; a file larger than CONTROL_FILE_MAX is an error.  Lines must not
 * contain NUL.  All functions return 1 when the file existed, 0 when it was
 * missing (default used), -1 on error (errno set; EINVAL for bad content).
 */
#ifndef QNG_CONTROL_H
#define QNG_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

/* A list of strings, each NUL-terminated, owned by the list. */
struct strlist {
	char **v;
	size_t n;
	size_t cap;
};

void strlist_add(struct strlist *l, const char *s, size_t len);
void strlist_free(struct strlist *l);
int strlist_contains(const struct strlist *l, const char *s);   /* exact */
int strlist_contains_nocase(const struct strlist *l, const char *s);

/* Sets the control directory (default "$QMAILHOME/control"). */
void control_set_dir(const char *dir);
const char *control_dir(void);

/* First line of the file, or def if missing (def NULL: empty string). */
int control_read_line(const char *name, const char *def, struct sbuf *out);
/* Number in the first line; missing -> def; junk/overflow/> max -> -1 EINVAL. */
int control_read_u64(const char *name, uint64_t def, uint64_t max, uint64_t *out);
/* All non-empty, non-comment lines. Missing file: empty list, returns 0. */
int control_read_lines(const char *name, struct strlist *out);

/* 1 when the file exists (or cannot be read), 0 when it is missing. */
int control_file_exists(const char *name);

/*
 * A snapshot for a program that reads its configuration once and then
 * forks a process per session (qmail-smtpd's and qmail-remote's zygotes):
 * begin starts an inotify watch on the control directory and records every
 * file read until end (its content, or that it is missing); a process
 * forked later is answered from the record, with no file opened, as long
 * as nothing in the directory has changed since begin.  Any change (an
 * edit, a rename, a new or removed file) makes a process forked before the
 * recorder noticed it read the files again, as without a snapshot; the
 * recorder calls changed before each fork (it takes the pending change
 * notices) and, when true, records again (begin ... end).  Symbolic links,
 * names with '/' and files not read while recording are always read from
 * disk.  begin: 0, or -1 when no watch could be made (no snapshot then).
 */
int control_snapshot_begin(void);
void control_snapshot_end(void);
bool control_snapshot_changed(void);

/* Parser used by the functions above (pure, fuzzed): splits a file's bytes. */
int control_parse_lines(const char *data, size_t len, int skip_comments,
                        struct strlist *out);

#endif
