/* smtp_client_test.c: the client state machine against scripted peers
 * through a fake bio transport (no sockets), plus base64 for AUTH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "bio.h"
#include "base64.h"
#include "smtp_client.h"

struct fake {
	const char *script;
	size_t pos, len;
	struct sbuf sent;
};

/* One line per read, as a peer that waits for each command; a '+' after
 * a line end glues the next line into the same read (pipelined bytes). */
static ssize_t fake_read(void *ctx, void *buf, size_t n)
{
	struct fake *f = ctx;
	char *out = buf;
	size_t got = 0;
	while (f->pos < f->len && got < n) {
		char c = f->script[f->pos++];
		out[got++] = c;
		if (c != '\n')
			continue;
		if (f->pos < f->len && f->script[f->pos] == '+')
			f->pos++;
		else
			break;
	}
	return (ssize_t)got;
}

static ssize_t fake_write(void *ctx, const void *buf, size_t n)
{
	struct fake *f = ctx;
	sbuf_append(&f->sent, buf, n);
	return (ssize_t)n;
}

static int fake_starttls(void *ctx, struct bio *b, struct sbuf *info, struct sbuf *err)
{
	(void)ctx;
	(void)b;
	(void)err;
	sbuf_set_str(info, "TLSv1.3 FAKE");
	return 0;
}

struct run {
	struct fake f;
	struct smtp_result res;
};

static void run_script(struct run *r, const char *script, struct smtp_job *j)
{
	static const char *const rcpts[] = { "x@d.example", "y@d.example" };
	memset(&r->f, 0, sizeof r->f);
	r->f.script = script;
	r->f.len = strlen(script);
	struct bio b;
	bio_init(&b, -1, -1);
	struct bio_io io = { fake_read, fake_write, NULL, &r->f };
	bio_set_io(&b, &io);
	j->helo = "me.example";
	j->host_text = "mx[192.0.2.1]";
	j->sender = "s@o.example";
	if (!j->rcpts) {
		j->rcpts = rcpts;
		j->n_rcpt = 1;
	}
	if (!j->msg) {
		j->msg = "Subject: x\n\n.dot\n";
		j->msg_len = strlen(j->msg);
	}
	struct smtp_hooks h = { fake_starttls, NULL };
	smtp_result_init(&r->res, j->n_rcpt);
	smtp_client_run(&b, j, &h, &r->res);
	bio_free(&b);
}

static void run_free(struct run *r)
{
	smtp_result_free(&r->res);
	sbuf_free(&r->f.sent);
}

#define OKS "250 ok\r\n"
#define EHLO_PLAIN "220 hi\r\n250-mx\r\n250 SIZE 100000\r\n"

static void test_outcomes(void **state)
{
	(void)state;
	static const struct {
		const char *script;
		enum smtp_tls_mode tls;
		enum smtp_outcome out;
		char rcpt;
		const char *in_text;
	} t[] = {
		{ EHLO_PLAIN OKS OKS "354 go\r\n" "250 queued\r\n221 bye\r\n", SMTP_TLS_OFF, SMTP_OK, 'r', "250 queued" },
		{ EHLO_PLAIN OKS "550 5.1.1 unknown\r\n", SMTP_TLS_OFF, SMTP_PERM, 'h', "550 5.1.1" },
		{ EHLO_PLAIN OKS "450 4.2.0 later\r\n", SMTP_TLS_OFF, SMTP_TEMP, 's', "450 4.2.0" },
		{ EHLO_PLAIN "553 bad sender\r\n", SMTP_TLS_OFF, SMTP_PERM, 'h', "553 bad sender" },
		{ EHLO_PLAIN OKS OKS "554 no\r\n", SMTP_TLS_OFF, SMTP_PERM, 'h', "554 no" },
		{ EHLO_PLAIN OKS OKS "354 go\r\n" "452 full\r\n", SMTP_TLS_OFF, SMTP_TEMP, 's', "452 full" },
		{ EHLO_PLAIN OKS OKS "354 go\r\n", SMTP_TLS_OFF, SMTP_TEMP, 's', "closed" },
		{ "220 hi\r\n500 what\r\n250 helo ok\r\n" OKS OKS "354 go\r\n" OKS, SMTP_TLS_OFF, SMTP_OK, 'r', "250 ok" },
		{ "421 busy\r\n", SMTP_TLS_OFF, SMTP_NEXT_HOST, 0, "greeting" },
		{ "220 hi\r\n250-mx\r\n251 odd\r\n", SMTP_TLS_OFF, SMTP_NEXT_HOST, 0, "malformed" },
		{ EHLO_PLAIN, SMTP_TLS_REQUIRED, SMTP_NEXT_HOST, 0, "STARTTLS" },
		{ "220 hi\r\n250-mx\r\n250 SIZE 10\r\n", SMTP_TLS_OFF, SMTP_PERM, 'h', "5.3.4" },
		{ "220 hi\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250-mx\r\n250 x\r\n" OKS OKS "354 go\r\n" OKS,
		  SMTP_TLS_OPPORTUNISTIC, SMTP_OK, 'r', "TLSv1.3 FAKE" },
		{ "220 hi\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n+250 injected\r\n", SMTP_TLS_OPPORTUNISTIC,
		  SMTP_NEXT_HOST, 0, "after its STARTTLS" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct run r;
		struct smtp_job j = { 0 };
		j.tls = t[i].tls;
		run_script(&r, t[i].script, &j);
		if (r.res.outcome != t[i].out)
			fail_msg("case %zu: outcome %d: %s", i, r.res.outcome, sbuf_cstr(&r.res.text));
		if (t[i].rcpt)
			assert_int_equal(r.res.rcpt_status[0], t[i].rcpt);
		if (!strstr(sbuf_cstr(&r.res.text), t[i].in_text) &&
		    !strstr(sbuf_cstr(&r.res.rcpt_text[0]), t[i].in_text))
			fail_msg("case %zu: %s", i, sbuf_cstr(&r.res.text));
		run_free(&r);
	}
}

static void test_wire_and_pipelining(void **state)
{
	(void)state;
	static const char *const rcpts[] = { "x@d.example", "bad@d.example" };
	struct run r;
	struct smtp_job j = { 0 };
	j.rcpts = rcpts;
	j.n_rcpt = 2;
	j.msg = "a\n.b\n\xc3\xa9";
	j.msg_len = strlen(j.msg);
	j.has_8bit = true;
	run_script(&r, "220 hi\r\n250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE\r\n" OKS
		       OKS "550 no\r\n354 go\r\n" OKS "221 bye\r\n", &j);
	assert_int_equal(r.res.outcome, SMTP_OK);
	assert_int_equal(r.res.rcpt_status[0], 'r');
	assert_int_equal(r.res.rcpt_status[1], 'h');
	assert_string_equal(sbuf_cstr(&r.f.sent),
			    "EHLO me.example\r\n"
			    "MAIL FROM:<s@o.example> SIZE=12 BODY=8BITMIME\r\n"
			    "RCPT TO:<x@d.example>\r\nRCPT TO:<bad@d.example>\r\nDATA\r\n"
			    "a\r\n..b\r\n\xc3\xa9\r\n.\r\nQUIT\r\n");
	run_free(&r);
}

static void test_no_rcpt_accepted(void **state)
{
	(void)state;
	struct run r;
	struct smtp_job j = { 0 };
	run_script(&r, EHLO_PLAIN OKS "550 no\r\n221 bye\r\n", &j);
	assert_int_equal(r.res.outcome, SMTP_PERM);
	assert_null(strstr(sbuf_cstr(&r.f.sent), "DATA"));
	run_free(&r);
}

static void test_bare_cr_never_ends_data(void **state)
{
	(void)state;
	struct run r;
	struct smtp_job j = { 0 };
	j.msg = "a\rb\n";
	j.msg_len = 4;
	run_script(&r, EHLO_PLAIN OKS OKS "354 go\r\n" OKS, &j);
	assert_int_equal(r.res.outcome, SMTP_TEMP);
	assert_null(strstr(sbuf_cstr(&r.f.sent), "\r\n.\r\n"));
	run_free(&r);
}

static void test_auth(void **state)
{
	(void)state;
	struct run r;
	struct smtp_job j = { 0 };
	j.auth_user = "u";
	j.auth_pass = "p";
	run_script(&r, "220 hi\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n", &j);
	assert_int_equal(r.res.outcome, SMTP_TEMP);       /* no TLS */
	assert_null(strstr(sbuf_cstr(&r.f.sent), "AUTH"));
	run_free(&r);
	j = (struct smtp_job){ .auth_user = "u", .auth_pass = "p", .allow_plain_auth = true };
	run_script(&r, "220 hi\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n235 ok\r\n" OKS OKS
		       "354 go\r\n" OKS, &j);
	assert_int_equal(r.res.outcome, SMTP_OK);
	assert_non_null(strstr(sbuf_cstr(&r.f.sent), "AUTH PLAIN AHUAcA==\r\n"));
	run_free(&r);
	j = (struct smtp_job){ .auth_user = "u", .auth_pass = "p", .allow_plain_auth = true };
	run_script(&r, "220 hi\r\n250-mx\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
		       "535 5.7.8 no\r\n", &j);
	assert_int_equal(r.res.outcome, SMTP_TEMP);
	assert_non_null(strstr(sbuf_cstr(&r.f.sent), "AUTH LOGIN\r\ndQ==\r\ncA==\r\n"));
	run_free(&r);
}

/* CRAM-MD5 first when offered: RFC 2195's own example exchange. */
static void test_auth_cram(void **state)
{
	(void)state;
	struct run r;
	struct smtp_job j = { .auth_user = "tim", .auth_pass = "tanstaaftanstaaf",
			      .allow_plain_auth = true };
	run_script(&r, "220 hi\r\n250-mx\r\n250 AUTH PLAIN CRAM-MD5\r\n"
		       "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
		       "235 ok\r\n" OKS OKS "354 go\r\n" OKS, &j);
	assert_int_equal(r.res.outcome, SMTP_OK);
	assert_non_null(strstr(sbuf_cstr(&r.f.sent), "AUTH CRAM-MD5\r\n"
			       "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"));
	run_free(&r);
}

static void test_base64(void **state)
{
	(void)state;
	static const struct { const char *plain, *enc; } t[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct sbuf e = SBUF_INIT, d = SBUF_INIT;
		base64_encode(t[i].plain, strlen(t[i].plain), &e);
		assert_string_equal(sbuf_cstr(&e), t[i].enc);
		assert_int_equal(base64_decode(t[i].enc, strlen(t[i].enc), &d), 0);
		assert_string_equal(sbuf_cstr(&d), t[i].plain);
		sbuf_free(&e);
		sbuf_free(&d);
	}
	static const char *const bad[] = { "Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zg=", "Zg==Zg==" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sbuf d = SBUF_INIT;
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), &d), -1);
		sbuf_free(&d);
	}
}

/* Connection reuse: two transactions on one session (smtp_client_open). */
static void test_reuse(void **state)
{
	(void)state;
	static const struct {
		const char *script;
		enum smtp_outcome first, second;
		bool is_reusable, is_stale, has_rset;
	} t[] = {
		/* both delivered, no RSET between them */
		{ EHLO_PLAIN OKS OKS "354 go\r\n" OKS OKS OKS "354 go\r\n" OKS "221 bye\r\n",
		  SMTP_OK, SMTP_OK, true, false, false },
		/* a refused recipient: RSET before the next transaction */
		{ EHLO_PLAIN OKS "550 5.1.1 no\r\n" OKS OKS OKS "354 go\r\n" OKS "221 bye\r\n",
		  SMTP_PERM, SMTP_OK, true, false, true },
		/* the peer closed the idle connection: stale, nothing sent twice */
		{ EHLO_PLAIN OKS OKS "354 go\r\n" OKS, SMTP_OK, SMTP_TEMP, true, true, false },
		/* RSET refused: not reusable */
		{ EHLO_PLAIN OKS "450 4.2.0 later\r\n" "500 no\r\n", SMTP_TEMP, SMTP_OK, false,
		  false, true },
		/* 421 in a transaction: the peer is closing, not reusable */
		{ EHLO_PLAIN "421 4.3.2 bye\r\n", SMTP_TEMP, SMTP_OK, false, false, false },
	};
	static const char *const rcpts[] = { "x@d.example" };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct fake f = { .script = t[i].script, .len = strlen(t[i].script) };
		struct bio b;
		bio_init(&b, -1, -1);
		struct bio_io io = { fake_read, fake_write, NULL, &f };
		bio_set_io(&b, &io);
		struct smtp_job j = { .helo = "me.example", .host_text = "mx[192.0.2.1]",
		                      .sender = "s@o.example", .rcpts = rcpts, .n_rcpt = 1,
		                      .msg = "Subject: x\n\nbody\n", .msg_len = 17 };
		struct smtp_hooks h = { fake_starttls, NULL };
		struct smtp_result r1, r2;
		smtp_result_init(&r1, 1);
		struct smtp_sess *s = smtp_client_open(&b, &j, &h, &r1);
		assert_non_null(s);
		smtp_client_send(s, &j, &r1);
		assert_int_equal(r1.outcome, t[i].first);
		assert_false(r1.is_stale);
		bool is_reusable = smtp_client_reusable(s);
		assert_int_equal(is_reusable, t[i].is_reusable);
		if (is_reusable) {
			smtp_result_init(&r2, 1);
			smtp_client_send(s, &j, &r2);
			assert_int_equal(r2.outcome, t[i].second);
			assert_int_equal(r2.is_stale, t[i].is_stale);
			smtp_result_free(&r2);
		}
		smtp_client_close(s);
		const char *sent = sbuf_cstr(&f.sent);
		assert_int_equal(strstr(sent, "RSET\r\n") != NULL, t[i].has_rset);
		if (t[i].first == SMTP_OK && t[i].second == SMTP_OK)
			assert_non_null(strstr(strstr(sent, "MAIL FROM") + 1, "MAIL FROM"));
		smtp_result_free(&r1);
		sbuf_free(&f.sent);
		bio_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_wire_and_pipelining),
		cmocka_unit_test(test_no_rcpt_accepted),
		cmocka_unit_test(test_bare_cr_never_ends_data),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_auth_cram),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
