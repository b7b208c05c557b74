/*
 * listen_zygote.c: qmail-listen -z (listen.h, zygote.h).
 *
 * The program is started once, like a connection's program (vfork + exec,
 * same uid and base environment, descriptors 0 and 1 on /dev/null) but
 * with ZYGOTEFD=5, one end of a SOCK_SEQPACKET socketpair.  Each
 * connection is then one packet: the environment assignments and the
 * socket (and the TLS control channel); the zygote forks and answers with
 * the session's pid.  When a session ends the zygote reports its wait
 * status, which the loop treats as it treats a reaped child.  A zygote
 * that does not say it is ready within ZYGOTE_READY_MS, or fails, is
 * replaced at a connection ZYGOTE_RETRY_SECS later; meanwhile connections take the vfork
 * path.  Sessions of a zygote that died are no longer counted (logged).
 */
#include "listen.h"

#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct zygote_client z = ZYGOTE_CLIENT_INIT("tcpserver: zygote",
                                                   "starting programs one by one");

int listen_zygote_fd(void)
{
	return z.fd;
}

/* Started as a connection's program would be, on /dev/null, with the
 * channel on fd 5 (the control channel's number, free until a fork). */
static pid_t spawn(void *arg, int end)
{
	const struct listen_opts *o = arg;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -1;
	struct strlist a = { 0 };
	strlist_add(&a, "ZYGOTEFD=5", 10);
	strlist_add(&a, ZYGOTE_BIND_NOW, sizeof ZYGOTE_BIND_NOW - 1);
	pid_t pid = listen_spawn(o, null, end, &a);
	strlist_free(&a);
	close(null);
	return pid;
}

int listen_zygote_start(const struct listen_opts *o)
{
	return zygote_client_start(&z, spawn, (void *)o);
}

void listen_zygote_read(void (*on_end)(void *arg, pid_t pid, int status), void *arg)
{
	zygote_client_read(&z, 0, on_end, arg);
}

pid_t listen_zygote_conn(int sock, int ctl, const struct strlist *assign,
                         void (*on_end)(void *arg, pid_t pid, int status), void *arg)
{
	int fds[2] = { sock, ctl };
	return zygote_client_request(&z, 'C', assign, fds, ctl >= 0 ? 2 : 1, on_end, arg);
}

bool listen_zygote_reaped(pid_t pid)
{
	return zygote_client_reaped(&z, pid);
}
