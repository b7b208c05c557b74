/*
 * zygote.h: a program that starts once and forks per connection, for
 * qmail-listen -z and qmail-rspawn (docs/PROTOCOLS.md "Listener zygote").
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
 * (qmail-rspawn's deliveries) carries two descriptors, which become fds 0
 * and 1 as they are (the message, the report pipe), and optionally a third,
 * a session channel, which becomes ZYGOTE_CTL_FD: over it the delivery
 * process may say "I" (idle, connection kept) and receive further "D"
 * packets with two descriptors (zygote_session_next).  The zygote answers
 * "P" pid, and "E" pid SP status (the raw wait status) when that child
 * ends.  End of file from the listener ends the zygote (sessions go on).
 * The zygote is non-dumpable, and so are its children until they exec.
 */
#ifndef QNG_ZYGOTE_H
#define QNG_ZYGOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define ZYGOTE_CTL_FD 5
#define ZYGOTE_MSG_MAX 8192
/* In the environment a zygote is started with: the dynamic linker binds
 * every library's symbols at start (the program's own are bound by -z now),
 * so no child resolves one and writes a GOT page.  zygote_serve removes it
 * again: the programs its children exec start lazily as usual. */
#define ZYGOTE_BIND_NOW "LD_BIND_NOW=1"

/* Returns in a normal run and in each session's child; never in the
 * zygote itself (it exits 0 at end of file, 111 on errors). */
void zygote_serve(void);
/* A function the zygote calls before each fork (set before zygote_serve),
 * e.g. to bring a control snapshot up to date (control.h). */
void zygote_set_before_fork(void (*fn)(void));
/* True in a process that zygote_serve returned to from a request. */
bool zygote_is_session(void);
/* In a delivery with a session channel: waits up to ms (< 0: forever) for
 * the next "D" packet on ZYGOTE_CTL_FD and applies it like the zygote does
 * (environment, fds 0 and 1): 1; 0 at end of file or timeout; -1 for a
 * malformed packet. */
int zygote_session_next(int ms);

/*
 * The other side (zygote_client.c: qmail-listen -z, qmail-rspawn).
 * struct zygote_client: one zygote; name and instead are for the log
 * ("NAME: WHY; INSTEAD for 10 s").
 *   start: one is started when none runs and none failed in the last
 *     ZYGOTE_RETRY_SECS; spawn(arg, end) must start the program with end as
 *     its ZYGOTEFD and return its pid (or -1); 0 once it said "R".
 *   request: one 'C' or 'D' request; the forked process's pid, -1 when it
 *     was not passed (run the program yourself) or refused, -2 when its fate
 *     is unknown (the zygote may hold the descriptors).  "E" reports that
 *     arrive meanwhile go to on_end.
 *   read: the reports waiting (ms > 0: wait that long for the first; none
 *     within it is a failure).
 *   give_up: kill and forget the zygote (its sessions go on); reaped: true
 *     when pid was the zygote, which is then forgotten.
 * Any failure gives up; the next start after ZYGOTE_RETRY_SECS tries again.
 * send, parse_end ("E pid status") and parse_pid ("P pid", 0: refused) are
 * the pieces, public for the tests.
 */
#define ZYGOTE_READY_MS 5000
#define ZYGOTE_REPLY_MS 5000
#define ZYGOTE_RETRY_SECS 10

struct strlist;
typedef void (*zygote_end_fn)(void *arg, pid_t pid, int status);

struct zygote_client {
	const char *name;
	const char *instead;
	pid_t pid;          /* -1: none */
	int fd;             /* the channel, -1: none */
	time_t failed_at;
};
#define ZYGOTE_CLIENT_INIT(name, instead) { (name), (instead), -1, -1, 0 }

int zygote_client_start(struct zygote_client *z, pid_t (*spawn)(void *arg, int end), void *arg);
pid_t zygote_client_request(struct zygote_client *z, char kind, const struct strlist *assign,
                            const int *fds, size_t n_fds, zygote_end_fn on_end, void *arg);
void zygote_client_read(struct zygote_client *z, int ms, zygote_end_fn on_end, void *arg);
void zygote_client_give_up(struct zygote_client *z, const char *why);
bool zygote_client_reaped(struct zygote_client *z, pid_t pid);

int zygote_send(int fd, char kind, const struct strlist *assign, const int *fds, size_t n_fds);
int zygote_parse_end(const char *msg, size_t len, pid_t *pid, int *status);
int zygote_parse_pid(const char *msg, size_t len, pid_t *pid);

/* The request parser, shared with its unit test and fuzzer: splits
 * msg[0..len) ("C" then NUL-terminated assignments) into out (pointers
 * into msg); 0, or -1 when it is not a well-formed request (missing "C",
 * an assignment without its NUL, an empty name, more than max); "D" is
 * accepted like "C". */
int zygote_parse(char *msg, size_t len, char **out, size_t max, size_t *n);

#endif
