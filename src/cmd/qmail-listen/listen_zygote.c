/*
 * listen_zygote.c: qmail-listen -z (listen.h, zygote.h).
 *
 * The program is started once, like a connection's program (vfork + exec,
 * same uid and base environment, descriptors 0 and 1 on /dev/null) but
 * with ZYGOTEFD=3, one end of a SOCK_SEQPACKET socketpair.  Each
 * connection is then one packet: the environment assignments and the
 * socket (and the TLS control channel); the zygote forks and answers with
 * the session's pid.  When a session ends the zygote reports its wait
 * status, which the loop treats as it treats a reaped child.  A zygote
 * that does not say it is ready within ZYGOTE_READY_MS, or dies, is
 * replaced at the next connection; meanwhile connections take the vfork
 * path.  Sessions of a zygote that died are no longer counted (logged).
 */
#include "listen.h"

#include "exitcode.h"
#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ZYGOTE_READY_MS 5000
#define ZYGOTE_REPLY_MS 5000
#define ZYGOTE_RETRY_SECS 10

static pid_t zpid = -1;
static int zfd = -1;
static time_t failed_at;

int listen_zygote_fd(void)
{
	return zfd;
}

static void give_up(const char *why)
{
	fprintf(stderr, "tcpserver: zygote: %s; starting programs one by one for %ds\n", why,
	        ZYGOTE_RETRY_SECS);
	if (zfd >= 0)
		close(zfd);
	if (zpid > 0)
		kill(zpid, SIGTERM);
	zfd = -1;
	zpid = -1;
	failed_at = time(NULL);
}

int listen_zygote_start(const struct listen_opts *o)
{
	if (zfd >= 0)
		return 0;
	if (failed_at && time(NULL) - failed_at < ZYGOTE_RETRY_SECS)
		return -1;
	int sv[2], null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		if (null >= 0)
			close(null);
		give_up(strerror(errno));
		return -1;
	}
	struct strlist a = { 0 };
	strlist_add(&a, "ZYGOTEFD=5", 10); /* the control channel's number: free until a fork */
	zpid = listen_spawn(o, null, sv[1], &a);
	strlist_free(&a);
	close(null);
	close(sv[1]);
	zfd = sv[0];
	char r[8];
	if (zpid < 0 || zygote_recv_wait(zfd, r, sizeof r, ZYGOTE_READY_MS) != 1 || r[0] != 'R') {
		give_up("no ready message");
		return -1;
	}
	fprintf(stderr, "tcpserver: zygote %ld ready\n", (long)zpid);
	return 0;
}

/* "E" pid SP status: a session ended. */
static void handle_end(const char *msg, size_t len,
                       void (*on_end)(void *arg, pid_t pid, int status), void *arg)
{
	pid_t pid;
	int st;
	if (zygote_parse_end(msg, len, &pid, &st) == 0)
		on_end(arg, pid, st);
}

void listen_zygote_read(void (*on_end)(void *arg, pid_t pid, int status), void *arg)
{
	char msg[64];
	ssize_t n;
	while (zfd >= 0 && (n = recv(zfd, msg, sizeof msg, MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				give_up(strerror(errno));
			return;
		}
		handle_end(msg, (size_t)n, on_end, arg);
	}
	if (zfd >= 0)
		give_up("the zygote closed its channel");
}

pid_t listen_zygote_conn(int sock, int ctl, const struct strlist *assign,
                         void (*on_end)(void *arg, pid_t pid, int status), void *arg)
{
	int fds[2] = { sock, ctl };
	if (zfd < 0 || zygote_send(zfd, 'C', assign, fds, ctl >= 0 ? 2 : 1) < 0) {
		if (zfd >= 0)
			give_up("unable to pass a connection");
		return -1;
	}
	pid_t pid;
	const char *why;
	if (zygote_await_pid(zfd, ZYGOTE_REPLY_MS, on_end, arg, &pid, &why) < 0) {
		/* It may hold the connection: never start a second program on it. */
		give_up(why);
		return -2;
	}
	return pid > 0 ? pid : -1;
}

bool listen_zygote_reaped(pid_t pid)
{
	if (pid != zpid)
		return false;
	zpid = -1;
	if (zfd >= 0)
		close(zfd);
	zfd = -1;
	fprintf(stderr, "tcpserver: zygote %ld ended; its sessions are no longer counted\n",
	        (long)pid);
	return true;
}
