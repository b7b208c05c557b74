/* popup_broker.c: the half of qmail-popup that never reads the connection. */
#include "popup.h"

#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "log.h"
#include "pop3_budget.h"
#include "pop3_login.h"
#include "tlsctl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs checkpassword with blob on fd 3; returns its wait status or -1. */
static int run_checkpassword(char **argv, const char *blob, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* The blob (< PIPE_BUF) fits in the pipe: write it all before the fork. */
	if (fd_write_all(p[1], blob, len) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (fd_move(3, p[0]) < 0 || fd_set_cloexec(3, 0) < 0)
			_exit(EXIT_TEMP);
		execv(argv[0], argv);
		_exit(EXIT_TEMP);
	}
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

static enum popup_verdict verdict_of(int status)
{
	if (status == -1 || !WIFEXITED(status))
		return POPUP_TEMP;
	switch (WEXITSTATUS(status)) {
	case 0:
		return POPUP_DONE;
	case 1:
	case 2:
		return POPUP_REJECT;
	default:
		break;
	}
	return POPUP_TEMP;
}

static enum popup_verdict attempt(char **argv, const char *blob, size_t len, const char *budget_dir,
                                  const char *ip)
{
	uint64_t now = (uint64_t)time(NULL);
	if (ip && pop3_budget_exhausted(budget_dir, ip, now))
		return POPUP_BUDGET;
	enum popup_verdict v = verdict_of(run_checkpassword(argv, blob, len));
	if (v == POPUP_REJECT && ip && pop3_budget_fail(budget_dir, ip, now) < 0)
		log_kv(LOG_LEVEL_WARN, "budget", "ip", ip, "error", strerror(errno), (char *)NULL);
	return v;
}

/*
 * After STLS the connection is the plaintext end of the TLS proxy: it
 * replaces fds 0/1, once, and only a socket will do.  Nothing is read
 * from it here.  0, or -1 to end the session.
 */
static int take_connection(int fd, bool *done)
{
	struct stat st;
	if (*done || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || dup2(fd, 0) < 0 ||
	    dup2(fd, 1) < 0) {
		close(fd);
		log_kv(LOG_LEVEL_ERROR, "stls", "error", "bad connection from the network half",
		       (char *)NULL);
		return -1;
	}
	close(fd);
	*done = true;
	return 0;
}

/* One packet: >0 its length (*fd set if it carried one), 0 end, -1 error. */
static ssize_t next_packet(int chan, char *buf, size_t cap, int *fd)
{
	int fds[2];
	size_t n_fds;
	ssize_t n = fdpass_recv(chan, buf, cap, fds, 2, &n_fds, -1);
	*fd = n_fds > 0 ? fds[0] : -1;
	for (size_t i = 1; i < n_fds; i++)
		close(fds[i]);
	if (n < 0 && errno == EMSGSIZE)
		return (ssize_t)cap + 1; /* too long: a rejected attempt */
	if (n <= 0 && *fd >= 0)
		close(*fd);
	return n;
}

int popup_broker(int chan, char **argv)
{
	static char blob[POP3_LOGIN_BLOB_MAX];
	char *dir = instance_path("run/pop3fail");
	const char *ip = getenv("TCPREMOTEIP");
	int rc = EXIT_OK_CODE;
	bool have_tls = false;
	for (;;) {
		int fd;
		ssize_t n = next_packet(chan, blob, sizeof blob, &fd);
		if (n <= 0)
			break;
		if (fd >= 0 || (n == 1 && blob[0] == POPUP_MSG_NEWFD)) {
			bool ok = fd >= 0 && n == 1 && blob[0] == POPUP_MSG_NEWFD;
			if (!ok && fd >= 0)
				close(fd);
			if (!ok || take_connection(fd, &have_tls) < 0) {
				rc = EXIT_TEMP;
				break;
			}
			continue;
		}
		enum popup_verdict v = POPUP_REJECT;
		if ((size_t)n <= sizeof blob)
			v = attempt(argv, blob, (size_t)n, dir, ip);
		explicit_bzero(blob, sizeof blob);
		char c = (char)v;
		if (send(chan, &c, 1, MSG_NOSIGNAL) != 1) {
			rc = EXIT_TEMP;
			break;
		}
		if (v == POPUP_DONE)
			break;
	}
	free(dir);
	return rc;
}
