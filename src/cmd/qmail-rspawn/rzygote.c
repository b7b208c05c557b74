#include "rzygote.h"

#include "alloc.h"
#include "control.h"
#include "sbuf.h"
#include "zygote.h"

#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct ended {
	pid_t pid;
	int status;
};

static struct zygote_client z = ZYGOTE_CLIENT_INIT("qmail-rspawn: qmail-remote zygote",
                                                   "running qmail-remote per delivery");
static struct ended *ends;
static size_t n_ends, cap_ends;
/* Sessions whose end nobody waits for (rsession.h): their "E" is dropped. */
#define FORGOTTEN_MAX 1024
static pid_t forgotten[FORGOTTEN_MAX];
static size_t n_forgotten;

int rzygote_fd(void)
{
	return z.fd;
}

static void child(const char *prog, int end)
{
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(end, 5) < 0 ||
	    setenv("ZYGOTEFD", "5", 1) < 0 || putenv((char *)ZYGOTE_BIND_NOW) < 0)
		_exit(111);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	char *argv[2] = { (char *)prog, NULL };
	execv(prog, argv);
	_exit(111);
}

static pid_t spawn(void *arg, int end)
{
	pid_t pid = fork();
	if (pid == 0)
		child(arg, end);
	return pid;
}

int rzygote_start(const char *prog)
{
	return zygote_client_start(&z, spawn, (void *)prog);
}

static bool take_forgotten(pid_t pid)
{
	for (size_t i = 0; i < n_forgotten; i++) {
		if (forgotten[i] == pid) {
			forgotten[i] = forgotten[--n_forgotten];
			return true;
		}
	}
	return false;
}

static void remember_end(void *arg, pid_t pid, int st)
{
	(void)arg;
	if (take_forgotten(pid))
		return;
	if (n_ends == cap_ends) {
		cap_ends = cap_ends ? cap_ends * 2 : 16;
		ends = xreallocarray(ends, cap_ends, sizeof *ends);
	}
	ends[n_ends++] = (struct ended){ pid, st };
}

void rzygote_read(void)
{
	zygote_client_read(&z, 0, remember_end, NULL);
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
	time_t until = time(NULL) + ZYGOTE_REPLY_MS / 1000;
	while (!take(pid, status)) {
		if (z.fd < 0 || time(NULL) > until) {
			*status = 0; /* unknown: the report alone decides */
			return true;
		}
		zygote_client_read(&z, ZYGOTE_REPLY_MS, remember_end, NULL);
	}
	return true;
}

static void request_env(struct strlist *a, const char *host, const char *sender,
                        const char *rcpt, bool want_reuse)
{
	struct sbuf b = SBUF_INIT;
	const char *names[3] = { "QMAILREMOTE_HOST=", "QMAILREMOTE_SENDER=", "QMAILREMOTE_RCPT=" };
	const char *values[3] = { host, sender, rcpt };
	for (int i = 0; i < 3; i++) {
		sbuf_set_str(&b, names[i]);
		sbuf_append_str(&b, values[i]);
		strlist_add(a, b.s, b.len);
	}
	if (want_reuse)
		strlist_add(a, "QMAILREMOTE_REUSE=1", 19);
	sbuf_free(&b);
}

pid_t rzygote_deliver(int msg_fd, int out_fd, int ch, const char *host, const char *sender,
                      const char *rcpt)
{
	struct strlist a = { 0 };
	request_env(&a, host, sender, rcpt, ch >= 0);
	int fds[3] = { msg_fd, out_fd, ch };
	pid_t pid = zygote_client_request(&z, 'D', &a, fds, ch >= 0 ? 3 : 2, remember_end, NULL);
	strlist_free(&a);
	return pid;
}

int rzygote_reuse(int ch, int msg_fd, int out_fd, const char *host, const char *sender,
                  const char *rcpt)
{
	struct strlist a = { 0 };
	request_env(&a, host, sender, rcpt, true);
	int fds[2] = { msg_fd, out_fd };
	int rc = zygote_send(ch, 'D', &a, fds, 2);
	strlist_free(&a);
	return rc;
}

void rzygote_forget(pid_t pid)
{
	int st;
	if (take(pid, &st))
		return;
	if (n_forgotten == FORGOTTEN_MAX)
		memmove(forgotten, forgotten + 1, --n_forgotten * sizeof forgotten[0]);
	forgotten[n_forgotten++] = pid;
}
