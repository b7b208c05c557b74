/*
 * qmail-start [defaultdelivery]: starts qmail-send, qmail-lspawn,
 * qmail-rspawn and qmail-clean connected by pipes (docs/PROTOCOLS.md,
 * "qmail-start"), each under its own uid in root mode.  Forwards TERM,
 * HUP and ALRM to qmail-send and exits when qmail-send exits, after the
 * others have followed (they see end of file on their request pipes).
 * It also starts the queue daemon, "qmail-queue -d" as the queue's account
 * (qq_daemon.h), after making run/queue/ for its socket; the daemon is sent TERM
 * when qmail-send has exited, and finishes the messages it is writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto_limits.h"
#include "alloc.h"
#include "control.h"
#include "exitcode.h"
#include "instance.h"

#define N_PIPES 6
#define CHILD_WAIT_SECS 30
#define FD_PARK 20

enum { P_LREQ, P_LREP, P_RREQ, P_RREP, P_CREQ, P_CANS };
enum { C_SEND, C_LSPAWN, C_RSPAWN, C_CLEAN, C_QUEUED, C_COUNT };

struct child_spec {
	const char *prog;
	int has_role;
	enum role role;
	int n_fds;
	int src[6][2];   /* {pipe index, end} placed on dst */
	int dst[6];
};

static const struct child_spec specs[C_COUNT] = {
	[C_SEND] = { "qmail-send", 1, ROLE_SEND, 6,
		     { { P_LREQ, 1 }, { P_LREP, 0 }, { P_RREQ, 1 }, { P_RREP, 0 }, { P_CREQ, 1 },
		       { P_CANS, 0 } },
		     { 3, 4, 5, 6, 7, 8 } },
	[C_LSPAWN] = { "qmail-lspawn", 0, ROLE_SEND, 2, { { P_LREQ, 0 }, { P_LREP, 1 } }, { 0, 1 } },
	[C_RSPAWN] = { "qmail-rspawn", 1, ROLE_REMOTE, 2, { { P_RREQ, 0 }, { P_RREP, 1 } },
		       { 0, 1 } },
	[C_CLEAN] = { "qmail-clean", 1, ROLE_QUEUE, 2, { { P_CREQ, 0 }, { P_CANS, 1 } }, { 0, 1 } },
	[C_QUEUED] = { "qmail-queue", 1, ROLE_QUEUE, 0, { { 0, 0 } }, { 0 } },
};

static int pipes[N_PIPES][2];
static pid_t pids[C_COUNT];
static volatile sig_atomic_t pending_sig;

static void on_signal(int sig)
{
	pending_sig = sig;
	if (pids[C_SEND] > 0)
		kill(pids[C_SEND], sig);
}

static void fail(const char *what)
{
	fprintf(stderr, "qmail-start: fatal: %s: %s\n", what, strerror(errno));
	_exit(EXIT_TEMP);
}

static void drop_privileges(const struct child_spec *sp)
{
	if (!sp->has_role || getuid() != 0 || !instance_is_root_mode())
		return;
	struct role_id r;
	if (instance_role(sp->role, &r) < 0)
		fail("unable to look up role account");
	if (setgroups(1, &r.gid) < 0 || setgid(r.gid) < 0 || setuid(r.uid) < 0)
		fail("unable to drop privileges");
}

/* In the child: puts the pipe ends on their fds, execs the program. */
static void child_exec(const struct child_spec *sp, const char *arg)
{
	int parked[6];
	for (int i = 0; i < sp->n_fds; i++) {
		parked[i] = fcntl(pipes[sp->src[i][0]][sp->src[i][1]], F_DUPFD, FD_PARK);
		if (parked[i] < 0)
			fail("unable to move fds");
	}
	for (int i = 0; i < sp->n_fds; i++)
		if (dup2(parked[i], sp->dst[i]) < 0)
			fail("unable to move fds");
	for (int i = 0; i < sp->n_fds; i++)
		close(parked[i]);
	drop_privileges(sp);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char rel[64];
	snprintf(rel, sizeof rel, "bin/%s", sp->prog);
	char *path = instance_path(rel);
	char *argv[3] = { path, (char *)arg, NULL };
	execv(path, argv);
	fail(path);
}

/* run/queue/: the queue daemon's socket; its account owns the directory
 * (root mode), nothing else in run/. */
static void make_run_dir(void)
{
	struct role_id r;
	if ((mkdir("run", 0755) < 0 && errno != EEXIST) ||
	    (mkdir("run/queue", 0755) < 0 && errno != EEXIST))
		fprintf(stderr, "qmail-start: warning: unable to create run/queue: %s\n",
		        strerror(errno));
	if (getuid() == 0 && instance_is_root_mode() && instance_role(ROLE_QUEUE, &r) == 0 &&
	    chown("run/queue", r.uid, r.gid) < 0)
		fprintf(stderr, "qmail-start: warning: unable to chown run/queue: %s\n",
		        strerror(errno));
}

static char *default_delivery(int argc, char **argv)
{
	if (argc > 1 && argv[1][0])
		return xstrdup(argv[1]);
	struct sbuf b = SBUF_INIT;
	if (control_read_line("defaultdelivery", "./Maildir/", &b) < 0 || b.len == 0)
		sbuf_set_str(&b, "./Maildir/");
	return b.s;
}

static void start_children(const char *deliv)
{
	for (int c = 0; c < C_COUNT; c++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("unable to fork");
		if (pid == 0)
			child_exec(&specs[c], c == C_LSPAWN ? deliv : c == C_QUEUED ? "-d" : NULL);
		pids[c] = pid;
	}
	for (int i = 0; i < N_PIPES; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}

static int reap(int block)
{
	int status;
	pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
	if (pid <= 0)
		return -1;
	for (int c = 0; c < C_COUNT; c++) {
		if (pids[c] != pid)
			continue;
		pids[c] = 0;
		if (c == C_QUEUED)
			fprintf(stderr, "qmail-start: warning: the queue daemon exited (status %d); "
			        "qmail-queue is run per message instead\n", status);
		if (c == C_SEND)
			return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_TEMP;
	}
	return -2;
}

static int others_running(void)
{
	for (int c = 0; c < C_COUNT; c++)
		if (pids[c] > 0)
			return 1;
	return 0;
}

/* qmail-send is gone: give the others time to see EOF, then end them. */
static void wind_down(void)
{
	time_t deadline = time(NULL) + CHILD_WAIT_SECS;
	if (pids[C_QUEUED] > 0)
		kill(pids[C_QUEUED], SIGTERM);
	while (others_running() && time(NULL) < deadline) {
		if (reap(0) == -1)
			usleep(100000);
	}
	for (int c = 0; c < C_COUNT; c++)
		if (pids[c] > 0)
			kill(pids[c], SIGKILL);
	while (others_running() && reap(1) != -1)
		;
}

int main(int argc, char **argv)
{
	if (chdir(instance_home()) < 0)
		fail("unable to switch to home directory");
	char *deliv = default_delivery(argc, argv);
	for (int i = 0; i < N_PIPES; i++)
		if (pipe2(pipes[i], O_CLOEXEC) < 0)
			fail("unable to create pipes");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	make_run_dir();
	start_children(deliv);
	free(deliv);
	int code;
	for (;;) {
		code = reap(1);
		if (code >= 0)
			break;
		if (code == -1 && errno == ECHILD) {
			code = EXIT_TEMP;
			break;
		}
	}
	wind_down();
	return code == 0 ? 0 : EXIT_TEMP;
}
