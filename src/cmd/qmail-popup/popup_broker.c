/* popup_broker.c: the half of qmail-popup that never reads the connection. */
#include "popup.h"

#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "log.h"
#include "pop3_budget.h"
#include "pop3_login.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

int popup_broker(int chan, char **argv)
{
	static char blob[POP3_LOGIN_BLOB_MAX];
	char *dir = instance_path("run/pop3fail");
	const char *ip = getenv("TCPREMOTEIP");
	int rc = EXIT_OK_CODE;
	for (;;) {
		ssize_t n = recv(chan, blob, sizeof blob, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
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
