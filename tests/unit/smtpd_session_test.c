/*
 * smtpd_session_test.c: whole qmail-smtpd sessions driven over a
 * socketpair, as transcripts: ">" lines are sent (consecutive ones in one
 * write, i.e. pipelined; ">!" sends the text without CRLF), "<" lines are
 * expected reply prefixes, "<EOF" expects the server to close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "proto_limits.h"
#include "smtpd_config.h"
#include "smtpd_session.h"

static char home[64];
static char path[256];

static const char *file_path(const char *rel)
{
	snprintf(path, sizeof path, "%s/%s", home, rel);
	return path;
}

static void put_file(const char *rel, const char *text)
{
	FILE *f = fopen(file_path(rel), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void read_file(const char *rel, struct sbuf *out)
{
	sbuf_clear(out);
	if (file_read_all(file_path(rel), out, 1 << 20) < 0)
		sbuf_set_str(out, "(missing)");
}

static enum deliverable fake_deliverable(const char *local, const char *domain)
{
	(void)domain;
	return strcmp(local, "nobody") == 0 ? DELIV_NO : DELIV_YES;
}

static enum smtpd_verdict reject_all(struct smtpd_session *s, const char *arg,
                                     struct sbuf *reply)
{
	(void)s;
	(void)arg;
	sbuf_set_str(reply, "554 5.7.1 go away");
	return SMTPD_REJECT;
}

static enum smtpd_verdict defer_helo(struct smtpd_session *s, const char *arg,
                                     struct sbuf *reply)
{
	(void)s;
	(void)reply;
	return strcmp(arg, "bad.helo") == 0 ? SMTPD_DEFER : SMTPD_ACCEPT;
}

static const struct smtpd_hook connect_hooks[] = { { SMTPD_HOOK_CONNECT, reject_all } };
static const struct smtpd_hook helo_hooks[] = { { SMTPD_HOOK_HELO, defer_helo } };

static void child(int rfd, int wfd, const struct smtpd_hook *hooks, size_t n)
{
	struct smtpd_config cfg;
	struct smtpd_session s;
	const char *what;
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);     /* not cmocka's handlers: die */
	if (smtpd_config_load(&cfg, &what) < 0)
		_exit(111);
	cfg.deliverable = fake_deliverable;
	smtpd_session_init(&s, &cfg, rfd, wfd);
	smtpd_session_set_hooks(&s, hooks, n);
	s.greet_wait_ms = 30;
	int code = smtpd_session_run(&s);
	smtpd_session_free(&s);
	smtpd_config_free(&cfg);
	_exit(code);
}

/* Reads one line (without CRLF) from fd with a 10 s limit; false at EOF. */
static bool get_line(int fd, struct sbuf *line)
{
	sbuf_clear(line);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char c;
		if (poll(&p, 1, 10000) != 1)
			fail_msg("timeout waiting for a reply");
		if (read(fd, &c, 1) != 1)
			return false;
		if (c == '\n')
			break;
		sbuf_append_char(line, c);
	}
	if (line->len > 0 && line->s[line->len - 1] == '\r')
		sbuf_truncate(line, line->len - 1);
	return true;
}

static void expect(int fd, const char *want)
{
	struct sbuf line = SBUF_INIT;
	bool got = get_line(fd, &line);
	if (strcmp(want, "EOF") == 0) {
		if (got)
			fail_msg("expected EOF, got \"%s\"", line.s);
	} else if (!got) {
		fail_msg("expected \"%s\", got EOF", want);
	} else if (strncmp(line.s, want, strlen(want)) != 0) {
		fail_msg("expected \"%s\", got \"%s\"", want, line.s);
	}
	sbuf_free(&line);
}

/* pre: bytes written before the server starts (early talker). */
static void run_script(const char *const *script, size_t n, const char *pre,
                       const struct smtpd_hook *hooks, size_t n_hooks)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (pre)
		assert_int_equal(fd_write_all(sv[0], pre, strlen(pre)), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], sv[1], hooks, n_hooks);
	}
	close(sv[1]);
	struct sbuf out = SBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const char *l = script[i];
		if (l[0] == '>') {
			bool raw = l[1] == '!';
			sbuf_append_str(&out, l + (raw ? 2 : 1));
			if (!raw)
				sbuf_append_str(&out, "\r\n");
			if (i + 1 < n && script[i + 1][0] == '>')
				continue;
			assert_int_equal(fd_write_all(sv[0], out.s, out.len), 0);
			sbuf_clear(&out);
		} else {
			expect(sv[0], l + 1);
		}
	}
	sbuf_free(&out);
	close(sv[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
}

#define RUN(script) run_script(script, sizeof script / sizeof script[0], NULL, NULL, 0)

static int setup(void **state)
{
	(void)state;
	strcpy(home, "/tmp/smtpd_session_test.XXXXXX");
	assert_non_null(mkdtemp(home));
	mkdir(file_path("control"), 0755);
	mkdir(file_path("bin"), 0755);
	put_file("control/me", "mx.test\n");
	put_file("control/rcpthosts", "example.test\n.sub.test\n");
	put_file("control/locals", "example.test\n");
	put_file("control/badmailfrom", "bad@evil.test\n@evil2.test\n.evil3.test\n");
	put_file("control/databytes", "2000\n");
	char script[512];
	snprintf(script, sizeof script,
	         "#!/bin/sh\nexec 3<&1 1>/dev/null\ncat > %s/msg || exit 54\n"
	         "tr '\\0' '|' <&3 > %s/env\nexit ${FAKEQQ_EXIT:-0}\n", home, home);
	put_file("bin/fakeqq", script);
	chmod(file_path("bin/fakeqq"), 0755);
	setenv("QMAILHOME", home, 1);
	setenv("QMAILQUEUE", file_path("bin/fakeqq"), 1);
	setenv("TCPREMOTEIP", "192.0.2.7", 1);
	setenv("TCPLOCALIP", "192.0.2.1", 1);
	unsetenv("RELAYCLIENT");
	unsetenv("DATABYTES");
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", home);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_basic_message(void **state)
{
	(void)state;
	static const char *const script[] = {
		"<220 mx.test ESMTP",
		">EHLO client.test",
		"<250-mx.test", "<250-PIPELINING", "<250-8BITMIME", "<250-SIZE 2000",
		"<250 ENHANCEDSTATUSCODES",
		">MAIL FROM:<sender@client.test> SIZE=100 BODY=8BITMIME",
		">RCPT TO:<User@Example.TEST>",
		">RCPT TO:<x@a.sub.test>",
		">DATA",
		"<250 2.1.0", "<250 2.1.5", "<250 2.1.5", "<354 ",
		">Subject: hi\r\n\r\n..dot\r\nline2\r\n.",
		"<250 2.0.0 ok ",
		">QUIT", "<221 2.0.0", "<EOF",
	};
	RUN(script);
	struct sbuf b = SBUF_INIT;
	read_file("env", &b);
	assert_string_equal(b.s, "Fsender@client.test|TUser@example.test|Tx@a.sub.test||");
	read_file("msg", &b);
	assert_true(strncmp(b.s, "Received: from client.test (unknown [192.0.2.7])\n\tby mx.test "
	                         "(qmail-ng) with ESMTP id ", 80) == 0);
	assert_non_null(strstr(b.s, "\nSubject: hi\n\n.dot\nline2\n"));
	assert_null(strchr(b.s, '\r'));
	sbuf_free(&b);
}

static void test_commands(void **state)
{
	(void)state;
	static const char *const script[] = {
		"<220 ",
		">MAIL FROM:<a@b.test>", "<503 5.5.1",
		">HELO", "<501 5.5.4",
		">HELO client.test", "<250 mx.test",
		">RCPT TO:<a@example.test>", "<503 5.5.1",
		">DATA", "<503 5.5.1",
		">VRFY root", "<252 2.1.5",
		">EXPN list", "<502 5.5.1",
		">HELP", "<214-", "<214-", "<214 2.0.0",
		">NOOP", "<250 2.0.0",
		">STARTTLS", "<502 5.5.1",
		">FOO", "<500 5.5.1",
		">", "<500 5.5.2",
		">!NOOP\n", "<250 2.0.0",                      /* D-03: bare LF ok */
		">NO\rOP", "<501 5.5.2",                        /* D-03: CR inside */
		">MAIL FROM:<a@b.test> FOO=1", "<555 5.5.4",
		">MAIL FROM:<a@b.test> SIZE=2001", "<552 5.3.4",
		">MAIL FROM:<a@@b.test>", "<501 5.1.7",
		">MAIL FROM:<bad@EVIL.test>", "<553 5.7.1",
		">MAIL FROM:<x@evil2.test>", "<553 5.7.1",
		">MAIL FROM:<x@a.evil3.test>", "<553 5.7.1",
		">MAIL FROM:<>", "<250 2.1.0",
		">MAIL FROM:<a@b.test>", "<503 5.5.1",
		">RCPT TO:<>", "<501 5.1.3",
		">RCPT TO:<a@example.test> NOTIFY=NEVER", "<555 5.5.4",
		">RCPT TO:<a@remote.test>", "<553 5.7.1",
		">RCPT TO:<a@sub.test>", "<553 5.7.1",
		">RCPT TO:<nobody@example.test>", "<550 5.1.1",
		">RCPT TO:<NoBody@example.test>", "<550 5.1.1",
		">RCPT TO:<postmaster>", "<250 2.1.5",
		">RCPT TO:<u@[192.0.2.1]>", "<250 2.1.5",
		">RCPT TO:<u@[192.0.2.2]>", "<553 5.7.1",
		">RSET", "<250 2.0.0",
		">RCPT TO:<a@example.test>", "<503 5.5.1",
		">QUIT", "<221 ", "<EOF",
	};
	put_file("control/localiphost", "example.test\n");
	put_file("control/defaultdomain", "example.test\n");       /* D-19 */
	RUN(script);
	unlink(file_path("control/localiphost"));
	unlink(file_path("control/defaultdomain"));
}

static void test_long_lines(void **state)
{
	(void)state;
	char a[SMTP_LINE_MAX + 16], b[SMTP_LINE_MAX + 16], c[8000];
	snprintf(a, sizeof a, ">NOOP %0*d", SMTP_LINE_MAX - 5, 0);         /* max */
	snprintf(b, sizeof b, ">NOOP %0*d", SMTP_LINE_MAX - 4, 0);         /* max+1 */
	snprintf(c, sizeof c, ">NOOP %0*d", 7000, 0);
	const char *const script[] = {
		"<220 ", a, "<250 2.0.0", b, "<500 5.5.2", c, "<500 5.5.2",
		">NOOP", "<250 2.0.0", ">QUIT", "<221 ", "<EOF",
	};
	RUN(script);
}

static void test_data_errors(void **state)
{
	(void)state;
	struct sbuf hops = SBUF_INIT;
	for (int i = 0; i < HOPS_MAX; i++)
		sbuf_append_str(&hops, "Received: x\r\n");
	sbuf_append_str(&hops, "\r\nbody\r\n.");
	struct sbuf big = SBUF_INIT;
	for (int i = 0; i < 41; i++)
		sbuf_append_str(&big, "0123456789012345678901234567890123456789012345678\r\n");
	sbuf_append_str(&big, ".");
	const char *const script[] = {
		"<220 ", ">HELO c", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA",
		"<250 ", "<250 ", "<354 ",
		"><-hops-", "<554 5.4.6",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA",
		"<250 ", "<250 ", "<354 ",
		"><-big-", "<552 5.3.4",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA",
		"<250 ", "<250 ", "<354 ",
		">!Subject: x\r\nbare\nlf\r\n.\r\n", "<451 4.5.2", "<EOF",
	};
	/* substitute the generated bodies */
	const char *s2[sizeof script / sizeof script[0]];
	struct sbuf h = SBUF_INIT, g = SBUF_INIT;
	sbuf_printf(&h, ">%s", hops.s);
	sbuf_printf(&g, ">%s", big.s);
	for (size_t i = 0; i < sizeof script / sizeof script[0]; i++)
		s2[i] = strcmp(script[i], "><-hops-") == 0 ? h.s
		      : strcmp(script[i], "><-big-") == 0 ? g.s : script[i];
	run_script(s2, sizeof s2 / sizeof s2[0], NULL, NULL, 0);
	sbuf_free(&hops);
	sbuf_free(&big);
	sbuf_free(&h);
	sbuf_free(&g);
}

static void test_sync_errors(void **state)
{
	(void)state;
	static const char *const early[] = { "<554 5.5.0", "<EOF" };
	run_script(early, 2, "EHLO early\r\n", NULL, 0);
	static const char *const after_data[] = {
		"<220 ", ">HELO c", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA", ">Subject: x",
		"<250 ", "<250 ", "<554 5.5.0", "<EOF",
	};
	RUN(after_data);
	static const char *const refused_data[] = {
		"<220 ", ">HELO c", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@remote.test>", ">DATA", ">RSET",
		"<250 ", "<553 ", "<554 5.5.0", "<EOF",
	};
	RUN(refused_data);
	static const char *const bare_cr[] = {
		"<220 ", ">HELO c", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA",
		"<250 ", "<250 ", "<354 ", ">!a\rb\r\n.\r\n", "<451 4.5.2", "<EOF",
	};
	RUN(bare_cr);
}

static void test_too_many_rcpts(void **state)
{
	(void)state;
	size_t n = 3 + 2 * (RCPT_MAX + 1) + 5;
	const char **script = calloc(n, sizeof *script);
	size_t k = 0;
	script[k++] = "<220 ";
	script[k++] = ">HELO c";
	script[k++] = "<250 ";
	script[k++] = ">MAIL FROM:<a@b.test>";
	for (int i = 0; i < RCPT_MAX + 1; i++)
		script[k++] = ">RCPT TO:<a@example.test>";
	script[k++] = "<250 2.1.0";
	for (int i = 0; i < RCPT_MAX; i++)
		script[k++] = "<250 2.1.5";
	script[k++] = "<452 4.5.3";
	script[k++] = ">QUIT";
	script[k++] = "<221 ";
	run_script(script, k, NULL, NULL, 0);
	free(script);
}

static void test_queue_failures(void **state)
{
	(void)state;
	static const char *const script[] = {
		"<220 ", ">HELO c", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA",
		"<250 ", "<250 ", "<354 ", ">x\r\n.", "<-", ">QUIT", "<221 ",
	};
	const char *s2[sizeof script / sizeof script[0]];
	memcpy(s2, script, sizeof script);
	setenv("FAKEQQ_EXIT", "31", 1);
	s2[10] = "<554 5.3.0";
	run_script(s2, sizeof s2 / sizeof s2[0], NULL, NULL, 0);
	setenv("FAKEQQ_EXIT", "53", 1);
	s2[10] = "<451 4.3.0";
	run_script(s2, sizeof s2 / sizeof s2[0], NULL, NULL, 0);
	unsetenv("FAKEQQ_EXIT");
	setenv("QMAILQUEUE", "/nonexistent/qq", 1);
	s2[10] = "<451 4.3.0";
	run_script(s2, sizeof s2 / sizeof s2[0], NULL, NULL, 0);
	setenv("QMAILQUEUE", file_path("bin/fakeqq"), 1);
}

static void test_relayclient(void **state)
{
	(void)state;
	static const char *const script[] = {
		"<220 ", ">EHLO c", "<250-", "<250-", "<250-", "<250-SIZE 52428800", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<x@remote.test>", ">DATA",
		"<250 ", "<250 ", "<354 ", ">x\r\n.", "<250 2.0.0", ">QUIT", "<221 ",
	};
	setenv("RELAYCLIENT", "-sfx", 1);
	setenv("DATABYTES", "0", 1);
	RUN(script);
	unsetenv("RELAYCLIENT");
	unsetenv("DATABYTES");
	struct sbuf b = SBUF_INIT;
	read_file("env", &b);
	assert_string_equal(b.s, "Fa@b.test|Tx@remote.test-sfx||");
	sbuf_free(&b);
}

static void test_timeout(void **state)
{
	(void)state;
	static const char *const script[] = { "<220 ", "<421 4.4.2", "<EOF" };
	static const char *const in_data[] = {
		"<220 ", ">HELO c", "<250 ",
		">MAIL FROM:<a@b.test>", ">RCPT TO:<a@example.test>", ">DATA",
		"<250 ", "<250 ", "<354 ", ">!Subject: stalled\r\n", "<421 4.4.2", "<EOF",
	};
	put_file("control/timeoutsmtpd", "1\n");
	RUN(script);
	unlink(file_path("env"));
	RUN(in_data);
	struct sbuf b = SBUF_INIT;
	read_file("env", &b);
	assert_null(strchr(b.s, 'F'));      /* no envelope: nothing queued */
	sbuf_free(&b);
	unlink(file_path("control/timeoutsmtpd"));
}

static void test_hooks(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"<220 ", ">HELO c", "<554 5.7.1 go away", ">MAIL FROM:<>", "<554 5.7.1 go away",
		">QUIT", "<221 ", "<EOF",
	};
	run_script(refused, sizeof refused / sizeof refused[0], NULL, connect_hooks, 1);
	static const char *const helo[] = {
		"<220 ", ">HELO bad.helo", "<451 4.7.1", ">MAIL FROM:<>", "<503 5.5.1",
		">HELO good.helo", "<250 ", ">QUIT", "<221 ", "<EOF",
	};
	run_script(helo, sizeof helo / sizeof helo[0], NULL, helo_hooks, 1);
}

/* On a pipe (sendmail -bs) the whole script may come at once: no D-13. */
static void test_pipe_input(void **state)
{
	(void)state;
	static const char in[] = "HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<a@example.test>\r\n"
	                         "DATA\r\nSubject: p\r\n\r\npiped\r\n.\r\nQUIT\r\n";
	int to_srv[2], from_srv[2];
	assert_int_equal(pipe(to_srv), 0);
	assert_int_equal(pipe(from_srv), 0);
	assert_int_equal(fd_write_all(to_srv[1], in, sizeof in - 1), 0);
	close(to_srv[1]);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(from_srv[0]);
		child(to_srv[0], from_srv[1], NULL, 0);
	}
	close(to_srv[0]);
	close(from_srv[1]);
	static const char *const want[] = {
		"220 ", "250 ", "250 2.1.0", "250 2.1.5", "354 ", "250 2.0.0 ok", "221 ", "EOF",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		expect(from_srv[0], want[i]);
	close(from_srv[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	struct sbuf b = SBUF_INIT;
	read_file("msg", &b);
	assert_non_null(strstr(b.s, "\nSubject: p\n\npiped\n"));
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_message),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_data_errors),
		cmocka_unit_test(test_sync_errors),
		cmocka_unit_test(test_too_many_rcpts),
		cmocka_unit_test(test_queue_failures),
		cmocka_unit_test(test_relayclient),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_pipe_input),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
