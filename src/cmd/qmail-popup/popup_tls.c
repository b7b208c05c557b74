/*
 * popup_tls.c: STLS (RFC 2595) for qmail-popup's network half (popup.h).
 * Like qmail-smtpd's STARTTLS (smtpd_tls.c): this process never sees a
 * key, it hands the socket to qmail-listen's TLS proxy and reads the
 * handshake's result.
 */
#include "popup.h"

#include "log.h"
#include "tlsctl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TLS_HANDSHAKE_WAIT_MS 70000 /* the proxy's own deadline is 60 s */

static bool read_handshake(int ctl)
{
	char msg[TLSCTL_MSG_MAX];
	int fds[2];
	size_t n_fds;
	struct tlsctl_info info;
	ssize_t n = fdpass_recv(ctl, msg, sizeof msg - 1, fds, 2, &n_fds, TLS_HANDSHAKE_WAIT_MS);
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (n > 0 && tlsctl_parse_ok(msg, (size_t)n, &info) == 0) {
		log_kv(LOG_LEVEL_INFO, "tls", "version", info.version, "cipher", info.cipher, "sni",
		       info.sni[0] ? info.sni : "-", (char *)NULL);
		return true;
	}
	msg[n > 0 ? n : 0] = '\0';
	log_kv(LOG_LEVEL_INFO, "tls", "result", "failed", "reason",
	       n > 0 ? msg : "no answer from the TLS proxy", (char *)NULL);
	return false;
}

/* The socket (fds rfd/wfd) goes to the proxy; they become the plaintext end. */
static bool hand_over(int ctl, struct bio *io)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return false;
	int fds[2] = {io->rfd, pair[1]};
	int rc = tlsctl_send(ctl, "S", 1, fds, 2);
	close(pair[1]);
	if (rc < 0 || dup2(pair[0], io->rfd) < 0 ||
	    (io->wfd != io->rfd && dup2(pair[0], io->wfd) < 0)) {
		close(pair[0]);
		return false;
	}
	close(pair[0]);
	return true;
}

static void log_dropped(size_t dropped)
{
	struct sbuf n = SBUF_INIT;
	sbuf_append_ulong(&n, dropped);
	log_kv(LOG_LEVEL_INFO, "stls", "discarded", n.s, (char *)NULL);
	sbuf_free(&n);
}

bool popup_tls_start(int tls_ctl, int chan, struct bio *io, const struct sbuf *reply)
{
	size_t dropped = bio_purge(io); /* as D-12: nothing said before TLS counts */
	if (dropped > 0)
		log_dropped(dropped);
	if (bio_put(io, reply->s, reply->len) != BIO_OK || bio_flush(io) != BIO_OK)
		return false;
	if (!hand_over(tls_ctl, io) || !read_handshake(tls_ctl))
		return false;
	char tag = POPUP_MSG_NEWFD;
	if (tlsctl_send(chan, &tag, 1, &io->rfd, 1) < 0) {
		log_kv(LOG_LEVEL_ERROR, "stls", "error", strerror(errno), (char *)NULL);
		return false;
	}
	return true;
}
