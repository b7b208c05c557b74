/*
 * qq_daemon.h: "qmail-queue -d", the queue daemon.
 *
 * qmail-start runs it as the queue's account (qmailq, group qmail in root
 * mode).  It listens on the instance's run/queue/qmail-queue.sock
 * (QQUEUE_DAEMON_SOCKET, SOCK_SEQPACKET, mode 0777: whoever may run the
 * setuid qmail-queue may use it).  A client (src/mail/qqueue.c) connects
 * and sends one packet "Q" [crash point name, test builds only] with
 * SCM_RIGHTS {message read end, envelope read end}.
 *
 * The daemon hands each connection to an idle worker (qq_worker.c), a
 * child forked without an exec, forking one when none is idle: up to
 * QQ_DAEMON_WORKERS busy at once.  Over a socketpair per worker (the
 * channel) the daemon sends "C" with the connection attached; the worker
 * reads the request, takes the two descriptors as fds 0 and 1 and runs
 * the very steps of qmail-queue (qq_queue_one) for the client's uid
 * (SO_PEERCRED), under an alarm of its own.  A worker answers one byte,
 * QQ_OK, on its channel when the message is committed and waits for the
 * next; any failure ends it with the message's exit code.  The daemon
 * keeps each connection until it has written the client's one byte: the
 * worker's QQ_OK, else its exit code (QQ_BUG after a signal or a clean
 * exit without an answer; QQ_NOMEM when no worker could be forked).
 * Exactly one answer per connection, then it closes it.
 *
 * A worker is retired (its channel closed: it exits) after
 * QQ_WORKER_MESSAGES messages, and when more than QQ_IDLE_KEEP have been
 * idle for QQ_IDLE_SECS.  SIGTERM: stop accepting, retire the idle
 * workers, let the busy ones finish, exit 0 when all are gone.
 * docs/PROTOCOLS.md "Queue daemon".
 */
#ifndef QNG_QQ_DAEMON_H
#define QNG_QQ_DAEMON_H

#include <sys/types.h>

#define QQ_DAEMON_WORKERS 256  /* busy at once */
#define QQ_DAEMON_RECV_MS 30000 /* a client sends its request at once */
#define QQ_WORKER_MESSAGES 1000 /* then a fresh process */
#define QQ_IDLE_KEEP 4
#define QQ_IDLE_SECS 30
#define QQ_TIMEOUT_SECS 86400   /* one message, from request to commit */

int qq_daemon_run(void);

/* qq_worker.c: a worker's loop on its end of the channel. */
void qq_worker_run(int chan) __attribute__((noreturn));

/* main.c: one message from fds 0/1 for uid; an exit code (exitcode.h). */
int qq_queue_one(uid_t uid);
void qq_die(int code) __attribute__((noreturn));

#endif
