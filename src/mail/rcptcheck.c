/*
 * rcptcheck.c: run the RCPTCHECK program for one recipient (rcptcheck.h).
 */
#include "rcptcheck.h"

#include "envlist.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool rcptcheck_valid_reply(const char *line, size_t len, char cls)
{
	if (len < 5 || len > RCPTCHECK_LINE_MAX || line[0] != cls)
		return false;
	for (size_t i = 1; i < 3; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
	}
	if (line[3] != ' ')
		return false;
	for (size_t i = 4; i < len; i++) {
		if (line[i] < 0x20 || line[i] > 0x7e)
			return false;
	}
	return true;
}

enum rcptcheck_verdict rcptcheck_reply(int exit_code, const char *out, size_t len,
                                       struct sbuf *reply)
{
	const char *nl = memchr(out, '\n', len);
	size_t first = nl ? (size_t)(nl - out) : len;
	if (first > 0 && out[first - 1] == '\r')
		first--;
	sbuf_clear(reply);
	if (exit_code == 0)
		return RCPTCHECK_ACCEPT;
	if (exit_code == 100) {
		if (rcptcheck_valid_reply(out, first, '5'))
			sbuf_set(reply, out, first);
		else
			sbuf_set_str(reply, "550 5.1.1 sorry, no mailbox here by that name");
		return RCPTCHECK_REJECT;
	}
	if (exit_code == 111 && rcptcheck_valid_reply(out, first, '4'))
		sbuf_set(reply, out, first);
	else
		sbuf_set_str(reply, "451 4.3.0 temporary failure checking the recipient");
	return RCPTCHECK_DEFER;
}

/*
 * The program with stdin /dev/null, stdout out_fd and SIGPIPE at its
 * default, started with posix_spawn: no copy of this process's page
 * tables (a qmail-smtpd session with libunbound loaded is several MB).
 */
static pid_t spawn(char *const *argv, const char *const *env, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	pid_t pid = -1;
	struct envlist envp; /* environ with env's NAME=VALUE strings put in */
	envlist_init(&envp, environ);
	for (size_t i = 0; env && env[i]; i++)
		(void)envlist_apply(&envp, env[i]);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	if (posix_spawn_file_actions_init(&fa) != 0) {
		envlist_free(&envp);
		return -1;
	}
	if (posix_spawnattr_init(&at) == 0) {
		if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
		    posix_spawn_file_actions_adddup2(&fa, out_fd, 1) == 0 &&
		    posix_spawnattr_setsigdefault(&at, &def) == 0 &&
		    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF) == 0 &&
		    posix_spawn(&pid, argv[0], &fa, &at, argv, envlist_vec(&envp)) != 0)
			pid = -1;
		posix_spawnattr_destroy(&at);
	}
	posix_spawn_file_actions_destroy(&fa);
	envlist_free(&envp);
	return pid;
}

/* Reads the child's output until EOF, the cap or the deadline. */
static bool read_output(int fd, unsigned timeout_s, size_t max, struct sbuf *out)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	char buf[256];
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left_ms = (long)timeout_s * 1000 - (now.tv_sec - start.tv_sec) * 1000 -
		               (now.tv_nsec - start.tv_nsec) / 1000000;
		if (left_ms <= 0)
			return false;
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, (int)left_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0;
		if (out->len < max)
			sbuf_append(out, buf, (size_t)n < max - out->len ? (size_t)n : max - out->len);
	}
}

int rcptcheck_exec(const char *prog, const char *const *env, unsigned timeout_s, size_t max,
                   struct sbuf *out)
{
	char *const argv[] = {(char *)prog, NULL};
	return rcptcheck_exec_argv(argv, env, timeout_s, max, out);
}

int rcptcheck_exec_argv(char *const *argv, const char *const *env, unsigned timeout_s, size_t max,
                        struct sbuf *out)
{
	int p[2];
	int code = -1;
	sbuf_clear(out);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = spawn(argv, env, p[1]);
	close(p[1]);
	if (pid > 0) {
		bool done = read_output(p[0], timeout_s, max, out);
		if (!done)
			kill(pid, SIGKILL);
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (done && WIFEXITED(st))
			code = WEXITSTATUS(st);
	}
	close(p[0]);
	return code;
}

enum rcptcheck_verdict rcptcheck_run(const char *prog, const char *sender, const char *rcpt,
                                     unsigned timeout_s, struct sbuf *reply)
{
	struct sbuf out = SBUF_INIT, es = SBUF_INIT, er = SBUF_INIT;
	sbuf_printf(&es, "SENDER=%s", sender);
	sbuf_printf(&er, "RECIPIENT=%s", rcpt);
	const char *const env[] = {es.s, er.s, NULL};
	int code = rcptcheck_exec(prog, env, timeout_s, RCPTCHECK_OUT_MAX, &out);
	enum rcptcheck_verdict v = rcptcheck_reply(code, sbuf_cstr(&out), out.len, reply);
	sbuf_free(&out);
	sbuf_free(&es);
	sbuf_free(&er);
	return v;
}
