#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdbmap.h"

static char tmpdir[] = "/tmp/cdbmap_test.XXXXXX";
static char dbpath[600];

static void build(const char *const *kv, size_t n)
{
	struct cdbmap_build b;
	assert_int_equal(cdbmap_build_begin(&b, dbpath, NULL, 0644), 0);
	for (size_t i = 0; i + 1 < n; i += 2)
		assert_int_equal(cdbmap_build_add(&b, kv[i], strlen(kv[i]), kv[i + 1],
		                                  strlen(kv[i + 1])), 0);
	assert_int_equal(cdbmap_build_commit(&b), 0);
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

struct lookup_case {
	const char *key;
	int rc;
	const char *val;
};

static void test_build_and_lookup(void **state)
{
	(void)state;
	static const char *const kv[] = {
		"=alice", "alice\0001000", "127.0.0.1", "allow", "", "deny",
		"dup", "first", "dup", "second", "empty", "",
	};
	build(kv, sizeof kv / sizeof kv[0]);
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp", dbpath);
	assert_false(exists(tmp));
	static const struct lookup_case cases[] = {
		{ "127.0.0.1", 1, "allow" }, { "", 1, "deny" }, { "dup", 1, "first" },
		{ "empty", 1, "" }, { "127.0.0.", 0, NULL }, { "nope", 0, NULL },
		{ "=alice", 1, "alice" },
	};
	struct sbuf v = SBUF_INIT;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = cdbmap_lookup(dbpath, cases[i].key, strlen(cases[i].key), &v);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 1)
			assert_string_equal(sbuf_cstr(&v), cases[i].val);
	}
	sbuf_free(&v);
}

static void test_handle_and_errors(void **state)
{
	(void)state;
	static const char *const kv[] = { "a", "1", "b", "2" };
	build(kv, 4);
	struct cdbmap m;
	struct sbuf v = SBUF_INIT;
	assert_int_equal(cdbmap_open(&m, dbpath), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(cdbmap_get(&m, "a", 1, &v), 1);
		assert_int_equal(cdbmap_get(&m, "c", 1, &v), 0);
	}
	assert_int_equal(cdbmap_get(&m, "b", 1, &v), 1);
	assert_string_equal(sbuf_cstr(&v), "2");
	/* Key length limits: max - 1 and max are looked up, max + 1 refused. */
	char *key = calloc(1, CDBMAP_KEY_MAX + 1);
	assert_int_equal(cdbmap_get(&m, key, CDBMAP_KEY_MAX - 1, &v), 0);
	assert_int_equal(cdbmap_get(&m, key, CDBMAP_KEY_MAX, &v), 0);
	assert_int_equal(cdbmap_get(&m, key, CDBMAP_KEY_MAX + 1, &v), -1);
	assert_int_equal(errno, EINVAL);
	cdbmap_close(&m);
	assert_int_equal(cdbmap_get(&m, "a", 1, &v), -1);
	assert_int_equal(errno, EBADF);

	char missing[700];
	snprintf(missing, sizeof missing, "%s/none.cdb", tmpdir);
	assert_int_equal(cdbmap_lookup(missing, "a", 1, &v), -1);
	assert_int_equal(errno, ENOENT);

	struct cdbmap_build b;
	assert_int_equal(cdbmap_build_begin(&b, dbpath, NULL, 0644), 0);
	assert_int_equal(cdbmap_build_add(&b, key, CDBMAP_KEY_MAX + 1, "", 0), -1);
	cdbmap_build_abort(&b);
	/* The old database is untouched, the temporary file is gone. */
	assert_int_equal(cdbmap_lookup(dbpath, "a", 1, &v), 1);
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp", dbpath);
	assert_false(exists(tmp));
	free(key);
	sbuf_free(&v);
}

static void test_not_a_cdb(void **state)
{
	(void)state;
	char path[700];
	snprintf(path, sizeof path, "%s/junk", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("xx", f);
	fclose(f);
	struct sbuf v = SBUF_INIT;
	assert_int_equal(cdbmap_lookup(path, "a", 1, &v), -1);
	sbuf_free(&v);
	struct cdbmap_build b;
	snprintf(path, sizeof path, "%s/nodir/x.cdb", tmpdir);
	assert_int_equal(cdbmap_build_begin(&b, path, NULL, 0644), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_explicit_tmp_and_mode(void **state)
{
	(void)state;
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s/rules.tmp", tmpdir);
	struct cdbmap_build b;
	assert_int_equal(cdbmap_build_begin(&b, dbpath, tmp, 0600), 0);
	assert_true(exists(tmp));
	assert_int_equal(cdbmap_build_add(&b, "k", 1, "v", 1), 0);
	assert_int_equal(cdbmap_build_commit(&b), 0);
	assert_false(exists(tmp));
	struct stat st;
	assert_int_equal(stat(dbpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/map.cdb", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_lookup),
		cmocka_unit_test(test_handle_and_errors),
		cmocka_unit_test(test_not_a_cdb),
		cmocka_unit_test(test_explicit_tmp_and_mode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
