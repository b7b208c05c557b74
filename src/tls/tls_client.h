/*
 * tls_client.h: the client side of TLS (OpenSSL 3), for qmail-remote.
 * This directory is the only place that includes OpenSSL headers.
 *
 * tls_client_start runs a handshake over a connected socket (made
 * non-blocking; each step waits with poll() against one deadline of
 * timeout_ms on CLOCK_MONOTONIC).  TLS 1.2 is the minimum.  SNI is sent
 * when cfg->sni is a name (not an address literal).  With want_verify the
 * peer's chain must verify against cfg->cafile (NULL: the system store) and
 * its name must match cfg->sni; otherwise nothing is verified
 * (opportunistic TLS) and tls_client_verified tells whether it would have.
 * cfg->certfile, when set, holds the client certificate and its key (PEM,
 * control/clientcert.pem).  Returns NULL with a reason in err on failure.
 *
 * tls_client_io fills a struct bio_io (bio.h) so a bio runs over TLS:
 * read/write return bytes, 0 at EOF, or -1 with errno EAGAIN when the
 * socket must be waited for.  tls_client_close sends close_notify (best
 * effort) and frees everything; it does not close the fd.
 */
#ifndef QNG_TLS_CLIENT_H
#define QNG_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "bio.h"
#include "sbuf.h"

struct tls_client_config {
	const char *cafile;
	bool want_verify;
	const char *certfile;
	const char *sni;
};

struct tls_client;

struct tls_client *tls_client_start(int fd, const struct tls_client_config *cfg,
                                    unsigned timeout_ms, struct sbuf *err);
void tls_client_io(struct tls_client *c, struct bio_io *io);
const char *tls_client_version(const struct tls_client *c);
const char *tls_client_cipher(const struct tls_client *c);
bool tls_client_verified(const struct tls_client *c);
void tls_client_close(struct tls_client *c);

#endif
