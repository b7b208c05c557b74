/* greylist_test.c: triples, entry parsing, and the store's timeline
 * (delay at max-1, max, max+1; expiry; clock going back; store errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "greylist.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/greylist_test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_triple(void **state)
{
	(void)state;
	struct sbuf t = SBUF_INIT;
	assert_true(greylist_triple("192.0.2.77", "A@B.example", "C@d.example", &t));
	assert_string_equal(t.s, "192.0.2.0/24 a@b.example c@d.example");
	assert_true(greylist_triple("2001:db8:1:2:3::4", "", "x@y", &t));
	assert_string_equal(t.s, "2001:db8:1:2::/64  x@y");
	assert_true(greylist_triple("192.0.2.1", "a\nb@c", "x@y", &t));
	assert_null(strchr(t.s, '\n'));
	assert_false(greylist_triple("junk", "a@b", "c@d", &t));
	sbuf_free(&t);
}

static void test_parse_entry(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool ok;
	} t[] = {
	    {"10 20\nT\n", true}, {"10 20\nT", false}, {"10 20\nU\n", false},
	    {"10\nT\n", false},   {"x 20\nT\n", false}, {"10 20 \nT\n", false},
	    {"", false},          {"10 20\nT\nmore\n", false},
	    {"99999999999999999999999 1\nT\n", false},
	};
	uint64_t f, l;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(greylist_parse_entry(t[i].in, strlen(t[i].in), "T", &f, &l), t[i].ok);
	assert_true(greylist_parse_entry("10 20\nT\n", 8, "T", &f, &l));
	assert_int_equal(f, 10);
	assert_int_equal(l, 20);
}

static void test_timeline(void **state)
{
	(void)state;
	const char *t = "192.0.2.0/24 a@b c@d";
	uint64_t now = 1000000, delay = 300;
	assert_int_equal(greylist_check(dir, t, now, delay), GREYLIST_WAIT);
	assert_int_equal(greylist_check(dir, t, now + delay - 1, delay), GREYLIST_WAIT);
	assert_int_equal(greylist_check(dir, t, now + delay, delay), GREYLIST_PASS);
	assert_int_equal(greylist_check(dir, t, now + delay + 1, delay), GREYLIST_PASS);
	/* "last seen" is refreshed at most hourly: it is still "now" here.
	 * Idle up to the expiry still passes; past it, the triple is new. */
	assert_int_equal(greylist_check(dir, t, now + GREYLIST_EXPIRE, delay), GREYLIST_PASS);
	uint64_t last = now + GREYLIST_EXPIRE;
	assert_int_equal(greylist_check(dir, t, last + GREYLIST_EXPIRE, delay), GREYLIST_PASS);
	last += GREYLIST_EXPIRE;
	assert_int_equal(greylist_check(dir, t, last + GREYLIST_EXPIRE + 1, delay), GREYLIST_WAIT);
	/* a clock that went back starts over */
	assert_int_equal(greylist_check(dir, "x y z", now, delay), GREYLIST_WAIT);
	assert_int_equal(greylist_check(dir, "x y z", now - 5000, delay), GREYLIST_WAIT);
}

static void test_store_error(void **state)
{
	(void)state;
	assert_int_equal(greylist_check("/nonexistent/greylist", "a b c", 1, 1), GREYLIST_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_triple),
	    cmocka_unit_test(test_parse_entry),
	    cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
	    cmocka_unit_test(test_store_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
