#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "fdio.h"
#include "instance.h"
#include "proto_limits.h"

static char tmpdir[] = "/tmp/control_test.XXXXXX";

static void put_file(const char *name, const char *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	assert_int_equal(file_write_atomic(path, data, len, 0644), 0);
}

struct parse_case {
	const char *in;
	size_t len;
	int skip;
	int rc;
	size_t n;
	const char *first;
	const char *last;
};

#define S(x) x, sizeof(x) - 1
static const struct parse_case parse_cases[] = {
	{ S(""), 1, 0, 0, NULL, NULL },
	{ S("a\nb\n"), 1, 0, 2, "a", "b" },
	{ S("a\nb"), 1, 0, 2, "a", "b" },
	{ S("a  \t\nb\r\n"), 1, 0, 2, "a", "b" },
	{ S("# c\n\n  \nx\n#y\n"), 1, 0, 1, "x", "x" },
	{ S("# c\n\nx\n"), 0, 0, 3, "# c", "x" },
	{ S("\n\n"), 0, 0, 2, "", "" },
	{ S(" lead\n"), 1, 0, 1, " lead", " lead" },
	{ S("a\0b\n"), 1, -1, 0, NULL, NULL },
	{ S("\0"), 0, -1, 0, NULL, NULL },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct strlist l = { 0 };
		errno = 0;
		int rc = control_parse_lines(c->in, c->len, c->skip, &l);
		assert_int_equal(rc, c->rc);
		if (rc < 0)
			assert_int_equal(errno, EINVAL);
		assert_int_equal(l.n, c->n);
		if (c->n) {
			assert_string_equal(l.v[0], c->first);
			assert_string_equal(l.v[l.n - 1], c->last);
		}
		strlist_free(&l);
	}
}

static void test_strlist(void **state)
{
	(void)state;
	struct strlist l = { 0 };
	for (int i = 0; i < 100; i++)
		strlist_add(&l, "Example.COM", 11);
	strlist_add(&l, "x\0y", 3);
	assert_int_equal(l.n, 101);
	assert_true(strlist_contains(&l, "Example.COM"));
	assert_false(strlist_contains(&l, "example.com"));
	assert_true(strlist_contains_nocase(&l, "example.com"));
	assert_true(strlist_contains(&l, "x"));
	assert_false(strlist_contains(&l, "Example.CO"));
	strlist_free(&l);
	assert_int_equal(l.n, 0);
	assert_false(strlist_contains(&l, "x"));
}

static void test_read_line(void **state)
{
	(void)state;
	struct sbuf b = SBUF_INIT;
	put_file("me", S("mail.example.org  \nsecond\n"));
	assert_int_equal(control_read_line("me", "x", &b), 1);
	assert_string_equal(sbuf_cstr(&b), "mail.example.org");
	assert_int_equal(control_read_line("missing", "dflt", &b), 0);
	assert_string_equal(sbuf_cstr(&b), "dflt");
	assert_int_equal(control_read_line("missing", NULL, &b), 0);
	assert_string_equal(sbuf_cstr(&b), "");
	put_file("nul", S("a\0b"));
	assert_int_equal(control_read_line("nul", NULL, &b), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(control_read_line("../etc/passwd", NULL, &b), -1);
	sbuf_free(&b);
}

struct u64_case {
	const char *content;   /* NULL: file missing */
	uint64_t max;
	int rc;
	uint64_t want;
};

static const struct u64_case u64_cases[] = {
	{ NULL, 100, 0, 7 },
	{ "", 100, 1, 7 },
	{ "99\n", 100, 1, 99 },
	{ "100\n", 100, 1, 100 },
	{ "101\n", 100, -1, 0 },
	{ "100  \n", 100, 1, 100 },
	{ "18446744073709551615\n", UINT64_MAX, 1, UINT64_MAX },
	{ "18446744073709551616\n", UINT64_MAX, -1, 0 },
	{ "-1\n", 100, -1, 0 },
	{ "+1\n", 100, -1, 0 },
	{ "1x\n", 100, -1, 0 },
	{ " 1\n", 100, -1, 0 },
	{ "9\n", 5, -1, 0 },
};

static void test_read_u64_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof u64_cases / sizeof u64_cases[0]; i++) {
		const struct u64_case *c = &u64_cases[i];
		char path[512];
		snprintf(path, sizeof path, "%s/num", tmpdir);
		unlink(path);
		if (c->content)
			put_file("num", c->content, strlen(c->content));
		uint64_t v = 12345;
		int rc = control_read_u64("num", 7, c->max, &v);
		assert_int_equal(rc, c->rc);
		if (rc >= 0)
			assert_true(v == c->want);
		else
			assert_int_equal(errno, EINVAL);
	}
}

static void test_read_lines_and_limit(void **state)
{
	(void)state;
	struct strlist l = { 0 };
	assert_int_equal(control_read_lines("nothere", &l), 0);
	assert_int_equal(l.n, 0);
	put_file("locals", S("# list\nexample.org\n\nexample.net \n"));
	assert_int_equal(control_read_lines("locals", &l), 1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1], "example.net");
	strlist_free(&l);

	/* CONTROL_FILE_MAX - 1 and max are fine, max + 1 is refused. */
	size_t sizes[] = { CONTROL_FILE_MAX - 1, CONTROL_FILE_MAX, CONTROL_FILE_MAX + 1 };
	int want[] = { 1, 1, -1 };
	char *big = malloc(CONTROL_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', CONTROL_FILE_MAX + 1);
	for (size_t i = 0; i < 3; i++) {
		put_file("big", big, sizes[i]);
		assert_int_equal(control_read_lines("big", &l), want[i]);
		strlist_free(&l);
	}
	free(big);
}

static void test_dir_default(void **state)
{
	(void)state;
	control_set_dir(NULL);
	instance_set_home("/srv/q1");
	assert_string_equal(control_dir(), "/srv/q1/control");
	instance_set_home("/srv/q2");
	assert_string_equal(control_dir(), "/srv/q2/control");
	instance_set_home(NULL);
	control_set_dir(tmpdir);
	assert_string_equal(control_dir(), tmpdir);
}

/* What a forked process reads for name (as a zygote's session would). */
static void child_reads(const char *name, char *out, size_t cap)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sbuf b = SBUF_INIT;
		int rc = control_read_line(name, "missing", &b);
		if (rc < 0)
			sbuf_set_str(&b, "error");
		(void)!write(p[1], b.s, b.len);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void test_snapshot(void **state)
{
	(void)state;
	char got[64], target[] = "/tmp/control_test_target.XXXXXX", link[512];
	int tfd = mkstemp(target);
	assert_true(tfd >= 0);
	assert_int_equal(write(tfd, "t1\n", 3), 3);
	close(tfd);
	snprintf(link, sizeof link, "%s/snapL", tmpdir);
	assert_int_equal(symlink(target, link), 0);
	put_file("snapA", "one\n", 4);
	struct sbuf b = SBUF_INIT;
	assert_int_equal(control_snapshot_begin(), 0);
	assert_int_equal(control_read_line("snapA", NULL, &b), 1);
	assert_int_equal(control_read_line("snapB", NULL, &b), 0);
	assert_int_equal(control_read_line("snapL", NULL, &b), 1);
	assert_int_equal(control_file_exists("snapC.cdb"), 0);
	control_snapshot_end();
	assert_false(control_snapshot_changed());
	child_reads("snapA", got, sizeof got);
	assert_string_equal(got, "one");
	child_reads("snapB", got, sizeof got);
	assert_string_equal(got, "missing");
	/* a symbolic link is never kept: its target's change is seen */
	tfd = open(target, O_WRONLY | O_TRUNC);
	assert_int_equal(write(tfd, "t2\n", 3), 3);
	close(tfd);
	child_reads("snapL", got, sizeof got);
	assert_string_equal(got, "t2");
	/* a change in the directory: later processes read the files again */
	put_file("snapA", "two\n", 4);
	put_file("snapB", "now\n", 4);
	child_reads("snapA", got, sizeof got);
	assert_string_equal(got, "two");
	child_reads("snapB", got, sizeof got);
	assert_string_equal(got, "now");
	assert_int_equal(control_file_exists("snapC.cdb"), 0);
	/* the recorder takes the notices and records again */
	assert_true(control_snapshot_changed());
	assert_false(control_snapshot_changed());
	assert_int_equal(control_snapshot_begin(), 0);
	assert_int_equal(control_read_line("snapA", NULL, &b), 1);
	control_snapshot_end();
	child_reads("snapA", got, sizeof got);
	assert_string_equal(got, "two");
	sbuf_free(&b);
	unlink(target);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	control_set_dir(tmpdir);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_read_line),
		cmocka_unit_test(test_read_u64_table),
		cmocka_unit_test(test_read_lines_and_limit),
		cmocka_unit_test(test_dir_default),
		cmocka_unit_test(test_snapshot),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
