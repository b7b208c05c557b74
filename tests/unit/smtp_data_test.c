/* smtp_data_test.c: table tests for the DATA state machine (smtp_data.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto_limits.h"
#include "smtp_data.h"

struct data_case {
	const char *in;
	uint64_t max;
	enum smtp_data_state state;
	enum smtp_data_error error;
	const char *out;        /* NULL: not checked */
	size_t consumed;        /* 0: strlen(in) */
};

static const struct data_case cases[] = {
	{ "Subject: x\r\n\r\nbody\r\n.\r\n", 1000, SD_DONE, SD_ERR_NONE,
	  "Subject: x\n\nbody\n", 0 },
	{ ".\r\n", 1000, SD_DONE, SD_ERR_NONE, "", 0 },
	{ "a\r\n.\r\nMAIL FROM:<>\r\n", 1000, SD_DONE, SD_ERR_NONE, "a\n", 6 },
	{ "..leading dot\r\n...\r\n..\r\n.\r\n", 1000, SD_DONE, SD_ERR_NONE,
	  ".leading dot\n..\n.\n", 0 },
	{ "a.\r\n x.\r\n.\r\n", 1000, SD_DONE, SD_ERR_NONE, "a.\n x.\n", 0 },
	{ "no end\r\n", 1000, SD_LINE_START, SD_ERR_NONE, "no end\n", 0 },
	{ "partial\r", 1000, SD_CR, SD_ERR_NONE, "partial", 0 },
	{ "a\nb\r\n.\r\n", 1000, SD_FATAL, SD_ERR_BARE_LF, NULL, 2 },
	{ "a\rb\r\n.\r\n", 1000, SD_FATAL, SD_ERR_BARE_CR, NULL, 3 },
	{ "\n.\r\n", 1000, SD_FATAL, SD_ERR_BARE_LF, NULL, 1 },
	{ "a\r\n.\n", 1000, SD_FATAL, SD_ERR_BARE_LF, NULL, 5 },
	{ "a\r\n.\rx", 1000, SD_FATAL, SD_ERR_BARE_CR, NULL, 6 },
	{ "a\r\n.\r\r\n", 1000, SD_FATAL, SD_ERR_BARE_CR, NULL, 6 },
	{ "body\r\n\r\n.\r\n", 1000, SD_DONE, SD_ERR_NONE, "body\n\n", 0 },
	/* size: exactly max stored bytes is fine, one more is not */
	{ "12345\r\n.\r\n", 6, SD_DONE, SD_ERR_NONE, "12345\n", 0 },
	{ "12345\r\n.\r\n", 5, SD_DONE, SD_ERR_TOO_BIG, NULL, 0 },
	{ "123456\r\n.\r\n", 5, SD_DONE, SD_ERR_TOO_BIG, NULL, 0 },
	{ "..\r\n.\r\n", 2, SD_DONE, SD_ERR_NONE, ".\n", 0 },
	{ "a\r\n.\r\n", 0, SD_DONE, SD_ERR_TOO_BIG, NULL, 0 },
	/* the oversize error keeps draining but a bare LF still wins */
	{ "123456\r\nx\ny", 3, SD_FATAL, SD_ERR_BARE_LF, NULL, 10 },
};

static void run_case(const struct data_case *c, size_t i, bool bytewise)
{
	struct smtp_data d;
	struct sbuf out = SBUF_INIT;
	size_t n = strlen(c->in), used = 0;
	smtp_data_init(&d, c->max);
	if (bytewise) {
		while (used < n && d.state != SD_DONE && d.state != SD_FATAL)
			used += smtp_data_feed(&d, c->in + used, 1, &out);
	} else {
		used = smtp_data_feed(&d, c->in, n, &out);
	}
	if (d.state != c->state || d.error != c->error)
		print_error("case %zu (%s): state %d error %d\n", i,
		            bytewise ? "bytes" : "whole", (int)d.state, (int)d.error);
	assert_int_equal(d.state, c->state);
	assert_int_equal(d.error, c->error);
	assert_int_equal(used, c->consumed ? c->consumed : n);
	if (c->out)
		assert_string_equal(sbuf_cstr(&out), c->out);
	assert_non_null(smtp_data_reply(&d));
	sbuf_free(&out);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run_case(&cases[i], i, false);
		run_case(&cases[i], i, true);
	}
}

static struct smtp_data run_buf(const struct sbuf *in, uint64_t max)
{
	struct smtp_data d;
	struct sbuf out = SBUF_INIT;
	smtp_data_init(&d, max);
	assert_int_equal(smtp_data_feed(&d, in->s, in->len, &out), in->len);
	sbuf_free(&out);
	return d;
}

/* n hop fields, each "Name: x", then a body. */
static enum smtp_data_error hops(const char *name, size_t n, const char *between)
{
	struct sbuf in = SBUF_INIT;
	sbuf_append_str(&in, "Subject: t\r\n");
	for (size_t i = 0; i < n; i++)
		sbuf_printf(&in, "%s: by x\r\n%s", name, between);
	sbuf_append_str(&in, "\r\nbody\r\n.\r\n");
	struct smtp_data d = run_buf(&in, DATABYTES_DEFAULT);
	sbuf_free(&in);
	assert_int_equal(d.state, SD_DONE);
	return d.error;
}

static void test_hops(void **state)
{
	(void)state;
	assert_int_equal(hops("Received", HOPS_MAX - 1, ""), SD_ERR_NONE);
	assert_int_equal(hops("Received", HOPS_MAX, ""), SD_ERR_LOOP);
	assert_int_equal(hops("Received", HOPS_MAX + 1, ""), SD_ERR_LOOP);
	assert_int_equal(hops("dElIvErEd-To", HOPS_MAX, ""), SD_ERR_LOOP);
	assert_int_equal(hops("Received ", HOPS_MAX, ""), SD_ERR_LOOP);
	assert_int_equal(hops("Received", HOPS_MAX, "\tfolded\r\n"), SD_ERR_LOOP);
	assert_int_equal(hops("X-Received", HOPS_MAX, ""), SD_ERR_NONE);
	assert_int_equal(hops("Receivedx", HOPS_MAX, ""), SD_ERR_NONE);
	assert_int_equal(hops("Delivered-To-X", HOPS_MAX, ""), SD_ERR_NONE);
	/* in the body they do not count */
	struct sbuf in = SBUF_INIT;
	sbuf_append_str(&in, "Subject: t\r\n\r\n");
	for (size_t i = 0; i < HOPS_MAX + 5; i++)
		sbuf_append_str(&in, "Received: by x\r\n");
	sbuf_append_str(&in, ".\r\n");
	struct smtp_data d = run_buf(&in, DATABYTES_DEFAULT);
	assert_int_equal(d.error, SD_ERR_NONE);
	/* a first line that is not a field starts the body */
	sbuf_set_str(&in, "hello world\r\n");
	for (size_t i = 0; i < HOPS_MAX + 5; i++)
		sbuf_append_str(&in, "Received: by x\r\n");
	sbuf_append_str(&in, ".\r\n");
	d = run_buf(&in, DATABYTES_DEFAULT);
	assert_int_equal(d.error, SD_ERR_NONE);
	sbuf_free(&in);
}

/* One header field whose stored size (with its LF) is n. */
static enum smtp_data_error field_of(size_t n, bool folded)
{
	struct sbuf in = SBUF_INIT;
	sbuf_append_str(&in, "X-Long: ");
	while (in.len < n - 1) {
		if (folded && in.len % 1000 == 999)
			sbuf_append_str(&in, "\r\n ");
		else
			sbuf_append_char(&in, 'a');
		if (folded && in.len > n - 1)
			break;
	}
	sbuf_append_str(&in, "\r\n\r\nbody\r\n.\r\n");
	struct smtp_data d = run_buf(&in, DATABYTES_DEFAULT);
	sbuf_free(&in);
	assert_int_equal(d.state, SD_DONE);
	return d.error;
}

static void test_header_limits(void **state)
{
	(void)state;
	assert_int_equal(field_of(HEADER_FIELD_MAX - 1, false), SD_ERR_NONE);
	assert_int_equal(field_of(HEADER_FIELD_MAX, false), SD_ERR_NONE);
	assert_int_equal(field_of(HEADER_FIELD_MAX + 1, false), SD_ERR_HEADER);
	assert_int_equal(field_of(HEADER_FIELD_MAX + 5000, true), SD_ERR_HEADER);
	/* many small fields: header section limit */
	struct sbuf in = SBUF_INIT;
	while (in.len < HEADER_SECTION_MAX - 20)
		sbuf_append_str(&in, "X-A: 123456789\r\n");     /* 15 stored bytes */
	size_t stored = in.len / 16 * 15;
	while (stored + 15 <= HEADER_SECTION_MAX)
		sbuf_append_str(&in, "X-A: 123456789\r\n"), stored += 15;
	size_t base = in.len;
	sbuf_append_str(&in, "\r\n.\r\n");
	assert_int_equal(run_buf(&in, DATABYTES_DEFAULT).error, SD_ERR_NONE);
	sbuf_truncate(&in, base);
	sbuf_append_str(&in, "Y\r\n\r\n.\r\n");       /* "Y" has no colon: body */
	assert_int_equal(run_buf(&in, DATABYTES_DEFAULT).error, SD_ERR_NONE);
	sbuf_truncate(&in, base);
	sbuf_append_str(&in, "Y:\r\n\r\n.\r\n");
	assert_int_equal(run_buf(&in, DATABYTES_DEFAULT).error, SD_ERR_HEADER);
	sbuf_free(&in);
}

static void test_big_body(void **state)
{
	(void)state;
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	struct smtp_data d;
	smtp_data_init(&d, 100000);
	sbuf_append_str(&in, "Subject: big\r\n\r\n");
	for (int i = 0; i < 1000; i++)
		sbuf_append_str(&in, "0123456789012345678901234567890123456789012345678\r\n");
	smtp_data_feed(&d, in.s, in.len, &out);
	assert_int_equal(d.error, SD_ERR_NONE);
	assert_int_equal(out.len, 13 + 1 + 50 * 1000);
	smtp_data_feed(&d, in.s + 16, in.len - 16, &out);
	assert_int_equal(d.error, SD_ERR_TOO_BIG);
	assert_int_equal(smtp_data_feed(&d, ".\r\n", 3, &out), 3);
	assert_int_equal(d.state, SD_DONE);
	assert_string_equal(smtp_data_reply(&d), "552 5.3.4 message too big");
	sbuf_free(&in);
	sbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_big_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
