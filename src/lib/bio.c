#include "bio.h"

#include "alloc.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t bio_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Is fd readable/writable right now?  Used only for non-sockets. */
static bool fd_ready_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;
	do
		rc = poll(&p, 1, 0);
	while (rc < 0 && errno == EINTR);
	return rc != 0;     /* errors: let the read/write report them */
}

/* Default transport: never blocks, so that the deadline always holds. */
static ssize_t default_read(void *ctx, void *buf, size_t n)
{
	struct bio *b = ctx;
	if (b->r_sock != 0) {
		ssize_t r = recv(b->rfd, buf, n, MSG_DONTWAIT);
		if (r >= 0 || errno != ENOTSOCK) {
			b->r_sock = 1;
			return r;
		}
		b->r_sock = 0;
	}
	if (!fd_ready_now(b->rfd, POLLIN)) {
		errno = EAGAIN;
		return -1;
	}
	return read(b->rfd, buf, n);
}

static ssize_t default_write(void *ctx, const void *buf, size_t n)
{
	struct bio *b = ctx;
	if (b->w_sock != 0) {
		ssize_t r = send(b->wfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r >= 0 || errno != ENOTSOCK) {
			b->w_sock = 1;
			return r;
		}
		b->w_sock = 0;
	}
	if (!fd_ready_now(b->wfd, POLLOUT)) {
		errno = EAGAIN;
		return -1;
	}
	return write(b->wfd, buf, n);
}

void bio_init(struct bio *b, int rfd, int wfd)
{
	memset(b, 0, sizeof *b);
	b->rfd = rfd;
	b->wfd = wfd;
	b->r_sock = b->w_sock = -1;
	b->timeout_ms = BIO_TIMEOUT_DEFAULT_MS;
	b->in = xmalloc(BIO_BUF_SIZE);
	b->out = xmalloc(BIO_BUF_SIZE);
}

void bio_free(struct bio *b)
{
	free(b->in);
	free(b->out);
	b->in = b->out = NULL;
	b->in_pos = b->in_len = b->out_len = 0;
}

void bio_set_io(struct bio *b, const struct bio_io *io)
{
	b->has_io = io != NULL;
	if (io)
		b->io = *io;
}

void bio_set_timeout(struct bio *b, unsigned ms)
{
	b->timeout_ms = ms;
}

void bio_rate_start(struct bio *b, uint64_t bytes_per_sec, unsigned grace_s)
{
	b->rate_on = bytes_per_sec > 0;
	b->rate_min = bytes_per_sec;
	b->rate_grace_ms = (uint64_t)grace_s * 1000u;
	b->rate_start_ms = bio_now_ms();
	b->rate_bytes = 0;
}

void bio_rate_stop(struct bio *b)
{
	b->rate_on = false;
}

static ssize_t io_read(struct bio *b, void *buf, size_t n)
{
	return b->has_io ? b->io.read(b->io.ctx, buf, n) : default_read(b, buf, n);
}

static ssize_t io_write(struct bio *b, const void *buf, size_t n)
{
	return b->has_io ? b->io.write(b->io.ctx, buf, n) : default_write(b, buf, n);
}

/* The time by which the next input byte must arrive to keep the rate. */
static uint64_t rate_deadline(const struct bio *b)
{
	uint64_t extra = b->rate_bytes > UINT64_MAX / 1000u
		? UINT64_MAX / 2 : b->rate_bytes * 1000u / b->rate_min;
	uint64_t d = b->rate_start_ms + b->rate_grace_ms;
	return extra > UINT64_MAX - d ? UINT64_MAX : d + extra;
}

/* Waits until fd has events or a deadline passes. */
static int wait_fd(struct bio *b, int fd, short events, uint64_t deadline, bool use_rate)
{
	uint64_t limit = deadline;
	bool rate_limited = false;
	if (use_rate && b->rate_on) {
		uint64_t rd = rate_deadline(b);
		if (rd < limit) {
			limit = rd;
			rate_limited = true;
		}
	}
	/* Poll at least once, even when the deadline has already passed, so a
	 * zero wait still sees bytes that are waiting (D-13's early talkers). */
	for (;;) {
		uint64_t now = bio_now_ms();
		uint64_t left = now >= limit ? 0 : limit - now;
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return BIO_ERROR;
		if (rc == 0 && left == 0)
			return rate_limited ? BIO_TOO_SLOW : BIO_TIMEOUT;
		if (rc > 0) {
			if (p.revents & POLLNVAL) {
				errno = EBADF;
				return BIO_ERROR;
			}
			return BIO_OK;
		}
	}
}

static uint64_t deadline_from_now(const struct bio *b)
{
	return bio_now_ms() + b->timeout_ms;
}

/* Reads more input into an empty buffer. */
static int fill(struct bio *b, uint64_t deadline)
{
	b->in_pos = b->in_len = 0;
	for (;;) {
		ssize_t r = io_read(b, b->in, BIO_BUF_SIZE);
		if (r > 0) {
			b->in_len = (size_t)r;
			b->rate_bytes += (uint64_t)r;
			return BIO_OK;
		}
		if (r == 0)
			return BIO_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return BIO_ERROR;
		int w = wait_fd(b, b->rfd, POLLIN, deadline, true);
		if (w != BIO_OK)
			return w;
	}
}

static int line_finish(struct sbuf *out, size_t max, bool too_long, bool at_eof,
                       enum bio_line *how)
{
	if (!too_long && !at_eof && out->len > 0 && out->s[out->len - 1] == '\r') {
		sbuf_truncate(out, out->len - 1);
		*how = BIO_LINE_CRLF;
	} else {
		*how = at_eof ? BIO_LINE_PARTIAL : BIO_LINE_LF;
	}
	if (too_long || out->len > max) {
		sbuf_truncate(out, max);
		*how = BIO_LINE_TOO_LONG;
	}
	return BIO_OK;
}

int bio_read_line(struct bio *b, size_t max, struct sbuf *out, enum bio_line *how)
{
	uint64_t deadline = deadline_from_now(b);
	bool too_long = false;
	size_t keep;
	/* Room for max bytes plus a CR that may precede the LF. */
	if (!size_add(max, 1, &keep))
		keep = SIZE_MAX;
	sbuf_clear(out);
	for (;;) {
		if (b->in_pos == b->in_len) {
			int r = fill(b, deadline);
			if (r == BIO_EOF && (out->len > 0 || too_long))
				return line_finish(out, max, too_long, true, how);
			if (r != BIO_OK)
				return r;
		}
		const char *p = b->in + b->in_pos;
		size_t avail = b->in_len - b->in_pos;
		const char *lf = memchr(p, '\n', avail);
		size_t take = lf ? (size_t)(lf - p) : avail;
		if (!too_long) {
			size_t room = keep - out->len;
			sbuf_append(out, p, take < room ? take : room);
			if (take > room)
				too_long = true;
		}
		b->in_pos += take + (lf ? 1 : 0);
		if (lf)
			return line_finish(out, max, too_long, false, how);
	}
}

int bio_read(struct bio *b, void *buf, size_t n, size_t *got)
{
	*got = 0;
	if (n == 0)
		return BIO_OK;
	if (b->in_pos == b->in_len) {
		int r = fill(b, deadline_from_now(b));
		if (r != BIO_OK)
			return r;
	}
	size_t avail = b->in_len - b->in_pos;
	size_t take = n < avail ? n : avail;
	memcpy(buf, b->in + b->in_pos, take);
	b->in_pos += take;
	*got = take;
	return BIO_OK;
}

size_t bio_buffered(const struct bio *b)
{
	size_t n = b->in_len - b->in_pos;
	if (b->has_io && b->io.pending) {
		size_t extra = b->io.pending(b->io.ctx);
		n = extra > SIZE_MAX - n ? SIZE_MAX : n + extra;
	}
	return n;
}

int bio_input_ready(struct bio *b, unsigned wait_ms)
{
	if (bio_buffered(b) > 0)
		return 1;
	int r = wait_fd(b, b->rfd, POLLIN, bio_now_ms() + wait_ms, false);
	if (r == BIO_OK)
		return 1;
	return r == BIO_TIMEOUT ? 0 : -1;
}

size_t bio_purge(struct bio *b)
{
	size_t n = b->in_len - b->in_pos;
	b->in_pos = b->in_len = 0;
	return n;
}

static int write_all(struct bio *b, const char *p, size_t n, uint64_t deadline)
{
	while (n > 0) {
		ssize_t w = io_write(b, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			if (w == 0)
				errno = EIO;
			return BIO_ERROR;
		}
		int r = wait_fd(b, b->wfd, POLLOUT, deadline, false);
		if (r != BIO_OK)
			return r;
	}
	return BIO_OK;
}

static int flush_until(struct bio *b, uint64_t deadline)
{
	int r = write_all(b, b->out, b->out_len, deadline);
	b->out_len = 0;     /* after a failure the stream is dead anyway */
	return r;
}

int bio_flush(struct bio *b)
{
	if (b->out_len == 0)
		return BIO_OK;
	return flush_until(b, deadline_from_now(b));
}

int bio_put(struct bio *b, const void *p, size_t n)
{
	if (n <= BIO_BUF_SIZE - b->out_len) {
		if (n)
			memcpy(b->out + b->out_len, p, n);
		b->out_len += n;
		return BIO_OK;
	}
	uint64_t deadline = deadline_from_now(b);
	int r = flush_until(b, deadline);
	if (r != BIO_OK)
		return r;
	if (n >= BIO_BUF_SIZE)
		return write_all(b, p, n, deadline);
	memcpy(b->out, p, n);
	b->out_len = n;
	return BIO_OK;
}

int bio_puts(struct bio *b, const char *s)
{
	return bio_put(b, s, strlen(s));
}
