#include "qfilter_run.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "fdio.h"
#include "qqueue.h"

int qfilter_memfd(void)
{
	return memfd_create("qmail-qfilter", MFD_CLOEXEC);
}

int qfilter_slurp(int in, size_t max)
{
	int fd = qfilter_memfd();
	if (fd < 0)
		return -1;
	char buf[65536];
	size_t total = 0;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0 && lseek(fd, 0, SEEK_SET) == 0)
				return fd;
			break;
		}
		if ((size_t)r > max - total) {
			errno = E2BIG;
			break;
		}
		total += (size_t)r;
		if (fd_write_all(fd, buf, (size_t)r) < 0)
			break;
	}
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int qfilter_status_code(int wstatus)
{
	if (!WIFEXITED(wstatus))
		return QQ_TEMP_REFUSED;
	switch (WEXITSTATUS(wstatus)) {
	case 0:
		return QQ_OK;
	case QQ_PERM_REFUSED:
		return QQ_PERM_REFUSED;
	case QFILTER_EXIT_DROP:
		return QFILTER_EXIT_DROP;
	case QQERR_EXIT:
		return QQERR_EXIT;
	default:
		return QQ_TEMP_REFUSED;
	}
}

/* In the child: message on 0, output on 1, the reply pipe on QQERR_FD
 * (err_fd is above it, qqerr.h), limits, default signals. */
static void child_exec(char *const argv[], const int fds[3], const sigset_t *oldmask)
{
	if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], QQERR_FD) < 0)
		_exit(QQ_TEMP_REFUSED);
	struct rlimit rl = {QFILTER_MSG_MAX, QFILTER_MSG_MAX};
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		_exit(QQ_TEMP_REFUSED);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execv(argv[0], argv);
	_exit(QQ_TEMP_REFUSED);
}

/* Waits for pid until the monotonic deadline; -1 (and kills it) on timeout. */
static int wait_deadline(pid_t pid, const struct timespec *deadline, int *wstatus)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t r = waitpid(pid, wstatus, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline->tv_sec - now.tv_sec;
		left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000L;
			left.tv_sec--;
		}
		if (left.tv_sec < 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		sigtimedwait(&chld, NULL, &left);
	}
}

/* Runs one filter from in_fd into out_fd; returns the chain code.  A
 * filter exiting QQERR_EXIT with a valid message fills *reply; without
 * one it is an ordinary temporary failure. */
static int run_one(const struct qfilter *f, int in_fd, int out_fd, unsigned timeout_sec,
                   struct qqerr *reply)
{
	sigset_t chld, oldmask;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int err_rd, fds[3] = {in_fd, out_fd, -1};
	if (lseek(in_fd, 0, SEEK_SET) != 0 || qqueue_err_pipe(&err_rd, &fds[2]) < 0)
		return QQ_TEMP_REFUSED;
	if (sigprocmask(SIG_BLOCK, &chld, &oldmask) < 0) {
		close(err_rd);
		close(fds[2]);
		return QQ_TEMP_REFUSED;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)timeout_sec;
	pid_t pid = fork();
	if (pid == 0)
		child_exec(f->argv, fds, &oldmask);
	close(fds[2]);
	int code = QQ_TEMP_REFUSED, wstatus = 0;
	if (pid > 0 && wait_deadline(pid, &deadline, &wstatus) == 0)
		code = qfilter_status_code(wstatus);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (code == QQERR_EXIT) {
		qqueue_read_reply(err_rd, reply);
		if (reply->kind == QQERR_NONE)
			code = QQ_TEMP_REFUSED;
	}
	close(err_rd);
	return code;
}

int qfilter_run_chain(const struct qfilter_conf *c, int *msg_fd, unsigned timeout_sec,
                      struct qqerr *reply)
{
	reply->kind = QQERR_NONE;
	for (size_t i = 0; i < c->n; i++) {
		int out = qfilter_memfd();
		if (out < 0)
			return QQ_WRITE_ERROR;
		int code = run_one(&c->v[i], *msg_fd, out, timeout_sec, reply);
		if (code != QQ_OK) {
			close(out);
			return code;
		}
		close(*msg_fd);
		*msg_fd = out;
	}
	return lseek(*msg_fd, 0, SEEK_SET) == 0 ? QQ_OK : QQ_TEMP_REFUSED;
}
