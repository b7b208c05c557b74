/* mime_scan_test.c: the streaming MIME walker (mime_scan.h), table-driven;
 * every case is also fed one byte at a time and must give the same result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mime_scan.h"
#include "sbuf.h"

/* Collects the lines as "line|line|"; stops at a line equal to "STOP". */
static bool collect(void *ctx, const char *line, size_t len)
{
	struct sbuf *b = ctx;
	sbuf_append(b, line, len);
	sbuf_append_char(b, '|');
	return len == 4 && memcmp(line, "STOP", 4) == 0;
}

static struct mime_scan scanner; /* big: not on the stack */

/* Walks msg in chunks of step bytes (0: all at once). */
static bool walk(const char *msg, size_t len, size_t step, struct sbuf *got)
{
	sbuf_clear(got);
	mime_scan_init(&scanner, collect, got);
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len; i += step)
		mime_scan_feed(&scanner, msg + i, len - i < step ? len - i : step);
	mime_scan_finish(&scanner);
	return scanner.is_unscannable;
}

static void expect_walk(const char *msg, size_t len, const char *want, bool unscannable)
{
	struct sbuf got = SBUF_INIT;
	const size_t steps[] = {0, 1, 7};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		bool u = walk(msg, len, steps[s], &got);
		assert_string_equal(sbuf_cstr(&got), want);
		assert_int_equal(u, unscannable);
	}
	sbuf_free(&got);
}

#define MP "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
#define B64 "Content-Transfer-Encoding: base64\n"

struct walk_case {
	const char *msg;
	const char *want;
	bool unscannable;
};

static const struct walk_case cases[] = {
	{"Subject: x\n\nTVqQ\n", "", false},
	{B64 "\nTVqQAAM\nmore\n", "TVqQAAM|", false},
	{B64 "\n\n\nTVqQ\n", "TVqQ|", false},
	{"content-transfer-encoding :  BASE64 (comment)\n\nQUJD\n", "QUJD|", false},
	{"Content-Transfer-Encoding:\n base64\n\nQUJD\n", "QUJD|", false},
	{"Content-Transfer-Encoding: base64x\n\nQUJD\n", "", false},
	{B64 "\r\nTVqQ\r\n", "TVqQ|", false},
	{B64 "\nTVqQ", "TVqQ|", false},
	{MP "preamble\n--b1\n" B64 "\nAAAA\n--b1\nContent-Type: text/plain\n\nhi\n"
	    "--b1\n" B64 "\nBBBB\n--b1--\nepilogue\n", "AAAA|BBBB|", false},
	{MP "--b1 \t\n" B64 "\nAAAA\n--b1--\n", "AAAA|", false},
	{MP "--b1x\n" B64 "\nAAAA\n--b1--\n", "", false},
	{MP "--b1\n" B64 "\n--b1\n" B64 "\nCCCC\n", "CCCC|", false},
	{"Content-Type: Multipart/Mixed;\n\tboundary=plain-token\n\n--plain-token\n" B64
	 "\nAAAA\n", "AAAA|", false},
	{"Content-Type: multipart/mixed; name=\"a;boundary=no\"; boundary=\"yes b\"\n\n"
	 "--yes b\n" B64 "\nAAAA\n--a;boundary=no\n", "AAAA|", false},
	{"Content-Type: multipart/mixed; boundary=\"q\\\"x\"\n\n--q\"x\n" B64 "\nAAAA\n",
	 "AAAA|", false},
	{MP "--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\n" B64
	 "\nIN1\n--b2\n" B64 "\nIN2\n--b1\n" B64 "\nOUT\n--b1--\n", "IN1|IN2|OUT|", false},
	{MP "--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\n"
	 "--b2--\n" B64 "\nNOT\n--b1\n" B64 "\nYES\n", "YES|", false},
	{MP "--b1\nContent-Type: message/rfc822\n\nSubject: inner\n" B64 "\nINNER\n--b1--\n",
	 "INNER|", false},
	{MP "--b1\nContent-Type: message/rfc822\n\n" MP "--b1\n" B64 "\nX\n", "X|", false},
	{"Content-Type: multipart/digest; boundary=d\n\n--d\n\n" B64 "\nDIG\n--d--\n",
	 "DIG|", false},
	{"Content-Type: multipart/mixed; boundary=d\n\n--d\n\n" B64 "\nNOT\n--d--\n", "",
	 false},
	{"Content-Type: multipart/mixed\n\n--x\n" B64 "\nQQ\n", "", true},
	{"Content-Type: multipart/mixed; boundary=\"\"\n\n", "", true},
	{"Content-Type: multipart/mixed; boundary=\"open\n\n", "", true},
	{"Content-Type: text/plain\nContent-Type: multipart/mixed\n\n", "", false},
	{MP "--b1\n" B64 "\nSTOP\n--b1\n" B64 "\nAFTER\n", "STOP|", false},
	{"Content-Type: message/rfc822\n\n" B64 "\nTOP\n", "TOP|", false},
	{"no colon here\n" B64 "\nX\n", "X|", false},
};

static void test_walk(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_walk(cases[i].msg, strlen(cases[i].msg), cases[i].want,
		            cases[i].unscannable);
}

static void test_nul_and_crlf(void **state)
{
	(void)state;
	static const char msg[] = B64 "\r\nA\0B\r\n";
	expect_walk(msg, sizeof msg - 1, "A\0B|", false);
	struct sbuf got = SBUF_INIT;
	walk(msg, sizeof msg - 1, 0, &got);
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.s, "A\0B|", 4);
	sbuf_free(&got);
}

/* n nested multiparts, a base64 part in the innermost. */
static void nest(size_t n, const char *want, bool unscannable)
{
	struct sbuf m = SBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sbuf_printf(&m, "Content-Type: multipart/mixed; boundary=n%zu\n\n--n%zu\n", i, i);
	sbuf_append_str(&m, B64 "\nDEEP\n");
	expect_walk(m.s, m.len, want, unscannable);
	sbuf_free(&m);
}

/* A boundary of len bytes. */
static void boundary_len(size_t len, const char *want, bool unscannable)
{
	char *b = xmalloc(len + 1);
	memset(b, 'k', len);
	b[len] = '\0';
	struct sbuf m = SBUF_INIT;
	sbuf_printf(&m, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n--%s\n" B64 "\nB\n",
	            b, b);
	expect_walk(m.s, m.len, want, unscannable);
	sbuf_free(&m);
	free(b);
}

/* A base64 first line of len bytes: at most MIME_LINE_KEEP are passed on. */
static void line_len(size_t len)
{
	struct sbuf m = SBUF_INIT, want = SBUF_INIT;
	sbuf_append_str(&m, B64 "\n");
	for (size_t i = 0; i < len; i++)
		sbuf_append_char(&m, (char)('A' + i % 26));
	sbuf_append_str(&m, "\r\n");
	size_t keep = len < MIME_LINE_KEEP ? len : MIME_LINE_KEEP;
	sbuf_append(&want, m.s + strlen(B64 "\n"), keep);
	sbuf_append_char(&want, '|');
	expect_walk(m.s, m.len, want.s, false);
	sbuf_free(&m);
	sbuf_free(&want);
}

/* A Content-Type whose unfolded value is len bytes, the boundary last. */
static void field_len(size_t len, const char *want, bool unscannable)
{
	static const char tail[] = " multipart/mixed; boundary=zz";
	struct sbuf m = SBUF_INIT;
	sbuf_append_str(&m, "Content-Type:");
	for (size_t i = strlen(tail); i < len; i++)
		sbuf_append_str(&m, i % 60 == 59 ? "\n " : " ");
	sbuf_append_str(&m, tail);
	sbuf_append_str(&m, "\n\n--zz\n" B64 "\nF\n");
	expect_walk(m.s, m.len, want, unscannable);
	sbuf_free(&m);
}

static void test_limits(void **state)
{
	(void)state;
	nest(MIME_DEPTH_MAX - 1, "DEEP|", false);
	nest(MIME_DEPTH_MAX, "DEEP|", false);
	nest(MIME_DEPTH_MAX + 1, "", true);
	boundary_len(MIME_BOUNDARY_MAX - 1, "B|", false);
	boundary_len(MIME_BOUNDARY_MAX, "B|", false);
	boundary_len(MIME_BOUNDARY_MAX + 1, "", true);
	line_len(MIME_LINE_KEEP - 1);
	line_len(MIME_LINE_KEEP);
	line_len(MIME_LINE_KEEP + 1);
	line_len(MIME_LINE_KEEP * 3);
	field_len(MIME_FIELD_MAX - 1, "F|", false);
	field_len(MIME_FIELD_MAX, "F|", false);
	field_len(MIME_FIELD_MAX + 1, "", true);
}

static void test_count(void **state)
{
	(void)state;
	struct sbuf got = SBUF_INIT;
	const char *m = cases[8].msg;
	walk(m, strlen(m), 0, &got);
	assert_int_equal(scanner.n_base64, 2);
	assert_int_equal(scanner.n_open, 0);
	sbuf_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_nul_and_crlf),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
