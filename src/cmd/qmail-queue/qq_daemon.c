#include "qq_daemon.h"

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QQ_TIMEOUT_SECS 86400

struct worker {
	pid_t pid;   /* 0: free slot */
	int conn;
};

struct daemon {
	struct worker w[QQ_DAEMON_WORKERS];
	size_t n;
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

/* Descriptors numbered 0 or 1 would be clobbered by the dup2 of the other. */
static int above_one(int fd)
{
	return fd > 1 ? fd : fcntl(fd, F_DUPFD, 3);
}

static void worker_run(struct daemon *d, int conn) __attribute__((noreturn));
static void worker_run(struct daemon *d, int conn)
{
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	struct ucred cr;
	socklen_t cl = sizeof cr;
	char msg[128];
	int fds[2];
	size_t n_fds = 0;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
		qq_die(QQ_BUG);
	ssize_t n = fdpass_recv(conn, msg, sizeof msg - 1, fds, 2, &n_fds, QQ_DAEMON_RECV_MS);
	if (n < 1 || msg[0] != 'Q' || n_fds != 2)
		qq_die(QQ_READ_ERROR);
#ifdef QNG_CRASHPOINTS
	msg[n] = '\0';
	if (n > 1 && setenv("QNG_CRASH", msg + 1, 1) < 0)
		qq_die(QQ_NOMEM);
#endif
	int m = above_one(fds[0]), e = above_one(fds[1]);
	if (m < 0 || e < 0 || dup2(m, 0) < 0 || dup2(e, 1) < 0)
		qq_die(QQ_BUG);
	(void)d;
	closefrom(3); /* the listening socket, the others' connections, this one */
	alarm(QQ_TIMEOUT_SECS);
	int code = qq_queue_one(cr.uid);
	if (code != QQ_OK)
		qq_die(code);
	_exit(QQ_OK);
}

static void answer(int conn, int code)
{
	unsigned char b = (unsigned char)code;
	(void)send(conn, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(conn);
}

static void start_worker(struct daemon *d, int conn)
{
	size_t i = 0;
	while (i < QQ_DAEMON_WORKERS && d->w[i].pid != 0)
		i++;
	pid_t pid = i < QQ_DAEMON_WORKERS ? fork() : -1;
	if (pid == 0)
		worker_run(d, conn);
	if (pid < 0) {
		fprintf(stderr, "qmail-queue: warning: unable to fork a worker: %s\n",
		        strerror(errno));
		answer(conn, QQ_NOMEM);
		return;
	}
	d->w[i] = (struct worker){ pid, conn };
	d->n++;
}

static void accept_all(struct daemon *d)
{
	while (d->n < QQ_DAEMON_WORKERS) {
		int conn = accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			return;
		}
		start_worker(d, conn);
	}
}

static void reap(struct daemon *d)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < QQ_DAEMON_WORKERS; i++) {
			if (d->w[i].pid != pid)
				continue;
			answer(d->w[i].conn, WIFEXITED(st) ? WEXITSTATUS(st) : QQ_BUG);
			d->w[i].pid = 0;
			d->n--;
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
	while (!d.stopping || d.n > 0) {
		if (d.stopping)
			stop_listening(&d);
		struct pollfd p[2] = { { .fd = d.sfd, .events = POLLIN },
		                       { .fd = d.lfd, .events = POLLIN } };
		nfds_t np = d.lfd >= 0 && d.n < QQ_DAEMON_WORKERS ? 2 : 1;
		if (poll(p, np, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			handle_signals(&d);
		if (np == 2 && p[1].revents && !d.stopping)
			accept_all(&d);
	}
	stop_listening(&d);
	free(d.path);
	return EXIT_OK_CODE;
}
