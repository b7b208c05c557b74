/*
 * qq_daemon.h: "qmail-queue -d", the queue daemon.
 *
 * qmail-start runs it as the queue's account (qmailq, group qmail in root
 * mode).  It listens on the instance.s run/queue/qmail-queue.sock (QQUEUE_DAEMON_
 * SOCKET, SOCK_SEQPACKET, mode 0777: whoever may run the setuid qmail-queue
 * may use it).  A client (src/mail/qqueue.c) connects and sends one packet
 * "Q" [crash point name, test builds only] with SCM_RIGHTS {message read
 * end, envelope read end}.  The daemon forks a worker per connection; the
 * worker takes the two descriptors as fds 0 and 1 and runs the very steps
 * of qmail-queue (qq_queue_one) for the client's uid (SO_PEERCRED).  When
 * the worker ends the daemon writes one byte, its exit code (QQ_BUG after
 * a signal, QQ_NOMEM when no worker could be forked), and closes.
 * SIGTERM: stop accepting, wait for the workers, exit 0.
 * docs/PROTOCOLS.md "Queue daemon".
 */
#ifndef QNG_QQ_DAEMON_H
#define QNG_QQ_DAEMON_H

#include <sys/types.h>

#define QQ_DAEMON_WORKERS 256
#define QQ_DAEMON_RECV_MS 30000 /* a client sends its request at once */

int qq_daemon_run(void);

/* main.c: one message from fds 0/1 for uid; an exit code (exitcode.h). */
int qq_queue_one(uid_t uid);
void qq_die(int code) __attribute__((noreturn));

#endif
