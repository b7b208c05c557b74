/* tcpto_test.c: backoff rules, record encoding and the table file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpto.h"

static void test_backoff(void **state)
{
	(void)state;
	static const struct { unsigned fails; int64_t b; } t[] = {
		{ 0, 0 }, { 1, 0 }, { 2, 120 }, { 3, 240 }, { 4, 480 }, { 7, 3600 }, { 255, 3600 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(tcpto_backoff(t[i].fails), t[i].b);
	struct tcpto_rec r = { .family = 4, .fails = 2, .when = 1000 };
	assert_true(tcpto_should_skip(&r, 1000));
	assert_true(tcpto_should_skip(&r, 1119));
	assert_false(tcpto_should_skip(&r, 1120));
	assert_true(tcpto_should_skip(&r, 500));  /* future failure time counts as now */
	r.fails = 1;
	assert_false(tcpto_should_skip(&r, 1000));
}

static void test_codec(void **state)
{
	(void)state;
	unsigned char buf[3 * TCPTO_REC_SIZE] = { 0 };
	struct tcpto_rec a = { .family = 4, .ip = { 192, 0, 2, 1 }, .fails = 300, .when = 12345 };
	struct tcpto_rec b = { .family = 6, .ip = { 0x20, 1, 0xd, 0xb8, [15] = 1 }, .fails = 2, .when = 7 };
	tcpto_encode(&a, buf);
	buf[TCPTO_REC_SIZE] = 9;    /* a bad record in the middle is skipped */
	tcpto_encode(&b, buf + 2 * TCPTO_REC_SIZE);
	struct tcpto_rec out[TCPTO_RECORDS];
	assert_int_equal(tcpto_decode(buf, sizeof buf, out), 2);
	assert_int_equal(out[0].fails, 255);
	assert_int_equal(out[0].when, 12345);
	assert_memory_equal(out[0].ip, a.ip, 4);
	assert_int_equal(out[1].family, 6);
	assert_memory_equal(out[1].ip, b.ip, 16);
	assert_int_equal(tcpto_decode(buf, TCPTO_REC_SIZE - 1, out), 0);
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/tcpto_test.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	unsigned char ip[4] = { 127, 0, 0, 9 };
	struct tcpto_rec recs[TCPTO_RECORDS];
	size_t n;
	assert_int_equal(tcpto_list(path, recs, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tcpto_check(path, 4, ip, 100), 0);
	assert_int_equal(tcpto_note(path, 4, ip, true, 100), 0);
	assert_int_equal(tcpto_check(path, 4, ip, 100), 0);
	assert_int_equal(tcpto_note(path, 4, ip, true, 101), 0);
	assert_int_equal(tcpto_check(path, 4, ip, 102), 1);
	assert_int_equal(tcpto_note(path, 4, ip, false, 103), 0);
	assert_int_equal(tcpto_check(path, 4, ip, 103), 0);
	/* max-1, max, max+1 distinct addresses: the table never grows past max */
	for (unsigned i = 0; i < TCPTO_RECORDS + 1; i++) {
		unsigned char x[4] = { 10, 0, (unsigned char)(i >> 8), (unsigned char)i };
		assert_int_equal(tcpto_note(path, 4, x, true, 200 + i), 0);
		assert_int_equal(tcpto_list(path, recs, &n), 0);
		assert_int_equal(n, i + 1 > TCPTO_RECORDS ? TCPTO_RECORDS : i + 1);
	}
	assert_int_equal(tcpto_clear(path), 0);
	assert_int_equal(tcpto_list(path, recs, &n), 0);
	assert_int_equal(n, 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
