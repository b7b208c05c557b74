/* inject_maps_test.c: helper runs, staleness and line-file edits (inject_maps.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "inject_maps.h"
#include "sbuf.h"

static char dir[] = "/tmp/inject_maps_test.XXXXXX";

static char *path(const char *name)
{
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "%s/%s", dir, name);
	return b.s;
}

static void test_run(void **state)
{
	(void)state;
	static const struct { const char *prog; const char *arg; int want; } cases[] = {
		{ "/bin/true", NULL, 0 },
		{ "/bin/false", NULL, 1 },
		{ "/bin/sh", "-c", 2 },          /* "sh -c" without a command string */
		{ "/nonexistent/prog", NULL, 127 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *argv[] = { (char *)cases[i].prog, (char *)cases[i].arg, NULL };
		assert_int_equal(inject_maps_run(argv, NULL, -1), cases[i].want);
	}
	/* stdin from a file, stdout to a descriptor */
	char *in = path("in"), *out = path("out");
	assert_int_equal(file_write_atomic(in, "hello\n", 6, 0644), 0);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char *argv[] = { "/bin/cat", NULL };
	assert_int_equal(inject_maps_run(argv, in, fd), 0);
	close(fd);
	struct sbuf got = SBUF_INIT;
	assert_int_equal(file_read_all(out, &got, 100), 0);
	assert_string_equal(sbuf_cstr(&got), "hello\n");
	sbuf_free(&got);
	unlink(in);
	unlink(out);
	free(in);
	free(out);
}

static void test_stale(void **state)
{
	(void)state;
	char *src = path("src"), *dst = path("dst");
	assert_false(inject_maps_stale(src, dst));        /* no source */
	assert_int_equal(file_write_atomic(src, "x", 1, 0644), 0);
	assert_true(inject_maps_stale(src, dst));         /* no target */
	assert_int_equal(file_write_atomic(dst, "y", 1, 0644), 0);
	struct timespec t[2] = { { 1000, 0 }, { 1000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, src, t, 0), 0);
	t[0].tv_sec = t[1].tv_sec = 2000;
	assert_int_equal(utimensat(AT_FDCWD, dst, t, 0), 0);
	assert_false(inject_maps_stale(src, dst));
	t[0].tv_sec = t[1].tv_sec = 3000;
	assert_int_equal(utimensat(AT_FDCWD, src, t, 0), 0);
	assert_true(inject_maps_stale(src, dst));
	unlink(src);
	unlink(dst);
	free(src);
	free(dst);
}

static void test_lines(void **state)
{
	(void)state;
	char *p = path("list");
	struct strlist l = { NULL, 0, 0 };
	assert_int_equal(inject_maps_read_lines(p, &l), 0);      /* missing: empty */
	assert_int_equal(l.n, 0);
	assert_int_equal(file_write_atomic(p, "# c\na\n\nb  \na\n", 13, 0644), 0);
	assert_int_equal(inject_maps_read_lines(p, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1], "b");
	assert_int_equal(inject_maps_remove_line(&l, "a"), 2);
	assert_int_equal(inject_maps_remove_line(&l, "zz"), 0);
	assert_int_equal(l.n, 1);
	strlist_add(&l, "c", 1);
	assert_int_equal(inject_maps_write_lines(p, &l, 0640), 0);
	struct sbuf got = SBUF_INIT;
	assert_int_equal(file_read_all(p, &got, 100), 0);
	assert_string_equal(sbuf_cstr(&got), "b\nc\n");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* a NUL byte makes the file invalid */
	strlist_free(&l);
	assert_int_equal(file_write_atomic(p, "a\0b\n", 4, 0644), 0);
	assert_int_equal(inject_maps_read_lines(p, &l), -1);
	strlist_free(&l);
	sbuf_free(&got);
	unlink(p);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
