/* pop3_maildir_test.c: Maildir maildrop, names and wire encoding (pop3_maildir.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pop3_maildir.h"

struct enc_case {
	const char *in;
	bool is_top;
	uint64_t lines;
	const char *out;
};

static const struct enc_case enc_cases[] = {
	{"", false, 0, ".\r\n"},
	{"a", false, 0, "a\r\n.\r\n"},
	{"a\n", false, 0, "a\r\n.\r\n"},
	{"a\r\nb\r\n", false, 0, "a\r\nb\r\n.\r\n"},
	{".\n..\n.x", false, 0, "..\r\n...\r\n..x\r\n.\r\n"},
	{"a\rb\n", false, 0, "a\rb\r\n.\r\n"},
	{"a\r", false, 0, "a\r\r\n.\r\n"},
	{"x\n.\n", false, 0, "x\r\n..\r\n.\r\n"},
	{"H: 1\n\nb1\nb2\n", true, 0, "H: 1\r\n\r\n.\r\n"},
	{"H: 1\n\nb1\nb2\n", true, 1, "H: 1\r\n\r\nb1\r\n.\r\n"},
	{"H: 1\n\nb1\nb2\n", true, 2, "H: 1\r\n\r\nb1\r\nb2\r\n.\r\n"},
	{"H: 1\n\nb1\nb2\n", true, 3, "H: 1\r\n\r\nb1\r\nb2\r\n.\r\n"},
	{"H: 1\r\n\r\n.b1\r\nb2", true, 1, "H: 1\r\n\r\n..b1\r\n.\r\n"},
	{"H: 1\nH: 2", true, 5, "H: 1\r\nH: 2\r\n.\r\n"},
	{"H: 1\n\nlast", true, 1, "H: 1\r\n\r\nlast\r\n.\r\n"},
};

static void encode(const char *in, size_t len, bool is_top, uint64_t lines, size_t split,
                   struct sbuf *out)
{
	struct pop3_enc e;
	pop3_enc_init(&e, is_top, lines);
	for (size_t i = 0; i < len; i += split) {
		size_t n = len - i < split ? len - i : split;
		if (!pop3_enc_chunk(&e, in + i, n, out))
			break;
	}
	pop3_enc_finish(&e, out);
}

static void test_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++) {
		const struct enc_case *c = &enc_cases[i];
		/* Every chunk size must give the same bytes (CR/LF split across reads). */
		for (size_t split = 1; split <= strlen(c->in) + 1; split++) {
			struct sbuf out = SBUF_INIT;
			encode(c->in, strlen(c->in), c->is_top, c->lines, split, &out);
			assert_string_equal(sbuf_cstr(&out), c->out);
			sbuf_free(&out);
		}
	}
}

struct name_case {
	const char *name;
	bool has_size;
	uint64_t size;
	const char *uidl;   /* NULL: hashed */
};

static const struct name_case name_cases[] = {
	{"1700000000.M1P2Q3.host", false, 0, "1700000000.M1P2Q3.host"},
	{"1700000000.M1P2.host,S=123:2,S", true, 123, "1700000000.M1P2.host,S=123"},
	{"1700000000.M1P2.host,S=123,W=130:2,", true, 130, "1700000000.M1P2.host,S=123,W=130"},
	{"1.host,W=5,S=4", true, 5, "1.host,W=5,S=4"},
	{"1.host,S=:2,", false, 0, "1.host,S="},
	{"1.host,S=12x:2,", false, 0, "1.host,S=12x"},
	{"1.host:2,S=99", false, 0, "1.host"},
	{"1.host,S=99999999999999999999999", false, 0, "1.host,S=99999999999999999999999"},
	{"a b:2,", false, 0, NULL},
	{":2,", false, 0, NULL},
	{"x2345678901234567890123456789012345678901234567890123456789012345678901", false, 0,
	 NULL},   /* 71 octets: max + 1 */
	{"x234567890123456789012345678901234567890123456789012345678901234567890", false, 0,
	 "x234567890123456789012345678901234567890123456789012345678901234567890"},   /* 70 */
};

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		const struct name_case *c = &name_cases[i];
		uint64_t size = 0;
		assert_int_equal(pop3_name_size(c->name, &size), c->has_size);
		if (c->has_size)
			assert_int_equal(size, c->size);
		struct sbuf u = SBUF_INIT;
		pop3_name_uidl(c->name, &u);
		if (c->uidl) {
			assert_string_equal(u.s, c->uidl);
		} else {
			assert_int_equal(u.len, 17);
			assert_int_equal(u.s[0], 'X');
		}
		assert_true(u.len >= 1 && u.len <= POP3_UIDL_MAX);
		sbuf_free(&u);
	}
}

static void put_file(const char *dir, const char *sub, const char *name, const char *data)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void make_box(char *dir)
{
	assert_non_null(mkdtemp(dir));
	char p[512];
	static const char *const subs[] = {"tmp", "new", "cur"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
}

static bool exists(const char *dir, const char *rel)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

static void test_box(void **state)
{
	(void)state;
	char dir[] = "/tmp/pop3boxXXXXXX";
	make_box(dir);
	put_file(dir, "new", "300.M1.h", "new one\n");
	put_file(dir, "new", ".hidden", "x");
	put_file(dir, "cur", "100.M1.h:2,S", "old\n");
	put_file(dir, "cur", "200.M1.h,S=999:2,", "sized\n");
	struct pop3_box b;
	assert_int_equal(pop3_box_open(&b, dir), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.n_moved, 1);
	assert_true(exists(dir, "cur/300.M1.h:2,"));
	assert_false(exists(dir, "new/300.M1.h"));
	assert_string_equal(b.v[0].name, "100.M1.h:2,S");
	assert_int_equal(b.v[0].size, 4);
	assert_int_equal(b.v[1].size, 999);   /* from the name, not stat */
	assert_int_equal(b.total_size, 4 + 999 + 8);
	assert_null(pop3_box_get(&b, 0));
	assert_null(pop3_box_get(&b, 4));
	pop3_box_delete(&b, 1);
	pop3_box_delete(&b, 1);
	assert_int_equal(b.n_deleted, 1);
	assert_null(pop3_box_get(&b, 1));
	pop3_box_reset(&b);
	assert_non_null(pop3_box_get(&b, 1));
	pop3_box_delete(&b, 2);
	int fd = pop3_box_open_msg(&b, 3);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pop3_box_commit(&b), 0);
	assert_false(exists(dir, "cur/200.M1.h,S=999:2,"));
	assert_true(exists(dir, "cur/100.M1.h:2,S"));
	pop3_box_close(&b);
	/* A message already removed by someone else counts as removed. */
	assert_int_equal(pop3_box_open(&b, dir), 0);
	assert_int_equal(b.n, 2);
	pop3_box_delete(&b, 1);
	char p[512];
	snprintf(p, sizeof p, "%s/cur/%s", dir, b.v[0].name);
	unlink(p);
	assert_int_equal(pop3_box_commit(&b), 0);
	pop3_box_close(&b);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Numbered by the leading number (delivery time), then by name; names
 * without a leading number (or one past 2^64 - 1) first. */
static void test_box_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/pop3boxXXXXXX";
	make_box(dir);
	static const char *const want[] = {"18446744073709551616.x:2,", "abc:2,", "999.M2.h:2,",
	                                   "1000.M1.h:2,", "18446744073709551615.M1.h:2,"};
	put_file(dir, "cur", want[4], "x\n");
	put_file(dir, "cur", want[3], "x\n");
	put_file(dir, "new", "999.M2.h", "x\n");
	put_file(dir, "cur", want[1], "x\n");
	put_file(dir, "cur", want[0], "x\n");
	struct pop3_box b;
	assert_int_equal(pop3_box_open(&b, dir), 0);
	assert_int_equal(b.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(b.v[i].name, want[i]);
	pop3_box_close(&b);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_box_missing(void **state)
{
	(void)state;
	struct pop3_box b;
	assert_int_equal(pop3_box_open(&b, "/nonexistent/Maildir/"), -1);
	pop3_box_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_box),
		cmocka_unit_test(test_box_order),
		cmocka_unit_test(test_box_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
