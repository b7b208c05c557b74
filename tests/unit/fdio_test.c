#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"

static char dir[] = "/tmp/fdio_test.XXXXXX";

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

struct limit_case {
	size_t size, max;
	int rc;
	int err;
};

static const struct limit_case limit_cases[] = {
	{ 0, 0, 0, 0 },
	{ 0, 10, 0, 0 },
	{ 9, 10, 0, 0 },
	{ 10, 10, 0, 0 },
	{ 11, 10, -1, E2BIG },
	{ 200000, 200000, 0, 0 },
	{ 200001, 200000, -1, E2BIG },
};

static void test_read_all_limits(void **state)
{
	(void)state;
	char p[600];
	path_of(p, sizeof p, "lim");
	char *data = malloc(200001);
	memset(data, 'q', 200001);
	for (size_t i = 0; i < sizeof limit_cases / sizeof limit_cases[0]; i++) {
		const struct limit_case *c = &limit_cases[i];
		assert_int_equal(file_write_atomic(p, data, c->size, 0600), 0);
		struct sbuf b = SBUF_INIT;
		errno = 0;
		assert_int_equal(file_read_all(p, &b, c->max), c->rc);
		if (c->rc == 0)
			assert_int_equal(b.len, c->size);
		else
			assert_int_equal(errno, c->err);
		sbuf_free(&b);
	}
	free(data);
	struct sbuf b = SBUF_INIT;
	path_of(p, sizeof p, "missing");
	assert_int_equal(file_read_all(p, &b, 10), -1);
	assert_int_equal(errno, ENOENT);
	sbuf_free(&b);
}

static void test_atomic_write(void **state)
{
	(void)state;
	char p[600];
	path_of(p, sizeof p, "atomic");
	assert_int_equal(file_write_atomic(p, "one", 3, 0640), 0);
	assert_int_equal(file_write_atomic(p, "two!", 4, 0640), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_size, 4);
	char bad[600];
	path_of(bad, sizeof bad, "nodir/x");
	assert_int_equal(file_write_atomic(bad, "x", 1, 0600), -1);
	assert_int_equal(fd_sync_dir(dir), 0);
	assert_int_equal(fd_sync_dir(bad), -1);
}

static void test_pipe_io(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fd_write_all(p[1], "hello", 5), 0);
	close(p[1]);
	char buf[16];
	assert_int_equal(fd_read_full(p[0], buf, sizeof buf), 5);
	assert_int_equal(fd_read_full(p[0], buf, sizeof buf), 0);
	close(p[0]);
	assert_int_equal(fd_write_all(p[1], "x", 1), -1);
	assert_int_equal(errno, EBADF);
}

static void test_pread_pwrite_flags(void **state)
{
	(void)state;
	char p[600];
	path_of(p, sizeof p, "rw");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fd_pwrite_all(fd, "abcdef", 6, 0), 0);
	assert_int_equal(fd_pwrite_all(fd, "X", 1, 2), 0);
	char buf[8] = { 0 };
	assert_int_equal(fd_pread_full(fd, buf, 8, 0), 6);
	assert_string_equal(buf, "abXdef");
	assert_int_equal(fd_set_nonblock(fd, 1), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_cloexec(fd, 0), 0);
	assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	int fd2 = dup(fd);
	assert_int_equal(fd_move(fd2, fd2), 0);
	assert_int_equal(fd_move(fd2 + 10, fd2), 0);
	assert_int_equal(fcntl(fd2, F_GETFD), -1);
	assert_int_equal(fd_close_checked(fd2 + 10), 0);
	assert_int_equal(fd_close_checked(fd), 0);
	assert_int_equal(fd_close_checked(fd), -1);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = { "lim", "atomic", "rw" };
	char p[600];
	for (size_t i = 0; i < 3; i++) {
		path_of(p, sizeof p, names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

/* fd_signals: a blocked signal is read from the descriptor instead. */
static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* In a child: keep two descriptors (given unsorted, with a -1), close the
 * rest above 2; the exit status says what survived. */
static void test_close_except(void **state)
{
	(void)state;
	int fds[6];
	for (int i = 0; i < 6; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int keep[3] = {fds[4], -1, fds[1]};
		fd_close_except(keep, 3);
		int ok = is_open(0) && is_open(1) && is_open(2) && is_open(fds[1]) &&
		         is_open(fds[4]);
		for (int i = 0; i < 6; i++)
			if (i != 1 && i != 4 && is_open(fds[i]))
				ok = 0;
		_exit(ok ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
}

static void test_signals(void **state)
{
	(void)state;
	static const int sigs[] = { SIGUSR1 };
	int fd = fd_signals(sigs, 1);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	struct signalfd_siginfo si;
	assert_int_equal(read(fd, &si, sizeof si), -1); /* non-blocking, nothing yet */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(read(fd, &si, sizeof si), (ssize_t)sizeof si);
	assert_int_equal(si.ssi_signo, SIGUSR1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_all_limits),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_pipe_io),
		cmocka_unit_test(test_pread_pwrite_flags),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_close_except),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
