/*
 * tls_server.c: server-side TLS contexts and connections (see tls_server.h).
 */
#include "tls_server.h"
#include "tls_common.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "bio.h"
#include "fdio.h"

struct sni_entry {
	char *name;
	SSL_CTX *ctx;
};

struct tls_server {
	SSL_CTX *dflt;
	struct sni_entry *names;
	size_t n_names;
};

struct tls_conn {
	SSL *ssl;
	int fd;
	int last_err; /* SSL_ERROR_WANT_READ / _WRITE of the last call */
};

static SSL_CTX *make_ctx(const char *file, struct sbuf *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		tls_error(err, "SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Every connection is a forked process: a session cache would be
	 * empty in each; tickets (keys in the shared context) still work. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* One ticket per TLS 1.3 handshake (OpenSSL sends two by default): a
	 * mail client resumes one session at a time.  Read ahead: a record's
	 * header and body (and what follows) in one read. */
	(void)SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_read_ahead(ctx, 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(err, "cannot load certificate and key from", file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

bool tls_server_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 253 || name[0] == '.' || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static int on_servername(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	const struct tls_server *t = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (!name)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 0; i < t->n_names; i++) {
		if (strcasecmp(t->names[i].name, name) == 0) {
			SSL_set_SSL_CTX(ssl, t->names[i].ctx);
			break;
		}
	}
	return SSL_TLSEXT_ERR_OK;
}

/* One sni_dir entry "NAME.pem"; a file that does not load is an error. */
static int add_name(struct tls_server *t, const char *dir, const char *ent, struct sbuf *err)
{
	size_t n = strlen(ent);
	if (n <= 4 || strcmp(ent + n - 4, ".pem") != 0)
		return 0;
	char *name = xmalloc(n - 3);
	memcpy(name, ent, n - 4);
	name[n - 4] = '\0';
	if (!tls_server_name_valid(name) || t->n_names >= TLS_SERVER_SNI_MAX) {
		free(name);
		return 0;
	}
	struct sbuf path = SBUF_INIT;
	sbuf_printf(&path, "%s/%s", dir, ent);
	SSL_CTX *ctx = make_ctx(path.s, err);
	sbuf_free(&path);
	if (!ctx) {
		free(name);
		return -1;
	}
	t->names = xreallocarray(t->names, t->n_names + 1, sizeof *t->names);
	t->names[t->n_names++] = (struct sni_entry){name, ctx};
	return 0;
}

static int load_names(struct tls_server *t, const char *dir, struct sbuf *err)
{
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return (!dir || errno == ENOENT) ? 0 : -1;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL)
		rc = add_name(t, dir, e->d_name, err);
	closedir(d);
	return rc;
}

struct tls_server *tls_server_load(const char *certfile, const char *sni_dir,
                                   struct sbuf *err)
{
	struct tls_server *t = xcalloc(1, sizeof *t);
	t->dflt = make_ctx(certfile, err);
	if (!t->dflt || load_names(t, sni_dir, err) < 0) {
		if (t->dflt && err->len == 0)
			sbuf_printf(err, "cannot read %s: %s", sni_dir, strerror(errno));
		tls_server_free(t);
		return NULL;
	}
	SSL_CTX_set_tlsext_servername_callback(t->dflt, on_servername);
	SSL_CTX_set_tlsext_servername_arg(t->dflt, t);
	return t;
}

size_t tls_server_n_names(const struct tls_server *t)
{
	return t->n_names;
}

void tls_server_free(struct tls_server *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_names; i++) {
		SSL_CTX_free(t->names[i].ctx);
		free(t->names[i].name);
	}
	free(t->names);
	SSL_CTX_free(t->dflt);
	free(t);
}

static bool handshake(struct tls_conn *c, unsigned timeout_ms, struct sbuf *err)
{
	uint64_t deadline = bio_now_ms() + timeout_ms;
	for (;;) {
		int rc = SSL_accept(c->ssl);
		if (rc == 1)
			return true;
		int e = SSL_get_error(c->ssl, rc);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			tls_error(err, "TLS handshake failed", NULL);
			return false;
		}
		if (!tls_wait_io(c->fd, e, deadline)) {
			sbuf_set_str(err, "timeout in the TLS handshake");
			return false;
		}
	}
}

struct tls_conn *tls_server_accept(struct tls_server *t, int fd, unsigned timeout_ms,
                                   struct sbuf *err)
{
	struct tls_conn *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->last_err = SSL_ERROR_WANT_READ;
	(void)fd_set_nonblock(fd, 1);
	c->ssl = SSL_new(t->dflt);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		tls_error(err, "SSL_new", NULL);
	} else if (handshake(c, timeout_ms, err)) {
		return c;
	}
	if (c->ssl)
		SSL_free(c->ssl);
	free(c);
	return NULL;
}

ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t n)
{
	return tls_io_result(c->ssl, SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n), &c->last_err);
}

ssize_t tls_conn_write(struct tls_conn *c, const void *buf, size_t n)
{
	return tls_io_result(c->ssl, SSL_write(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n), &c->last_err);
}

size_t tls_conn_pending(const struct tls_conn *c)
{
	int n = SSL_pending(c->ssl);
	return n > 0 ? (size_t)n : 0;
}

bool tls_conn_has_buffered(const struct tls_conn *c)
{
	return SSL_has_pending(c->ssl) == 1;
}

short tls_conn_events(const struct tls_conn *c)
{
	return c->last_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
}

const char *tls_conn_version(const struct tls_conn *c)
{
	return SSL_get_version(c->ssl);
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	return SSL_get_cipher_name(c->ssl);
}

const char *tls_conn_sni(const struct tls_conn *c)
{
	const char *n = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	return n ? n : "";
}

/* Moves what one side wrote to the other; false when neither can go on. */
static bool warm_step(SSL *cli, SSL *srv, bool *cli_done, bool *srv_done)
{
	int rc = SSL_do_handshake(cli);
	*cli_done = rc == 1;
	if (rc != 1 && SSL_get_error(cli, rc) != SSL_ERROR_WANT_READ)
		return false;
	rc = SSL_do_handshake(srv);
	*srv_done = rc == 1;
	return rc == 1 || SSL_get_error(srv, rc) == SSL_ERROR_WANT_READ;
}

/* One handshake and a record each way between an in-memory client and t's
 * default context, over a BIO pair.  See tls_server.h. */
int tls_server_warm(struct tls_server *t)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *cli = cctx ? SSL_new(cctx) : NULL, *srv = SSL_new(t->dflt);
	BIO *cb = NULL, *sb = NULL;
	int ok = -1;
	if (cli && srv && BIO_new_bio_pair(&cb, 0, &sb, 0) == 1) {
		SSL_set_bio(cli, cb, cb);
		SSL_set_bio(srv, sb, sb);
		SSL_set_connect_state(cli);
		SSL_set_accept_state(srv);
		bool cd = false, sd = false;
		for (int i = 0; i < 8 && !(cd && sd); i++)
			if (!warm_step(cli, srv, &cd, &sd))
				break;
		char buf[64];
		if (cd && sd && SSL_write(cli, "EHLO warm\r\n", 11) == 11 &&
		    SSL_read(srv, buf, sizeof buf) == 11 && SSL_write(srv, "250 ok\r\n", 8) == 8 &&
		    SSL_read(cli, buf, sizeof buf) == 8)
			ok = 0;
	} else {
		BIO_free(cb);
		BIO_free(sb);
	}
	SSL_free(cli);
	SSL_free(srv);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	return ok;
}

void tls_conn_close(struct tls_conn *c)
{
	if (!c)
		return;
	(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	free(c);
}
