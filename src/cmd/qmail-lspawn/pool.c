/*
 * pool.c: qmail-lspawn's delivery workers (lspawn.h), a small pool per
 * mailbox owner, forked on demand.
 */
#include "lspawn.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "bio.h"
#include "fdpass.h"
#include "proto_limits.h"
#include "users.h"

static const char CRASHED[] = "Delivery process crashed. (#4.3.0)";

static void reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Removes worker i (its channel closed, the process waited for). */
static void drop(struct lspawn *ls, size_t i)
{
	struct lspawn_worker *w = &ls->workers[i];
	close(w->fd);
	reap(w->pid);
	free(w->id);
	ls->workers[i] = ls->workers[--ls->n_workers];
}

/* End of file on its channel tells the worker to exit; we wait for its
 * end of file in turn (pool_on_readable) before reaping it. */
static void retire(struct lspawn_worker *w)
{
	shutdown(w->fd, SHUT_WR);
	w->state = WORKER_RETIRING;
}

static void retire_longest_idle(struct lspawn *ls)
{
	size_t n_idle = 0, oldest = 0;
	for (size_t i = 0; i < ls->n_workers; i++) {
		struct lspawn_worker *w = &ls->workers[i];
		if (w->state != WORKER_IDLE)
			continue;
		if (n_idle++ == 0 || w->idle_since_ms < ls->workers[oldest].idle_since_ms)
			oldest = i;
	}
	if (n_idle >= LSPAWN_WORKER_IDLE_MAX)
		retire(&ls->workers[oldest]);
}

/* A new idle worker for (uid, gid); NULL when none could be made. */
static struct lspawn_worker *spawn(struct lspawn *ls, uid_t uid, gid_t gid)
{
	int sv[2];
	retire_longest_idle(ls);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_run(ls, uid, gid, sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return NULL;
	}
	if (ls->n_workers == ls->cap_workers) {
		ls->cap_workers = ls->cap_workers ? ls->cap_workers * 2 : 16;
		ls->workers = xreallocarray(ls->workers, ls->cap_workers, sizeof *ls->workers);
	}
	struct lspawn_worker *w = &ls->workers[ls->n_workers++];
	memset(w, 0, sizeof *w);
	w->pid = pid;
	w->fd = sv[0];
	w->uid = uid;
	w->gid = gid;
	w->state = WORKER_IDLE;
	return w;
}

static struct lspawn_worker *find_idle(struct lspawn *ls, uid_t uid, gid_t gid)
{
	for (size_t i = 0; i < ls->n_workers; i++) {
		struct lspawn_worker *w = &ls->workers[i];
		if (w->state == WORKER_IDLE && w->uid == uid && w->gid == gid)
			return w;
	}
	return NULL;
}

static void build_request(struct sbuf *p, const struct local_user *u, const char *sender,
                          const char *local, const char *domain)
{
	const char *f[] = { u->user.s, u->home.s, local, sbuf_cstr(&u->dash),
		            sbuf_cstr(&u->ext), domain, sender };
	sbuf_append_char(p, 'D');
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		sbuf_append(p, f[i], strlen(f[i]) + 1);
}

/*
 * An idle worker may have died since its last report: a failed send
 * drops it, and the delivery goes to a fresh one.  A worker that dies
 * after the send is reported as crashed (pool_on_readable).
 */
int pool_dispatch(struct lspawn *ls, const char *id, const struct local_user *u,
                  int msg_fd, const char *sender, const char *local,
                  const char *domain)
{
	struct sbuf p = SBUF_INIT;
	build_request(&p, u, sender, local, domain);
	const char *why = p.len > LSPAWN_WORKER_MSG_MAX ? "Request too long. (#4.3.0)" : NULL;
	for (int attempt = 0; why == NULL; attempt++) {
		struct lspawn_worker *w = find_idle(ls, u->uid, u->gid);
		if (w == NULL && (w = spawn(ls, u->uid, u->gid)) == NULL) {
			why = "Unable to fork. (#4.3.0)";
			break;
		}
		if (fdpass_send(w->fd, p.s, p.len, &msg_fd, 1) == 0) {
			w->state = WORKER_BUSY;
			w->id = xstrdup(id);
			sbuf_free(&p);
			return 0;
		}
		drop(ls, (size_t)(w - ls->workers));
		if (attempt == 1)
			why = "Unable to pass the message to a delivery process. (#4.3.0)";
	}
	sbuf_free(&p);
	return lspawn_report(id, 'Z', why, strlen(why));
}

static int on_report(struct lspawn *ls, size_t i, const char *buf, size_t n)
{
	struct lspawn_worker *w = &ls->workers[i];
	int r = lspawn_report(w->id, buf[0], buf + 1, n - 1);
	free(w->id);
	w->id = NULL;
	w->state = WORKER_IDLE;
	w->idle_since_ms = bio_now_ms();
	if (++w->n_done >= LSPAWN_WORKER_USES_MAX)
		retire(w);
	return r;
}

int pool_on_readable(struct lspawn *ls, size_t i)
{
	char buf[REPORT_TEXT_MAX + 2];
	struct lspawn_worker *w = &ls->workers[i];
	ssize_t n = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n > 0 && w->state == WORKER_BUSY)
		return on_report(ls, i, buf, (size_t)n);
	/* End of file (or a packet nobody asked for): this worker is done. */
	int r = 0;
	if (w->state == WORKER_BUSY)
		r = lspawn_report(w->id, 'Z', CRASHED, strlen(CRASHED));
	drop(ls, i);
	return r;
}

int pool_expire(struct lspawn *ls)
{
	int64_t now = (int64_t)bio_now_ms(), next = -1;
	for (size_t i = 0; i < ls->n_workers; i++) {
		struct lspawn_worker *w = &ls->workers[i];
		if (w->state != WORKER_IDLE)
			continue;
		int64_t left = (int64_t)w->idle_since_ms + LSPAWN_WORKER_IDLE_MS - now;
		if (left <= 0)
			retire(w);
		else if (next < 0 || left < next)
			next = left;
	}
	return (int)next;
}

size_t pool_n_busy(const struct lspawn *ls)
{
	size_t n = 0;
	for (size_t i = 0; i < ls->n_workers; i++)
		n += ls->workers[i].state == WORKER_BUSY;
	return n;
}

void pool_shutdown(struct lspawn *ls)
{
	for (size_t i = 0; i < ls->n_workers; i++)
		shutdown(ls->workers[i].fd, SHUT_WR);
	while (ls->n_workers > 0)
		drop(ls, ls->n_workers - 1);
	free(ls->workers);
	ls->workers = NULL;
	ls->cap_workers = 0;
}
