#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bio.h"
#include "fdio.h"

#define MAX 16

/* Feeds data into a socketpair and reads it back through a bio. */
struct line_case {
	const char *in;
	int rc;
	enum bio_line how;
	const char *line;
};

static const struct line_case line_cases[] = {
	{ "HELO x\r\n", BIO_OK, BIO_LINE_CRLF, "HELO x" },
	{ "HELO x\n", BIO_OK, BIO_LINE_LF, "HELO x" },
	{ "\r\n", BIO_OK, BIO_LINE_CRLF, "" },
	{ "\n", BIO_OK, BIO_LINE_LF, "" },
	{ "a\rb\r\n", BIO_OK, BIO_LINE_CRLF, "a\rb" },
	{ "partial", BIO_OK, BIO_LINE_PARTIAL, "partial" },
	{ "", BIO_EOF, BIO_LINE_LF, "" },
	/* max - 1, max, max + 1 with both endings */
	{ "123456789012345\r\n", BIO_OK, BIO_LINE_CRLF, "123456789012345" },
	{ "1234567890123456\r\n", BIO_OK, BIO_LINE_CRLF, "1234567890123456" },
	{ "12345678901234567\r\n", BIO_OK, BIO_LINE_TOO_LONG, "1234567890123456" },
	{ "123456789012345\n", BIO_OK, BIO_LINE_LF, "123456789012345" },
	{ "1234567890123456\n", BIO_OK, BIO_LINE_LF, "1234567890123456" },
	{ "12345678901234567\n", BIO_OK, BIO_LINE_TOO_LONG, "1234567890123456" },
	{ "1234567890123456\r\r\n", BIO_OK, BIO_LINE_TOO_LONG, "1234567890123456" },
	{ "12345678901234567", BIO_OK, BIO_LINE_TOO_LONG, "1234567890123456" },
};

static void test_line_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof line_cases / sizeof line_cases[0]; i++) {
		const struct line_case *c = &line_cases[i];
		int sv[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		assert_int_equal(fd_write_all(sv[1], c->in, strlen(c->in)), 0);
		close(sv[1]);
		struct bio b;
		bio_init(&b, sv[0], -1);
		bio_set_timeout(&b, 2000);
		struct sbuf line = SBUF_INIT;
		enum bio_line how = BIO_LINE_LF;
		int rc = bio_read_line(&b, MAX, &line, &how);
		assert_int_equal(rc, c->rc);
		if (rc == BIO_OK) {
			assert_int_equal(how, c->how);
			assert_int_equal(line.len, strlen(c->line));
			assert_memory_equal(sbuf_cstr(&line), c->line, line.len);
		}
		sbuf_free(&line);
		bio_free(&b);
		close(sv[0]);
	}
}

static void test_too_long_then_next(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	/* 100 KiB line: discarded without buffering, then the next line. */
	size_t n = 100 * 1024;
	char *big = malloc(n);
	memset(big, 'x', n);
	if (fork() == 0) {
		close(p[0]);
		fd_write_all(p[1], big, n);
		fd_write_all(p[1], "\r\nNEXT\r\n", 8);
		_exit(0);
	}
	close(p[1]);
	struct bio b;
	bio_init(&b, p[0], -1);
	bio_set_timeout(&b, 5000);
	struct sbuf line = SBUF_INIT;
	enum bio_line how;
	assert_int_equal(bio_read_line(&b, 4096, &line, &how), BIO_OK);
	assert_int_equal(how, BIO_LINE_TOO_LONG);
	assert_int_equal(line.len, 4096);
	assert_true(line.cap <= 8192);
	assert_int_equal(bio_read_line(&b, 4096, &line, &how), BIO_OK);
	assert_int_equal(how, BIO_LINE_CRLF);
	assert_string_equal(sbuf_cstr(&line), "NEXT");
	assert_int_equal(bio_read_line(&b, 4096, &line, &how), BIO_EOF);
	sbuf_free(&line);
	bio_free(&b);
	free(big);
	close(p[0]);
}

static void test_timeout_and_rate(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct bio b;
	bio_init(&b, sv[0], sv[0]);
	bio_set_timeout(&b, 100);
	struct sbuf line = SBUF_INIT;
	enum bio_line how;
	uint64_t t0 = bio_now_ms();
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_TIMEOUT);
	uint64_t dt = bio_now_ms() - t0;
	assert_true(dt >= 100 && dt < 1000);

	/* The rate rule: with no grace and no bytes the deadline is now. */
	bio_set_timeout(&b, 5000);
	bio_rate_start(&b, 1000, 0);
	t0 = bio_now_ms();
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_TOO_SLOW);
	assert_true(bio_now_ms() - t0 < 1000);
	/* Grace of 1 s then 1000 B/s: 600 bytes buy 0.6 s more. */
	bio_rate_start(&b, 1000, 1);
	fd_write_all(sv[1], "x", 1);
	assert_int_equal(bio_read_line(&b, 1000, &line, &how), BIO_TOO_SLOW);
	dt = bio_now_ms() - b.rate_start_ms;
	assert_true(dt >= 1000 && dt < 2500);
	bio_rate_stop(&b);
	fd_write_all(sv[1], "\n", 1);
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_OK);
	sbuf_free(&line);
	bio_free(&b);
	close(sv[0]);
	close(sv[1]);
}

static void test_raw_buffered_purge(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct bio b;
	bio_init(&b, sv[0], sv[0]);
	bio_set_timeout(&b, 1000);
	assert_int_equal(bio_input_ready(&b, 10), 0);
	assert_int_equal(bio_buffered(&b), 0);
	fd_write_all(sv[1], "STARTTLS\r\nEHLO evil\r\n", 21);
	assert_int_equal(bio_input_ready(&b, 10), 1);
	struct sbuf line = SBUF_INIT;
	enum bio_line how;
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_OK);
	assert_string_equal(sbuf_cstr(&line), "STARTTLS");
	assert_int_equal(bio_buffered(&b), 11);   /* D-12: pipelined bytes */
	assert_int_equal(bio_purge(&b), 11);
	assert_int_equal(bio_buffered(&b), 0);
	fd_write_all(sv[1], "abcdef", 6);
	char buf[4];
	size_t got;
	assert_int_equal(bio_read(&b, buf, 4, &got), BIO_OK);
	assert_int_equal(got, 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(bio_read(&b, buf, 4, &got), BIO_OK);
	assert_int_equal(got, 2);
	assert_int_equal(bio_read(&b, buf, 0, &got), BIO_OK);
	assert_int_equal(got, 0);
	close(sv[1]);
	assert_int_equal(bio_read(&b, buf, 4, &got), BIO_EOF);
	sbuf_free(&line);
	bio_free(&b);
	close(sv[0]);
}

static void test_writer(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct bio b;
	bio_init(&b, -1, sv[0]);
	bio_set_timeout(&b, 200);
	assert_int_equal(bio_puts(&b, "220 hi\r\n"), BIO_OK);
	assert_int_equal(bio_flush(&b), BIO_OK);
	char buf[16];
	assert_int_equal(read(sv[1], buf, sizeof buf), 8);
	/* Peer never reads: the writer gives up at its deadline. */
	size_t n = 8u * 1024u * 1024u;
	char *big = calloc(1, n);
	uint64_t t0 = bio_now_ms();
	int rc = bio_put(&b, big, n);
	assert_int_equal(rc, BIO_TIMEOUT);
	assert_true(bio_now_ms() - t0 < 2000);
	free(big);
	close(sv[1]);
	/* Peer gone: an error, not SIGPIPE. */
	assert_int_equal(bio_puts(&b, "x"), BIO_OK);
	assert_int_equal(bio_flush(&b), BIO_ERROR);
	assert_int_equal(errno, EPIPE);
	bio_free(&b);
	close(sv[0]);
}

struct mem_io {
	const char *data;
	size_t len, pos;
	struct sbuf written;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
	struct mem_io *m = ctx;
	size_t left = m->len - m->pos;
	size_t take = n < left ? n : left;
	if (take > 3)
		take = 3;      /* short reads on purpose */
	memcpy(buf, m->data + m->pos, take);
	m->pos += take;
	return (ssize_t)take;
}

static ssize_t mem_write(void *ctx, const void *buf, size_t n)
{
	struct mem_io *m = ctx;
	size_t take = n > 5 ? 5 : n;
	sbuf_append(&m->written, buf, take);
	return (ssize_t)take;
}

static void test_custom_io(void **state)
{
	(void)state;
	struct mem_io m = { "EHLO a\r\nQUIT\n", 13, 0, SBUF_INIT };
	struct bio_io io = { mem_read, mem_write, NULL, &m };
	struct bio b;
	bio_init(&b, -1, -1);
	bio_set_io(&b, &io);
	struct sbuf line = SBUF_INIT;
	enum bio_line how;
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_OK);
	assert_string_equal(sbuf_cstr(&line), "EHLO a");
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_OK);
	assert_int_equal(how, BIO_LINE_LF);
	assert_int_equal(bio_read_line(&b, 100, &line, &how), BIO_EOF);
	assert_int_equal(bio_puts(&b, "250-hello there\r\n"), BIO_OK);
	assert_int_equal(bio_flush(&b), BIO_OK);
	assert_string_equal(sbuf_cstr(&m.written), "250-hello there\r\n");
	sbuf_free(&m.written);
	sbuf_free(&line);
	bio_free(&b);
}

static void test_pipe_deadline(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct bio b;
	bio_init(&b, p[0], -1);
	bio_set_timeout(&b, 50);
	char c;
	size_t got;
	assert_int_equal(bio_read(&b, &c, 1, &got), BIO_TIMEOUT);
	bio_free(&b);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_table),
		cmocka_unit_test(test_too_long_then_next),
		cmocka_unit_test(test_timeout_and_rate),
		cmocka_unit_test(test_raw_buffered_purge),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_custom_io),
		cmocka_unit_test(test_pipe_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
