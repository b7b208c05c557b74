/*
 * listen_tls.c: the TLS front end of qmail-listen (see listen.h and
 * docs/INTERNALS.md "TLS and AUTH").
 *
 * The listener builds the contexts once (listen_tls_load: at start and on
 * SIGHUP; a failed reload keeps the old contexts).  A proxy drops to the
 * proxy uid and makes itself non-dumpable before it touches a client
 * byte; proxies are reused (listen_tlspool.c).  STARTTLS: the program
 * keeps the client socket until it asks for TLS and hands the socket over
 * on its control channel; the loop passes the request to a proxy.  So a
 * plaintext session costs no proxy and no copying.  Implicit TLS: the loop
 * hands the client socket to a proxy at once, which starts the handshake;
 * the program only ever sees the plaintext end of a socketpair.  The
 * program is exec'd (or forked from a zygote that never loaded them), so
 * no byte of the contexts (private keys) is in it.
 */
#include "listen.h"

#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "tls_server.h"
#include "tlsctl.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define HANDSHAKE_TIMEOUT_MS 60000

static struct tls_server *server;

void listen_tls_load(const struct listen_opts *o)
{
	if (o->tls_mode == LISTEN_TLS_NONE)
		return;
	struct sbuf err = SBUF_INIT;
	char *cert = instance_path("control/servercert.pem");
	char *dir = instance_path("control/servercerts");
	struct tls_server *t = tls_server_load(cert, dir, &err);
	const char *svc = o->service ? o->service : "-";
	if (t) {
		tls_server_free(server);
		server = t;
		listen_tlspool_reloaded(); /* proxies with the old contexts retire */
		if (tls_server_warm(t) < 0)
			fprintf(stderr, "qmail-listen: %s: tls: warning: warm-up handshake failed\n",
			        o->service ? o->service : "-");
		/* Free chunks merged and returned now, once, rather than merged
		 * again (a copy of every page they sit on) in each forked proxy. */
		(void)malloc_trim(0);
		fprintf(stderr, "qmail-listen: %s: tls: loaded %s and %zu SNI names\n", svc, cert,
		        tls_server_n_names(t));
	} else {
		fprintf(stderr, "qmail-listen: %s: tls: %s%s\n", svc, err.s,
		        server ? " (keeping the previous certificates)" : " (TLS is off)");
	}
	free(cert);
	free(dir);
	sbuf_free(&err);
}

static void die(const char *what)
{
	fprintf(stderr, "qmail-listen: fatal: %s: %s\n", what, strerror(errno));
	_exit(EXIT_TEMP);
}

void listen_tls_become_proxy(const struct listen_opts *o)
{
	if (o->has_tls_uid && listen_drop_privileges(o->tls_uid, o->tls_gid) < 0)
		die("unable to drop privileges for the TLS proxy");
	if (!o->has_tls_uid && getuid() == 0)
		die("refusing to run the TLS proxy as root");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("prctl");
}

static void report(int ctl, struct tls_conn *c, const struct sbuf *err)
{
	struct sbuf m = SBUF_INIT;
	if (c)
		tlsctl_format_ok(tls_conn_version(c), tls_conn_cipher(c), tls_conn_sni(c), &m);
	else
		sbuf_printf(&m, "ER %.200s", err->s ? err->s : "handshake failed");
	(void)tlsctl_send(ctl, m.s, m.len, NULL, 0);
	sbuf_free(&m);
}

/* Handshake on sock, tell smtpd, relay; returns the proxy's exit code.
 * The proxy writes whole TLS records, each one a complete flight or reply:
 * without TCP_NODELAY, Nagle holds a reply back behind the small records
 * before it (the session tickets after the handshake) until the client's
 * delayed ACK, 40 ms per turn on Linux.  (Fails harmlessly off TCP.) */
int listen_tls_serve(int ctl, int sock, int plain, const struct listen_peer *peer)
{
	struct sbuf err = SBUF_INIT;
	int on = 1;
	(void)setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	struct tls_conn *c = tls_server_accept(server, sock, HANDSHAKE_TIMEOUT_MS, &err);
	report(ctl, c, &err);
	fprintf(stderr, "tcpserver: tls %ld %s %s %s\n", (long)getpid(), peer->ip,
	        c ? tls_conn_version(c) : "failed", c ? tls_conn_cipher(c) : err.s);
	sbuf_free(&err);
	int rc = c ? listen_proxy_run(c, sock, plain, ctl, peer) : -1;
	tls_conn_close(c);
	close(plain);
	close(sock);
	return rc;
}

pid_t listen_tls_implicit(const struct listen_opts *o, int *sock, int *ctl,
                          const struct listen_peer *peer, struct strlist *assign)
{
	if (!server) {
		fprintf(stderr, "tcpserver: notls %ld %s\n", (long)getpid(), peer->ip);
		return 0; /* no certificate: nothing to speak */
	}
	int ch[2], plain[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, plain) < 0) {
		close(ch[0]);
		close(ch[1]);
		return -1;
	}
	int fds[2] = {*sock, plain[0]};
	pid_t pid = listen_tlspool_run(o, ch[0], fds, peer);
	close(ch[0]);
	close(plain[0]);
	close(*sock);
	*sock = plain[1];
	*ctl = ch[1];
	if (pid < 0) {
		fprintf(stderr, "tcpserver: warning: unable to start the TLS proxy: %s\n",
		        strerror(errno));
		return -1;
	}
	listen_assign_tls(assign, "implicit");
	return pid;
}

bool listen_tls_lazy(const struct listen_opts *o)
{
	return o->tls_mode == LISTEN_TLS_STARTTLS && server != NULL;
}

void listen_tls_unload(void)
{
	tls_server_free(server);
	server = NULL;
}

pid_t listen_tls_request(const struct listen_opts *o, int ctl, const struct listen_peer *peer)
{
	char msg[TLSCTL_MSG_MAX];
	int fds[2];
	size_t n_fds = 0;
	ssize_t n = fdpass_recv(ctl, msg, sizeof msg, fds, 2, &n_fds, 0);
	if (n < 0 && (errno == ETIMEDOUT || errno == EAGAIN || errno == EINTR))
		return 0;
	pid_t pid = 0;
	if (n <= 0) {
		pid = -1; /* the program ended without TLS */
	} else if (n == 1 && msg[0] == 'S' && n_fds == 2) {
		pid = listen_tlspool_run(o, ctl, fds, peer);
		if (pid < 0)
			fprintf(stderr, "tcpserver: warning: unable to start the TLS proxy: %s\n",
			        strerror(errno));
	} else {
		/* D-10: no password checks before TLS. */
		(void)send(ctl, "A2", 2, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (pid != 0)
		close(ctl);
	return pid;
}
