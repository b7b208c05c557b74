#include "tls_client.h"
#include "tls_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fdio.h"

struct tls_client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static bool is_ip_literal(const char *s)
{
	unsigned char b[16];
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static SSL_CTX *make_ctx(const struct tls_client_config *cfg, struct sbuf *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		tls_error(err, "SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	bool ok = true;
	if (cfg->want_verify) {
		ok = cfg->cafile ? SSL_CTX_load_verify_locations(ctx, cfg->cafile, NULL) == 1
				 : SSL_CTX_set_default_verify_paths(ctx) == 1;
		if (!ok)
			tls_error(err, "cannot load the CA file", NULL);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_default_verify_paths(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	if (ok && cfg->certfile &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cfg->certfile) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, cfg->certfile, SSL_FILETYPE_PEM) != 1)) {
		tls_error(err, "cannot load the client certificate", NULL);
		ok = false;
	}
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static bool setup_ssl(struct tls_client *c, const struct tls_client_config *cfg,
                      struct sbuf *err)
{
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		tls_error(err, "SSL_new", NULL);
		return false;
	}
	bool has_name = cfg->sni && *cfg->sni && !is_ip_literal(cfg->sni);
	if (has_name)
		SSL_set_tlsext_host_name(c->ssl, cfg->sni);
	if (cfg->want_verify && cfg->sni && *cfg->sni) {
		int ok = has_name ? SSL_set1_host(c->ssl, cfg->sni)
				  : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), cfg->sni);
		if (ok != 1) {
			tls_error(err, "cannot set the expected name", NULL);
			return false;
		}
	}
	return true;
}

static bool handshake(struct tls_client *c, unsigned timeout_ms, struct sbuf *err)
{
	uint64_t deadline = bio_now_ms() + timeout_ms;
	for (;;) {
		int rc = SSL_connect(c->ssl);
		if (rc == 1)
			return true;
		int e = SSL_get_error(c->ssl, rc);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			long vr = SSL_get_verify_result(c->ssl);
			if (vr != X509_V_OK) {
				sbuf_printf(err, "certificate verification failed: %s",
					    X509_verify_cert_error_string(vr));
				ERR_clear_error();
			} else {
				tls_error(err, "TLS handshake failed", NULL);
			}
			return false;
		}
		if (!tls_wait_io(c->fd, e, deadline)) {
			sbuf_set_str(err, "timeout in the TLS handshake");
			return false;
		}
	}
}

struct tls_client *tls_client_start(int fd, const struct tls_client_config *cfg,
                                    unsigned timeout_ms, struct sbuf *err)
{
	struct tls_client *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	fd_set_nonblock(fd, 1);
	c->ctx = make_ctx(cfg, err);
	if (c->ctx && setup_ssl(c, cfg, err) && handshake(c, timeout_ms, err))
		return c;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	free(c);
	return NULL;
}

static ssize_t tls_read(void *ctx, void *buf, size_t n)
{
	struct tls_client *c = ctx;
	return tls_io_result(c->ssl, SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n), NULL);
}

static ssize_t tls_write(void *ctx, const void *buf, size_t n)
{
	struct tls_client *c = ctx;
	return tls_io_result(c->ssl, SSL_write(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n), NULL);
}

static size_t tls_pending(void *ctx)
{
	struct tls_client *c = ctx;
	int n = SSL_pending(c->ssl);
	return n > 0 ? (size_t)n : 0;
}

void tls_client_io(struct tls_client *c, struct bio_io *io)
{
	io->read = tls_read;
	io->write = tls_write;
	io->pending = tls_pending;
	io->ctx = c;
}

const char *tls_client_version(const struct tls_client *c)
{
	return SSL_get_version(c->ssl);
}

const char *tls_client_cipher(const struct tls_client *c)
{
	return SSL_get_cipher_name(c->ssl);
}

bool tls_client_verified(const struct tls_client *c)
{
	return SSL_get_verify_result(c->ssl) == X509_V_OK && SSL_get0_peer_certificate(c->ssl);
}

void tls_client_close(struct tls_client *c)
{
	if (!c)
		return;
	(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	free(c);
}
