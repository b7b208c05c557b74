/*
 * msgio.h: copying the queued message (a seekable, read-only fd) into a
 * delivery.  The message always has LF line endings (POLICY.md D-17).
 * Every function starts reading at offset 0 (a pipe: where it is) and returns -1 with errno on
 * a read or write error; is_read_error tells which side failed.
 */
#ifndef QNG_MSGIO_H
#define QNG_MSGIO_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define MSGIO_CHUNK 65536

/* Copies msg_fd to out_fd unchanged. */
int msgio_copy(int msg_fd, int out_fd, bool *is_read_error);
/* Copies with mbox quoting: a line matching ^>*From  gets one more '>';
 * ensures the copy ends with "\n" and appends one empty line. */
int msgio_copy_mbox(int msg_fd, int out_fd, bool *is_read_error);
/* Reads the header section (up to the first empty line, at most max
 * bytes) into out.  0 / -1 errno. */
int msgio_read_header(int msg_fd, struct sbuf *out, size_t max);

#endif
