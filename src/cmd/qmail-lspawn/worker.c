/*
 * worker.c: a delivery worker (lspawn.h): becomes the owner once, then
 * runs one delivery per packet from qmail-lspawn until end of file.
 *
 * What a delivery can leave behind in this process, and how the next one
 * is protected (the audit of local_deliver and what it calls):
 *   cwd            local_deliver chdirs to the home: back to QMAILHOME
 *                  (an fd taken at start) before each delivery, so a
 *                  relative home means what it did in a fresh child;
 *   signals        qqueue_start (forwards) ignores SIGPIPE: the defaults
 *                  are set again before each delivery;
 *   umask          nothing changes it; set again anyway;
 *   environment    never changed (programs get a built envp);
 *   child processes  programs and qmail-queue are waited for by pid;
 *   descriptors    the engine closes its own; the message fd is closed
 *                  here after each delivery;
 *   static state   maildir's name counter (wanted: unique names);
 *   memory         the engine frees what it allocates; the worker's
 *                  lifetime is bounded anyway (LSPAWN_WORKER_USES_MAX);
 *   exit paths     out of memory or a crash point ends the worker: the
 *                  delivery is reported as crashed, as before.
 */
#include "lspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "fdpass.h"
#include "local_deliver.h"
#include "proto_limits.h"

#define WORKER_SOCK_FD 3
#define REQUEST_FIELDS 7

struct worker {
	const struct lspawn *ls;
	int sock;
	int home_fd;            /* QMAILHOME, the cwd each delivery starts in */
	mode_t umask;
	const char *drop_error; /* set when becoming the owner failed */
};

/* Only the channel, stderr and /dev/null on 0 and 1 stay open: the other
 * workers' channels, the message and the pipes to qmail-send go. */
static void setup_fds(struct worker *w, int sock)
{
	if (sock != WORKER_SOCK_FD && dup3(sock, WORKER_SOCK_FD, O_CLOEXEC) < 0)
		_exit(111);
	closefrom(WORKER_SOCK_FD + 1);
	w->sock = WORKER_SOCK_FD;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(111);
	if (devnull > 2)
		close(devnull);
	w->home_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void become_owner(struct worker *w, uid_t uid, gid_t gid)
{
	w->drop_error = NULL;
	if (w->ls->is_root_mode
	    && (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
		w->drop_error = "Unable to switch to the user. (#4.3.0)";
}

/* Splits "D" f0\0 f1\0 ... into f[]; false when malformed. */
static bool parse_request(char *buf, size_t len, const char *f[REQUEST_FIELDS])
{
	if (len < 1 || buf[0] != 'D' || buf[len - 1] != '\0')
		return false;
	size_t pos = 1;
	for (int i = 0; i < REQUEST_FIELDS; i++) {
		if (pos >= len)
			return false;
		f[i] = buf + pos;
		pos += strlen(buf + pos) + 1;
	}
	return pos == len;
}

static void deliver(struct worker *w, const char *f[REQUEST_FIELDS], int msg_fd,
                    struct local_result *res)
{
	const struct lspawn *ls = w->ls;
	lspawn_default_signals();
	umask(w->umask);
	if (w->drop_error) {
		sbuf_set_str(&res->text, w->drop_error);
	} else if (getuid() == 0 || geteuid() == 0) {
		res->status = 'D';
		sbuf_set_str(&res->text, "Refusing to deliver as root. (#5.7.0)");
	} else if ((w->home_fd < 0 || fchdir(w->home_fd) != 0) && f[1][0] != '/') {
		/* A fresh child could not have reached a relative home either. */
		sbuf_set_str(&res->text, "Unable to switch to home directory. (#4.3.0)");
	} else {
		struct local_args a = {
			.user = f[0], .home = f[1], .local = f[2], .dash = f[3], .ext = f[4],
			.domain = f[5], .sender = f[6], .defaultdelivery = ls->defaultdelivery,
			.noathost = sbuf_cstr(&ls->noathost), .msg_fd = msg_fd,
			.program_timeout = ls->timeout,
		};
		local_deliver(&a, res);
	}
	crashpoint("local-before-report");
}

/* One packet in, one report out; false when the worker should end. */
static bool serve_one(struct worker *w, char *buf)
{
	int msg_fd = -1;
	size_t n_fds = 0;
	ssize_t n = fdpass_recv(w->sock, buf, LSPAWN_WORKER_MSG_MAX, &msg_fd, 1, &n_fds, -1);
	if (n <= 0)
		_exit(n == 0 ? 0 : 111);
	const char *f[REQUEST_FIELDS];
	if (n_fds != 1 || !parse_request(buf, (size_t)n, f))
		_exit(111);
	struct local_result res = { 'Z', SBUF_INIT };
	deliver(w, f, msg_fd, &res);
	close(msg_fd);
	struct sbuf out = SBUF_INIT;
	sbuf_append_char(&out, res.status);
	size_t len = res.text.len < REPORT_TEXT_MAX ? res.text.len : REPORT_TEXT_MAX;
	sbuf_append(&out, sbuf_cstr(&res.text), len);
	int r = fdpass_send(w->sock, out.s, out.len, NULL, 0);
	sbuf_free(&out);
	local_result_free(&res);
	if (r != 0)
		_exit(111);
	return w->drop_error == NULL;
}

_Noreturn void worker_run(const struct lspawn *ls, uid_t uid, gid_t gid, int sock)
{
	struct worker w = { .ls = ls };
	setup_fds(&w, sock);
	lspawn_default_signals();
	w.umask = umask(077);
	umask(w.umask);
	become_owner(&w, uid, gid);
	char *buf = xmalloc(LSPAWN_WORKER_MSG_MAX);
	while (serve_one(&w, buf))
		;
	_exit(0);
}
