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
	char ip[64];
};

struct loop {
	const struct listen_opts *o;
	struct child *kids;     /* max_conn slots; pid 0 = free */
	size_t n_kids;
	bool stopping;
};

static size_t count_ip(const struct loop *l, const char *ip)
{
	size_t n = 0;
	for (size_t i = 0; i < l->o->max_conn; i++)
		if (l->kids[i].pid > 0 && strcmp(l->kids[i].ip, ip) == 0)
			n++;
	return n;
}

static void log_status(const struct loop *l)
{
	fprintf(stderr, "tcpserver: status: %zu/%zu\n", l->n_kids, l->o->max_conn);
}

static void add_child(struct loop *l, pid_t pid, const char *ip)
{
	for (size_t i = 0; i < l->o->max_conn; i++) {
		if (l->kids[i].pid == 0) {
			l->kids[i].pid = pid;
			snprintf(l->kids[i].ip, sizeof l->kids[i].ip, "%s", ip);
			l->n_kids++;
			return;
		}
	}
}

static void reap(struct loop *l)
{
	int wstat;
	pid_t pid;
	while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0) {
		for (size_t i = 0; i < l->o->max_conn; i++) {
			if (l->kids[i].pid == pid) {
				l->kids[i].pid = 0;
				l->n_kids--;
				break;
			}
		}
		/* tcpserver prints the raw wait status. */
		fprintf(stderr, "tcpserver: end %ld status %d\n", (long)pid, wstat);
		log_status(l);
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

/*
 * One accepted connection.  The child sets up the environment and, on a
 * TLS service, forks the TLS proxy beside the program (listen_tls.c).
 */
static void serve_connection(struct loop *l, int sock, const int *fds, size_t n_fds)
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
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tcpserver: warning: unable to fork: %s\n", strerror(errno));
		close(sock);
		return;
	}
	if (pid == 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		listen_child_run(l->o, sock, &local, &remote);
	}
	close(sock);
	add_child(l, pid, remote.ip);
	fprintf(stderr, "tcpserver: pid %ld from %s\n", (long)pid, remote.ip);
	log_status(l);
}

static void accept_all(struct loop *l, const int *fds, size_t n_fds, int lfd)
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
		serve_connection(l, sock, fds, n_fds);
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
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int listen_loop(const struct listen_opts *o, const int *fds, size_t n_fds)
{
	struct loop l = { o, xcalloc(o->max_conn, sizeof(struct child)), 0, false };
	int sfd = setup_signals();
	if (sfd < 0)
		return -1;
	struct pollfd p[LISTEN_FDS_MAX + 1];
	while (!l.stopping) {
		for (size_t i = 0; i < n_fds; i++)
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		p[n_fds] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		int rc = poll(p, n_fds + 1, -1);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0)
			continue;
		if (p[n_fds].revents)
			handle_signals(&l, sfd);
		for (size_t i = 0; i < n_fds && !l.stopping; i++)
			if (p[i].revents)
				accept_all(&l, fds, n_fds, fds[i]);
	}
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	fprintf(stderr, "tcpserver: exiting; %zu connections continue\n", l.n_kids);
	free(l.kids);
	close(sfd);
	return 0;
}
