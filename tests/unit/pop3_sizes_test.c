/* pop3_sizes_test.c: qmail-pop3d's size cache (pop3_sizes.h) and its use
 * by pop3_box_open (pop3_maildir.h). */
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

#include "alloc.h"
#include "pop3_maildir.h"
#include "pop3_sizes.h"

#define MAGIC "qng-pop3-sizes 1\0"
#define LIT(s) s, sizeof s - 1

struct parse_case {
	const char *in;
	size_t len;
	bool ok;
	size_t n;
};

static const struct parse_case parse_cases[] = {
	{LIT(MAGIC "\0"), true, 0},
	{LIT(MAGIC "1.M1.h\0" "12\0" "345\0" "\0"), true, 1},
	{LIT(MAGIC "1.M1.h:2,S\0" "12\0" "345\0" "2.M2.h\0" "13\0" "0\0" "\0"), true, 2},
	{LIT(MAGIC "a\0" "18446744073709551615\0" "18446744073709551615\0" "\0"), true, 1},
	/* invalid: all or nothing */
	{LIT(""), false, 0},
	{LIT(MAGIC), false, 0},                                   /* no end marker */
	{LIT("qng-pop3-sizes 2\0\0"), false, 0},                  /* other version */
	{LIT(MAGIC "1.M1.h\0" "12\0" "345\0"), false, 0},       /* truncated */
	{LIT(MAGIC "1.M1.h\0" "12\0" "345"), false, 0},         /* truncated in a field */
	{LIT(MAGIC "1.M1.h\0" "12\0" "\0"), false, 0},          /* size missing */
	{LIT(MAGIC "\0" "x"), false, 0},                        /* junk after the end */
	{LIT(MAGIC "\0\0"), false, 0},
	{LIT(MAGIC "a/b\0" "1\0" "2\0" "\0"), false, 0},        /* '/' in a name */
	{LIT(MAGIC ".a\0" "1\0" "2\0" "\0"), false, 0},         /* dot file */
	{LIT(MAGIC "a\0" "1x\0" "2\0" "\0"), false, 0},         /* junk in a number */
	{LIT(MAGIC "a\0" "-1\0" "2\0" "\0"), false, 0},
	{LIT(MAGIC "a\0" "1\0" "\0" "\0"), false, 0},           /* empty number */
	{LIT(MAGIC "a\0" "1\0" "18446744073709551616\0" "\0"), false, 0}, /* max + 1 */
	{LIT(MAGIC "a\0" "1\0" "000000000000000000001\0" "\0"), false, 0}, /* 21 digits */
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct pop3_sizes s;
		bool ok = pop3_sizes_parse(&s, c->in, c->len);
		if (ok != c->ok)
			fail_msg("case %zu: parse %d, want %d", i, ok, c->ok);
		assert_int_equal(s.n, c->n);
		if (!ok)
			assert_null(s.v);
		pop3_sizes_free(&s);
	}
}

/* Name lengths at the limit: 255 accepted, 256 refused (by add and parse). */
static void test_name_limits(void **state)
{
	(void)state;
	static const size_t lens[] = {1, POP3_SIZES_NAME_MAX - 1, POP3_SIZES_NAME_MAX,
	                              POP3_SIZES_NAME_MAX + 1};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		char name[300];
		memset(name, 'n', lens[i]);
		name[lens[i]] = '\0';
		struct sbuf img = SBUF_INIT;
		pop3_sizes_begin(&img);
		bool added = pop3_sizes_add(&img, name, 7, 8);
		assert_int_equal(added, lens[i] <= POP3_SIZES_NAME_MAX);
		pop3_sizes_end(&img);
		struct pop3_sizes s;
		assert_true(pop3_sizes_parse(&s, img.s, img.len));
		assert_int_equal(s.n, added ? 1 : 0);
		if (added) {
			assert_string_equal(s.v[0].name, name);
			assert_int_equal(s.v[0].ino, 7);
			assert_int_equal(s.v[0].size, 8);
		}
		pop3_sizes_free(&s);
		sbuf_free(&img);
	}
	struct sbuf img = SBUF_INIT;
	pop3_sizes_begin(&img);
	assert_false(pop3_sizes_add(&img, "", 1, 1));
	assert_false(pop3_sizes_add(&img, ".x", 1, 1));
	assert_false(pop3_sizes_add(&img, "a/b", 1, 1));
	sbuf_free(&img);
}

/* An image of exactly len octets (len >= 24) of valid records. */
static char *image_of_len(size_t len, size_t *n)
{
	char *p = xmalloc(len + 1);
	size_t off = sizeof MAGIC - 1, left = len - off - 1; /* the end marker */
	memcpy(p, MAGIC, off);
	*n = 0;
	while (left > 0) {
		size_t rec = left >= 260 + 6 ? 260 : left; /* name + NUL + "1\0" "2\0" */
		size_t name_len = rec - 5;
		memset(p + off, 'n', name_len);
		memcpy(p + off + name_len, "\0" "1\0" "2\0", 5);
		off += rec;
		left -= rec;
		(*n)++;
	}
	p[off] = '\0';
	return p;
}

/* The file size limit (max parsed, max + 1 refused unread) and the record
 * count limit (POP3_BOX_MAX records, one more refused). */
static void test_limits(void **state)
{
	(void)state;
	size_t n;
	struct pop3_sizes s;
	char *p = image_of_len(POP3_SIZES_MAX, &n);
	assert_true(pop3_sizes_parse(&s, p, POP3_SIZES_MAX));
	assert_int_equal(s.n, n);
	pop3_sizes_free(&s);
	free(p);
	p = image_of_len(POP3_SIZES_MAX + 1, &n);
	assert_false(pop3_sizes_parse(&s, p, POP3_SIZES_MAX + 1));
	free(p);
	for (size_t count = POP3_BOX_MAX; count <= POP3_BOX_MAX + 1; count++) {
		struct sbuf img = SBUF_INIT;
		pop3_sizes_begin(&img);
		for (size_t i = 0; i < count; i++)
			assert_true(pop3_sizes_add(&img, "a", i, i));
		pop3_sizes_end(&img);
		assert_int_equal(pop3_sizes_parse(&s, img.s, img.len), count == POP3_BOX_MAX);
		pop3_sizes_free(&s);
		sbuf_free(&img);
	}
}

static void put_file(const char *dir, const char *rel, const char *data)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
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

static void remove_box(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct pop3_box open_box(const char *dir, size_t n, size_t n_stat, bool saved)
{
	struct pop3_box b;
	assert_int_equal(pop3_box_open(&b, dir), 0);
	assert_int_equal(b.n, n);
	assert_int_equal(b.n_stat, n_stat);
	assert_int_equal(b.is_cache_saved, saved);
	return b;
}

static void test_box_cache(void **state)
{
	(void)state;
	char dir[] = "/tmp/pop3sizesXXXXXX";
	make_box(dir);
	put_file(dir, "new/300.M1.h", "new one\n");
	put_file(dir, "cur/100.M1.h:2,S", "old\n");
	put_file(dir, "cur/200.M1.h,S=999:2,", "sized\n");
	struct pop3_box b = open_box(dir, 3, 2, true); /* two stats, cache written */
	assert_int_equal(b.total_size, 4 + 999 + 8);
	pop3_box_close(&b);
	b = open_box(dir, 3, 0, false); /* all from the cache or the name */
	assert_int_equal(b.total_size, 4 + 999 + 8);
	assert_int_equal(b.v[0].size_from, POP3_SIZE_CACHE);
	assert_int_equal(b.v[1].size_from, POP3_SIZE_NAME);
	pop3_box_close(&b);
	/* a file replaced under the same name (new inode) is stat'ed again */
	put_file(dir, "tmp/x", "replaced, longer\n");
	char from[512], to[512];
	snprintf(from, sizeof from, "%s/tmp/x", dir);
	snprintf(to, sizeof to, "%s/cur/100.M1.h:2,S", dir);
	assert_int_equal(rename(from, to), 0);
	b = open_box(dir, 3, 1, true);
	assert_int_equal(b.v[0].size, 17);
	pop3_box_close(&b);
	/* a message gone: the cache is rewritten without it */
	assert_int_equal(unlink(to), 0);
	b = open_box(dir, 2, 0, true);
	pop3_box_close(&b);
	b = open_box(dir, 2, 0, false);
	pop3_box_close(&b);
	/* a damaged cache is ignored as a whole and replaced */
	put_file(dir, POP3_SIZES_FILE, "qng-pop3-sizes 1");
	b = open_box(dir, 2, 1, true);
	assert_int_equal(b.v[1].size, 8);
	pop3_box_close(&b);
	remove_box(dir);
}

/* The cache file is never followed through a symbolic link, and a
 * directory in its place only costs the stats. */
static void test_box_cache_hostile(void **state)
{
	(void)state;
	char dir[] = "/tmp/pop3sizesXXXXXX";
	make_box(dir);
	put_file(dir, "cur/100.M1.h:2,", "old\n");
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, POP3_SIZES_FILE);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	struct pop3_box b = open_box(dir, 1, 1, true); /* rename replaced the link */
	pop3_box_close(&b);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	b = open_box(dir, 1, 1, false);
	assert_int_equal(b.v[0].size, 4);
	pop3_box_close(&b);
	remove_box(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_box_cache),
		cmocka_unit_test(test_box_cache_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
