/*
 * rzygote.h: qmail-rspawn's qmail-remote zygote (zygote.h, docs/PROTOCOLS.md
 * "Listener zygote"; here with "D" requests).
 *
 * When QMAILREMOTE is not set, qmail-rspawn starts qmail-remote once with
 * ZYGOTEFD (fds 0 and 1 on /dev/null) and has it fork per delivery: the
 * request carries QMAILREMOTE_HOST, _SENDER and _RCPT and the descriptors
 * {message file, report pipe[, session channel]}: with a channel (ch >= 0)
 * the request also sets QMAILREMOTE_REUSE and the delivery may keep its
 * connection for the next one (rsession.h).  The report pipe is read as before; the
 * delivery's wait status comes from the zygote's "E" message.  A zygote
 * that fails is replaced after ZYGOTE_RETRY_SECS (zygote.h); meanwhile qmail-remote
 * is run per delivery as before.
 */
#ifndef QNG_RZYGOTE_H
#define QNG_RZYGOTE_H

#include <stdbool.h>
#include <sys/types.h>

/* 0 when a zygote is ready (started now if needed), -1 otherwise. */
int rzygote_start(const char *prog);
/* The delivery's pid; -1 when nothing was passed (run qmail-remote
 * instead), -2 when it was passed but its fate is unknown (report a
 * temporary failure). */
pid_t rzygote_deliver(int msg_fd, int out_fd, int ch, const char *host, const char *sender,
                      const char *rcpt);
/* The same request sent over an idle session's channel ch (rsession.h)
 * instead of the zygote: 0, or -1 when the session is gone. */
int rzygote_reuse(int ch, int msg_fd, int out_fd, const char *host, const char *sender,
                  const char *rcpt);
/* Nobody will wait for pid's end: drop its "E" report. */
void rzygote_forget(pid_t pid);
/* The zygote's channel for poll, or -1. */
int rzygote_fd(void);
/* Reads the zygote's reports (never blocks). */
void rzygote_read(void);
/* The wait status of a delivery: true when known (*status set), waiting
 * up to a few seconds for its report; a lost zygote gives status 0. */
bool rzygote_status(pid_t pid, int *status);

#endif
