/*
 * qmail-rspawn: runs qmail-remote (or $QMAILREMOTE) for each request from
 * qmail-send (docs/PROTOCOLS.md): "host sender recipient" with the message
 * on fd 0, and turns its output into one report.  Requests on fd 0,
 * reports on fd 1.  Exits when fd 0 ends and every child has finished.
 * qmail-remote is started once as a zygote and forks per delivery
 * (rzygote.h) unless $QMAILREMOTE names another program.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "rreport.h"
#include "rzygote.h"

#define MISSING_TEXT "Zqmail-remote is not installed; will try again later."
#define OUTPUT_MAX 65536
#define REQ_MAX 8192

struct rjob {
	pid_t pid;
	int fd;
	char *did;
	struct sbuf out;
	bool via_zygote;  /* a child of the qmail-remote zygote (rzygote.h) */
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

static void child(int out_fd, const char *msgid, const char *sender, const char *rcpt)
{
	char path[64];
	snprintf(path, sizeof path, "queue/mess/%s", msgid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fd_move(0, fd) < 0 || fd_move(1, out_fd) < 0) {
		(void)!write(out_fd, "Zunable to open the message file.", 34);
		_exit(EXIT_TEMP);
	}
	const char *at = strrchr(rcpt, '@');
	const char *host = at ? at + 1 : "";
	char *argv[5] = { remote_prog, (char *)host, (char *)sender, (char *)rcpt, NULL };
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

/* Through the zygote: the delivery's pid, -1 (run qmail-remote) or -2. */
static pid_t start_zygote(int out_fd, const char *msgid, const char *sender, const char *rcpt)
{
	if (!want_zygote || rzygote_start(remote_prog) < 0)
		return -1;
	char path[64];
	snprintf(path, sizeof path, "queue/mess/%s", msgid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1; /* the child path reports it */
	const char *at = strrchr(rcpt, '@');
	pid_t pid = rzygote_deliver(fd, out_fd, at ? at + 1 : "", sender, rcpt);
	close(fd);
	return pid;
}

static void start(const char *did, const char *msgid, const char *sender, const char *rcpt)
{
	if (access(remote_prog, X_OK) < 0 && errno == ENOENT) {
		report(did, MISSING_TEXT, strlen(MISSING_TEXT));
		return;
	}
	int p[2];
	pid_t pid = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		report(did, "Zunable to make a pipe for qmail-remote.", 40);
		return;
	}
	pid = start_zygote(p[1], msgid, sender, rcpt);
	bool via_zygote = pid > 0;
	if (pid == -1 && (pid = fork()) == 0)
		child(p[1], msgid, sender, rcpt);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		report(did, "Zunable to start qmail-remote.", 30);
		return;
	}
	fd_set_nonblock(p[0], 1);
	if (n_jobs == cap_jobs) {
		cap_jobs = cap_jobs ? cap_jobs * 2 : 16;
		jobs = xreallocarray(jobs, cap_jobs, sizeof *jobs);
	}
	jobs[n_jobs++] = (struct rjob){ pid, p[0], xstrdup(did), SBUF_INIT, via_zygote };
}

/* Complete requests "<did>\0<msgid>\0<sender>\0<rcpt>\0" off the buffer. */
static void parse_requests(struct sbuf *in)
{
	size_t pos = 0;
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
		start(f[0], f[1], f[2], f[3]);
		pos = p;
	}
	memmove(in->s, in->s + pos, in->len - pos);
	sbuf_truncate(in, in->len - pos);
	if (in->len > REQ_MAX)
		_exit(EXIT_TEMP);
}

static void finish_job(size_t i)
{
	struct rjob *j = &jobs[i];
	int status = 0;
	if (j->via_zygote)
		(void)rzygote_status(j->pid, &status);
	else
		while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
			;
	struct sbuf rep = SBUF_INIT;
	rreport_convert(j->out.s ? j->out.s : "", j->out.len, !WIFEXITED(status), &rep);
	report(j->did, rep.s, rep.len);
	sbuf_free(&rep);
	close(j->fd);
	free(j->did);
	sbuf_free(&j->out);
	jobs[i] = jobs[--n_jobs];
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
	struct sbuf in = SBUF_INIT;
	bool open_in = true;
	struct pollfd *p = NULL;
	while (open_in || n_jobs) {
		p = xreallocarray(p, n_jobs + 2, sizeof *p);
		p[0] = (struct pollfd){ open_in ? 0 : -1, POLLIN, 0 };
		for (size_t i = 0; i < n_jobs; i++)
			p[i + 1] = (struct pollfd){ jobs[i].fd, POLLIN, 0 };
		size_t n = n_jobs;
		p[n + 1] = (struct pollfd){ rzygote_fd(), POLLIN, 0 };
		if (poll(p, n + 2, -1) < 0)
			continue;
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
