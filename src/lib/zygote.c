#include "zygote.h"

#include "exitcode.h"
#include "fdio.h"
#include "fdpass.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZYGOTE_ASSIGN_MAX 256

int zygote_parse(char *msg, size_t len, char **out, size_t max, size_t *n)
{
	*n = 0;
	if (len < 1 || (msg[0] != 'C' && msg[0] != 'D'))
		return -1;
	size_t i = 1;
	while (i < len) {
		char *nul = memchr(msg + i, '\0', len - i);
		if (!nul || nul == msg + i || msg[i] == '=' || *n == max)
			return -1;
		out[(*n)++] = msg + i;
		i = (size_t)(nul - msg) + 1;
	}
	return 0;
}

static void fatal(const char *what)
{
	fprintf(stderr, "zygote: fatal: %s: %s\n", what, strerror(errno));
	_exit(EXIT_TEMP);
}

static void say(int fd, const char *msg, size_t len)
{
	if (send(fd, msg, len, MSG_NOSIGNAL) < 0 && errno != EPIPE)
		fatal("send");
}

static bool is_session;
static void (*before_fork)(void);

void zygote_set_before_fork(void (*fn)(void))
{
	before_fork = fn;
}

bool zygote_is_session(void)
{
	return is_session;
}

/* Moves each descriptor above ZYGOTE_CTL_FD, so that placing one cannot
 * clobber another. */
static void raise_fds(int *fds, size_t n_fds)
{
	for (size_t i = 0; i < n_fds; i++) {
		if (fds[i] > ZYGOTE_CTL_FD)
			continue;
		int nfd = fcntl(fds[i], F_DUPFD_CLOEXEC, ZYGOTE_CTL_FD + 1);
		if (nfd < 0)
			fatal("fcntl");
		close(fds[i]);
		fds[i] = nfd;
	}
}

/* "D": the message and the report pipe become fds 0 and 1, a session
 * channel (if any) fd ZYGOTE_CTL_FD. */
static void place_delivery(int *fds, size_t n_fds)
{
	if (n_fds != 2 && n_fds != 3)
		fatal("a delivery needs two or three descriptors");
	raise_fds(fds, n_fds);
	if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 ||
	    (n_fds == 3 && dup2(fds[2], ZYGOTE_CTL_FD) < 0))
		fatal("dup2");
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
}

/* "C": the socket on fds 0 and 1, the control channel (if any) on 5. */
static void place_connection(const int *fds, size_t n_fds)
{
	if (fd_set_nonblock(fds[0], 0) < 0 || dup2(fds[0], 0) < 0 || dup2(fds[0], 1) < 0)
		fatal("dup2");
	if (n_fds == 2 && (fds[1] == ZYGOTE_CTL_FD ? fd_set_cloexec(fds[1], 0)
	                                           : dup2(fds[1], ZYGOTE_CTL_FD)) < 0)
		fatal("dup2");
	close(fds[0]);
	if (n_fds == 2 && fds[1] != ZYGOTE_CTL_FD)
		close(fds[1]);
}

/* The request's environment assignments ("NAME=value" sets, "NAME" unsets). */
static void apply_env(char **assign, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(assign[i], '=');
		if (eq) {
			*eq = '\0';
			if (setenv(assign[i], eq + 1, 1) < 0)
				fatal("setenv");
		} else {
			unsetenv(assign[i]);
		}
	}
}

static void become_session(int zfd, int sfd, char kind, char **assign, size_t n,
                           int *fds, size_t n_fds)
{
	is_session = true;
	sigset_t none;
	sigemptyset(&none);
	close(zfd);
	close(sfd);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	apply_env(assign, n);
	if (kind == 'D')
		place_delivery(fds, n_fds);
	else
		place_connection(fds, n_fds);
}

/* One request: 1 in the session's child (return to main), 0 in the zygote. */
static int serve_one(int zfd, int sfd)
{
	static char msg[ZYGOTE_MSG_MAX];
	char *assign[ZYGOTE_ASSIGN_MAX];
	int fds[3];
	size_t n_fds, n;
	ssize_t len = fdpass_recv(zfd, msg, sizeof msg, fds, 3, &n_fds, 0);
	if (len == 0)
		_exit(EXIT_OK_CODE); /* the listener is gone */
	if (len < 0 && errno == ETIMEDOUT)
		return 0; /* nothing there after all */
	if (len < 0 || n_fds < 1 || zygote_parse(msg, (size_t)len, assign, ZYGOTE_ASSIGN_MAX,
	                                         &n) < 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		say(zfd, "P0", 2); /* refused: the listener closes the socket */
		return 0;
	}
	if (before_fork)
		before_fork();
	pid_t pid = fork();
	if (pid == 0) {
		become_session(zfd, sfd, msg[0], assign, n, fds, n_fds);
		return 1;
	}
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	char reply[32];
	int k = snprintf(reply, sizeof reply, "P%ld", pid < 0 ? 0L : (long)pid);
	say(zfd, reply, (size_t)k);
	return 0;
}

static void report_ends(int zfd, int sfd)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		char msg[48];
		int k = snprintf(msg, sizeof msg, "E%ld %d", (long)pid, st);
		say(zfd, msg, (size_t)k);
	}
}

void zygote_serve(void)
{
	const char *v = getenv("ZYGOTEFD");
	uint64_t fd;
	if (!v)
		return;
	if (!scan_u64_str(v, 1024, &fd) || fd_set_cloexec((int)fd, 1) < 0)
		fatal("ZYGOTEFD");
	int zfd = (int)fd;
	unsetenv("ZYGOTEFD");
	unsetenv("LD_BIND_NOW"); /* ZYGOTE_BIND_NOW: for the zygote, not its children's execs */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fatal("prctl");
	static const int sigchld[] = { SIGCHLD };
	int sfd = fd_signals(sigchld, 1);
	if (sfd < 0)
		fatal("signalfd");
	say(zfd, "R", 1);
	for (;;) {
		struct pollfd p[2] = { { .fd = zfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			fatal("poll");
		if (p[1].revents)
			report_ends(zfd, sfd);
		if (p[0].revents && serve_one(zfd, sfd))
			return;
	}
}


int zygote_session_next(int ms)
{
	static char msg[ZYGOTE_MSG_MAX];
	char *assign[ZYGOTE_ASSIGN_MAX];
	int fds[3];
	size_t n_fds, n;
	ssize_t len = fdpass_recv(ZYGOTE_CTL_FD, msg, sizeof msg, fds, 3, &n_fds, ms);
	if (len <= 0)
		return 0;
	if (msg[0] != 'D' || n_fds != 2 || zygote_parse(msg, (size_t)len, assign,
	                                                ZYGOTE_ASSIGN_MAX, &n) < 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		return -1;
	}
	apply_env(assign, n);
	place_delivery(fds, n_fds);
	return 1;
}
