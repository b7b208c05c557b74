#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

static void pair(int sp[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
}

/* 0, 1 and FDPASS_MAX descriptors arrive; one more is refused. */
static void test_counts(void **state)
{
	(void)state;
	int sp[2], pp[2];
	pair(sp);
	assert_int_equal(pipe(pp), 0);
	int many[FDPASS_MAX + 1];
	for (size_t i = 0; i <= FDPASS_MAX; i++)
		many[i] = pp[i % 2];
	for (size_t k = 0; k <= FDPASS_MAX; k++) {
		int fds[FDPASS_MAX];
		size_t n_fds = 99;
		char buf[8];
		assert_int_equal(fdpass_send(sp[0], "x", 1, many, k), 0);
		assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, fds, FDPASS_MAX, &n_fds, 1000), 1);
		assert_int_equal(n_fds, k);
		for (size_t i = 0; i < n_fds; i++) {
			assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
			close(fds[i]);
		}
	}
	assert_int_equal(fdpass_send(sp[0], "x", 1, many, FDPASS_MAX + 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fdpass_send(sp[0], "", 0, NULL, 0), -1);
	close(pp[0]);
	close(pp[1]);
	close(sp[0]);
	close(sp[1]);
}

/* Fewer slots than descriptors: the rest are closed; a packet larger than
 * the buffer is refused whole; nothing within the deadline; end of file. */
static void test_limits(void **state)
{
	(void)state;
	int sp[2], pp[2];
	pair(sp);
	assert_int_equal(pipe(pp), 0);
	int fds[1];
	size_t n_fds;
	char buf[4];
	assert_int_equal(fdpass_send(sp[0], "ab", 2, pp, 2), 0);
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, fds, 1, &n_fds, 1000), 2);
	assert_int_equal(n_fds, 1);
	close(fds[0]);
	assert_int_equal(fdpass_send(sp[0], "abcde", 5, pp, 1), 0);
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, fds, 1, &n_fds, 1000), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(n_fds, 0);
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, NULL, 0, &n_fds, 10), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(sp[0]);
	assert_int_equal(fdpass_recv(sp[1], buf, sizeof buf, NULL, 0, &n_fds, 1000), 0);
	close(sp[1]);
	close(pp[0]);
	close(pp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
