/* vpasswd_test.c: table tests for the virtual-user password file (vpasswd.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "proto_limits.h"
#include "sbuf.h"
#include "vpasswd.h"

struct valid_case {
	const char *in;
	bool want;
};

static const struct valid_case addr_cases[] = {
	{ "alice@example.com", true },
	{ "john.doe@example.com", true },
	{ "a+b=c_d-e@x.y", true },
	{ "a@localhost", true },
	{ "Alice@example.com", false },
	{ "alice@Example.com", false },
	{ "@example.com", false },
	{ "alice@", false },
	{ "alice", false },
	{ "a@b@c", false },
	{ ".alice@x.y", false },
	{ "a..b@x.y", false },
	{ "a/b@x.y", false },
	{ "a:b@x.y", false },
	{ "a b@x.y", false },
	{ "a\n@x.y", false },
	{ "a@-x.y", false },
	{ "a@x-.y", false },
	{ "a@x..y", false },
	{ "a@.x.y", false },
	{ "a@x_y.z", false },
	{ "", false },
};

static void test_addr_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++)
		assert_int_equal(vpasswd_addr_valid(addr_cases[i].in), addr_cases[i].want);
}

static void test_length_limits(void **state)
{
	(void)state;
	char buf[600];
	/* local part: ADDR_LOCAL_MAX - 1, max, max + 1 */
	static const struct { size_t n; bool ok; } local[] = {
		{ ADDR_LOCAL_MAX - 1, true }, { ADDR_LOCAL_MAX, true }, { ADDR_LOCAL_MAX + 1, false }
	};
	for (size_t i = 0; i < 3; i++) {
		memset(buf, 'a', local[i].n);
		strcpy(buf + local[i].n, "@x.y");
		assert_int_equal(vpasswd_addr_valid(buf), local[i].ok);
	}
	/* a label of 63 is fine, 64 is not */
	memset(buf, 'b', 64);
	buf[64] = '\0';
	assert_false(vpasswd_domain_valid(buf));
	buf[63] = '\0';
	assert_true(vpasswd_domain_valid(buf));
	/* whole domain: ADDR_DOMAIN_MAX - 1, max, max + 1 (labels of 9 + '.') */
	static const size_t dlen[] = { ADDR_DOMAIN_MAX - 1, ADDR_DOMAIN_MAX, ADDR_DOMAIN_MAX + 1 };
	for (size_t i = 0; i < 3; i++) {
		for (size_t k = 0; k < dlen[i]; k++)
			buf[k] = (k % 10 == 9) ? '.' : 'c';
		buf[dlen[i]] = '\0';
		if (buf[dlen[i] - 1] == '.')
			buf[dlen[i] - 1] = 'c';
		assert_int_equal(vpasswd_domain_valid(buf), dlen[i] <= ADDR_DOMAIN_MAX);
	}
}

static const struct valid_case line_cases[] = {
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2", true },
	{ "a@b.c:$y$hash:/d/a/Maildir/:4294967294:0", true },
	{ "a@b.c:$y$hash:/d/a/Maildir/:4294967295:0", false },
	{ "a@b.c:$y$hash:/d/a/Maildir:1:2", false },
	{ "a@b.c:$y$hash:d/a/Maildir/:1:2", false },
	{ "a@b.c::/d/a/Maildir/:1:2", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:3", false },
	/* the optional 6th field: a CRAM-MD5 key schedule, 64 lower-case hex */
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{C}", true },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{c}", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{C}0", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:D{c}", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:g{c}", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{C}:", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{C}:x", false },
	/* the optional 7th: a SCRAM-SHA-256 secret; the cram field may be empty then */
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{C}:{S}", true },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2::{S}", true },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2::", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2::{s}", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{C}:{S}:", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1:2:{c}:{S}", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:-1:2", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/:1x:2", false },
	{ "a@b.c:$y$hash:/d/a/Maildir/::2", false },
	{ "A@b.c:$y$hash:/d/a/Maildir/:1:2", false },
	{ ":$y$hash:/d/a/Maildir/:1:2", false },
	{ "a@b.c", false },
	{ "", false },
};

static const char cram_hex[] = "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b";

/* RFC 7677's example user (password "pencil"), and the same with 4095
 * iterations (fewer than RFC 7677 allows). */
static const char scram_sec[] = "4096,W22ZaJ0SNY7soEsUEjb6gQ==,"
				"WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
				"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
static const char scram_bad[] = "4095,W22ZaJ0SNY7soEsUEjb6gQ==,"
				"WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
				"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

/* "{C}" in a case is cram_hex, "{c}" its first 63 digits, "{S}" scram_sec,
 * "{s}" scram_bad. */
static void expand(const char *tmpl, char *out)
{
	for (; *tmpl; tmpl++) {
		if (strncmp(tmpl, "{S}", 3) == 0 || strncmp(tmpl, "{s}", 3) == 0) {
			const char *v = tmpl[1] == 'S' ? scram_sec : scram_bad;
			memcpy(out, v, strlen(v));
			out += strlen(v);
			tmpl += 2;
		} else if (strncmp(tmpl, "{C}", 3) == 0 || strncmp(tmpl, "{c}", 3) == 0) {
			size_t n = tmpl[1] == 'C' ? 64 : 63;
			memcpy(out, cram_hex, n);
			out += n;
			tmpl += 2;
		} else {
			*out++ = *tmpl;
		}
	}
	*out = '\0';
}

static void test_parse_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof line_cases / sizeof line_cases[0]; i++) {
		struct vpw_entry e;
		char in[VPASSWD_LINE_MAX];
		expand(line_cases[i].in, in);
		int rc = vpasswd_parse_line(in, strlen(in), &e);
		assert_int_equal(rc == 0, line_cases[i].want);
		if (rc == 0) {
			struct sbuf b = SBUF_INIT;
			vpasswd_format_line(&e, &b);
			assert_string_equal(b.s, in);
			sbuf_free(&b);
			assert_int_equal(e.cram != NULL, strstr(line_cases[i].in, "{C}") != NULL);
			assert_int_equal(e.scram != NULL, strstr(line_cases[i].in, "{S}") != NULL);
		}
		vpasswd_entry_free(&e);
	}
	/* NUL inside and an over-long line fail closed */
	struct vpw_entry e;
	assert_int_equal(vpasswd_parse_line("a@b.c:h\0x:/m/:1:2", 18, &e), -1);
	char big[VPASSWD_LINE_MAX + 40];
	memset(big, 'h', sizeof big);
	memcpy(big, "a@b.c:", 6);
	memcpy(big + sizeof big - 10, ":/m/:1:2", 8);
	assert_int_equal(vpasswd_parse_line(big, sizeof big - 2, &e), -1);
}

static void test_list_file_cdb(void **state)
{
	(void)state;
	char dir[] = "/tmp/vpasswd_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct sbuf txt = SBUF_INIT, cdb = SBUF_INIT;
	sbuf_printf(&txt, "%s/vpasswd", dir);
	sbuf_printf(&cdb, "%s/vpasswd.cdb", dir);
	struct vpw_list l;
	assert_int_equal(vpasswd_load(txt.s, &l), 0);
	assert_int_equal(l.n, 0);
	struct vpw_entry e = { strdup("a@b.c"), strdup("$y$x"), strdup("/m/a/Maildir/"), 7, 8, NULL, NULL };
	vpasswd_put(&l, &e);
	struct vpw_entry e2 = { strdup("z@b.c"), strdup("$y$z"), strdup("/m/z/Maildir/"), 9, 9,
				 strdup(cram_hex), strdup(scram_sec) };
	vpasswd_put(&l, &e2);
	struct vpw_entry e3 = { strdup("a@b.c"), strdup("$y$new"), strdup("/m/a/Maildir/"), 7, 8, NULL, NULL };
	vpasswd_put(&l, &e3);
	assert_int_equal(l.n, 2);
	assert_int_equal(vpasswd_save(txt.s, &l), 0);
	assert_int_equal(vpasswd_build_cdb(&l, cdb.s), 0);
	struct stat st;
	assert_int_equal(stat(txt.s, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	vpasswd_list_free(&l);

	assert_int_equal(vpasswd_load(txt.s, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(vpasswd_find(&l, "z@b.c"), 1);
	assert_string_equal(l.v[1].cram, cram_hex);
	assert_true(vpasswd_remove(&l, "a@b.c"));
	assert_false(vpasswd_remove(&l, "a@b.c"));
	assert_int_equal(vpasswd_find(&l, "z@b.c"), 0);
	vpasswd_list_free(&l);

	struct vpw_entry got;
	assert_int_equal(vpasswd_lookup(cdb.s, "a@b.c", &got), 1);
	assert_string_equal(got.hash, "$y$new");
	assert_int_equal(got.uid, 7);
	assert_null(got.cram);
	vpasswd_entry_free(&got);
	/* the key schedule goes through the text file and the cdb value */
	assert_int_equal(vpasswd_lookup(cdb.s, "z@b.c", &got), 1);
	assert_string_equal(got.cram, cram_hex);
	assert_string_equal(got.scram, scram_sec);
	assert_string_equal(got.maildir, "/m/z/Maildir/");
	vpasswd_entry_free(&got);
	assert_int_equal(vpasswd_lookup(cdb.s, "nobody@b.c", &got), 0);

	/* a corrupt file is refused as a whole */
	assert_int_equal(file_write_atomic(txt.s, "a@b.c:x:/m/:1:2\ngarbage\n", 24, 0600), 0);
	assert_int_equal(vpasswd_load(txt.s, &l), -1);
	unlink(txt.s);
	unlink(cdb.s);
	rmdir(dir);
	sbuf_free(&txt);
	sbuf_free(&cdb);
}

static void test_hash_verify(void **state)
{
	(void)state;
	struct sbuf h = SBUF_INIT;
	assert_int_equal(vpasswd_hash("s3cret", &h), 0);
	assert_memory_equal(h.s, "$y$", 3);
	assert_true(vpasswd_verify("s3cret", h.s));
	assert_false(vpasswd_verify("s3creT", h.s));
	assert_false(vpasswd_verify("", h.s));
	assert_false(vpasswd_verify("s3cret", NULL));
	assert_false(vpasswd_verify("s3cret", ""));
	assert_false(vpasswd_verify("s3cret", "*"));
	char pw[VPASSWD_PASSWORD_MAX + 2];
	memset(pw, 'p', sizeof pw);
	pw[VPASSWD_PASSWORD_MAX] = '\0';
	assert_int_equal(vpasswd_hash(pw, &h), 0);
	assert_true(vpasswd_verify(pw, h.s));
	pw[VPASSWD_PASSWORD_MAX] = 'p';
	pw[VPASSWD_PASSWORD_MAX + 1] = '\0';
	assert_int_equal(vpasswd_hash(pw, &h), -1);
	assert_false(vpasswd_verify(pw, h.s));
	sbuf_free(&h);
}

/* RFC 2195's example: password tanstaaftanstaaf; cram_hex is what
 * `doveadm pw -s CRAM-MD5` stores for it. */
static void test_cram(void **state)
{
	(void)state;
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	struct sbuf c = SBUF_INIT;
	assert_int_equal(vpasswd_cram_secret("tanstaaftanstaaf", &c), 0);
	assert_string_equal(c.s, cram_hex);
	assert_true(vpasswd_verify_cram(c.s, chal, "b913a602c7eda7a495b4e6e7334d3890"));
	assert_true(vpasswd_verify_cram(c.s, chal, "B913A602C7EDA7A495B4E6E7334D3890"));
	assert_false(vpasswd_verify_cram(c.s, chal, "b913a602c7eda7a495b4e6e7334d3891"));
	assert_false(vpasswd_verify_cram(c.s, "<1896.697170953@postoffice.reston.mci.net>",
					 "b913a602c7eda7a495b4e6e7334d3890"));
	assert_false(vpasswd_verify_cram(c.s, chal, "b913a602c7eda7a495b4e6e7334d389"));
	assert_false(vpasswd_verify_cram(c.s, chal, "b913a602c7eda7a495b4e6e7334d38900"));
	assert_false(vpasswd_verify_cram(c.s, chal, "b913a602c7eda7a495b4e6e7334d389g"));
	assert_false(vpasswd_verify_cram(c.s, chal, ""));
	assert_false(vpasswd_verify_cram(NULL, chal, "b913a602c7eda7a495b4e6e7334d3890"));
	assert_false(vpasswd_verify_cram("", chal, "b913a602c7eda7a495b4e6e7334d3890"));
	assert_false(vpasswd_verify_cram(c.s, chal, NULL));
	assert_int_equal(vpasswd_cram_secret("", &c), 0);
	assert_int_equal(c.len, VPASSWD_CRAM_LEN);
	char pw[VPASSWD_PASSWORD_MAX + 2];
	memset(pw, 'p', sizeof pw);
	pw[VPASSWD_PASSWORD_MAX + 1] = '\0';
	assert_int_equal(vpasswd_cram_secret(pw, &c), -1);
	sbuf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_list_file_cdb),
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_cram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
