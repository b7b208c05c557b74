/*
 * qq_write.h: qmail-queue's steps, in the durability order of
 * docs/INTERNALS.md.  The working directory must be the queue.  Each step
 * returns a qmail-queue exit code (exitcode.h); QQ_OK lets the caller go
 * on.  State (file names, inode, the message's lock) is kept here between
 * the steps, for one message at a time: qq_write_cleanup removes whatever
 * was not committed (before an exit); qq_write_end does that too, then
 * releases the lock and forgets the message, so that the same process can
 * queue the next one (the queue daemon's workers).
 */
#ifndef QNG_QQ_WRITE_H
#define QNG_QQ_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "sbuf.h"

/* "Received: (qmail PID invoked by uid UID); DATE\n" (qmail's wording). */
void qq_write_received(struct sbuf *out, pid_t pid, uid_t uid, time_t now);
/* tmp file: prefix, then fd's bytes with CRLF -> LF and lone CR -> ' ';
 * fsync, close.  More than cap bytes: QQ_PERM_REFUSED. */
int qq_write_message(int fd, const char *prefix, size_t prefix_len, uint64_t cap);
/* rename to mess/N (N = inode), fsync mess/. */
int qq_write_commit_message(void);
/* Reads and checks the envelope on fd, writes the envelope tmp file. */
int qq_write_envelope(int fd, uint64_t birth, uid_t uid, uint64_t pid);
/* link to todo/N, fsync todo/, unlink the tmp name. */
int qq_write_link_todo(void);
/* One byte to lock/trigger, non-blocking; failure ignored. */
void qq_write_trigger(void);
void qq_write_cleanup(void);
void qq_write_end(void);

/* Line-ending conversion state for qq_write_convert. */
struct crlf_state {
	int pending_cr;
};
/* Converts in[0..n) into out (capacity 2n+1); returns bytes written.
 * in NULL with n 0 flushes a pending CR at end of input. */
size_t qq_write_convert(struct crlf_state *st, const char *in, size_t n, char *out);

#endif
