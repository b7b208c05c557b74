/* maildir_test.c: Maildir delivery bytes and names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "maildir.h"

static int count(const char *dir, char *name, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(name, cap, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

static void test_names(void **state)
{
	(void)state;
	struct sbuf s = SBUF_INIT;
	struct timeval tv = { 1700000000, 42 };
	maildir_unique_name(&s, &tv, 123, 7, "host");
	assert_string_equal(s.s, "1700000000.M42P123Q7.host");
	maildir_host(&s);
	assert_null(strchr(s.s, '/'));
	assert_null(strchr(s.s, ':'));
	sbuf_free(&s);
}

static void test_deliver(void **state)
{
	(void)state;
	char dir[] = "/tmp/maildir_test.XXXXXX", md[128], p[512], name[256];
	assert_non_null(mkdtemp(dir));
	snprintf(md, sizeof md, "%s/Maildir/", dir);
	assert_int_equal(maildir_make(md, 0700), 0);
	assert_int_equal(maildir_make(md, 0700), 0);   /* idempotent */
	char msgpath[128];
	snprintf(msgpath, sizeof msgpath, "%s/msg", dir);
	static const char msg[] = "Subject: x\n\nbody\n";
	assert_int_equal(file_write_atomic(msgpath, msg, sizeof msg - 1, 0600), 0);
	int fd = open(msgpath, O_RDONLY);
	assert_true(fd >= 0);
	const char *why = NULL;
	for (int i = 0; i < 2; i++)
		assert_int_equal(maildir_deliver(md, "Delivered-To: a@b\n", 18, fd, &why), 0);
	snprintf(p, sizeof p, "%s/Maildir/new", dir);
	assert_int_equal(count(p, name, sizeof name), 2);
	snprintf(p, sizeof p, "%s/Maildir/tmp", dir);
	assert_int_equal(count(p, name, sizeof name), 0);
	snprintf(p, sizeof p, "%s/Maildir/new", dir);
	count(p, name, sizeof name);
	snprintf(p, sizeof p, "%s/Maildir/new/%s", dir, name);
	struct sbuf got = SBUF_INIT;
	assert_int_equal(file_read_all(p, &got, 4096), 0);
	assert_string_equal(got.s, "Delivered-To: a@b\nSubject: x\n\nbody\n");
	sbuf_free(&got);
	/* a missing Maildir fails temporarily with a reason */
	snprintf(p, sizeof p, "%s/none/", dir);
	assert_int_equal(maildir_deliver(p, "", 0, fd, &why), -1);
	assert_non_null(strstr(why, "#4."));
	close(fd);
	snprintf(p, sizeof p, "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_deliver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
