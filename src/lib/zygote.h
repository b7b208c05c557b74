/*
 * zygote.h: a program that starts once and forks per connection, for
 * qmail-listen -z (docs/PROTOCOLS.md "Listener zygote").
 *
 * qmail-listen runs the program once with ZYGOTEFD naming one end of a
 * SOCK_SEQPACKET socketpair and the listener's base environment.  The
 * program calls zygote_serve() first thing in main: without ZYGOTEFD it
 * returns at once (a normal run); with it, this process becomes the
 * zygote: it says "R" (ready), then for every packet
 *   "C" assignment NUL assignment NUL ...   + SCM_RIGHTS {socket[, ctl]}
 * it forks; the child applies the assignments to its environment
 * ("NAME=value" sets, "NAME" unsets), puts the socket on fds 0 and 1 and
 * ctl (if any) on ZYGOTE_CTL_FD, closes the zygote's descriptors and
 * returns from zygote_serve to run one session.  A "D" packet instead
 * (qmail-rspawn's deliveries) carries exactly two descriptors, which become
 * fds 0 and 1 as they are (the message, the report pipe).  The zygote answers
 * "P" pid, and "E" pid SP status (the raw wait status) when that child
 * ends.  End of file from the listener ends the zygote (sessions go on).
 * The zygote is non-dumpable, and so are its children until they exec.
 */
#ifndef QNG_ZYGOTE_H
#define QNG_ZYGOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ZYGOTE_CTL_FD 5
#define ZYGOTE_MSG_MAX 8192

/* Returns in a normal run and in each session's child; never in the
 * zygote itself (it exits 0 at end of file, 111 on errors). */
void zygote_serve(void);
/* True in a process that zygote_serve returned to from a request. */
bool zygote_is_session(void);

/* The other side (qmail-listen, qmail-rspawn).  send: one request of
 * kind 'C' or 'D' with the assignments and descriptors; 0, or -1 (too
 * big, or sendmsg failed).  recv_wait: one packet within ms (-1 with
 * ETIMEDOUT).  parse_end: an "E pid status" report; parse_pid: a "P pid"
 * answer (pid 0: refused); both 0, or -1 when malformed. */
struct strlist;
int zygote_send(int fd, char kind, const struct strlist *assign, const int *fds, size_t n_fds);
ssize_t zygote_recv_wait(int fd, char *buf, size_t cap, int ms);
int zygote_parse_end(const char *msg, size_t len, pid_t *pid, int *status);
int zygote_parse_pid(const char *msg, size_t len, pid_t *pid);
/* After a request: waits for its "P" answer (ms per packet), passing the
 * "E" reports that come first to on_end; 0 with *pid (0: refused), or -1
 * with the reason in *why (end of file, no answer, a malformed answer). */
int zygote_await_pid(int fd, int ms, void (*on_end)(void *arg, pid_t pid, int status),
                     void *arg, pid_t *pid, const char **why);

/* The request parser, shared with its unit test and fuzzer: splits
 * msg[0..len) ("C" then NUL-terminated assignments) into out (pointers
 * into msg); 0, or -1 when it is not a well-formed request (missing "C",
 * an assignment without its NUL, an empty name, more than max); "D" is
 * accepted like "C". */
int zygote_parse(char *msg, size_t len, char **out, size_t max, size_t *n);

#endif
