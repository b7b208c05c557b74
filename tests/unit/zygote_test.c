#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

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
		cmocka_unit_test(test_serve_without_env_returns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
