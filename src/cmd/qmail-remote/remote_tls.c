#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"
#include "tls_client.h"

static bool file_exists(const char *dir, const char *sub, const char *name, const char *ext,
                        struct sbuf *path)
{
	sbuf_clear(path);
	sbuf_printf(path, "%s/%s/%s%s", dir, sub, name, ext);
	/* A name from DNS never holds '/', but be sure before using it. */
	return !strchr(name, '/') && name[0] != '.' && access(path->s, F_OK) == 0;
}

void remote_tls_policy(struct remote_tls *t, const struct remote_conf *c, const char *domain,
                       const struct remote_target *tg, const struct smtproute *route)
{
	static struct sbuf path = SBUF_INIT;
	static struct sbuf dest_ca = SBUF_INIT;
	memset(t, 0, sizeof *t);
	t->conf = c;
	t->fd = -1;
	t->mode = SMTP_TLS_OPPORTUNISTIC;
	t->name = tg->name;
	t->timeout_ms = c->timeout_remote * 1000u;
	const char *dest = smtproutes_find(&c->tlsdest, domain);
	if (!dest && route && route->host[0])
		dest = smtproutes_find(&c->tlsdest, route->host);
	if (file_exists(c->control, "tlshosts", tg->name, ".pem", &path)) {
		t->mode = SMTP_TLS_REQUIRED;
		t->want_verify = true;
		t->cafile = path.s;
	} else if (dest) {
		t->mode = SMTP_TLS_REQUIRED;
		t->want_verify = true;
		sbuf_set_str(&dest_ca, dest);
		t->cafile = dest_ca.len ? dest_ca.s : NULL;
	} else if (file_exists(c->control, "notlshosts", tg->name, "", &path)) {
		t->mode = SMTP_TLS_OFF;
	}
}

int remote_tls_starttls(void *ctx, struct bio *b, struct sbuf *info, struct sbuf *err)
{
	struct remote_tls *t = ctx;
	struct tls_client_config cfg = {
		.cafile = t->cafile,
		.want_verify = t->want_verify,
		.certfile = t->conf->clientcert,
		.sni = t->name,
	};
	t->conn = tls_client_start(t->fd, &cfg, t->timeout_ms, err);
	if (!t->conn)
		return -1;
	struct bio_io io;
	tls_client_io(t->conn, &io);
	bio_set_io(b, &io);
	sbuf_clear(info);
	sbuf_printf(info, "%s %s%s", tls_client_version(t->conn), tls_client_cipher(t->conn),
		    tls_client_verified(t->conn) ? " verified" : "");
	return 0;
}

void remote_tls_done(struct remote_tls *t)
{
	tls_client_close(t->conn);
	t->conn = NULL;
}
