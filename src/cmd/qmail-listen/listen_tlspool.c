/*
 * listen_tlspool.c: reused TLS proxies for STARTTLS (see listen.h and
 * docs/INTERNALS.md "TLS and AUTH").
 *
 * A proxy is forked from the loop the first time a STARTTLS request finds
 * no idle one; it drops to the proxy uid, becomes non-dumpable and serves
 * that session.  Then, instead of exiting, it says "R" on its pool channel
 * (a SOCK_SEQPACKET socketpair with the loop) and waits for the next job:
 * one packet "J<ip>NUL<checkpassword>NUL<failmax>NUL" (struct listen_peer)
 * with the session's control channel, client socket and plaintext end
 * attached.  The loop keeps up to TLSPOOL_IDLE_MAX idle
 * proxies for TLSPOOL_IDLE_MS and retires a proxy after TLSPOOL_USES
 * sessions (Postfix's smtpd max_use habit) or when the contexts are
 * reloaded (a proxy keeps the contexts it was forked with).  The loop
 * retires a proxy by closing its channel: the proxy sees the end of file
 * and exits.  A proxy that dies is reaped and forgotten; its session ends.
 * Proxies hold nothing of a session after it: the relay buffers are
 * cleared, the TLS connection freed, the descriptors closed.
 */
#include "listen.h"

#include "alloc.h"
#include "bio.h"
#include "fdio.h"
#include "fdpass.h"
#include "tlsctl.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TLSPOOL_USES 100
#define TLSPOOL_IDLE_MS 30000

enum proxy_state {
	P_FREE,     /* an empty slot */
	P_BUSY,     /* serving a session */
	P_IDLE,     /* waiting for a job on its channel */
	P_RETIRING, /* channel closed: it exits, the loop reaps it */
};

struct proxy {
	enum proxy_state state;
	pid_t pid;
	int chan;              /* the loop's end; -1 once retiring */
	unsigned uses;
	unsigned gen;          /* the contexts it was forked with */
	long long idle_since;  /* bio_now_ms() */
};

static struct proxy *pool;
static size_t pool_n;
static unsigned cur_gen;

/* Closing its channel tells a proxy to exit once its session (if any) is over. */
static void retire(struct proxy *p)
{
	close(p->chan);
	p->chan = -1;
	p->state = P_RETIRING;
}

static size_t count(enum proxy_state st)
{
	size_t n = 0;
	for (size_t i = 0; i < pool_n; i++)
		n += pool[i].state == st;
	return n;
}

void listen_tlspool_reloaded(void)
{
	cur_gen++;
	for (size_t i = 0; i < pool_n; i++)
		if (pool[i].state == P_IDLE)
			retire(&pool[i]); /* busy ones retire after their session */
}
#define JOB_MAX (1 + sizeof(struct listen_peer))

/* The job packet for peer: 'J' and each field with its NUL; its length
 * (it fits: each field is NUL-terminated within its array). */
static size_t job_pack(const struct listen_peer *peer, char out[JOB_MAX])
{
	const char *field[3] = {peer->ip, peer->checkpassword, peer->fail_max};
	size_t n = 0;
	out[n++] = 'J';
	for (size_t i = 0; i < 3; i++) {
		size_t len = strlen(field[i]) + 1;
		memcpy(out + n, field[i], len);
		n += len;
	}
	return n;
}

/* The loop's packet back into peer; -1 when it is not one of job_pack's. */
static int job_unpack(const char *msg, size_t n, struct listen_peer *peer)
{
	char *field[3] = {peer->ip, peer->checkpassword, peer->fail_max};
	size_t cap[3] = {sizeof peer->ip, sizeof peer->checkpassword, sizeof peer->fail_max};
	if (n < 1 || msg[0] != 'J')
		return -1;
	size_t pos = 1;
	for (size_t i = 0; i < 3; i++) {
		const char *end = memchr(msg + pos, '\0', n - pos);
		if (!end || (size_t)(end - (msg + pos)) >= cap[i])
			return -1;
		memcpy(field[i], msg + pos, (size_t)(end - (msg + pos)) + 1);
		pos = (size_t)(end - msg) + 1;
	}
	return pos == n && peer->ip[0] ? 0 : -1;
}

/* The proxy's life: the first session, then one job after another. */
static void proxy_main(const struct listen_opts *o, int chan, int ctl, const int fds[2],
                       const struct listen_peer *first)
{
	listen_tls_become_proxy(o);
	(void)listen_tls_serve(ctl, fds[0], fds[1], first);
	close(ctl);
	for (;;) {
		ERR_clear_error();
		if (send(chan, "R", 1, MSG_NOSIGNAL) != 1)
			break;
		char msg[JOB_MAX];
		int got[3];
		size_t n_got = 0;
		struct listen_peer peer;
		ssize_t n = fdpass_recv(chan, msg, sizeof msg, got, 3, &n_got, -1);
		if (n <= 0)
			break; /* retired, or the loop is gone */
		if (job_unpack(msg, (size_t)n, &peer) < 0 || n_got != 3) {
			for (size_t i = 0; i < n_got; i++)
				close(got[i]);
			break;
		}
		(void)listen_tls_serve(got[0], got[1], got[2], &peer);
		close(got[0]);
	}
	listen_tls_unload();
	_exit(0);
}

static struct proxy *slot(enum proxy_state st)
{
	for (size_t i = 0; i < pool_n; i++)
		if (pool[i].state == st)
			return &pool[i];
	return NULL;
}

static pid_t start_proxy(const struct listen_opts *o, int ctl, const int fds[2],
                         const struct listen_peer *peer)
{
	int ch[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* the loop's descriptors (other sessions' included) go */
		int keep[4] = {ch[1], ctl, fds[0], fds[1]};
		fd_close_except(keep, 4);
		listen_reset_signals();
		proxy_main(o, ch[1], ctl, fds, peer);
	}
	close(ch[1]);
	if (pid < 0) {
		close(ch[0]);
		return -1;
	}
	struct proxy *p = slot(P_FREE);
	if (!p) {
		pool = xreallocarray(pool, pool_n + 1, sizeof *pool);
		p = &pool[pool_n++];
	}
	*p = (struct proxy){P_BUSY, pid, ch[0], 1, cur_gen, 0};
	return pid;
}

pid_t listen_tlspool_run(const struct listen_opts *o, int ctl, const int fds[2],
                         const struct listen_peer *peer)
{
	struct proxy *p;
	char msg[JOB_MAX];
	size_t n = job_pack(peer, msg);
	while ((p = slot(P_IDLE)) != NULL) {
		int job[3] = {ctl, fds[0], fds[1]};
		if (fdpass_send(p->chan, msg, n, job, 3) == 0) {
			p->state = P_BUSY;
			p->uses++;
			return p->pid;
		}
		retire(p); /* a dying proxy: the next one, or a new one */
	}
	return start_proxy(o, ctl, fds, peer);
}

/* Its channel is readable: "R" (ready), or the proxy ended. */
static void on_chan(struct proxy *p)
{
	char c;
	ssize_t n = recv(p->chan, &c, 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 1 && c == 'R' && p->uses < TLSPOOL_USES && p->gen == cur_gen &&
	    count(P_IDLE) < TLSPOOL_IDLE_MAX) {
		p->state = P_IDLE;
		p->idle_since = bio_now_ms();
		return;
	}
	retire(p); /* or it ended: either way it is reaped later */
}

size_t listen_tlspool_fill(struct pollfd *pfd, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < pool_n && n < max; i++)
		if (pool[i].state == P_BUSY || pool[i].state == P_IDLE)
			pfd[n++] = (struct pollfd){ .fd = pool[i].chan, .events = POLLIN };
	return n;
}

void listen_tlspool_events(const struct pollfd *pfd, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		for (size_t i = 0; i < pool_n; i++)
			if (pool[i].chan == pfd[k].fd)
				on_chan(&pool[i]);
	}
}

int listen_tlspool_expire(void)
{
	long long now = bio_now_ms(), next = -1;
	for (size_t i = 0; i < pool_n; i++) {
		struct proxy *p = &pool[i];
		if (p->state != P_IDLE)
			continue;
		long long left = p->idle_since + TLSPOOL_IDLE_MS - now;
		if (left <= 0)
			retire(p);
		else if (next < 0 || left < next)
			next = left;
	}
	return next < 0 ? -1 : (int)next;
}

bool listen_tlspool_reaped(pid_t pid, int status)
{
	for (size_t i = 0; i < pool_n; i++) {
		if (pool[i].state == P_FREE || pool[i].pid != pid)
			continue;
		if (pool[i].chan >= 0)
			close(pool[i].chan);
		pool[i] = (struct proxy){P_FREE, 0, -1, 0, 0, 0};
		fprintf(stderr, "tcpserver: tls proxy %ld ended status %d\n", (long)pid, status);
		return true;
	}
	return false;
}
