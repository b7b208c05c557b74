/*
 * qqueue.h: the client side of qmail-queue, used by every program that
 * queues (qmail-smtpd, qmail-inject/sendmail, qmail-send for bounces,
 * qmail-local for forwards).
 *
 * qqueue_start runs $QMAILQUEUE if set and non-empty, else
 * $QMAILHOME/bin/qmail-queue, with two pipes: the message goes to its fd 0,
 * the envelope to its fd 1.  The caller writes the message (LF line
 * endings) with qqueue_write, then qqueue_finish sends the envelope, waits
 * for the exit status and returns the qmail-queue exit code (exitcode.h),
 * or QQ_BUG if the child died on a signal.  qqueue_abort kills and reaps.
 * Writes after the child died fail quietly; the exit code tells why.
 * SIGPIPE must be ignored by the caller (qqueue_start does it).
 *
 * A program we run also gets the write end of a pipe (non-blocking, so it
 * can never hang on it) on fd QQERR_FD (qqerr.h); our end is O_CLOEXEC and
 * never reaches other children.  When it exits QQERR_EXIT (82),
 * qqueue_finish reads at most QQERR_RAW_MAX bytes from the pipe into
 * q->reply: kind QQERR_PERM / QQERR_TEMP with the sanitised text, or
 * QQERR_NONE when the message was missing or invalid (then 82 is an
 * ordinary temporary failure, qqueue_strerror(82)).  The queue daemon
 * never answers 82; q->reply stays QQERR_NONE.
 */
#ifndef QNG_QQUEUE_H
#define QNG_QQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control.h"
#include "qqerr.h"

/* The queue daemon's socket, relative to the instance (qmail-queue -d). */
#define QQUEUE_DAEMON_SOCKET "run/queue/qmail-queue.sock"

struct qqueue {
	pid_t pid;          /* 0: no child of ours (daemon_fd, or spawn_code) */
	int spawn_code;     /* the program could not be run: its would-be exit code */
	int daemon_fd;      /* the queue daemon's connection, or -1 */
	int msg_fd;         /* write end of the message pipe */
	int env_fd;         /* write end of the envelope pipe */
	int err_fd;         /* read end of the QQERR_FD pipe, or -1 */
	struct qqerr reply; /* set by qqueue_finish after exit code QQERR_EXIT */
	int write_failed;
	char buf[8192];
	size_t buf_len;
};

/* 0 ok, -1 (errno) when the program could not be started. */
int qqueue_start(struct qqueue *q);
void qqueue_write(struct qqueue *q, const void *p, size_t n);
void qqueue_puts(struct qqueue *q, const char *s);
/* Sends "F<sender>\0", "T<rcpt>\0"..., "\0"; returns qmail-queue's exit code. */
int qqueue_finish(struct qqueue *q, const char *sender, const struct strlist *rcpts);
void qqueue_abort(struct qqueue *q);
/* One line of text for an exit code, e.g. "qq write error or disk full". */
const char *qqueue_strerror(int code);
/* What to tell the user for a failed code: the queue program's own text
 * (exit QQERR_EXIT with a valid message) or qqueue_strerror(code). */
const char *qqueue_result_text(const struct qqueue *q, int code);
/* True when code (from qqueue_finish) is permanent: 11..40, or 82 with a
 * "D" message in q->reply. */
bool qqueue_is_permanent(const struct qqueue *q, int code);

/* For other runners of queue programs (qmail-qfilter): a QQERR_FD pipe,
 * both ends O_CLOEXEC and O_NONBLOCK, the write end above QQERR_FD so a
 * child's dup2 onto 0, 1 and QQERR_FD cannot clobber it; 0 or -1. */
int qqueue_err_pipe(int *rd, int *wr);
/* Reads what is in the pipe now (at most QQERR_RAW_MAX bytes) and parses
 * it into *out (kind QQERR_NONE when missing or invalid). */
void qqueue_read_reply(int fd, struct qqerr *out);

#endif
