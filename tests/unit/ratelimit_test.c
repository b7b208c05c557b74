/* ratelimit_test.c: rule parsing (counts and windows at max-1, max,
 * max+1; invalid lines fail closed), matching, keys, the sliding window
 * with an injected clock, the record format, the store (many processes,
 * a sweep) and store errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ratelimit.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/ratelimit_test.XXXXXX");
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

static bool parse_one(const char *line, enum ratelimit_kind kind, struct ratelimit_rules *r)
{
	struct strlist l = {0};
	size_t bad;
	strlist_add(&l, line, strlen(line));
	bool ok = ratelimit_rules_parse(&l, kind, r, &bad);
	assert_int_equal(bad, ok ? 0 : 1);
	strlist_free(&l);
	return ok;
}

static void test_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		enum ratelimit_kind kind;
		bool ok;
	} t[] = {
	    {"* 100 500 3600", RATELIMIT_BY_IP, true},
	    {"*\t100\t500\t3600", RATELIMIT_BY_IP, true},
	    {"  192.0.2.1   1 1 1", RATELIMIT_BY_IP, true},
	    {"192.0.2.0/24 1 1 1", RATELIMIT_BY_IP, true},
	    {"192.0.2.0/32 1 1 1", RATELIMIT_BY_IP, true},
	    {"192.0.2.0/33 1 1 1", RATELIMIT_BY_IP, false},
	    {"192.0.2.0/ 1 1 1", RATELIMIT_BY_IP, false},
	    {"192.0.2.0/-1 1 1 1", RATELIMIT_BY_IP, false},
	    {"2001:db8::/32 1 1 1", RATELIMIT_BY_IP, true},
	    {"2001:db8::/128 1 1 1", RATELIMIT_BY_IP, true},
	    {"2001:db8::/129 1 1 1", RATELIMIT_BY_IP, false},
	    {"192.0.2. 1 1 1", RATELIMIT_BY_IP, false},
	    {"host.example 1 1 1", RATELIMIT_BY_IP, false},
	    {"/24 1 1 1", RATELIMIT_BY_IP, false},
	    {"alice@example.test 1 1 1", RATELIMIT_BY_USER, true},
	    {"@example.test 1 1 1", RATELIMIT_BY_USER, true},
	    {"@ 1 1 1", RATELIMIT_BY_USER, false},
	    {"al\x01ice 1 1 1", RATELIMIT_BY_USER, false},
	    /* counts: max-1, max, max+1 */
	    {"* 999999 0 60", RATELIMIT_BY_IP, true},
	    {"* 1000000 0 60", RATELIMIT_BY_IP, true},
	    {"* 1000001 0 60", RATELIMIT_BY_IP, false},
	    {"* 0 1000000 60", RATELIMIT_BY_IP, true},
	    {"* 0 1000001 60", RATELIMIT_BY_IP, false},
	    /* windows: max-1, max, max+1; 0 only with no limit */
	    {"* 1 1 604799", RATELIMIT_BY_IP, true},
	    {"* 1 1 604800", RATELIMIT_BY_IP, true},
	    {"* 1 1 604801", RATELIMIT_BY_IP, false},
	    {"* 1 1 0", RATELIMIT_BY_IP, false},
	    {"* 0 0 0", RATELIMIT_BY_IP, true},
	    /* shape */
	    {"* 1 1", RATELIMIT_BY_IP, false},
	    {"* 1 1 1 1", RATELIMIT_BY_IP, false},
	    {"* 1 1 1 1 1 1", RATELIMIT_BY_IP, false},
	    {"* -1 1 1", RATELIMIT_BY_IP, false},
	    {"* +1 1 1", RATELIMIT_BY_IP, false},
	    {"* 1x 1 1", RATELIMIT_BY_IP, false},
	    {"* 1 1 99999999999999999999999", RATELIMIT_BY_IP, false},
	    {"", RATELIMIT_BY_IP, false},
	    {"   ", RATELIMIT_BY_USER, false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct ratelimit_rules r;
		bool ok = parse_one(t[i].line, t[i].kind, &r);
		if (ok != t[i].ok)
			fail_msg("line %zu \"%s\": got %d", i, t[i].line, ok);
		assert_int_equal(r.n, ok ? 1 : 0);
		ratelimit_rules_free(&r);
	}
}

static void test_parse_reports_line(void **state)
{
	(void)state;
	struct strlist l = {0};
	struct ratelimit_rules r;
	size_t bad;
	strlist_add(&l, "192.0.2.1 0 0 0", 15);
	strlist_add(&l, "* 10 20 60", 10);
	assert_true(ratelimit_rules_parse(&l, RATELIMIT_BY_IP, &r, &bad));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[1].max[RATELIMIT_MESSAGES], 10);
	assert_int_equal(r.v[1].max[RATELIMIT_RECIPIENTS], 20);
	assert_int_equal(r.v[1].window_s, 60);
	assert_int_equal(ratelimit_rules_window_max(&r), 60);
	ratelimit_rules_free(&r);
	strlist_add(&l, "* 10 20", 7);
	assert_false(ratelimit_rules_parse(&l, RATELIMIT_BY_IP, &r, &bad));
	assert_int_equal(bad, 3);
	assert_int_equal(r.n, 0);
	assert_null(r.v);
	strlist_free(&l);
}

static void test_match_ip(void **state)
{
	(void)state;
	static const char *lines[] = {"192.0.2.7 0 0 0", "192.0.2.0/25 1 1 1",
	                              "198.51.100.0/23 2 2 2", "2001:db8::/33 3 3 3",
	                              "* 4 4 4"};
	static const struct {
		const char *ip;
		int rule; /* index, -1: none */
	} t[] = {
	    {"192.0.2.7", 0},      {"192.0.2.8", 1},      {"192.0.2.127", 1},
	    {"192.0.2.128", 4},    {"198.51.100.1", 2},   {"198.51.101.255", 2},
	    {"198.51.102.0", 4},   {"2001:db8::1", 3},    {"2001:db8:7fff::1", 3},
	    {"2001:db8:8000::1", 4}, {"::ffff:192.0.2.7", 0}, {"junk", -1},
	};
	struct strlist l = {0};
	struct ratelimit_rules r;
	size_t bad;
	for (size_t i = 0; i < 5; i++)
		strlist_add(&l, lines[i], strlen(lines[i]));
	assert_true(ratelimit_rules_parse(&l, RATELIMIT_BY_IP, &r, &bad));
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const struct ratelimit_rule *m = ratelimit_rules_match_ip(&r, t[i].ip);
		if (t[i].rule < 0)
			assert_null(m);
		else if (m != &r.v[t[i].rule])
			fail_msg("%s: wrong rule", t[i].ip);
	}
	ratelimit_rules_free(&r);
	strlist_free(&l);
}

static void test_match_user(void **state)
{
	(void)state;
	static const char *lines[] = {"Alice@Example.test 5 5 5", "@example.test 6 6 6"};
	struct strlist l = {0};
	struct ratelimit_rules r;
	size_t bad;
	for (size_t i = 0; i < 2; i++)
		strlist_add(&l, lines[i], strlen(lines[i]));
	assert_true(ratelimit_rules_parse(&l, RATELIMIT_BY_USER, &r, &bad));
	assert_ptr_equal(ratelimit_rules_match_user(&r, "alice@example.test"), &r.v[0]);
	assert_ptr_equal(ratelimit_rules_match_user(&r, "bob@EXAMPLE.test"), &r.v[1]);
	assert_null(ratelimit_rules_match_user(&r, "bob@other.test"));
	assert_null(ratelimit_rules_match_user(&r, "bob"));
	assert_null(ratelimit_rules_match_user(&r, "example.test"));
	ratelimit_rules_free(&r);
	strlist_free(&l);
}

static void test_keys(void **state)
{
	(void)state;
	struct sbuf k = SBUF_INIT;
	assert_true(ratelimit_key_ip("192.0.2.77", &k));
	assert_string_equal(k.s, "ip 192.0.2.77");
	assert_true(ratelimit_key_ip("2001:db8:1:2:3::4", &k));
	assert_string_equal(k.s, "ip 2001:db8:1:2::/64");
	assert_true(ratelimit_key_ip("::ffff:192.0.2.77", &k)); /* mapped: the IPv4 client */
	assert_string_equal(k.s, "ip 192.0.2.77");
	assert_false(ratelimit_key_ip("", &k));
	assert_false(ratelimit_key_ip("1.2.3", &k));
	ratelimit_key_user("Alice@Example.TEST", &k);
	assert_string_equal(k.s, "user alice@example.test");
	ratelimit_key_user("a b\nc\x7f", &k);
	assert_string_equal(k.s, "user a?b?c?");
	char big[2 * RATELIMIT_KEY_MAX];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ratelimit_key_user(big, &k);
	assert_int_equal(k.len, RATELIMIT_KEY_MAX);
	sbuf_free(&k);
}

/* n events of c at now; how many passed. */
static uint64_t run(struct ratelimit_entry *e, enum ratelimit_counter c, uint64_t now,
                    uint64_t n, uint64_t max, uint64_t w)
{
	uint64_t passed = 0;
	for (uint64_t i = 0; i < n; i++)
		passed += ratelimit_entry_step(e, c, now, max, w);
	return passed;
}

static void test_window_limits(void **state)
{
	(void)state;
	static const struct {
		uint64_t max, tries, passed;
	} t[] = {
	    {1, 1, 1}, {1, 2, 1}, {10, 9, 9}, {10, 10, 10}, {10, 11, 10},
	    {RATELIMIT_COUNT_MAX, RATELIMIT_COUNT_MAX + 1, RATELIMIT_COUNT_MAX},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct ratelimit_entry e = {0};
		assert_int_equal(run(&e, RATELIMIT_MESSAGES, 3600000, t[i].tries, t[i].max,
		                     RATELIMIT_WINDOW_MAX),
		                 t[i].passed);
		/* the other counter is independent */
		assert_true(ratelimit_entry_step(&e, RATELIMIT_RECIPIENTS, 3600000, 1, 60));
	}
	struct ratelimit_entry e = {0};
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, 1000, 5, 0, 60), 5); /* 0: unlimited */
	assert_int_equal(e.cur[0], 0);
}

static void test_window_slides(void **state)
{
	(void)state;
	struct ratelimit_entry e = {0};
	const uint64_t w = 100, t0 = 1000000; /* t0 is a window boundary */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0 + 99, 10, 10, w), 10);
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0 + 99, 1, 10, w), 0);
	/* next window, 1 s in: 10 * 99/100 + 0 = 9.9 → one more fits */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0 + 101, 5, 10, w), 1);
	/* half way: 10 * 50/100 + 1 = 6 → 4 more */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0 + 150, 10, 10, w), 4);
	/* the following window: prev = 5, weight 1 → 5 more at its start */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0 + 200, 10, 10, w), 5);
	/* two windows idle: everything forgotten */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0 + 400, 20, 10, w), 10);
	/* a clock that went back starts over */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0, 20, 10, w), 10);
	/* a changed window starts over */
	assert_int_equal(run(&e, RATELIMIT_MESSAGES, t0, 20, 10, w + 1), 10);
}

static void test_entry_format_parse(void **state)
{
	(void)state;
	struct ratelimit_entry e = {1700000000, 3600, {1, 2}, {3, 4}}, f;
	struct sbuf b = SBUF_INIT;
	ratelimit_entry_format(&e, "ip 192.0.2.1", &b);
	assert_true(ratelimit_entry_parse(b.s, b.len, "ip 192.0.2.1", &f));
	assert_memory_equal(&e, &f, sizeof e);
	assert_false(ratelimit_entry_parse(b.s, b.len, "ip 192.0.2.2", &f));
	for (size_t cut = 0; cut < b.len; cut++)
		assert_false(ratelimit_entry_parse(b.s, cut, "ip 192.0.2.1", &f));
	static const char *bad[] = {
	    "00000000000000000001 0000000000 0000000000 0000000000 0000000000 0000000000\nk\n",
	    "00000000000000000001 0000604801 0000000000 0000000000 0000000000 0000000000\nk\n",
	    "0000000000000000000x 0000000060 0000000000 0000000000 0000000000 0000000000\nk\n",
	    "00000000000000000001 0000000060 0000000000 0000000000 0000000000 0000000000 \nk\n",
	    "00000000000000000001 0000000060 0000000000 0000000000 0000000000 0000000000\nk\nk\n",
	    "1 60 0 0 0 0\nk\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(ratelimit_entry_parse(bad[i], strlen(bad[i]), "k", &f));
	sbuf_free(&b);
}

static void test_store(void **state)
{
	(void)state;
	const uint64_t now = 5000000;
	for (int i = 0; i < 3; i++)
		assert_int_equal(ratelimit_check(dir, "ip 192.0.2.1", RATELIMIT_MESSAGES, now, 3, 60),
		                 RATELIMIT_PASS);
	assert_int_equal(ratelimit_check(dir, "ip 192.0.2.1", RATELIMIT_MESSAGES, now, 3, 60),
	                 RATELIMIT_OVER);
	assert_int_equal(ratelimit_check(dir, "ip 192.0.2.2", RATELIMIT_MESSAGES, now, 3, 60),
	                 RATELIMIT_PASS);
	assert_int_equal(ratelimit_check(dir, "ip 192.0.2.1", RATELIMIT_RECIPIENTS, now, 3, 60),
	                 RATELIMIT_PASS);
	assert_int_equal(ratelimit_check(dir, "ip 192.0.2.1", RATELIMIT_MESSAGES, now + 120, 3, 60),
	                 RATELIMIT_PASS);
	assert_int_equal(ratelimit_check("/nonexistent/dir", "k", RATELIMIT_MESSAGES, now, 3, 60),
	                 RATELIMIT_ERROR);
	assert_int_equal(ratelimit_check("/nonexistent/dir", "k", RATELIMIT_MESSAGES, now, 0, 60),
	                 RATELIMIT_PASS);
}

static void test_store_concurrent(void **state)
{
	(void)state;
	enum { PROCS = 8, EACH = 50, MAX = 300 };
	const uint64_t now = 7200000;
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int passed = 0;
			for (int i = 0; i < EACH; i++)
				passed += ratelimit_check(dir, "user x", RATELIMIT_RECIPIENTS, now, MAX,
				                          3600) == RATELIMIT_PASS;
			_exit(passed);
		}
	}
	int total = 0, st;
	while (wait(&st) > 0)
		total += WEXITSTATUS(st);
	/* 400 tries against 300: exactly 300 pass, no update lost */
	assert_int_equal(total, MAX);
}

static void test_malformed_and_symlink(void **state)
{
	(void)state;
	char path[128];
	assert_int_equal(ratelimit_check(dir, "k", RATELIMIT_MESSAGES, 100, 1, 60), RATELIMIT_PASS);
	/* find the file and spoil it: the key starts over */
	snprintf(path, sizeof path, "%s/44/44bd90d473cda338", dir);
	int fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage that is much longer than an entry could ever be\n", 56),
	                 56);
	close(fd);
	assert_int_equal(ratelimit_check(dir, "k", RATELIMIT_MESSAGES, 100, 1, 60), RATELIMIT_PASS);
	assert_int_equal(ratelimit_check(dir, "k", RATELIMIT_MESSAGES, 100, 1, 60), RATELIMIT_OVER);
	/* a symlink in its place is refused, not followed */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(ratelimit_check(dir, "k", RATELIMIT_MESSAGES, 100, 1, 60),
	                 RATELIMIT_ERROR);
	assert_int_equal(unlink(path), 0);
}

static void test_sweep(void **state)
{
	(void)state;
	char path[128];
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	assert_int_equal(ratelimit_check(dir, "k", RATELIMIT_MESSAGES, 100, 1, 60), RATELIMIT_PASS);
	snprintf(path, sizeof path, "%s/44/44bd90d473cda338", dir);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	assert_int_equal(ratelimit_sweep(dir, 0x44, 1000 + 120, 120), 0); /* age == max: kept */
	assert_int_equal(ratelimit_sweep(dir, 0x45, 5000, 120), 0);       /* other bucket */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ratelimit_sweep(dir, 0x44, 1000 + 121, 120), 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(ratelimit_sweep("/nonexistent/dir", 1, 5000, 120), 0);
	/* a file a checker holds locked is left alone */
	assert_int_equal(ratelimit_check(dir, "k", RATELIMIT_MESSAGES, 100, 1, 60), RATELIMIT_PASS);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	int fd = open(path, O_RDONLY);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(ratelimit_sweep(dir, 0x44, 9000, 120), 0);
	close(fd);
	assert_int_equal(ratelimit_sweep(dir, 0x44, 9000, 120), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_reports_line),
	    cmocka_unit_test(test_match_ip),
	    cmocka_unit_test(test_match_user),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_window_limits),
	    cmocka_unit_test(test_window_slides),
	    cmocka_unit_test(test_entry_format_parse),
	    cmocka_unit_test_setup_teardown(test_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_and_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
