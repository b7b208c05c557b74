/* queue_bounce_test: bounce/N records, partial tails, appending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdio.h"
#include "queue_bounce.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *d;
		size_t len;
		enum bounce_status want;
		size_t n, good;
	} t[] = {
		{ S(""), BOUNCE_OK, 0, 0 },
		{ S("a@b\0text\0"), BOUNCE_OK, 1, 9 },
		{ S("a@b\0text\0c@d\0more\0"), BOUNCE_OK, 2, 18 },
		{ S("a@b\0\0"), BOUNCE_OK, 1, 5 },
		{ S("a@b\0text\0c@d"), BOUNCE_PARTIAL, 1, 9 },
		{ S("a@b\0text\0c@d\0mo"), BOUNCE_PARTIAL, 1, 9 },
		{ S("a@b"), BOUNCE_PARTIAL, 0, 0 },
		{ S("a@b\0te\nxt\0"), BOUNCE_FORMAT, 0, 0 },
		{ S("a\r@b\0text\0"), BOUNCE_FORMAT, 0, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct bounce_list l;
		size_t good;
		enum bounce_status st = queue_bounce_parse(t[i].d, t[i].len, &l, &good);
		if (st != t[i].want || l.n != t[i].n || good != t[i].good)
			fail_msg("case %zu: st %d n %zu good %zu", i, st, l.n, good);
		queue_bounce_free(&l);
	}
}

static void test_append(void **state)
{
	(void)state;
	char dir[] = "/tmp/qbounce.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/7", dir);
	assert_int_equal(queue_bounce_append(path, "a@b", "first\nline"), 0);
	/* a crash left half a record: the next append cuts it off */
	FILE *f = fopen(path, "a");
	fwrite("c@d\0hal", 1, 7, f);
	fclose(f);
	assert_int_equal(queue_bounce_append(path, "e@f", "second"), 0);
	struct sbuf b = SBUF_INIT;
	assert_int_equal(file_read_all(path, &b, 4096), 0);
	struct bounce_list l;
	size_t good;
	assert_int_equal(queue_bounce_parse(b.s, b.len, &l, &good), BOUNCE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].text, "first/line");
	assert_string_equal(l.v[1].rcpt, "e@f");
	queue_bounce_free(&l);
	sbuf_free(&b);
	unlink(path);
	rmdir(dir);
}

static void test_append_fails(void **state)
{
	(void)state;
	assert_int_equal(queue_bounce_append("/nonexistent-dir/9", "a@b", "x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_parse_table),
					    cmocka_unit_test(test_append),
					    cmocka_unit_test(test_append_fails) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
