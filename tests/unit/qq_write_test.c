/* qq_write_test: qmail-queue's line-ending conversion, Received line, and
 * one process queueing message after message (qq_write_end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* qmail-queue's private module, tested directly. */
#include "../../src/cmd/qmail-queue/qq_write.c"

static void convert_all(const char *in, const size_t *splits, size_t n_splits,
			struct sbuf *out)
{
	struct crlf_state st = { 0 };
	size_t len = strlen(in), pos = 0;
	char buf[256];
	for (size_t i = 0; i <= n_splits; i++) {
		size_t end = i < n_splits ? splits[i] : len;
		size_t o = qq_write_convert(&st, in + pos, end - pos, buf);
		sbuf_append(out, buf, o);
		pos = end;
	}
	size_t o = qq_write_convert(&st, NULL, 0, buf);
	sbuf_append(out, buf, o);
}

static void test_convert_table(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "a\r\nb\r\n", "a\nb\n" },
		{ "a\rb\n", "a b\n" },
		{ "a\r\r\nb", "a \nb" },
		{ "a\r", "a " },
		{ "\r\r\r", "   " },
		{ "plain\n", "plain\n" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf out = SBUF_INIT;
		convert_all(t[i].in, NULL, 0, &out);
		assert_string_equal(sbuf_cstr(&out), t[i].want);
		sbuf_free(&out);
		/* the same bytes split after every position */
		for (size_t k = 0; k <= strlen(t[i].in); k++) {
			struct sbuf o2 = SBUF_INIT;
			size_t split = k;
			convert_all(t[i].in, &split, 1, &o2);
			assert_string_equal(sbuf_cstr(&o2), t[i].want);
			sbuf_free(&o2);
		}
	}
}

static void test_received(void **state)
{
	(void)state;
	setenv("QMAILHOME", "/nonexistent-qq-test", 1);
	struct sbuf b = SBUF_INIT;
	qq_write_received(&b, 1234, 1000, 1000000000);
	assert_string_equal(b.s,
			    "Received: (qmail 1234 invoked by uid 1000); 9 Sep 2001 01:46:40 -0000\n");
	sbuf_free(&b);
}

static char queue_dir[] = "/tmp/qq_write_test.XXXXXX";

/* A scratch queue as the working directory (no lock/trigger: ignored). */
static void enter_queue(void)
{
	char *dir = queue_dir;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(mkdir("tmp", 0700), 0);
	assert_int_equal(mkdir("mess", 0700), 0);
	assert_int_equal(mkdir("todo", 0700), 0);
}

/* The read end of a pipe holding s[0..len), its write end closed. */
static int pipe_with(const char *s, size_t len)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], s, len), (ssize_t)len);
	close(p[1]);
	return p[0];
}

static void write_message(const char *body)
{
	int fd = pipe_with(body, strlen(body));
	assert_int_equal(qq_write_message(fd, "", 0, 1u << 20), QQ_OK);
	close(fd);
	assert_int_equal(qq_write_commit_message(), QQ_OK);
}

static void commit_envelope(void)
{
	static const char env[] = "Fa@example.test\0Tb@example.test\0";
	int fd = pipe_with(env, sizeof env);   /* with the final NUL */
	assert_int_equal(qq_write_envelope(fd, 1, 0, 1), QQ_OK);
	close(fd);
	assert_int_equal(qq_write_link_todo(), QQ_OK);
}

/* Whether another open file description is refused the message's flock. */
static bool is_locked(const char *path)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	int rc = flock(fd, LOCK_EX | LOCK_NB);
	int err = errno;
	close(fd);
	return rc < 0 && err == EWOULDBLOCK;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static size_t tmp_files(void)
{
	DIR *d = opendir("tmp");
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A committed message keeps its lock until qq_write_end; the next message
 * of the same process starts clean: its failure removes its own files,
 * never the first one's. */
static void test_end_between_messages(void **state)
{
	(void)state;
	enter_queue();
	write_message("one\n");
	commit_envelope();
	char first[64], second[64], todo[64];
	snprintf(first, sizeof first, "mess/%llu", (unsigned long long)mess_ino);
	snprintf(todo, sizeof todo, "todo/%llu", (unsigned long long)mess_ino);
	assert_true(is_locked(first));
	qq_write_end();
	assert_false(is_locked(first));
	assert_int_equal(lock_fd, -1);

	write_message("two\n");   /* mess/N renamed, no envelope yet */
	snprintf(second, sizeof second, "mess/%llu", (unsigned long long)mess_ino);
	assert_true(exists(second));
	assert_true(is_locked(second));
	qq_write_end();   /* the message failed: nothing of it stays */
	assert_false(exists(second));
	assert_true(exists(first));
	assert_true(exists(todo));
	assert_int_equal(tmp_files(), 0);
	unlink(first);
	unlink(todo);
	rmdir("tmp");
	rmdir("mess");
	rmdir("todo");
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(rmdir(queue_dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_convert_table),
					    cmocka_unit_test(test_received),
					    cmocka_unit_test(test_end_between_messages) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
