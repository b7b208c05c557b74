/*
 * inject_maps.h: helpers shared by the instance tools (qmailctl,
 * qmail-super): running a helper program with an argv (never a shell),
 * and small line-file edits.  Functions return 0 on success and -1 with
 * errno set.
 * inject_maps_run returns the child's exit code (0..255), 128+signal when
 * it was killed, or -1 when it could not be started.
 */
#ifndef QNG_INJECT_MAPS_H
#define QNG_INJECT_MAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"

/* Runs argv[0] (a path) with stdin from in_path (NULL: /dev/null) and
 * stdout to out_fd (-1: inherit), waiting for it. */
int inject_maps_run(char *const argv[], const char *in_path, int out_fd);

/* True when src exists and dst is missing or older than src. */
bool inject_maps_stale(const char *src, const char *dst);

/* Line-list files (control/locals, rcpthosts, ...): read all lines
 * (missing: empty), write atomically with mode. */
int inject_maps_read_lines(const char *path, struct strlist *out);
int inject_maps_write_lines(const char *path, const struct strlist *l, int mode);
/* Removes every exact line equal to s; returns how many were removed. */
size_t inject_maps_remove_line(struct strlist *l, const char *s);

#endif
