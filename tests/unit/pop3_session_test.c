/* pop3_session_test.c: TRANSACTION/UPDATE state table (pop3_session.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pop3_session.h"

struct step {
	const char *line;
	enum pop3_session_result res;
	const char *out;   /* exact output */
};

/* Box: 1 = "100.a" ("A\n.\n", 4 octets), 2 = "200.b,S=50" (named size 50). */
static const struct step steps[] = {
	{"STAT", POP3_SESSION_CONTINUE, "+OK 2 54\r\n"},
	{"STAT 1", POP3_SESSION_CONTINUE, "-ERR STAT takes no argument\r\n"},
	{"LIST", POP3_SESSION_CONTINUE, "+OK\r\n1 4\r\n2 50\r\n.\r\n"},
	{"LIST 2", POP3_SESSION_CONTINUE, "+OK 2 50\r\n"},
	{"LIST 3", POP3_SESSION_CONTINUE, "-ERR no such message\r\n"},
	{"LIST 0", POP3_SESSION_CONTINUE, "-ERR no such message\r\n"},
	{"UIDL", POP3_SESSION_CONTINUE, "+OK\r\n1 100.a\r\n2 200.b,S=50\r\n.\r\n"},
	{"UIDL 1", POP3_SESSION_CONTINUE, "+OK 1 100.a\r\n"},
	{"RETR 1", POP3_SESSION_CONTINUE, "+OK 4 octets\r\nA\r\n..\r\n.\r\n"},
	{"TOP 1 0", POP3_SESSION_CONTINUE, "+OK 4 octets\r\nA\r\n..\r\n.\r\n"},
	{"TOP 1", POP3_SESSION_CONTINUE, "-ERR no such message\r\n"},
	{"TOP 1 x", POP3_SESSION_CONTINUE, "-ERR bad line count\r\n"},
	{"RETR 18446744073709551616", POP3_SESSION_CONTINUE, "-ERR no such message\r\n"},
	{"RETR -1", POP3_SESSION_CONTINUE, "-ERR no such message\r\n"},
	{"DELE 1", POP3_SESSION_CONTINUE, "+OK message marked for deletion\r\n"},
	{"DELE 1", POP3_SESSION_CONTINUE, "-ERR message already deleted\r\n"},
	{"RETR 1", POP3_SESSION_CONTINUE, "-ERR message already deleted\r\n"},
	{"TOP 1 1", POP3_SESSION_CONTINUE, "-ERR message already deleted\r\n"},
	{"STAT", POP3_SESSION_CONTINUE, "+OK 1 50\r\n"},
	{"LIST", POP3_SESSION_CONTINUE, "+OK\r\n2 50\r\n.\r\n"},
	{"RSET", POP3_SESSION_CONTINUE, "+OK\r\n"},
	{"STAT", POP3_SESSION_CONTINUE, "+OK 2 54\r\n"},
	{"NOOP", POP3_SESSION_CONTINUE, "+OK\r\n"},
	{"USER x", POP3_SESSION_CONTINUE, "-ERR already authenticated\r\n"},
	{"STLS", POP3_SESSION_CONTINUE, "-ERR already authenticated\r\n"},
	{"FOO", POP3_SESSION_CONTINUE, "-ERR unknown command\r\n"},
	{"NO\rOP", POP3_SESSION_CONTINUE, "-ERR bad character in command\r\n"},
	{"DELE 2", POP3_SESSION_CONTINUE, "+OK message marked for deletion\r\n"},
	{"QUIT", POP3_SESSION_QUIT, "+OK bye\r\n"},
};

static void put_file(const char *dir, const char *name, const char *data)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void test_script(void **state)
{
	(void)state;
	char dir[] = "/tmp/pop3sessXXXXXX";
	char p[600];
	assert_non_null(mkdtemp(dir));
	static const char *const subs[] = {"tmp", "new", "cur"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	snprintf(p, sizeof p, "%s/new", dir);
	put_file(p, "100.a", "A\n.\n");
	put_file(p, "200.b,S=50", "B\n");
	struct pop3_box box;
	assert_int_equal(pop3_box_open(&box, dir), 0);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct bio io;
	struct pop3_session s;
	bio_init(&io, sv[0], sv[0]);
	pop3_session_init(&s, &box, &io);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		enum pop3_session_result r = pop3_session_line(&s, steps[i].line, strlen(steps[i].line));
		assert_int_equal(r, steps[i].res);
		assert_int_equal(bio_flush(&io), BIO_OK);
		char buf[4096];
		ssize_t n = recv(sv[1], buf, sizeof buf - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_string_equal(buf, steps[i].out);
	}
	assert_int_equal(s.n_removed, 1);
	pop3_box_close(&box);
	assert_int_equal(pop3_box_open(&box, dir), 0);
	assert_int_equal(box.n, 1);
	assert_string_equal(box.v[0].name, "100.a:2,");
	pop3_box_close(&box);
	bio_free(&io);
	close(sv[0]);
	close(sv[1]);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_capa(void **state)
{
	(void)state;
	const char *c = pop3_session_capa();
	assert_non_null(strstr(c, "\r\nUIDL\r\n"));
	assert_non_null(strstr(c, "\r\nTOP\r\n"));
	assert_null(strstr(c, "SASL"));
	assert_string_equal(c + strlen(c) - 3, ".\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_capa),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
