#include "listen.h"

#include "alloc.h"
#include "fdio.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* D-21: the busy reply, written by the parent without reading anything. */
static const char busy_reply[] = "421 4.7.0 too many connections\r\n";

struct child {
	pid_t pid;
	struct listen_peer peer; /* its address, and the rules' settings for its proxy */
	int ctl;                /* the loop's end of a lazy TLS channel, or -1 */
	bool via_zygote;        /* a child of the zygote: its end comes as a report */
};

struct loop {
	const struct listen_opts *o;
	struct child *kids;     /* max_conn slots; pid 0 = free */
	size_t n_kids;
	bool stopping;
	const int *fds;         /* the listening sockets */
	size_t n_fds;
	int sfd;                /* signalfd */
	struct pollfd *p;       /* see listen_loop: room for the TLS pool too */
	size_t n_slots;
};

static size_t count_ip(const struct loop *l, const char *ip)
{
	size_t n = 0;
	for (size_t i = 0; i < l->o->max_conn; i++)
		if (l->kids[i].pid > 0 && strcmp(l->kids[i].peer.ip, ip) == 0)
			n++;
	return n;
}

static void log_status(const struct loop *l)
{
	fprintf(stderr, "tcpserver: status: %zu/%zu\n", l->n_kids, l->o->max_conn);
}

static void add_child(struct loop *l, pid_t pid, const struct listen_peer *peer, int ctl,
                      bool via_zygote)
{
	for (size_t i = 0; i < l->o->max_conn; i++) {
		if (l->kids[i].pid == 0) {
			l->kids[i].pid = pid;
			l->kids[i].peer = *peer;
			l->kids[i].ctl = ctl;
			l->kids[i].via_zygote = via_zygote;
			l->n_kids++;
			return;
		}
	}
}

static void forget(struct child *k)
{
	k->pid = 0;
	if (k->ctl >= 0)
		close(k->ctl);
	k->ctl = -1;
}

/* A session ended: reaped here, or reported by the zygote. */
static void child_ended(void *arg, pid_t pid, int wstat)
{
	struct loop *l = arg;
	for (size_t i = 0; i < l->o->max_conn; i++) {
		if (l->kids[i].pid == pid) {
			forget(&l->kids[i]);
			l->n_kids--;
			break;
		}
	}
	/* tcpserver prints the raw wait status. */
	fprintf(stderr, "tcpserver: end %ld status %d\n", (long)pid, wstat);
	log_status(l);
}

static void reap(struct loop *l)
{
	int wstat;
	pid_t pid;
	while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0) {
		if (listen_tlspool_reaped(pid, wstat))
			continue;
		if (!listen_zygote_reaped(pid)) {
			child_ended(l, pid, wstat);
			continue;
		}
		for (size_t i = 0; i < l->o->max_conn; i++) {
			if (l->kids[i].pid > 0 && l->kids[i].via_zygote) {
				forget(&l->kids[i]);
				l->n_kids--;
			}
		}
	}
}

/* Over a limit: best-effort 421 without blocking, then close (D-21). */
static void refuse_busy(int sock, const struct endpoint *remote, size_t total, size_t per_ip)
{
	fprintf(stderr, "tcpserver: busy %s total %zu per-ip %zu\n", remote->ip, total, per_ip);
	(void)!send(sock, busy_reply, sizeof busy_reply - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(sock, SHUT_WR);
	close(sock);
}

/* The channels of one connection on the fast path: a STARTTLS service
 * gets a control channel whose end the loop keeps (ctl[0]); an implicit-TLS
 * service hands the client socket to a proxy at once and the program gets
 * the plaintext end (*sock) and its control channel (ctl[1]).  1: go on,
 * 0 or -1: the connection ends (logged). */
static int connection_tls(struct loop *l, int *sock, int ctl[2], const struct listen_peer *peer,
                          struct strlist *assign, pid_t *proxy)
{
	if (listen_tls_lazy(l->o)) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
			fprintf(stderr, "tcpserver: warning: socketpair: %s\n", strerror(errno));
			return -1;
		}
		listen_assign_tls(assign, "starttls");
	} else if (l->o->tls_mode == LISTEN_TLS_IMPLICIT) {
		*proxy = listen_tls_implicit(l->o, sock, &ctl[1], peer, assign);
		return *proxy > 0 ? 1 : (int)*proxy;
	}
	return 1;
}

static void log_started(struct loop *l, pid_t pid, pid_t proxy, const struct endpoint *local,
                        const struct endpoint *remote)
{
	fprintf(stderr, "tcpserver: pid %ld from %s\n", (long)pid, remote->ip);
	if (proxy > 0)
		fprintf(stderr, "tcpserver: tls proxy %ld for %ld\n", (long)proxy, (long)pid);
	fprintf(stderr, "tcpserver: ok %ld %s:%s:%s :%s:%s\n", (long)pid,
	        l->o->local_name ? l->o->local_name : "", local->ip, local->port, remote->ip,
	        remote->port);
	log_status(l);
}

/* The fast path (listen_spawn.c): no fork of this process per connection. */
static void spawn_connection(struct loop *l, int sock, const struct endpoint *local,
                             const struct endpoint *remote)
{
	struct strlist assign;
	int ctl[2] = {-1, -1};
	pid_t proxy = 0;
	struct listen_peer peer;
	int rc = listen_prepare(l->o, local, remote, &assign);
	if (rc > 0) {
		(void)listen_peer_init(&peer, remote->ip, &assign); /* for the proxy */
		rc = connection_tls(l, &sock, ctl, &peer, &assign, &proxy);
	}
	pid_t pid = -1;
	bool via_zygote = false;
	if (rc > 0 && l->o->want_zygote && listen_zygote_start(l->o) == 0) {
		pid = listen_zygote_conn(sock, ctl[1], &assign, child_ended, l);
		via_zygote = pid > 0;
	}
	if (rc > 0 && pid == -1)
		pid = listen_spawn(l->o, sock, ctl[1], &assign);
	strlist_free(&assign);
	close(sock);
	if (ctl[1] >= 0)
		close(ctl[1]);
	if (pid < 0) {
		if (rc > 0)
			fprintf(stderr, "tcpserver: warning: unable to start the program%s%s\n",
			        pid == -2 ? "" : ": ", pid == -2 ? "" : strerror(errno));
		if (ctl[0] >= 0)
			close(ctl[0]);
		return;
	}
	add_child(l, pid, &peer, ctl[0], via_zygote);
	log_started(l, pid, proxy, local, remote);
}

/* The general path (-h, whose reverse lookup may block): a child of this
 * process sets up the environment and execs the program (listen_child.c);
 * TLS is set up here first, as on the fast path. */
static void fork_connection(struct loop *l, int sock, const struct endpoint *local,
                            const struct endpoint *remote)
{
	struct strlist tls = {0};
	int ctl[2] = {-1, -1};
	pid_t proxy = 0, pid = -1;
	/* the rules are applied in the child: the proxy gets only the address
	 * (listen_child.c warns when the rules set its variables) */
	struct listen_peer peer;
	(void)listen_peer_init(&peer, remote->ip, &tls);
	if (connection_tls(l, &sock, ctl, &peer, &tls, &proxy) > 0) {
		pid = fork();
		if (pid < 0)
			fprintf(stderr, "tcpserver: warning: unable to fork: %s\n", strerror(errno));
	}
	if (pid == 0) {
		int keep[2] = {sock, ctl[1]}; /* the loop's descriptors go */
		fd_close_except(keep, 2);
		listen_child_run(l->o, sock, ctl[1], &tls, local, remote);
	}
	strlist_free(&tls);
	close(sock);
	if (ctl[1] >= 0)
		close(ctl[1]);
	if (pid < 0) {
		if (ctl[0] >= 0)
			close(ctl[0]);
		return;
	}
	add_child(l, pid, &peer, ctl[0], false);
	fprintf(stderr, "tcpserver: pid %ld from %s\n", (long)pid, remote->ip);
	if (proxy > 0)
		fprintf(stderr, "tcpserver: tls proxy %ld for %ld\n", (long)proxy, (long)pid);
	log_status(l);
}

/* One accepted connection: the limits (D-21), then one of the paths. */
static void serve_connection(struct loop *l, int sock)
{
	struct sockaddr_storage ls, rs;
	socklen_t ll = sizeof ls, rl = sizeof rs;
	struct endpoint local, remote;
	memset(&ls, 0, sizeof ls);
	memset(&rs, 0, sizeof rs);
	if (getsockname(sock, (struct sockaddr *)&ls, &ll) < 0 ||
	    getpeername(sock, (struct sockaddr *)&rs, &rl) < 0) {
		close(sock);
		return;
	}
	listen_endpoint(&ls, &local);
	listen_endpoint(&rs, &remote);
	size_t per_ip = count_ip(l, remote.ip);
	if (l->n_kids >= l->o->max_conn || per_ip >= l->o->max_per_ip) {
		/* A burst of accepts runs ahead of SIGCHLD: sessions that already
		 * ended must not count against the limit (D-21). */
		reap(l);
		per_ip = count_ip(l, remote.ip);
	}
	if (l->n_kids >= l->o->max_conn || per_ip >= l->o->max_per_ip) {
		refuse_busy(sock, &remote, l->n_kids, per_ip);
		return;
	}
	if (listen_can_spawn(l->o))
		spawn_connection(l, sock, &local, &remote);
	else
		fork_connection(l, sock, &local, &remote);
}

/* A lazy TLS channel is readable: a STARTTLS request, or the program ended. */
static void serve_channel(struct loop *l, struct child *k)
{
	pid_t pid = listen_tls_request(l->o, k->ctl, &k->peer);
	if (pid != 0)
		k->ctl = -1;
	if (pid > 0)
		fprintf(stderr, "tcpserver: tls proxy %ld for %ld\n", (long)pid, (long)k->pid);
}

static void accept_all(struct loop *l, int lfd)
{
	for (;;) {
		int sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (sock < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				fprintf(stderr, "tcpserver: warning: accept: %s\n", strerror(errno));
			/* EMFILE and friends: back off briefly instead of spinning. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				usleep(100000);
			return;
		}
		serve_connection(l, sock);
	}
}

static void handle_signals(struct loop *l, int sfd)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			reap(l);
		else if (si.ssi_signo == SIGHUP && l->o->tls_mode != LISTEN_TLS_NONE)
			listen_tls_load(l->o); /* sessions keep their forked copies */
		else
			l->stopping = true;
	}
	reap(l);
}

static int setup_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	signal(SIGPIPE, SIG_IGN);
	return fd_signals(sigs, sizeof sigs / sizeof sigs[0]);
}

/* The poll set: listening sockets, the signalfd, the zygote's channel
 * (fd -1 when there is none: poll skips it), the open TLS channels. */
static size_t fill_poll(struct loop *l, struct child **who)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n_fds; i++)
		l->p[n++] = (struct pollfd){ .fd = l->fds[i], .events = POLLIN };
	l->p[n++] = (struct pollfd){ .fd = l->sfd, .events = POLLIN };
	l->p[n++] = (struct pollfd){ .fd = listen_zygote_fd(), .events = POLLIN };
	for (size_t i = 0; i < l->o->max_conn; i++) {
		if (l->kids[i].pid > 0 && l->kids[i].ctl >= 0) {
			who[n] = &l->kids[i];
			l->p[n++] = (struct pollfd){ .fd = l->kids[i].ctl, .events = POLLIN };
		}
	}
	return n;
}

static int run(struct loop *l, struct child **who)
{
	while (!l->stopping) {
		size_t n = fill_poll(l, who);
		size_t n_pool = listen_tlspool_fill(l->p + n, l->n_slots - n);
		int rc = poll(l->p, n + n_pool, listen_tlspool_expire());
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0)
			continue;
		listen_tlspool_events(l->p + n, n_pool);
		if (l->p[l->n_fds].revents)
			handle_signals(l, l->sfd);
		if (l->p[l->n_fds + 1].revents && l->p[l->n_fds + 1].fd == listen_zygote_fd())
			listen_zygote_read(child_ended, l);
		for (size_t i = l->n_fds + 2; i < n; i++)
			if (l->p[i].revents && who[i]->ctl == l->p[i].fd)
				serve_channel(l, who[i]);
		for (size_t i = 0; i < l->n_fds && !l->stopping; i++)
			if (l->p[i].revents)
				accept_all(l, l->fds[i]);
	}
	return 0;
}

int listen_loop(const struct listen_opts *o, const int *fds, size_t n_fds)
{
	/* the loop's own descriptors, then the TLS pool's: a busy proxy per
	 * session at most, plus the idle ones (a session's program may end
	 * before its proxy reports: twice max_conn is room enough) */
	size_t slots = n_fds + 2 + 2 * o->max_conn + TLSPOOL_POLL_EXTRA;
	struct loop l = { o, xcalloc(o->max_conn, sizeof(struct child)), 0, false, fds, n_fds,
	                  -1, NULL, slots };
	for (size_t i = 0; i < o->max_conn; i++)
		l.kids[i].ctl = -1;
	l.p = xcalloc(slots, sizeof *l.p);
	struct child **who = xcalloc(slots, sizeof *who);
	l.sfd = setup_signals();
	if (l.sfd < 0)
		return -1;
	int rc = run(&l, who);
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	fprintf(stderr, "tcpserver: exiting; %zu connections continue\n", l.n_kids);
	/* idle TLS proxies see their channels close with this process */
	free(l.kids);
	free(l.p);
	free(who);
	close(l.sfd);
	return rc;
}
