#include "qq_daemon.h"

#include "bio.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "qqueue.h"
#include "fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Room beside the busy ones for idle workers and those on their way out. */
#define QQ_DAEMON_SLOTS (QQ_DAEMON_WORKERS + 64)
#define QQ_DISPATCH_TRIES 3

enum worker_state {
	W_FREE, /* no process */
	W_IDLE, /* waiting on its channel */
	W_BUSY, /* working on conn */
	W_GONE, /* channel closed, exit not yet reaped; conn >= 0 if it died busy */
};

struct worker {
	enum worker_state state;
	pid_t pid;
	int chan;             /* our end of the socketpair; -1 once closed */
	int conn;             /* the client, until answered; -1 */
	unsigned n_msgs;      /* messages committed */
	uint64_t idle_since;  /* bio_now_ms */
};

struct daemon {
	struct worker w[QQ_DAEMON_SLOTS];
	size_t n_busy, n_idle, n_alive; /* n_busy: connections not yet answered */
	int lfd, sfd;
	char *path;
	bool stopping;
};

static int listen_socket(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	d->path = instance_path(QQUEUE_DAEMON_SOCKET);
	if (strlen(d->path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, d->path, strlen(d->path) + 1);
	(void)unlink(d->path); /* a stale socket of an earlier run */
	d->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->lfd < 0 || bind(d->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    chmod(d->path, 0777) < 0 || listen(d->lfd, 128) < 0)
		return -1;
	return 0;
}

static void answer_conn(int conn, int code)
{
	unsigned char b = (unsigned char)code;
	(void)send(conn, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(conn);
}

/* The one answer to w's client. */
static void answer(struct daemon *d, struct worker *w, int code)
{
	answer_conn(w->conn, code);
	w->conn = -1;
	d->n_busy--;
}

/* Closing the channel tells the worker to exit (or notes that it has). */
static void retire(struct daemon *d, struct worker *w)
{
	if (w->state == W_IDLE)
		d->n_idle--;
	if (w->chan >= 0)
		close(w->chan);
	w->chan = -1;
	w->state = W_GONE;
}

static struct worker *spawn_worker(struct daemon *d)
{
	size_t i = 0;
	while (i < QQ_DAEMON_SLOTS && d->w[i].state != W_FREE)
		i++;
	int sv[2];
	if (i == QQ_DAEMON_SLOTS) {
		errno = EAGAIN;
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0)
		qq_worker_run(sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return NULL;
	}
	d->w[i] = (struct worker){ W_IDLE, pid, sv[0], -1, 0, bio_now_ms() };
	d->n_idle++;
	d->n_alive++;
	return &d->w[i];
}

/* The first idle worker (the others age towards retirement), else a new one. */
static struct worker *idle_worker(struct daemon *d)
{
	for (size_t i = 0; d->n_idle > 0 && i < QQ_DAEMON_SLOTS; i++)
		if (d->w[i].state == W_IDLE)
			return &d->w[i];
	return spawn_worker(d);
}

static void dispatch(struct daemon *d, int conn)
{
	for (int tries = 0; tries < QQ_DISPATCH_TRIES; tries++) {
		struct worker *w = idle_worker(d);
		if (!w) {
			fprintf(stderr, "qmail-queue: warning: unable to fork a worker: %s\n",
			        strerror(errno));
			break;
		}
		if (fdpass_send(w->chan, "C", 1, &conn, 1) == 0) {
			w->state = W_BUSY;
			w->conn = conn;
			d->n_idle--;
			d->n_busy++;
			return;
		}
		retire(d, w); /* it died idle: its exit is reaped later */
	}
	answer_conn(conn, QQ_NOMEM);
}

static bool can_accept(const struct daemon *d)
{
	return !d->stopping && d->lfd >= 0 && d->n_busy < QQ_DAEMON_WORKERS &&
	       (d->n_idle > 0 || d->n_alive < QQ_DAEMON_SLOTS);
}

static void accept_all(struct daemon *d)
{
	while (can_accept(d)) {
		int conn = accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			return;
		}
		dispatch(d, conn);
	}
}

/* w's channel is readable: its QQ_OK, or the end of the worker. */
static void on_channel(struct daemon *d, struct worker *w)
{
	unsigned char b;
	ssize_t n = recv(w->chan, &b, 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != 1) {
		retire(d, w); /* reap answers with its exit status */
		return;
	}
	answer(d, w, b);
	w->n_msgs++;
	if (d->stopping || w->n_msgs >= QQ_WORKER_MESSAGES) {
		retire(d, w);
		return;
	}
	w->state = W_IDLE;
	w->idle_since = bio_now_ms();
	d->n_idle++;
}

/* The code for a client whose worker ended: its answer if it sent one
 * before it died, else its exit code; never QQ_OK without the answer. */
static int exit_code(struct worker *w, int st)
{
	unsigned char b;
	if (w->chan >= 0 && recv(w->chan, &b, 1, MSG_DONTWAIT) == 1)
		return b;
	if (WIFEXITED(st) && WEXITSTATUS(st) != QQ_OK)
		return WEXITSTATUS(st);
	return QQ_BUG;
}

static void reap(struct daemon *d)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < QQ_DAEMON_SLOTS; i++) {
			struct worker *w = &d->w[i];
			if (w->state == W_FREE || w->pid != pid)
				continue;
			if (w->conn >= 0)
				answer(d, w, exit_code(w, st));
			retire(d, w);
			w->state = W_FREE;
			d->n_alive--;
			break;
		}
	}
}

static void handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			d->stopping = true;
	}
	reap(d);
}

static int setup_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	return fd_signals(sigs, sizeof sigs / sizeof sigs[0]);
}

static void stop_listening(struct daemon *d)
{
	if (d->lfd < 0)
		return;
	(void)unlink(d->path);
	close(d->lfd);
	d->lfd = -1;
}

/* Retires idle workers beyond QQ_IDLE_KEEP once idle for QQ_IDLE_SECS
 * (all of them when stopping); the poll timeout until the next is due. */
static int expire_idle(struct daemon *d)
{
	uint64_t now = bio_now_ms(), idle_ms = QQ_IDLE_SECS * 1000u, next = UINT64_MAX;
	for (size_t i = 0; i < QQ_DAEMON_SLOTS && d->n_idle > 0; i++) {
		struct worker *w = &d->w[i];
		if (w->state != W_IDLE)
			continue;
		if (d->stopping || (d->n_idle > QQ_IDLE_KEEP && now - w->idle_since >= idle_ms))
			retire(d, w);
		else if (w->idle_since + idle_ms < next)
			next = w->idle_since + idle_ms;
	}
	if (d->n_idle <= QQ_IDLE_KEEP || next == UINT64_MAX)
		return -1;
	return next > now ? (int)(next - now) : 0;
}

/* Signals, the listening socket while it may accept, busy workers' channels. */
static nfds_t poll_set(struct daemon *d, struct pollfd *p, size_t *who)
{
	nfds_t n = 0;
	p[n++] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = can_accept(d) ? d->lfd : -1, .events = POLLIN };
	for (size_t i = 0; i < QQ_DAEMON_SLOTS; i++) {
		if (d->w[i].state != W_BUSY)
			continue;
		who[n] = i;
		p[n++] = (struct pollfd){ .fd = d->w[i].chan, .events = POLLIN };
	}
	return n;
}

static void serve(struct daemon *d)
{
	static struct pollfd p[QQ_DAEMON_SLOTS + 2];
	static size_t who[QQ_DAEMON_SLOTS + 2];
	while (!d->stopping || d->n_alive > 0) {
		if (d->stopping)
			stop_listening(d);
		int timeout = expire_idle(d);
		nfds_t n = poll_set(d, p, who);
		if (poll(p, n, timeout) < 0 && errno != EINTR)
			break;
		/* The channels first: an answer sent before an exit wins. */
		for (nfds_t k = 2; k < n; k++)
			if (p[k].revents)
				on_channel(d, &d->w[who[k]]);
		if (p[0].revents)
			handle_signals(d);
		if (p[1].fd >= 0 && p[1].revents)
			accept_all(d);
	}
}

int qq_daemon_run(void)
{
	static struct daemon d;
	d.lfd = -1;
	alarm(0);
	d.sfd = setup_signals();
	if (d.sfd < 0 || listen_socket(&d) < 0) {
		fprintf(stderr, "qmail-queue: fatal: unable to listen on %s: %s\n",
		        d.path ? d.path : QQUEUE_DAEMON_SOCKET, strerror(errno));
		return EXIT_TEMP;
	}
	fprintf(stderr, "qmail-queue: daemon listening on %s\n", d.path);
	/* The Received line names the invoking role: look the roles up once
	 * here (instance_role keeps them), not in every worker. */
	struct role_id r;
	for (enum role k = 0; k < ROLE_COUNT; k++)
		(void)instance_role(k, &r);
	serve(&d);
	stop_listening(&d);
	free(d.path);
	return EXIT_OK_CODE;
}
