/*
 * qfilter_run.h: runs the qmail-qfilter chain over a message.
 *
 * The message lives in a memfd (no file in the queue, nothing left behind
 * on a crash).  Each filter runs with argv only (execv, no shell, no PATH
 * search), the current message on fd 0 (rewound) and a fresh memfd on
 * fd 1 that becomes the next message.  Its stderr is inherited.  Writes
 * past QFILTER_MSG_MAX are stopped by RLIMIT_FSIZE (the filter dies:
 * temporary failure).  A filter that runs longer than the timeout is
 * killed with SIGKILL (temporary failure).
 *
 * Exit codes of a filter, as qmail-qfilter defines them: 0 pass the
 * output on; 31 reject permanently; 99 drop the message silently (the
 * chain reports success and nothing is queued); 82 with a valid "D" or
 * "Z" message on fd QQERR_FD (qqerr.h: every filter gets its own pipe
 * there) refuses with the filter's own text; anything else (82 without a
 * valid message too), a signal or a failure to run it: temporary (71).
 */
#ifndef QNG_QFILTER_RUN_H
#define QNG_QFILTER_RUN_H

#include "qfilter_conf.h"
#include "qqerr.h"

#define QFILTER_MSG_MAX (256u * 1024u * 1024u)
#define QFILTER_EXIT_DROP 99

/* Creates an empty memfd (O_CLOEXEC); -1 on error. */
int qfilter_memfd(void);
/* Copies fd in to a new memfd, at most max bytes (more: -1, E2BIG). */
int qfilter_slurp(int in, size_t max);
/* Maps a filter's wait status to the chain's code (0, 31, 82, 99 or 71). */
int qfilter_status_code(int wstatus);
/* Runs every filter in c over *msg_fd; on 0 *msg_fd is the final message
 * (rewound).  Returns 0, QQ_PERM_REFUSED, QFILTER_EXIT_DROP,
 * QQ_TEMP_REFUSED, QQ_WRITE_ERROR when a memfd could not be made, or
 * QQERR_EXIT with the filter's message in *reply (kind PERM or TEMP). */
int qfilter_run_chain(const struct qfilter_conf *c, int *msg_fd, unsigned timeout_sec,
                      struct qqerr *reply);

#endif
