#include "rzygote.h"

#include "alloc.h"
#include "sbuf.h"
#include "control.h"
#include "zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_MS 5000
#define STATUS_WAIT_MS 5000

struct ended {
	pid_t pid;
	int status;
};

static pid_t zpid = -1;
static int zfd = -1;
static time_t failed_at;
static struct ended *ends;
static size_t n_ends, cap_ends;

int rzygote_fd(void)
{
	return zfd;
}

static void give_up(const char *why)
{
	fprintf(stderr, "qmail-rspawn: qmail-remote zygote: %s; running qmail-remote per "
	        "delivery for %d s\n", why, RZYGOTE_RETRY_SECS);
	if (zfd >= 0)
		close(zfd);
	if (zpid > 0) {
		kill(zpid, SIGTERM);
		(void)waitpid(zpid, NULL, 0);
	}
	zfd = -1;
	zpid = -1;
	failed_at = time(NULL);
}

static void child(const char *prog, int end)
{
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(end, 5) < 0 ||
	    setenv("ZYGOTEFD", "5", 1) < 0)
		_exit(111);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	char *argv[2] = { (char *)prog, NULL };
	execv(prog, argv);
	_exit(111);
}

int rzygote_start(const char *prog)
{
	if (zfd >= 0)
		return 0;
	if (failed_at && time(NULL) - failed_at < RZYGOTE_RETRY_SECS)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		give_up(strerror(errno));
		return -1;
	}
	zpid = fork();
	if (zpid == 0)
		child(prog, sv[1]);
	close(sv[1]);
	zfd = sv[0];
	char r[8];
	if (zpid < 0 || zygote_recv_wait(zfd, r, sizeof r, READY_MS) != 1 || r[0] != 'R') {
		give_up("no ready message");
		return -1;
	}
	return 0;
}

static void remember_end(void *arg, pid_t pid, int st)
{
	(void)arg;
	if (n_ends == cap_ends) {
		cap_ends = cap_ends ? cap_ends * 2 : 16;
		ends = xreallocarray(ends, cap_ends, sizeof *ends);
	}
	ends[n_ends++] = (struct ended){ pid, st };
}

static void note_end(const char *msg, size_t len)
{
	pid_t pid;
	int st;
	if (zygote_parse_end(msg, len, &pid, &st) == 0)
		remember_end(NULL, pid, st);
}

void rzygote_read(void)
{
	char msg[64];
	ssize_t n;
	while (zfd >= 0 && (n = recv(zfd, msg, sizeof msg, MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				give_up(strerror(errno));
			return;
		}
		note_end(msg, (size_t)n);
	}
	if (zfd >= 0)
		give_up("the zygote closed its channel");
}

static bool take(pid_t pid, int *status)
{
	for (size_t i = 0; i < n_ends; i++) {
		if (ends[i].pid == pid) {
			*status = ends[i].status;
			ends[i] = ends[--n_ends];
			return true;
		}
	}
	return false;
}

bool rzygote_status(pid_t pid, int *status)
{
	time_t until = time(NULL) + STATUS_WAIT_MS / 1000;
	while (!take(pid, status)) {
		char msg[64];
		if (zfd < 0 || time(NULL) > until) {
			*status = 0; /* unknown: the report alone decides */
			return true;
		}
		ssize_t n = zygote_recv_wait(zfd, msg, sizeof msg, STATUS_WAIT_MS);
		if (n <= 0) {
			give_up(n == 0 ? "the zygote closed its channel" : "no report");
			continue;
		}
		note_end(msg, (size_t)n);
	}
	return true;
}

static int send_request(int msg_fd, int out_fd, const char *host, const char *sender,
                        const char *rcpt)
{
	struct strlist a = { 0 };
	struct sbuf b = SBUF_INIT;
	const char *names[3] = { "QMAILREMOTE_HOST=", "QMAILREMOTE_SENDER=", "QMAILREMOTE_RCPT=" };
	const char *values[3] = { host, sender, rcpt };
	for (int i = 0; i < 3; i++) {
		sbuf_set_str(&b, names[i]);
		sbuf_append_str(&b, values[i]);
		strlist_add(&a, b.s, b.len);
	}
	int fds[2] = { msg_fd, out_fd };
	int rc = zygote_send(zfd, 'D', &a, fds, 2);
	strlist_free(&a);
	sbuf_free(&b);
	return rc;
}

pid_t rzygote_deliver(int msg_fd, int out_fd, const char *host, const char *sender,
                      const char *rcpt)
{
	if (zfd < 0 || send_request(msg_fd, out_fd, host, sender, rcpt) < 0) {
		if (zfd >= 0)
			give_up("unable to pass a delivery");
		return -1;
	}
	pid_t pid;
	const char *why;
	if (zygote_await_pid(zfd, STATUS_WAIT_MS, remember_end, NULL, &pid, &why) < 0) {
		give_up(why);
		return -2;
	}
	return pid > 0 ? pid : -1; /* "P0": refused, ours are intact */
}
