/* inject_aliases_test.c: newaliases' aliases(5) parser and compiler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cdbmap.h"
#include "fdio.h"
#include "inject_aliases.h"
#include "sbuf.h"

struct case_ {
	const char *in;
	int want;
	size_t n;
	const char *first_value;    /* NULs shown as '|' */
};

static const struct case_ cases[] = {
	{ "", 0, 0, NULL },
	{ "# only a comment\n\n", 0, 0, NULL },
	{ "root: admin@x.org\n", 0, 1, "admin@x.org|" },
	{ "Root: a@x.org, b\n", 0, 1, "a@x.org|b@me.example|" },
	{ "list: a@x.org,\n  b@y.org,\n\tc@z.org\n", 0, 1, "a@x.org|b@y.org|c@z.org|" },
	{ "list: a@x.org,\n  b@y.org\n\tc@z.org\n", -1, 0, NULL },
	{ "prog: \"|/usr/bin/foo arg\", /var/mail/box\n", 0, 1, "|/usr/bin/foo arg|/var/mail/box|" },
	{ "a: x@y\nb: z@w\n", 0, 2, "x@y|" },
	{ "a: x@y\nA: z@w\n", -1, 0, NULL },
	{ "a:\n", -1, 0, NULL },
	{ "a: x@y,\n", -1, 0, NULL },
	{ "no colon here\n", -1, 0, NULL },
	{ " continuation first\n", -1, 0, NULL },
	{ "a@b: x@y\n", -1, 0, NULL },
	{ "a: :include:/etc/list\n", -1, 0, NULL },
	{ "a: \"unterminated\n", -1, 0, NULL },
	{ "a: bad\001addr\n", -1, 0, NULL },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct case_ *c = &cases[i];
		struct alias_list l = { NULL, 0, 0 };
		struct sbuf err = SBUF_INIT;
		int rc = inject_aliases_parse(c->in, strlen(c->in), "me.example", &l, &err);
		if (rc != c->want)
			fail_msg("case %zu: %s", i, c->in);
		assert_int_equal(l.n, c->n);
		if (rc < 0)
			assert_true(err.len > 0);
		if (c->first_value) {
			char *v = xmemdup(l.v[0].value.s, l.v[0].value.len);
			for (size_t k = 0; k < l.v[0].value.len; k++)
				if (v[k] == '\0')
					v[k] = '|';
			assert_string_equal(v, c->first_value);
			free(v);
		}
		inject_aliases_free(&l);
		sbuf_free(&err);
	}
}

static void test_line_limit(void **state)
{
	(void)state;
	static const size_t lens[] = { ALIASES_LINE_MAX - 1, ALIASES_LINE_MAX, ALIASES_LINE_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		/* "a: " then "x@y.z," repeated; padded with spaces to exactly lens[i] */
		struct sbuf b = SBUF_INIT;
		sbuf_append_str(&b, "a: x@y.z");
		while (b.len < lens[i])
			sbuf_append_char(&b, ' ');
		sbuf_append_char(&b, '\n');
		struct alias_list l = { NULL, 0, 0 };
		struct sbuf err = SBUF_INIT;
		int rc = inject_aliases_parse(b.s, b.len, "me", &l, &err);
		assert_int_equal(rc, lens[i] <= ALIASES_LINE_MAX ? 0 : -1);
		inject_aliases_free(&l);
		sbuf_free(&err);
		sbuf_free(&b);
	}
}

static void test_compile(void **state)
{
	(void)state;
	char dir[] = "/tmp/aliases_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct sbuf src = SBUF_INIT, cdb = SBUF_INIT, err = SBUF_INIT, v = SBUF_INIT;
	sbuf_printf(&src, "%s/aliases", dir);
	sbuf_printf(&cdb, "%s/aliases.cdb", dir);
	const char *text = "Postmaster: root@x.org, b\n";
	assert_int_equal(file_write_atomic(src.s, text, strlen(text), 0644), 0);
	assert_int_equal(inject_aliases_compile(src.s, cdb.s, "me.example", &err), 0);
	assert_int_equal(cdbmap_lookup(cdb.s, "postmaster", 10, &v), 1);
	assert_int_equal(v.len, strlen("root@x.org") + 1 + strlen("b@me.example") + 1);
	/* a broken source keeps the old map */
	assert_int_equal(file_write_atomic(src.s, "junk\n", 5, 0644), 0);
	assert_int_equal(inject_aliases_compile(src.s, cdb.s, "me.example", &err), -1);
	assert_int_equal(cdbmap_lookup(cdb.s, "postmaster", 10, &v), 1);
	/* a missing source is an empty map */
	unlink(src.s);
	assert_int_equal(inject_aliases_compile(src.s, cdb.s, "me.example", &err), 0);
	assert_int_equal(cdbmap_lookup(cdb.s, "postmaster", 10, &v), 0);
	unlink(cdb.s);
	rmdir(dir);
	sbuf_free(&src);
	sbuf_free(&cdb);
	sbuf_free(&err);
	sbuf_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_compile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
