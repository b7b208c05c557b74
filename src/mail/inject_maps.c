#include "inject_maps.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "proto_limits.h"
#include "sbuf.h"

static void child_exec(char *const argv[], const char *in_path, int out_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int in = open(in_path ? in_path : "/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || fd_move(0, in) < 0)
		_exit(127);
	if (out_fd >= 0 && fd_move(1, out_fd) < 0)
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

int inject_maps_run(char *const argv[], const char *in_path, int out_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child_exec(argv, in_path, out_fd);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

bool inject_maps_stale(const char *src, const char *dst)
{
	struct stat s, d;
	if (stat(src, &s) < 0)
		return false;
	if (stat(dst, &d) < 0)
		return true;
	if (s.st_mtim.tv_sec != d.st_mtim.tv_sec)
		return s.st_mtim.tv_sec > d.st_mtim.tv_sec;
	return s.st_mtim.tv_nsec > d.st_mtim.tv_nsec;
}

int inject_maps_read_lines(const char *path, struct strlist *out)
{
	struct sbuf b = SBUF_INIT;
	if (file_read_all(path, &b, CONTROL_FILE_MAX) < 0) {
		sbuf_free(&b);
		return errno == ENOENT ? 0 : -1;
	}
	int rc = control_parse_lines(b.s ? b.s : "", b.len, 1, out);
	sbuf_free(&b);
	return rc < 0 ? -1 : 0;
}

int inject_maps_write_lines(const char *path, const struct strlist *l, int mode)
{
	struct sbuf b = SBUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		sbuf_append_str(&b, l->v[i]);
		sbuf_append_char(&b, '\n');
	}
	int rc = file_write_atomic(path, b.s ? b.s : "", b.len, mode);
	sbuf_free(&b);
	return rc;
}

size_t inject_maps_remove_line(struct strlist *l, const char *s)
{
	size_t removed = 0, j = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], s) == 0) {
			free(l->v[i]);
			removed++;
		} else {
			l->v[j++] = l->v[i];
		}
	}
	l->n = j;
	return removed;
}
