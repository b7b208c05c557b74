/*
 * mbox.h: mbox delivery (the "From " line format qmail-local writes).
 *
 * mbox_deliver appends to path (created 0600 if missing, O_NOFOLLOW):
 * "From SENDER DATE" (SENDER "MAILER-DAEMON" for the null sender, DATE
 * in asctime form, UTC), then hdr, then the message with every line that
 * matches ^>*From  given one more '>', then an empty line.  It takes a
 * dotlock "path.lock" (skipped when the directory is not writable for us;
 * a lock older than MBOX_DOTLOCK_STALE seconds is removed) and an fcntl
 * write lock, each waited for at most MBOX_LOCK_TIMEOUT seconds, fsyncs,
 * and on any error truncates the file back to its original size.
 * Returns 0, or -1 with errno and *why (a temporary-failure text).
 */
#ifndef QNG_MBOX_H
#define QNG_MBOX_H

#include <stddef.h>
#include <time.h>

#include "sbuf.h"

#define MBOX_LOCK_TIMEOUT 30
#define MBOX_DOTLOCK_STALE 300

int mbox_deliver(const char *path, const char *sender, time_t now,
                 const char *hdr, size_t hdr_len, int msg_fd, const char **why);
/* "From SENDER DATE\n" */
void mbox_from_line(struct sbuf *out, const char *sender, time_t t);

#endif
