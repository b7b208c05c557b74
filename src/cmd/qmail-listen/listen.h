/*
 * listen.h: qmail-listen's private modules (the tcpserver role).
 *
 * listen_sock.c  binds the listening sockets and formats addresses.
 * listen_child.c the general path (-h): one connection's child: environment, rules,
 *                privileges, descriptors, exec.  Nothing here reads the
 *                socket; the program exec'd is the first to do so.
 * listen_loop.c  the accept loop: limits (D-21), children, signals, logs.
 *
 * listen_tls.c   the TLS front end (-S STARTTLS, -Z implicit TLS): contexts
 *                built once and on SIGHUP; a proxy process (uid -U,
 *                non-dumpable) beside the program.
 * listen_proxy.c the proxy's relay between TLS and the program's plaintext.
 * listen_auth.c  password checks for the program (checkpassword) and the
 *                per-IP failure budget shared by all connections (D-11).
 * listen_spawn.c the fast path: environment prepared in the loop, program
 *                started with vfork + execve (or by its zygote); on a
 *                STARTTLS service the proxy is found only when the
 *                program asks for TLS (listen_tls_request), on an
 *                implicit-TLS one at once (listen_tls_implicit).
 * listen_tlspool.c the proxies, reused for up to 100 sessions.
 */
#ifndef QNG_LISTEN_H
#define QNG_LISTEN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "control.h"
#include "envlist.h"

#define LISTEN_FDS_MAX 2

enum listen_tls_mode { LISTEN_TLS_NONE, LISTEN_TLS_STARTTLS, LISTEN_TLS_IMPLICIT };

struct listen_opts {
	size_t max_conn;
	size_t max_per_ip;
	const char *rules;        /* -x, NULL: none */
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	const char *local_name;   /* -l */
	bool want_remote_host;    /* -h */
	const char *service;      /* -s, for log lines */
	int notify_fd;            /* -N, -1: none */
	const char *host;
	const char *port;
	char **argv;              /* program and its arguments */
	enum listen_tls_mode tls_mode;
	bool want_zygote;         /* -z: the program is started once (zygote.h) */
	bool has_tls_uid;         /* -U: the TLS proxy's account */
	uid_t tls_uid;
	gid_t tls_gid;
};

/* Text forms of one end of a connection. */
struct endpoint {
	char ip[64];
	char port[8];
	bool is_v6;               /* false for IPv4-mapped IPv6 addresses */
};

/* What a TLS proxy knows of its session: the client's address and the
 * rules' settings for the password checks it runs (listen_auth.c); ""
 * where the rules set nothing.  The pool's job packet carries it. */
#define LISTEN_PROG_MAX 1024
struct listen_peer {
	char ip[64];
	char checkpassword[LISTEN_PROG_MAX]; /* CHECKPASSWORD */
	char fail_max[24];                   /* AUTHFAILIPMAX */
};

/* listen_sock.c */
int listen_bind(const char *host, const char *port, int fds[LISTEN_FDS_MAX],
                size_t *n_fds);
void listen_endpoint(const struct sockaddr_storage *ss, struct endpoint *out);
void listen_describe(int fd, char *buf, size_t len);

/* listen_child.c: never returns.  ctl: the TLS control channel (or -1),
 * put on TLSCTL_FD with tls's assignments (TLSCTLFD, TLSMODE). */
void listen_child_run(const struct listen_opts *o, int sock, int ctl, const struct strlist *tls,
                      const struct endpoint *local, const struct endpoint *remote)
	__attribute__((noreturn));
int listen_drop_privileges(uid_t uid, gid_t gid);
void listen_reset_signals(void);

/* listen_spawn.c: whether the fast path applies (no -h, an absolute
 * program path); the environment for one connection (1: go
 * on, 0: the rules deny, -1: the rules are unreadable; both logged); the
 * program started on sock, with ctl (or -1) as its TLSCTL_FD. */
bool listen_can_spawn(const struct listen_opts *o);
int listen_prepare(const struct listen_opts *o, const struct endpoint *local,
                   const struct endpoint *remote, struct strlist *assign);
void listen_assign_tls(struct strlist *assign, const char *mode);
pid_t listen_spawn(const struct listen_opts *o, int sock, int ctl, const struct strlist *assign);

/* listen_zygote.c (-z): the program started once as a zygote (zygote.h)
 * that forks per connection.  start: (re)start it if needed, 0 when it is
 * ready; conn: one connection, the session's pid (> 0), -1 when it was not
 * passed (the caller falls back to listen_spawn) or -2 when its fate is
 * unknown (the caller closes it); channel readable: "E" reports are passed to
 * on_end(arg, pid, status); the zygote's own exit is noted by
 * listen_zygote_reaped. */
int listen_zygote_start(const struct listen_opts *o);
pid_t listen_zygote_conn(int sock, int ctl, const struct strlist *assign,
                         void (*on_end)(void *arg, pid_t pid, int status), void *arg);
int listen_zygote_fd(void);
void listen_zygote_read(void (*on_end)(void *arg, pid_t pid, int status), void *arg);
bool listen_zygote_reaped(pid_t pid);

/* listen_tls.c: load (again) the contexts. */
void listen_tls_load(const struct listen_opts *o);
/* STARTTLS on the fast path: whether a control channel is offered (a
 * STARTTLS service with certificates loaded); and the loop's side of one
 * channel when it is readable: the proxy that took "S" (its pid; the
 * channel is handed to it and closed here), 0 when the channel stays open
 * (an "A" answered, noise ignored), -1 when it was closed (the program
 * ended, or no proxy could be started). */
bool listen_tls_lazy(const struct listen_opts *o);
pid_t listen_tls_request(const struct listen_opts *o, int ctl, const struct listen_peer *peer);
/* Implicit TLS on the fast path: the client socket *sock goes to a proxy
 * (listen_tlspool.c), which starts the handshake at once; *sock becomes
 * the program's plaintext end and *ctl its control channel, and assign
 * gets TLSCTLFD and TLSMODE=implicit.  The proxy's pid; 0 without a
 * certificate (logged "notls": the connection is closed); -1 on failure. */
pid_t listen_tls_implicit(const struct listen_opts *o, int *sock, int *ctl,
                          const struct listen_peer *peer, struct strlist *assign);

/* The proxy's side (listen_tls.c): drop to the proxy uid, non-dumpable
 * (exits on failure); one session: handshake on sock, result to ctl,
 * relay to plain (sock and plain are closed, ctl is not); the contexts
 * freed before exit. */
void listen_tls_become_proxy(const struct listen_opts *o);
int listen_tls_serve(int ctl, int sock, int plain, const struct listen_peer *peer);
void listen_tls_unload(void);

/* listen_tlspool.c: run one STARTTLS session (ctl, fds: client socket and
 * plaintext end; the caller closes its copies) in an idle proxy, or in a
 * new one forked here: its pid, or -1.  The loop polls the pool's
 * channels (fill: at most max; events: the revents of those), expires
 * idle proxies (expire: ms until the next expiry, -1 none), and offers
 * every reaped pid (true: it was a proxy).  reloaded: new contexts, so
 * proxies with the old ones retire. */
#define TLSPOOL_IDLE_MAX 32
#define TLSPOOL_POLL_EXTRA TLSPOOL_IDLE_MAX
struct pollfd;
pid_t listen_tlspool_run(const struct listen_opts *o, int ctl, const int fds[2],
                         const struct listen_peer *peer);
size_t listen_tlspool_fill(struct pollfd *pfd, size_t max);
void listen_tlspool_events(const struct pollfd *pfd, size_t n);
int listen_tlspool_expire(void);
bool listen_tlspool_reaped(pid_t pid, int status);
void listen_tlspool_reloaded(void);

/* listen_proxy.c: relays until either side ends; -1 after a TLS error. */
struct tls_conn;
int listen_proxy_run(struct tls_conn *tls, int sock, int plain, int ctl,
                     const struct listen_peer *peer);

/* listen_auth.c */
int listen_auth_init(void);
/* peer for ip from the program's assignments (NAME=VALUE, NAME alone
 * unsets; the last one counts); false, logged, when a value is too long:
 * it is then "-", so a too long CHECKPASSWORD fails every check (4.7.0)
 * instead of running another program. */
bool listen_peer_init(struct listen_peer *peer, const char *ip, const struct strlist *assign);
void listen_auth_serve(int ctl, const struct listen_peer *peer, char *msg, size_t len);

/* listen_loop.c */
int listen_loop(const struct listen_opts *o, const int *fds, size_t n_fds);

#endif
