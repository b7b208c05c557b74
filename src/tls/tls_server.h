/*
 * tls_server.h: the server side of TLS (OpenSSL 3) for qmail-listen.
 *
 * Contexts: tls_server_load builds one SSL_CTX from certfile (PEM: private
 * key and certificate chain in one file, control/servercert.pem) and one
 * more for every sni_dir/NAME.pem (NAME: a lower-case host name; a client
 * asking for NAME by SNI gets that certificate, any other name the
 * default).  TLS 1.2 and 1.3 only, no renegotiation, no compression.
 * OpenSSL 3 makes building a context slow, so this runs once in the
 * long-lived listener and again only on reload; connections get forked
 * copies.  Returns NULL with a reason in err.  sni_dir may be missing.
 *
 * Connections: tls_server_accept runs the handshake on a connected socket
 * (made non-blocking) against one deadline of timeout_ms (CLOCK_MONOTONIC).
 * tls_conn_read/tls_conn_write return bytes moved, 0 at a clean EOF
 * (read), or -1 with errno (EAGAIN: wait for the events tls_conn_events
 * returns, POLLIN or POLLOUT).  tls_conn_close sends close_notify (best
 * effort) and frees the connection; the fd stays open.
 */
#ifndef QNG_TLS_SERVER_H
#define QNG_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sbuf.h"

#define TLS_SERVER_SNI_MAX 256   /* per-name certificates loaded at most */
#define TLS_SERVER_CERT_MAX (1u << 20)

struct tls_server;
struct tls_conn;

struct tls_server *tls_server_load(const char *certfile, const char *sni_dir,
                                   struct sbuf *err);
size_t tls_server_n_names(const struct tls_server *t);
void tls_server_free(struct tls_server *t);
/* A handshake and one record each way between an in-memory client and the
 * default context (certificate and key included), run in the listener after
 * every load: OpenSSL 3 fetches and caches its algorithms, and the dynamic
 * linker binds the libraries' symbols, on first use in a process; done
 * once here, every forked proxy inherits them instead of doing it again.
 * 0 when the handshake completed, -1 otherwise (harmless: nothing kept). */
int tls_server_warm(struct tls_server *t);
/* true for a name usable as sni_dir/NAME.pem: [a-z0-9.-], no "..". */
bool tls_server_name_valid(const char *name);

struct tls_conn *tls_server_accept(struct tls_server *t, int fd, unsigned timeout_ms,
                                   struct sbuf *err);
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t n);
ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t n);
size_t tls_conn_pending(const struct tls_conn *c);
/* Whether OpenSSL holds received bytes not yet returned (whole records or
 * not; the contexts read ahead), so that a read may succeed without the
 * socket becoming readable again. */
bool tls_conn_has_buffered(const struct tls_conn *c);
short tls_conn_events(const struct tls_conn *c);
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);
const char *tls_conn_sni(const struct tls_conn *c);   /* "" when none */
void tls_conn_close(struct tls_conn *c);

#endif
