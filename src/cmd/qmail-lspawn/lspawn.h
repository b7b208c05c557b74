/*
 * lspawn.h: qmail-lspawn's request loop, its pool of delivery workers
 * and the worker itself.
 *
 * A worker is a child of qmail-lspawn that became one mailbox owner
 * (uid, gid; root mode: also groups) once and then runs deliveries for
 * that owner one at a time.  Everything else run_child used to set per
 * delivery (umask, environment, rlimits, signal dispositions, cwd) is the
 * same for every owner: the worker inherits it from qmail-lspawn and puts
 * back what a delivery may change (signals, umask, cwd) before each one.
 *
 * Worker channel (SOCK_SEQPACKET socketpair, one packet each way):
 *   lspawn -> worker: "D" user\0 home\0 local\0 dash\0 ext\0 domain\0
 *                     sender\0  + SCM_RIGHTS {message fd}
 *   worker -> lspawn: status byte + text (the report, as before)
 * End of file from qmail-lspawn tells an idle worker to exit.  A worker
 * that ends while it holds a delivery is reported as "Delivery process
 * crashed. (#4.3.0)", exactly once.  qmail-lspawn retires a worker after
 * LSPAWN_WORKER_IDLE_MS without work or LSPAWN_WORKER_USES_MAX
 * deliveries, and when its own input ends it retires and reaps them all.
 */
#ifndef QNG_LSPAWN_H
#define QNG_LSPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbuf.h"

/* A request larger than this is a protocol error (fatal). */
#define LSPAWN_REQUEST_MAX 8192
/* Largest packet to a worker: the request's fields plus user and home. */
#define LSPAWN_WORKER_MSG_MAX 65536
#define LSPAWN_WORKER_IDLE_MS 5000
#define LSPAWN_WORKER_USES_MAX 200
/* Idle workers kept in all; the longest idle one goes first. */
#define LSPAWN_WORKER_IDLE_MAX 32

enum lspawn_worker_state { WORKER_IDLE, WORKER_BUSY, WORKER_RETIRING };

struct lspawn_worker {
	pid_t pid;
	int fd;                 /* our end of the worker channel */
	uid_t uid;
	gid_t gid;
	enum lspawn_worker_state state;
	char *id;               /* the delivery in flight (WORKER_BUSY) */
	unsigned n_done;
	uint64_t idle_since_ms; /* bio_now_ms, WORKER_IDLE */
};

struct lspawn {
	struct sbuf noathost;
	const char *defaultdelivery;
	unsigned timeout;
	bool is_root_mode;
	struct sbuf in;
	bool in_eof;
	struct lspawn_worker *workers;
	size_t n_workers, cap_workers;
};

/* Runs until fd 0 reaches EOF and every delivery has reported, then
 * retires and reaps every worker. 0 / -1. */
int lspawn_loop(struct lspawn *ls);
/* Writes one report to fd 1 (text sanitised, capped). 0 / -1. */
int lspawn_report(const char *id, char status, const char *text, size_t len);
/* Restores default signal dispositions in a delivery process. */
void lspawn_default_signals(void);

/* child.c: starts one delivery; a failure before it reaches a worker is
 * reported at once.  Returns 0, or -1 if reporting failed. */
int lspawn_start(struct lspawn *ls, const char *id, const char *mess,
                 const char *sender, const char *recipient);

/* pool.c: the workers as seen from qmail-lspawn. */
struct local_user;
/* Hands the delivery to an idle worker of the owner, forking one when
 * none is idle; reports a failure itself.  0, or -1 if reporting failed. */
int pool_dispatch(struct lspawn *ls, const char *id, const struct local_user *u,
                  int msg_fd, const char *sender, const char *local,
                  const char *domain);
/* Worker i's channel is readable: a report, or its end. 0 / -1 (report
 * failed).  May remove worker i (the last one moves into its slot). */
int pool_on_readable(struct lspawn *ls, size_t i);
/* Retires idle workers past their time; returns the poll timeout (ms,
 * -1 none) until the next one is due. */
int pool_expire(struct lspawn *ls);
size_t pool_n_busy(const struct lspawn *ls);
/* Tells every worker to exit and waits for each. */
void pool_shutdown(struct lspawn *ls);

/* worker.c: the worker process.  Never returns. */
_Noreturn void worker_run(const struct lspawn *ls, uid_t uid, gid_t gid, int sock);

#endif
