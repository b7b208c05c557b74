#include "qqueue.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "fdpass.h"

/* Moves fd above 2 so that the dup2 onto 0 and 1 cannot clobber it. */
static int raise_fd(int *fd)
{
	if (*fd > 2)
		return 0;
	int nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

int qqueue_err_pipe(int *rd, int *wr)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (p[1] <= QQERR_FD) {
		int nfd = fcntl(p[1], F_DUPFD_CLOEXEC, QQERR_FD + 1);
		if (nfd < 0) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
		close(p[1]);
		p[1] = nfd;
	}
	*rd = p[0];
	*wr = p[1];
	return 0;
}

void qqueue_read_reply(int fd, struct qqerr *out)
{
	char raw[QQERR_RAW_MAX];
	size_t len = 0;
	while (fd >= 0 && len < sizeof raw) {
		ssize_t r = read(fd, raw + len, sizeof raw - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	(void)qqerr_parse(raw, len, out);
}

static int file_actions(posix_spawn_file_actions_t *fa, int msg_rd, int env_rd, int err_wr)
{
	int rc = posix_spawn_file_actions_adddup2(fa, msg_rd, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(fa, env_rd, 1);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(fa, err_wr, QQERR_FD);
	return rc;
}

/*
 * posix_spawn (a vfork-style clone, no copy of this process): message pipe
 * on fd 0, envelope pipe on fd 1, the QQERR_FD pipe on fd 4, SIGPIPE back
 * to default.  A program that cannot be executed behaves like one that
 * exited QQ_CONFIG_ERROR (q->pid 0, q->spawn_code), as with fork + exec;
 * -1 only when no process could be made.
 */
static int spawn(struct qqueue *q, const char *prog, int msg_rd, int env_rd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dfl;
	char *argv[2] = { (char *)prog, NULL };
	extern char **environ;
	int err_wr = -1;
	if (raise_fd(&msg_rd) < 0 || raise_fd(&env_rd) < 0 ||
	    qqueue_err_pipe(&q->err_fd, &err_wr) < 0)
		return -1;
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0 && (rc = posix_spawnattr_init(&at)) != 0)
		posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		close(err_wr);
		return -1;
	}
	rc = file_actions(&fa, msg_rd, env_rd, err_wr);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&at, &dfl);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	pid_t pid = -1;
	if (rc == 0)
		rc = posix_spawn(&pid, prog, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(msg_rd);
	close(env_rd);
	close(err_wr);
	if (rc == EAGAIN || rc == ENOMEM) {
		errno = rc;
		return -1;
	}
	q->pid = rc == 0 ? pid : 0;
	q->spawn_code = rc == 0 ? QQ_OK : QQ_CONFIG_ERROR;
	return 0;
}

/*
 * The queue daemon (src/cmd/qmail-queue/qq_daemon.h) when QMAILQUEUE is not
 * set and its socket answers at once: no process is made here at all.
 * Any failure before the request is sent falls back to running the program.
 */
static int try_daemon(struct qqueue *q, int msg_rd, int env_rd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *path = instance_path(QQUEUE_DAEMON_SOCKET);
	size_t len = strlen(path);
	int s = -1;
	if (len < sizeof sa.sun_path) {
		memcpy(sa.sun_path, path, len + 1);
		s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	}
	free(path);
	/* Non-blocking: a full backlog (EAGAIN) means "run the program". */
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    fd_set_nonblock(s, 0) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	char msg[1 + 64] = "Q";
	size_t n = 1;
#ifdef QNG_CRASHPOINTS
	const char *crash = getenv("QNG_CRASH");
	if (crash && strlen(crash) < sizeof msg - 1) {
		memcpy(msg + 1, crash, strlen(crash));
		n += strlen(crash);
	}
#endif
	int fds[2] = { msg_rd, env_rd };
	if (fdpass_send(s, msg, n, fds, 2) < 0) {
		close(s);
		return -1;
	}
	close(msg_rd);
	close(env_rd);
	q->pid = 0;
	q->daemon_fd = s;
	return 0;
}

static int daemon_status(int fd)
{
	unsigned char b;
	ssize_t n;
	while ((n = recv(fd, &b, 1, 0)) < 0 && errno == EINTR)
		;
	close(fd);
	return n == 1 ? b : QQ_BUG;
}

static void close_err(struct qqueue *q)
{
	if (q->err_fd >= 0)
		close(q->err_fd);
	q->err_fd = -1;
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

int qqueue_start(struct qqueue *q)
{
	memset(q, 0, sizeof *q);
	q->pid = -1;
	q->msg_fd = q->env_fd = q->daemon_fd = q->err_fd = -1;
	signal(SIGPIPE, SIG_IGN);

	const char *env = getenv("QMAILQUEUE");
	char *prog = (env && *env) ? xstrdup(env) : instance_path("bin/qmail-queue");
	int mp[2], ep[2];
	if (pipe2(mp, O_CLOEXEC) < 0) {
		free(prog);
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int saved = errno;
		close_pair(mp);
		free(prog);
		errno = saved;
		return -1;
	}
	bool use_daemon = !(env && *env);
	if ((!use_daemon || try_daemon(q, mp[0], ep[0]) < 0) && spawn(q, prog, mp[0], ep[0]) < 0) {
		int saved = errno;
		close(mp[1]);
		close(ep[1]);
		close_err(q);
		free(prog);
		q->pid = -1;
		errno = saved;
		return -1;
	}
	free(prog);
	q->msg_fd = mp[1];
	q->env_fd = ep[1];
	return 0;
}

static void flush_buf(struct qqueue *q)
{
	if (q->buf_len && !q->write_failed && fd_write_all(q->msg_fd, q->buf, q->buf_len) < 0)
		q->write_failed = 1;
	q->buf_len = 0;
}

void qqueue_write(struct qqueue *q, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		if (q->buf_len == sizeof q->buf)
			flush_buf(q);
		size_t room = sizeof q->buf - q->buf_len;
		size_t take = n < room ? n : room;
		memcpy(q->buf + q->buf_len, s, take);
		q->buf_len += take;
		s += take;
		n -= take;
	}
}

void qqueue_puts(struct qqueue *q, const char *s)
{
	qqueue_write(q, s, strlen(s));
}

static int wait_child(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return QQ_BUG;
	}
	if (!WIFEXITED(status))
		return QQ_BUG;
	return WEXITSTATUS(status);
}

static void send_envelope(struct qqueue *q, const char *sender, const struct strlist *rcpts)
{
	struct sbuf b = SBUF_INIT;
	sbuf_append_char(&b, 'F');
	sbuf_append(&b, sender, strlen(sender) + 1);
	for (size_t i = 0; rcpts && i < rcpts->n; i++) {
		sbuf_append_char(&b, 'T');
		sbuf_append(&b, rcpts->v[i], strlen(rcpts->v[i]) + 1);
	}
	sbuf_append_char(&b, '\0');
	if (fd_write_all(q->env_fd, b.s, b.len) < 0)
		q->write_failed = 1;
	sbuf_free(&b);
}

int qqueue_finish(struct qqueue *q, const char *sender, const struct strlist *rcpts)
{
	flush_buf(q);
	if (close(q->msg_fd) < 0)
		q->write_failed = 1;
	q->msg_fd = -1;
	send_envelope(q, sender, rcpts);
	if (close(q->env_fd) < 0)
		q->write_failed = 1;
	q->env_fd = -1;
	int code = q->daemon_fd >= 0 ? daemon_status(q->daemon_fd)
	           : q->pid > 0 ? wait_child(q->pid) : q->spawn_code;
	q->daemon_fd = -1;
	q->pid = -1;
	if (code == QQERR_EXIT)
		qqueue_read_reply(q->err_fd, &q->reply);
	close_err(q);
	/* A message that did not reach qmail-queue whole is never "queued". */
	if (code == QQ_OK && q->write_failed)
		code = QQ_WRITE_ERROR;
	return code;
}

void qqueue_abort(struct qqueue *q)
{
	if (q->msg_fd >= 0)
		close(q->msg_fd);
	if (q->env_fd >= 0)
		close(q->env_fd);
	q->msg_fd = q->env_fd = -1;
	if (q->daemon_fd >= 0)
		close(q->daemon_fd); /* the worker reads EOF and queues nothing */
	q->daemon_fd = -1;
	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		(void)wait_child(q->pid);
	}
	q->pid = -1;
	close_err(q);
}

struct qq_text {
	int code;
	const char *text;
};

/* qmail-queue(8) codes and the wording qmail's clients used for them. */
static const struct qq_text qq_texts[] = {
	{ QQ_OK, "ok" },
	{ QQ_ADDR_TOO_LONG, "envelope address too long for qq" },
	{ QQ_PERM_REFUSED, "mail server permanently rejected message" },
	{ QQ_NOMEM, "qq out of memory" },
	{ QQ_TIMEOUT, "qq timeout" },
	{ QQ_WRITE_ERROR, "qq write error or disk full" },
	{ QQ_READ_ERROR, "qq read error" },
	{ QQ_CONFIG_ERROR, "qq unable to read configuration" },
	{ QQ_NET_ERROR, "qq trouble making network connection" },
	{ 61, "qq trouble in home directory" },
	{ QQ_QUEUE_CREATE, "qq trouble creating files in queue" },
	{ QQ_QUEUE_READ, "qq trouble reading files in queue" },
	{ 64, "qq trouble syncing queue files" },
	{ 65, "qq trouble with queue directories" },
	{ QQ_TEMP_REFUSED, "mail server temporarily rejected message" },
	{ 72, "connection to mail server timed out" },
	{ 73, "connection to mail server rejected" },
	{ 74, "communication with mail server failed" },
	{ QQ_BUG, "qq internal bug" },
	{ QQERR_EXIT, "qq temporary problem (no valid reply from the queue program)" },
	{ QQ_ENVELOPE_FORMAT, "envelope format error" },
};

const char *qqueue_strerror(int code)
{
	for (size_t i = 0; i < sizeof qq_texts / sizeof qq_texts[0]; i++)
		if (qq_texts[i].code == code)
			return qq_texts[i].text;
	if (queue_exit_is_permanent(code))
		return "mail server permanently rejected message";
	return "unable to queue message";
}

const char *qqueue_result_text(const struct qqueue *q, int code)
{
	return code == QQERR_EXIT && q->reply.kind != QQERR_NONE ? q->reply.text
	                                                           : qqueue_strerror(code);
}

bool qqueue_is_permanent(const struct qqueue *q, int code)
{
	if (code == QQERR_EXIT)
		return q->reply.kind == QQERR_PERM;
	return queue_exit_is_permanent(code);
}
