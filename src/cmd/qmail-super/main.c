/*
 * qmail-super: runs every enabled service of an instance in the
 * foreground, restarts crashed ones, writes their logs (qmail-super(8)).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto_limits.h"
#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "scan.h"
#include "super.h"

static struct super S;

double super_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "qmail-super: %s: %s\n", what, strerror(errno));
	exit(EXIT_TEMP);
}

static int take_lock(void)
{
	char *lock = instance_path("run/super.lock");
	char *pidf = instance_path("run/super.pid");
	char *run = instance_path("run");
	(void)mkdir(run, 0755);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die("cannot open run/super.lock");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "qmail-super: already running for %s\n", instance_home());
		exit(EXIT_TEMP);
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (file_write_atomic(pidf, buf, (size_t)n, 0644) < 0)
		die("cannot write run/super.pid");
	free(lock);
	free(pidf);
	free(run);
	return fd;
}

static int setup_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGALRM };
	signal(SIGPIPE, SIG_IGN);
	int fd = fd_signals(sigs, sizeof sigs / sizeof sigs[0]);
	if (fd < 0)
		die("signalfd");
	return fd;
}

static void begin_stop(void)
{
	if (S.stopping)
		return;
	S.stopping = true;
	S.stop_deadline = super_now() + SUPER_STOP_GRACE;
	logw_line(&S.log, "stopping: TERM to every service");
	svc_signal_all(&S, SIGTERM, false);
}

static void on_signal(int sfd)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			begin_stop();
		} else if (si.ssi_signo == SIGHUP) {
			logw_line(&S.log, "HUP: reload");
			svc_signal_all(&S, SIGHUP, false);
		} else if (si.ssi_signo == SIGALRM) {
			logw_line(&S.log, "ALRM: flush");
			svc_signal_all(&S, SIGALRM, true);
		}
	}
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		svc_reaped(&S, pid, st);
}

static void drain_log(struct service *v)
{
	static char buf[65536]; /* a default pipe's whole capacity */
	ssize_t n;
	while ((n = read(v->log_rd, buf, sizeof buf)) > 0)
		logw_feed(&v->log, buf, (size_t)n);
}

/*
 * After a pass that read log lines, wait SUPER_LOG_BATCH_MS before polling
 * again, so a busy instance's lines are read and written in batches: at most
 * 1000 / SUPER_LOG_BATCH_MS wakeups a second, where every line used to wake
 * qmail-super (and cost its writer a wakeup of another CPU). A line that
 * follows a quiet moment is read at once. Writers never wait unless a pipe's
 * 64 KiB fill within the pause.
 */
static void batch_pause(void)
{
	struct timespec ts = {0, SUPER_LOG_BATCH_MS * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Builds the poll set: [0] signals, then each log pipe and notify pipe. */
static size_t poll_set(struct pollfd *p, int sfd, struct service **owner)
{
	size_t n = 0;
	p[n++] = (struct pollfd){sfd, POLLIN, 0};
	owner[0] = NULL;
	for (size_t i = 0; i < S.n; i++) {
		struct service *v = &S.svc[i];
		if (v->log_rd >= 0) {
			owner[n] = v;
			p[n++] = (struct pollfd){v->log_rd, POLLIN, 0};
		}
		if (v->notify_rd >= 0 && !v->ready) {
			owner[n] = v;
			p[n++] = (struct pollfd){v->notify_rd, POLLIN, 0};
		}
	}
	return n;
}

static int poll_timeout_ms(void)
{
	double now = super_now(), next = now + 1.0;
	for (size_t i = 0; i < S.n; i++) {
		const struct service *v = &S.svc[i];
		if (v->restart_at != 0 && v->restart_at < next)
			next = v->restart_at;
		if (v->state == SVC_UP && !v->ready)
			next = now + 0.2 < next ? now + 0.2 : next;
	}
	if (S.stopping)
		next = now + 0.2;
	double ms = (next - now) * 1000.0;
	return ms < 0 ? 0 : (int)ms + 1;
}

static void loop(int sfd, int notify_fd)
{
	struct pollfd p[1 + 2 * SUPER_MAX_SERVICES];
	struct service *owner[1 + 2 * SUPER_MAX_SERVICES];
	for (;;) {
		size_t n = poll_set(p, sfd, owner);
		if (poll(p, n, poll_timeout_ms()) < 0 && errno != EINTR)
			die("poll");
		bool logged = false;
		for (size_t i = 1; i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (p[i].fd == owner[i]->log_rd) {
				drain_log(owner[i]);
				logged = true;
			} else {
				svc_check_ready(&S, owner[i]);
			}
		}
		if (p[0].revents & POLLIN)
			on_signal(sfd);
		for (size_t i = 0; i < S.n; i++)
			svc_check_ready(&S, &S.svc[i]);
		if (notify_fd >= 0 && svc_all_ready(&S)) {
			logw_line(&S.log, "all services ready");
			(void)fd_write_all(notify_fd, "\n", 1);
			close(notify_fd);
			notify_fd = -1;
		}
		if (S.stopping && !svc_any_running(&S))
			return;
		if (S.stopping && super_now() > S.stop_deadline) {
			logw_line(&S.log, "stop grace over: KILL");
			svc_signal_all(&S, SIGKILL, false);
			S.stop_deadline = super_now() + 5;
		}
		svc_restart_due(&S);
		if (logged)
			batch_pause();
	}
}

static int parse_args(int argc, char **argv)
{
	int notify_fd = -1;
	const char *env = getenv("NOTIFICATION_FD");
	uint64_t v;
	if (env && scan_u64_str(env, 1024, &v))
		notify_fd = (int)v;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			instance_set_home(argv[++i]);
		} else if (strcmp(argv[i], "-N") == 0 && i + 1 < argc &&
		           scan_u64_str(argv[++i], 1024, &v)) {
			notify_fd = (int)v;
		} else {
			fputs("usage: qmail-super [-d DIR] [-N notifyfd]\n", stderr);
			exit(EXIT_PERM);
		}
	}
	if (notify_fd >= 0)
		(void)fd_set_cloexec(notify_fd, 1);
	return notify_fd;
}

int main(int argc, char **argv)
{
	umask(022);
	int notify_fd = parse_args(argc, argv);
	if (instance_home()[0] != '/') {
		char *abs = realpath(instance_home(), NULL);
		if (!abs)
			die("cannot find the instance directory");
		instance_set_home(abs);
		free(abs);
	}
	if (setenv("QMAILHOME", instance_home(), 1) < 0 || chdir(instance_home()) < 0)
		die("cannot use the instance directory");
	int lock_fd = take_lock();
	char *logdir = instance_path("log/super");
	if (logw_open(&S.log, logdir) < 0)
		die("cannot open log/super/current");
	free(logdir);
	int sfd = setup_signals();
	if (svc_load(&S) < 0)
		die("cannot read etc/services");
	logw_line(&S.log, "starting %zu services for %s", S.n, instance_home());
	for (size_t i = 0; i < S.n; i++) {
		if (S.svc[i].state == SVC_DOWN)
			(void)svc_start(&S, &S.svc[i]);
	}
	svc_write_status(&S);
	loop(sfd, notify_fd);
	for (size_t i = 0; i < S.n; i++) {
		if (S.svc[i].log_rd >= 0) {
			drain_log(&S.svc[i]);
			logw_flush(&S.svc[i].log);
		}
	}
	logw_line(&S.log, "stopped");
	char *pidf = instance_path("run/super.pid");
	unlink(pidf);
	free(pidf);
	svc_write_status(&S);
	close(lock_fd);
	return 0;
}
