/*
 * maildir.h: Maildir delivery (maildir(5)) with the POLICY.md fsync order.
 *
 * maildir_deliver writes hdr then the whole message (read from msg_fd
 * starting at offset 0) to DIR/tmp/NAME created O_EXCL, fsyncs it, checks
 * close, links it to DIR/new/NAME (rename when the filesystem has no hard
 * links), fsyncs DIR/new and only then removes the tmp name and returns 0.
 * NAME is "SECONDS.M<usec>P<pid>Q<n>.HOST" where HOST is the host name
 * with '/' as "\057" and ':' as "\072".  Crash points (test builds):
 * local-after-tmp-write, local-before-link-new, local-after-link-new.
 * Returns -1 with errno and *why (a qmail-local style text ending in a
 * "(#4.x.x)" code; every Maildir failure is temporary) on failure.
 */
#ifndef QNG_MAILDIR_H
#define QNG_MAILDIR_H

#include <stddef.h>
#include <sys/time.h>
#include <sys/types.h>

#include "sbuf.h"

int maildir_deliver(const char *dir, const char *hdr, size_t hdr_len, int msg_fd,
                    const char **why);
void maildir_unique_name(struct sbuf *out, const struct timeval *tv, pid_t pid,
                         unsigned long n, const char *host);
/* The host part of unique names (gethostname, escaped); "localhost" if none. */
void maildir_host(struct sbuf *out);
/* Creates DIR, DIR/tmp, DIR/new, DIR/cur with mode (existing ones are
 * fine only if they are directories).  0 / -1 errno. */
int maildir_make(const char *dir, mode_t mode);

#endif
