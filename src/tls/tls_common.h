/*
 * tls_common.h: the OpenSSL plumbing shared by the client (qmail-remote)
 * and the server (qmail-listen's TLS proxy).
 *
 * tls_error formats OpenSSL's first queued error after "what [file]" into
 * err (replacing its content) and clears the queue.  tls_wait_io waits for
 * the socket the way the last SSL call asked (read or write) until the
 * monotonic deadline (bio_now_ms); false on timeout or poll error.
 * tls_io_result maps an SSL_read/SSL_write result to the bio transport's
 * convention: bytes, 0 at a clean close, -1 with errno EAGAIN when OpenSSL
 * wants I/O (and *last_err, if given, says which), -1 with errno otherwise.
 */
#ifndef QNG_TLS_COMMON_H
#define QNG_TLS_COMMON_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbuf.h"

void tls_error(struct sbuf *err, const char *what, const char *file);
bool tls_wait_io(int fd, int ssl_err, uint64_t deadline);
ssize_t tls_io_result(SSL *ssl, int rc, int *last_err);

#endif
