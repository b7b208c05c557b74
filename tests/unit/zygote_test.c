#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "control.h"
#include "fdpass.h"
#include "zygote.h"

#include <sys/socket.h>
#include <unistd.h>

struct parse_case {
	const char *msg;
	size_t len;
	int rc;
	size_t n;
	const char *last;
};

#define M(s) s, sizeof s - 1

static const struct parse_case cases[] = {
	{ M("C"), 0, 0, NULL },
	{ M("CA=1\0"), 0, 1, "A=1" },
	{ M("CA=1\0B\0"), 0, 2, "B" },
	{ M("CA=\0"), 0, 1, "A=" },
	{ M("CA=1"), -1, 0, NULL },        /* no NUL */
	{ M("C\0"), -1, 0, NULL },          /* empty name */
	{ M("C=x\0"), -1, 0, NULL },        /* empty name before = */
	{ M("XA=1\0"), -1, 0, NULL },
	{ M("DQMAILREMOTE_HOST=x\0QMAILREMOTE_RCPT=a@x\0"), 0, 2, "QMAILREMOTE_RCPT=a@x" },
	{ M("D"), 0, 0, NULL },
	{ "", 0, -1, 0, NULL },
	{ M("CA\0B\0C\0D\0"), -1, 0, NULL }, /* more than max (3) */
	{ M("CA\0B\0C\0"), 0, 3, "C" },     /* exactly max */
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[64];
		char *out[3];
		size_t n = 99;
		memcpy(buf, cases[i].msg, cases[i].len);
		int rc = zygote_parse(buf, cases[i].len, out, 3, &n);
		if (rc != cases[i].rc || (rc == 0 && n != cases[i].n) ||
		    (rc == 0 && cases[i].last && strcmp(out[n - 1], cases[i].last) != 0)) {
			print_error("case %zu: rc %d n %zu\n", i, rc, n);
			fail();
		}
	}
}

static void test_reports(void **state)
{
	(void)state;
	pid_t pid = 0;
	int st = 0;
	assert_int_equal(zygote_parse_end("E123 256", 8, &pid, &st), 0);
	assert_int_equal(pid, 123);
	assert_int_equal(st, 256);
	assert_int_equal(zygote_parse_end("E123", 4, &pid, &st), -1);
	assert_int_equal(zygote_parse_end("P123 0", 6, &pid, &st), -1);
	assert_int_equal(zygote_parse_end("E2147483648 0", 13, &pid, &st), -1);
	assert_int_equal(zygote_parse_end("E2147483647 0", 13, &pid, &st), 0);
	assert_int_equal(zygote_parse_pid("P42", 3, &pid), 0);
	assert_int_equal(pid, 42);
	assert_int_equal(zygote_parse_pid("P0", 2, &pid), 0);
	assert_int_equal(pid, 0);
	assert_int_equal(zygote_parse_pid("P", 1, &pid), -1);
	assert_int_equal(zygote_parse_pid("Px", 2, &pid), -1);
	assert_int_equal(zygote_parse_pid("E1 0", 4, &pid), -1);
}

/* zygote_send's packet is what zygote_parse takes, with its descriptors. */
static void test_send_round_trip(void **state)
{
	(void)state;
	int sv[2], pipe_fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(pipe_fds), 0);
	struct strlist a = { 0 };
	strlist_add(&a, "A=1", 3);
	strlist_add(&a, "B", 1);
	assert_int_equal(zygote_send(sv[0], 'D', &a, pipe_fds, 2), 0);
	char buf[64];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(2 * sizeof(int))];
	} c;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b,
	                    .msg_controllen = sizeof c.b };
	ssize_t n = recvmsg(sv[1], &m, 0);
	assert_int_equal(n, 7);
	char *out[4];
	size_t k;
	assert_int_equal(zygote_parse(buf, (size_t)n, out, 4, &k), 0);
	assert_int_equal(k, 2);
	assert_string_equal(out[1], "B");
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	assert_non_null(h);
	assert_int_equal(h->cmsg_len, CMSG_LEN(2 * sizeof(int)));
	int got[2];
	memcpy(got, CMSG_DATA(h), sizeof got);
	close(got[0]);
	close(got[1]);
	assert_int_equal(zygote_send(sv[0], 'C', &a, pipe_fds, 0), -1); /* no descriptor */
	size_t n_fds;
	assert_int_equal(fdpass_recv(sv[1], buf, sizeof buf, NULL, 0, &n_fds, 10), -1);
	strlist_free(&a);
	close(sv[0]);
	close(sv[1]);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

/* A kept delivery's next request on ZYGOTE_CTL_FD: environment applied,
 * descriptors on 0 and 1; end of file says 0, a malformed packet -1. */
static void test_session_next(void **state)
{
	(void)state;
	int sv[2], to_child[2], from_child[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		if (dup2(sv[1], ZYGOTE_CTL_FD) < 0)
			_exit(9);
		if (zygote_session_next(2000) != -1) /* a "C" packet */
			_exit(10);
		if (zygote_session_next(2000) != 1)
			_exit(11);
		const char *v = getenv("QNG_TEST_K");
		if (!v || strcmp(v, "v") != 0 || getenv("QNG_TEST_GONE"))
			_exit(12);
		char in[2];
		if (write(1, "ok", 2) != 2 || read(0, in, 2) != 2 || memcmp(in, "in", 2) != 0)
			_exit(13);
		_exit(zygote_session_next(2000) == 0 ? 0 : 14);
	}
	close(sv[1]);
	setenv("QNG_TEST_GONE", "1", 1);
	struct strlist a = { 0 };
	strlist_add(&a, "QNG_TEST_K=v", 12);
	strlist_add(&a, "QNG_TEST_GONE", 13);
	int fds[2] = { to_child[0], from_child[1] };
	assert_int_equal(zygote_send(sv[0], 'C', &a, fds, 2), 0);
	assert_int_equal(zygote_send(sv[0], 'D', &a, fds, 2), 0);
	close(to_child[0]);
	close(from_child[1]);
	assert_int_equal(write(to_child[1], "in", 2), 2);
	char got[2];
	assert_int_equal(read(from_child[0], got, 2), 2);
	assert_memory_equal(got, "ok", 2);
	close(sv[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	strlist_free(&a);
	unsetenv("QNG_TEST_GONE");
	close(to_child[1]);
	close(from_child[0]);
}

static void test_serve_without_env_returns(void **state)
{
	(void)state;
	unsetenv("ZYGOTEFD");
	zygote_serve(); /* a normal run: returns at once */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_send_round_trip),
		cmocka_unit_test(test_session_next),
		cmocka_unit_test(test_serve_without_env_returns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
