/* mbox_test.c: mbox delivery, quoting and locking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "mbox.h"

static char dir[64];

static int msg_fd(const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/msg", dir);
	assert_int_equal(file_write_atomic(p, text, strlen(text), 0600), 0);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void test_from_line(void **state)
{
	(void)state;
	struct sbuf s = SBUF_INIT;
	mbox_from_line(&s, "", 0);
	assert_string_equal(s.s, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n");
	mbox_from_line(&s, "a@b", 1700000000);
	assert_string_equal(s.s, "From a@b Tue Nov 14 22:13:20 2023\n");
	sbuf_free(&s);
}

static void test_quoting(void **state)
{
	(void)state;
	static const struct {
		const char *msg, *body;
	} t[] = {
		{ "S: x\n\nFrom me\n>From you\nFromage\n", "S: x\n\n>From me\n>>From you\nFromage\n\n" },
		{ "S: x\n\nno newline", "S: x\n\nno newline\n\n" },
		{ "S: x\n\nFrom end", "S: x\n\n>From end\n\n" },
	};
	strcpy(dir, "/tmp/mbox_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char box[128];
	snprintf(box, sizeof box, "%s/mbox", dir);
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		unlink(box);
		int fd = msg_fd(t[i].msg);
		const char *why = NULL;
		assert_int_equal(mbox_deliver(box, "s@x", 0, "H: 1\n", 5, fd, &why), 0);
		close(fd);
		struct sbuf got = SBUF_INIT, want = SBUF_INIT;
		assert_int_equal(file_read_all(box, &got, 65536), 0);
		sbuf_printf(&want, "From s@x Thu Jan  1 00:00:00 1970\nH: 1\n%s", t[i].body);
		assert_string_equal(got.s, want.s);
		sbuf_free(&got);
		sbuf_free(&want);
	}
	char lock[140];
	snprintf(lock, sizeof lock, "%s.lock", box);
	assert_int_equal(access(lock, F_OK), -1);   /* dotlock removed */
}

static void test_locked(void **state)
{
	(void)state;
	char box[128], cmd[200];
	snprintf(box, sizeof box, "%s/mbox", dir);
	int fd = open(box, O_WRONLY);
	assert_true(fd >= 0);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	pid_t pid = fork();
	if (pid == 0) {   /* holds the fcntl lock for 2 s */
		fcntl(fd, F_SETLK, &fl);
		sleep(2);
		_exit(0);
	}
	sleep(1);
	int mfd = msg_fd("S: y\n\nbody\n");
	const char *why = NULL;
	time_t start = time(NULL);
	assert_int_equal(mbox_deliver(box, "", 0, "", 0, mfd, &why), 0);
	assert_true(time(NULL) - start >= 1);   /* it waited for the lock */
	waitpid(pid, NULL, 0);
	close(fd);
	close(mfd);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_line),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_locked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
