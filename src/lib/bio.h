/*
 * bio.h: buffered input and output on a pair of descriptors, with deadlines.
 *
 * One struct bio reads from rfd and writes to wfd (they may be equal, or -1
 * when a direction is unused).  Every blocking call (bio_read_line,
 * bio_read, bio_flush, bio_put when its buffer is full) waits with poll()
 * against a deadline on CLOCK_MONOTONIC (POLICY D-18): the call's timeout,
 * set with bio_set_timeout (default 300 s, D-20), measured from the start
 * of the call.  Optionally a minimum input rate (D-20: 500 B/s after the
 * first 30 s of DATA) is enforced between bio_rate_start and bio_rate_stop:
 * at elapsed time t > grace, at least rate * (t - grace) bytes must have
 * arrived since bio_rate_start, else BIO_TOO_SLOW.
 *
 * Results: BIO_OK (1), BIO_EOF (0), and negative failures BIO_ERROR (errno
 * set), BIO_TIMEOUT, BIO_TOO_SLOW.  After a failure the stream is dead:
 * callers close the connection.
 *
 * Lines (bio_read_line): the returned line has no line terminator; *how
 * says whether it ended in CRLF, bare LF, was longer than max bytes (then
 * out holds its first max bytes and the rest up to and including the next
 * LF has been read and discarded without buffering it, D-06), or ended at
 * EOF without LF.  max counts the bytes before CRLF/LF.
 *
 * The default transport uses recv/send with MSG_DONTWAIT on sockets (so a
 * deadline holds without changing the descriptor's flags) and read/write
 * otherwise.  bio_set_io plugs in another transport (TLS): read and write
 * return bytes moved, 0 at EOF (read), or -1 with errno (EAGAIN: the bio
 * polls the descriptor and retries); pending, if set, tells how many bytes
 * the transport already holds so the bio does not wait for the fd.
 */
#ifndef QNG_BIO_H
#define QNG_BIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbuf.h"

#define BIO_BUF_SIZE 16384
#define BIO_TIMEOUT_DEFAULT_MS (300u * 1000u)

enum bio_result {
	BIO_OK = 1,
	BIO_EOF = 0,
	BIO_ERROR = -1,
	BIO_TIMEOUT = -2,
	BIO_TOO_SLOW = -3,
};

enum bio_line {
	BIO_LINE_CRLF,
	BIO_LINE_LF,        /* bare LF */
	BIO_LINE_TOO_LONG,  /* over max; rest discarded through the next LF */
	BIO_LINE_PARTIAL,   /* EOF after some bytes, no LF */
};

struct bio_io {
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	ssize_t (*write)(void *ctx, const void *buf, size_t n);
	size_t (*pending)(void *ctx);   /* optional */
	void *ctx;
};

struct bio {
	int rfd, wfd;
	struct bio_io io;
	bool has_io;
	signed char r_sock, w_sock;     /* default transport: -1 unknown */
	unsigned timeout_ms;
	char *in;               /* BIO_BUF_SIZE bytes */
	size_t in_pos, in_len;  /* unread bytes are in[in_pos .. in_len) */
	char *out;              /* BIO_BUF_SIZE bytes */
	size_t out_len;
	/* minimum input rate */
	bool rate_on;
	uint64_t rate_min;      /* bytes per second */
	uint64_t rate_grace_ms;
	uint64_t rate_start_ms;
	uint64_t rate_bytes;
};

void bio_init(struct bio *b, int rfd, int wfd);
void bio_free(struct bio *b);   /* frees buffers; does not close fds */
/* io NULL: back to the default transport. The struct is copied. */
void bio_set_io(struct bio *b, const struct bio_io *io);
void bio_set_timeout(struct bio *b, unsigned ms);
/* Start measuring the input rate (bytes_per_sec 0: no minimum). */
void bio_rate_start(struct bio *b, uint64_t bytes_per_sec, unsigned grace_s);
void bio_rate_stop(struct bio *b);

int bio_read_line(struct bio *b, size_t max, struct sbuf *out, enum bio_line *how);
/* Up to n raw bytes: buffered ones first, else one wait and one read.
 * Returns BIO_OK with *got > 0, BIO_EOF, or a failure. */
int bio_read(struct bio *b, void *buf, size_t n, size_t *got);
/* Bytes already read from the fd (plus the transport's pending bytes). */
size_t bio_buffered(const struct bio *b);
/* 1 if input is buffered or arrives within wait_ms, 0 if not, -1 error. */
int bio_input_ready(struct bio *b, unsigned wait_ms);
/* Drops buffered input (D-12); returns how many bytes were dropped. */
size_t bio_purge(struct bio *b);

int bio_put(struct bio *b, const void *p, size_t n);
int bio_puts(struct bio *b, const char *s);
int bio_flush(struct bio *b);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t bio_now_ms(void);

#endif
