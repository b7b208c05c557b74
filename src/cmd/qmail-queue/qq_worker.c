/*
 * qq_worker.c: a worker of the queue daemon (qq_daemon.h), one message
 * after another.  Descriptors: 0 and 1 the message's pipes (/dev/null
 * between messages), 2 the log, QQ_CHAN_FD the channel to the daemon,
 * QQ_NULL_FD /dev/null; anything above is the current message's and is
 * closed before the next.  Any failure ends the process with the
 * message's exit code (qq_die): the daemon answers the client with it and
 * forks a fresh worker, so no error outlives its message.
 */
#include "qq_daemon.h"

#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "fdpass.h"
#include "qq_write.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define QQ_CHAN_FD 3
#define QQ_NULL_FD 4

#ifdef QNG_CRASHPOINTS
static char *crash_inherited; /* the daemon's own QNG_CRASH, if any */
#endif

/* The crash point of this message (test builds): the one named in the
 * request, else the one the daemon was started with. */
static void set_crash(const char *msg, ssize_t n)
{
#ifdef QNG_CRASHPOINTS
	const char *name = n > 1 ? msg + 1 : crash_inherited;
	if (name ? setenv("QNG_CRASH", name, 1) < 0 : unsetenv("QNG_CRASH") < 0)
		qq_die(QQ_NOMEM);
#else
	(void)msg;
	(void)n;
#endif
}

/* Descriptors numbered 0 or 1 would be clobbered by the dup2 of the other. */
static int above_one(int fd)
{
	return fd > 1 ? fd : fcntl(fd, F_DUPFD, QQ_NULL_FD + 1);
}

/* Reads the "Q" request on conn and closes it: the submitter's uid, its
 * message and envelope descriptors on fds 0 and 1. */
static uid_t take_request(int conn)
{
	struct ucred cr;
	socklen_t cl = sizeof cr;
	char msg[128];
	int fds[2];
	size_t n_fds = 0;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
		qq_die(QQ_BUG);
	ssize_t n = fdpass_recv(conn, msg, sizeof msg - 1, fds, 2, &n_fds, QQ_DAEMON_RECV_MS);
	close(conn);
	if (n < 1 || msg[0] != 'Q' || n_fds != 2)
		qq_die(QQ_READ_ERROR);
	msg[n] = '\0';
	set_crash(msg, n);
	int m = above_one(fds[0]), e = above_one(fds[1]);
	if (m < 0 || e < 0 || dup2(m, 0) < 0 || dup2(e, 1) < 0)
		qq_die(QQ_BUG);
	close(m);
	close(e);
	return cr.uid;
}

/* One message, under its own alarm; returns only when it is committed,
 * its lock released and its names forgotten. */
static void queue_message(int conn)
{
	uid_t uid = take_request(conn);
	alarm(QQ_TIMEOUT_SECS);
	int code = qq_queue_one(uid);
	if (code != QQ_OK)
		qq_die(code);
	alarm(0);
	qq_write_end();
}

/* fds 0 and 1 back to /dev/null, every other descriptor of the message
 * closed (its pipes, any the steps might have left). */
static void forget_descriptors(void)
{
	if (dup2(QQ_NULL_FD, 0) < 0 || dup2(QQ_NULL_FD, 1) < 0)
		_exit(QQ_BUG);
	closefrom(QQ_NULL_FD + 1);
}

static void setup_worker(int chan)
{
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* The listening socket, the other workers' channels, clients' connections. */
	if (fd_move(QQ_CHAN_FD, chan) < 0)
		_exit(QQ_BUG);
	closefrom(QQ_CHAN_FD + 1);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0 || fd_move(QQ_NULL_FD, nul) < 0)
		_exit(QQ_BUG);
	forget_descriptors();
#ifdef QNG_CRASHPOINTS
	const char *crash = getenv("QNG_CRASH");
	crash_inherited = crash ? xstrdup(crash) : NULL;
#endif
}

void qq_worker_run(int chan)
{
	setup_worker(chan);
	for (;;) {
		char c;
		int conn = -1;
		size_t n_fds = 0;
		ssize_t n = fdpass_recv(QQ_CHAN_FD, &c, 1, &conn, 1, &n_fds, -1);
		if (n == 0)
			_exit(QQ_OK); /* retired by the daemon, or the daemon is gone */
		if (n < 0 || c != 'C' || n_fds != 1)
			_exit(QQ_BUG);
		queue_message(conn);
		unsigned char ok = QQ_OK;
		if (send(QQ_CHAN_FD, &ok, 1, MSG_NOSIGNAL) != 1)
			_exit(QQ_OK);
		forget_descriptors();
	}
}
