/*
 * qmail-rspawn: runs qmail-remote (or $QMAILREMOTE) for each request from
 * qmail-send (docs/PROTOCOLS.md): "host sender recipient" with the message
 * on fd 0, and turns its output into one report.  Requests on fd 0,
 * reports on fd 1.  Exits when fd 0 ends and every child has finished.
 * qmail-remote is started once as a zygote and forks per delivery
 * (rzygote.h) unless $QMAILREMOTE names another program.  Deliveries
 * through the zygote may keep their connection for the next delivery to
 * the same domain (rsession.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "rreport.h"
#include "rsession.h"
#include "rzygote.h"
#include "zygote.h"

#define MISSING_TEXT "Zqmail-remote is not installed; will try again later."
#define OUTPUT_MAX 65536
#define REQ_MAX 8192

struct rjob {
	pid_t pid;
	int fd;
	char *did;
	struct sbuf out;
	bool via_zygote;  /* a child of the qmail-remote zygote (rzygote.h) */
	int ch;           /* its session channel (rsession.h), -1: none */
	bool is_reuse;    /* sent to an idle session */
	char *req[3];     /* msgid, sender, rcpt: to start again if that session was gone */
};

static struct rjob *jobs;
static size_t n_jobs, cap_jobs;
static char *remote_prog;
static bool want_zygote;

static void report(const char *did, const char *text, size_t len)
{
	struct sbuf b = SBUF_INIT;
	sbuf_append(&b, did, strlen(did) + 1);
	sbuf_append(&b, text, len);
	sbuf_append_char(&b, '\0');
	if (fd_write_all(1, b.s, b.len) < 0)
		_exit(EXIT_TEMP);
	sbuf_free(&b);
}

static const char *domain_of(const char *rcpt)
{
	const char *at = strrchr(rcpt, '@');
	return at ? at + 1 : "";
}

static int open_message(const char *msgid)
{
	char path[64];
	snprintf(path, sizeof path, "queue/mess/%s", msgid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void child(int out_fd, const char *msgid, const char *sender, const char *rcpt)
{
	int fd = open_message(msgid);
	if (fd < 0 || fd_move(0, fd) < 0 || fd_move(1, out_fd) < 0) {
		(void)!write(out_fd, "Zunable to open the message file.", 34);
		_exit(EXIT_TEMP);
	}
	char *argv[5] = { remote_prog, (char *)domain_of(rcpt), (char *)sender, (char *)rcpt,
	                  NULL };
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	execv(remote_prog, argv);
	if (errno == ENOENT)
		(void)!write(1, MISSING_TEXT, sizeof MISSING_TEXT);
	else
		(void)!write(1, "Zunable to run qmail-remote.", 29);
	_exit(EXIT_TEMP);
}

/* An idle session for the domain: its pid, with *ch its channel; -1. */
static pid_t start_reuse(int msg_fd, int out_fd, const char *sender, const char *rcpt, int *ch)
{
	pid_t pid;
	while (rsession_take(domain_of(rcpt), ch, &pid)) {
		if (rzygote_reuse(*ch, msg_fd, out_fd, domain_of(rcpt), sender, rcpt) == 0)
			return pid;
		close(*ch);
		rzygote_forget(pid);
	}
	*ch = -1;
	return -1;
}

/* A new delivery process from the zygote, with a session channel when
 * reuse is on: its pid, -1 (run qmail-remote) or -2. */
static pid_t start_fresh(int msg_fd, int out_fd, const char *sender, const char *rcpt, int *ch)
{
	int sv[2] = { -1, -1 };
	*ch = -1;
	if (rsession_enabled() && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		sv[0] = sv[1] = -1;
	pid_t pid = rzygote_deliver(msg_fd, out_fd, sv[1], domain_of(rcpt), sender, rcpt);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pid > 0)
		*ch = sv[0];
	else if (sv[0] >= 0)
		close(sv[0]);
	return pid;
}

/* Through the zygote or a kept session: the delivery's pid, -1 (run
 * qmail-remote) or -2. */
static pid_t start_zygote(struct rjob *j, int out_fd, const char *msgid, const char *sender,
                          const char *rcpt, bool may_reuse)
{
	if (!want_zygote || rzygote_start(remote_prog) < 0)
		return -1;
	int fd = open_message(msgid);
	if (fd < 0)
		return -1; /* the child path reports it */
	pid_t pid = may_reuse ? start_reuse(fd, out_fd, sender, rcpt, &j->ch) : -1;
	j->is_reuse = pid > 0;
	if (pid < 0)
		pid = start_fresh(fd, out_fd, sender, rcpt, &j->ch);
	close(fd);
	return pid;
}

static void start(const char *did, const char *msgid, const char *sender, const char *rcpt,
                  bool may_reuse)
{
	if (access(remote_prog, X_OK) < 0 && errno == ENOENT) {
		report(did, MISSING_TEXT, strlen(MISSING_TEXT));
		return;
	}
	int p[2];
	struct rjob j = { .pid = -1, .ch = -1, .out = SBUF_INIT };
	if (pipe2(p, O_CLOEXEC) < 0) {
		report(did, "Zunable to make a pipe for qmail-remote.", 40);
		return;
	}
	j.pid = start_zygote(&j, p[1], msgid, sender, rcpt, may_reuse);
	j.via_zygote = j.pid > 0;
	if (j.pid == -1 && (j.pid = fork()) == 0)
		child(p[1], msgid, sender, rcpt);
	close(p[1]);
	if (j.pid < 0) {
		close(p[0]);
		report(did, "Zunable to start qmail-remote.", 30);
		return;
	}
	fd_set_nonblock(p[0], 1);
	if (n_jobs == cap_jobs) {
		cap_jobs = cap_jobs ? cap_jobs * 2 : 16;
		jobs = xreallocarray(jobs, cap_jobs, sizeof *jobs);
	}
	j.fd = p[0];
	j.did = xstrdup(did);
	if (j.ch >= 0) {
		j.req[0] = xstrdup(msgid);
		j.req[1] = xstrdup(sender);
		j.req[2] = xstrdup(rcpt);
	}
	jobs[n_jobs++] = j;
}

/* Complete requests "<did>\0<msgid>\0<sender>\0<rcpt>\0" off the buffer. */
static void parse_requests(struct sbuf *in)
{
	size_t pos = 0;
	rsession_init();
	for (;;) {
		const char *f[4];
		size_t p = pos;
		int k;
		for (k = 0; k < 4; k++) {
			const char *nul = memchr(in->s + p, '\0', in->len - p);
			if (!nul)
				break;
			f[k] = in->s + p;
			p = (size_t)(nul - in->s) + 1;
		}
		if (k < 4)
			break;
		start(f[0], f[1], f[2], f[3], true);
		pos = p;
	}
	memmove(in->s, in->s + pos, in->len - pos);
	sbuf_truncate(in, in->len - pos);
	if (in->len > REQ_MAX)
		_exit(EXIT_TEMP);
}

/* After the report: "I" on the channel caches the session (status 0);
 * anything else means the process ends: true, with its wait status. */
static bool session_ended(struct rjob *j, int *status)
{
	struct pollfd p = { j->ch, POLLIN, 0 };
	char c[8];
	ssize_t n = -1;
	if (poll(&p, 1, ZYGOTE_REPLY_MS) == 1)
		n = recv(j->ch, c, sizeof c, MSG_DONTWAIT);
	if (n == 1 && c[0] == 'I') {
		rsession_put(domain_of(j->req[2]), j->ch, j->pid);
		*status = 0;
		return false;
	}
	close(j->ch);
	(void)rzygote_status(j->pid, status);
	return true;
}

static void release(struct rjob *j)
{
	close(j->fd);
	free(j->did);
	for (int k = 0; k < 3; k++)
		free(j->req[k]);
	sbuf_free(&j->out);
}

static void finish_job(size_t i)
{
	struct rjob j = jobs[i];
	int status = 0;
	jobs[i] = jobs[--n_jobs];
	if (j.ch >= 0) {
		if (session_ended(&j, &status) && j.is_reuse && j.out.len == 0) {
			/* The kept session ended before taking the delivery. */
			start(j.did, j.req[0], j.req[1], j.req[2], false);
			release(&j);
			return;
		}
	} else if (j.via_zygote) {
		(void)rzygote_status(j.pid, &status);
	} else {
		while (waitpid(j.pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	struct sbuf rep = SBUF_INIT;
	rreport_convert(j.out.s ? j.out.s : "", j.out.len, !WIFEXITED(status), &rep);
	report(j.did, rep.s, rep.len);
	sbuf_free(&rep);
	release(&j);
}

static void read_job(size_t i)
{
	char buf[4096];
	ssize_t r = read(jobs[i].fd, buf, sizeof buf);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		finish_job(i);
		return;
	}
	if (jobs[i].out.len < OUTPUT_MAX)
		sbuf_append(&jobs[i].out, buf, (size_t)r);
}

static bool read_requests(struct sbuf *in)
{
	char buf[4096];
	ssize_t r = read(0, buf, sizeof buf);
	if (r < 0 && errno == EINTR)
		return true;
	if (r <= 0)
		return false;
	sbuf_append(in, buf, (size_t)r);
	parse_requests(in);
	return true;
}

int main(void)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	/* Stopping is qmail-send's decision: we finish at end of fd 0, so a
	 * signal to the whole process group does not cut deliveries short. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGALRM, SIG_IGN);
	if (chdir(instance_home()) < 0)
		return EXIT_TEMP;
	const char *env = getenv("QMAILREMOTE");
	remote_prog = (env && *env) ? xstrdup(env) : instance_path("bin/qmail-remote");
	want_zygote = !(env && *env); /* $QMAILREMOTE is run as given, per delivery */
	rsession_init();
	struct sbuf in = SBUF_INIT;
	bool open_in = true;
	struct pollfd *p = NULL;
	while (open_in || n_jobs) {
		p = xreallocarray(p, n_jobs + 2 + RSESSION_IDLE_MAX, sizeof *p);
		p[0] = (struct pollfd){ open_in ? 0 : -1, POLLIN, 0 };
		for (size_t i = 0; i < n_jobs; i++)
			p[i + 1] = (struct pollfd){ jobs[i].fd, POLLIN, 0 };
		size_t n = n_jobs;
		p[n + 1] = (struct pollfd){ rzygote_fd(), POLLIN, 0 };
		int ms = rsession_expire();
		size_t n_idle = rsession_pollfds(p + n + 2);
		if (poll(p, n + 2 + n_idle, ms) < 0)
			continue;
		rsession_events(p + n + 2, n_idle);
		if (p[n + 1].revents)
			rzygote_read();
		for (size_t i = n; i > 0; i--)
			if (p[i].revents)
				read_job(i - 1);
		if (p[0].revents)
			open_in = read_requests(&in);
	}
	return 0;
}
