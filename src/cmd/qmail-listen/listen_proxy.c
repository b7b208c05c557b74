/*
 * listen_proxy.c: the TLS relay of one connection (see listen.h).
 *
 * Bytes move between the TLS connection on the client socket and the
 * plaintext socketpair end that qmail-smtpd reads and writes; the control
 * channel stays open for password checks.  Nothing here parses the data.
 * Each pass moves what it can without blocking; only when a pass made no
 * progress does the loop poll, for the events the stalled side asked for.
 * A side is read only while it may have data: after poll said so, or while
 * its last read filled the buffer (TLS: while OpenSSL holds buffered
 * bytes).  A short read means drained, so a request and its reply cost one
 * poll, one read and one write a side, not a failed read of each side too.
 */
#include "listen.h"

#include "fdio.h"

#include "tls_server.h"
#include "tlsctl.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROXY_BUF 16384
#define PROXY_IDLE_MS (20 * 60 * 1000) /* smtpd's own deadlines come first */

struct lane {
	char buf[PROXY_BUF];
	size_t pos, len;
};

struct relay {
	struct tls_conn *tls;
	int sock, plain, ctl;
	bool tls_eof, plain_eof, failed;
	bool tls_ready, plain_ready; /* may have data to read (see above) */
	struct lane down; /* TLS -> plaintext */
	struct lane up;   /* plaintext -> TLS */
	const struct listen_peer *peer;
};

/* TLS -> down lane -> plain; true if anything moved. */
static bool move_down(struct relay *r)
{
	bool moved = false;
	if (r->down.len == 0 && !r->tls_eof && r->tls_ready) {
		ssize_t n = tls_conn_read(r->tls, r->down.buf, sizeof r->down.buf);
		if (n > 0) {
			r->down.pos = 0;
			r->down.len = (size_t)n;
			r->tls_ready = tls_conn_has_buffered(r->tls);
			moved = true;
		} else if (n < 0 && errno == EAGAIN) {
			r->tls_ready = false;
		} else {
			r->tls_eof = true;
			r->failed = n < 0;
			shutdown(r->plain, SHUT_WR);
			moved = true;
		}
	}
	if (r->down.len > 0) {
		ssize_t n = send(r->plain, r->down.buf + r->down.pos, r->down.len, MSG_DONTWAIT |
		                 MSG_NOSIGNAL);
		if (n > 0) {
			r->down.pos += (size_t)n;
			r->down.len -= (size_t)n;
			moved = true;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			r->plain_eof = true; /* smtpd is gone */
			r->down.len = 0;
			moved = true;
		}
	}
	return moved;
}

/* plain -> up lane -> TLS; true if anything moved. */
static bool move_up(struct relay *r)
{
	bool moved = false;
	if (r->up.len == 0 && !r->plain_eof && r->plain_ready) {
		ssize_t n = recv(r->plain, r->up.buf, sizeof r->up.buf, MSG_DONTWAIT);
		if (n > 0) {
			r->up.pos = 0;
			r->up.len = (size_t)n;
			r->plain_ready = (size_t)n == sizeof r->up.buf;
			moved = true;
		} else if (n < 0 && errno == EAGAIN) {
			r->plain_ready = false;
		} else if (n == 0 || errno != EINTR) {
			r->plain_eof = true;
			moved = true;
		}
	}
	if (r->up.len > 0 && !r->tls_eof) {
		ssize_t n = tls_conn_write(r->tls, r->up.buf + r->up.pos, r->up.len);
		if (n > 0) {
			r->up.pos += (size_t)n;
			r->up.len -= (size_t)n;
			moved = true;
		} else if (n == 0 || errno != EAGAIN) {
			r->tls_eof = r->failed = true;
			r->up.len = 0;
			moved = true;
		}
	} else if (r->tls_eof) {
		r->up.len = 0;
	}
	return moved;
}

static void serve_ctl(struct relay *r)
{
	char msg[TLSCTL_MSG_MAX];
	int fds[2];
	size_t n_fds;
	ssize_t n = fdpass_recv(r->ctl, msg, sizeof msg, fds, 2, &n_fds, 0);
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (n <= 0) {
		if (n == 0 || errno != ETIMEDOUT)
			r->ctl = -1; /* the caller closes it */
		return;
	}
	listen_auth_serve(r->ctl, r->peer, msg, (size_t)n);
}

static int wait_events(struct relay *r)
{
	struct pollfd p[3];
	short tls_ev = tls_conn_events(r->tls);
	p[0] = (struct pollfd){r->sock, 0, 0};
	if ((r->down.len == 0 && !r->tls_eof) || (r->up.len > 0 && !r->tls_eof))
		p[0].events = tls_ev;
	p[1] = (struct pollfd){r->plain, 0, 0};
	if (r->up.len == 0 && !r->plain_eof)
		p[1].events |= POLLIN;
	if (r->down.len > 0)
		p[1].events |= POLLOUT;
	p[2] = (struct pollfd){r->ctl, POLLIN, 0};
	int rc = poll(p, r->ctl >= 0 ? 3 : 2, PROXY_IDLE_MS);
	if (rc == 0)
		return -1;
	if (rc > 0) {
		/* any event on the TLS socket may let OpenSSL go on, whichever
		 * direction it asked for; errors and hang-ups show on the read */
		r->tls_ready |= p[0].revents != 0;
		r->plain_ready |= (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
	}
	if (rc > 0 && r->ctl >= 0 && p[2].revents)
		serve_ctl(r);
	return 0;
}

int listen_proxy_run(struct tls_conn *tls, int sock, int plain, int ctl,
                     const struct listen_peer *peer)
{
	static struct relay r; /* 32 KiB of buffers: off the stack */
	memset(&r, 0, sizeof r);
	r.tls = tls;
	r.sock = sock;
	r.plain = plain;
	r.ctl = ctl;
	r.peer = peer;
	r.tls_ready = r.plain_ready = true;
	(void)fd_set_nonblock(plain, 1);
	for (;;) {
		/* smtpd's side first: once it has closed and its last reply is
		 * out, the session is over, whatever the client does next */
		bool moved = move_up(&r);
		if (r.plain_eof && r.up.len == 0)
			break; /* smtpd closed: all its output went out */
		moved |= move_down(&r);
		if (r.tls_eof && r.down.len == 0 && r.plain_eof)
			break;
		if (!moved && wait_events(&r) < 0)
			break;
	}
	return r.failed ? -1 : 0;
}
