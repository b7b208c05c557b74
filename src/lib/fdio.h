/*
 * fdio.h: system-call wrappers that handle EINTR and short transfers once.
 *
 * All return -1 with errno set on failure.  fd_write_all never reports
 * success for a partial write.  fd_sync_dir fsyncs a directory by path.
 * A failed fsync is final: callers must not retry it on the same fd
 * (POLICY.md, durability order).  Descriptors are opened O_CLOEXEC.
 */
#ifndef QNG_FDIO_H
#define QNG_FDIO_H

#include <stddef.h>
#include <sys/types.h>

#include "sbuf.h"

int fd_write_all(int fd, const void *buf, size_t n);
int fd_pwrite_all(int fd, const void *buf, size_t n, off_t off);
/* Reads up to n bytes, stopping early only at EOF; returns bytes read. */
ssize_t fd_read_full(int fd, void *buf, size_t n);
ssize_t fd_pread_full(int fd, void *buf, size_t n, off_t off);
/* Appends the rest of fd to b, refusing to grow past max bytes (errno E2BIG). */
int fd_read_all(int fd, struct sbuf *b, size_t max);
/* Reads a whole (small) file; 0 ok, -1 error (ENOENT if missing). */
int file_read_all(const char *path, struct sbuf *b, size_t max);
int fd_sync_dir(const char *dirpath);
/* Writes data to path atomically: tmp file, fsync, rename, fsync dir. */
int file_write_atomic(const char *path, const void *data, size_t n, int mode);
int fd_set_cloexec(int fd, int on);
int fd_set_nonblock(int fd, int on);
int fd_close_checked(int fd);   /* close() whose error is reported */
/* Moves fd to target (dup2 + close), keeping it when fd == target. */
int fd_move(int target, int fd);
/* Closes every descriptor above 2 except the n in keep (sorted in place;
 * negative entries are ignored): what a forked helper does before it
 * handles data, so that no descriptor of its parent leaks into it. */
void fd_close_except(int *keep, size_t n);
/* Blocks the n signals and returns a signalfd for them (close-on-exec,
 * non-blocking), or -1 with errno: the daemons' event loops read their
 * signals from it. */
int fd_signals(const int *sigs, size_t n);

#endif
