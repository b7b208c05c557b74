#include "qq_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "datefmt.h"
#include "envelope.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "proto_limits.h"

#define QQ_ADDR_MAX 1000
#define CHUNK 65536

static char tmp_mess[128];
static char tmp_env[136];
static char mess_path[64];
static uint64_t mess_ino;
static uint64_t mess_size;
static int committed;   /* todo/N is linked: nothing to clean up */
static int lock_fd = -1;   /* held until qq_write_end or exit; see lock_message */

static int io_code(int err, int def)
{
	if (err == ENOSPC || err == EDQUOT || err == EIO)
		return QQ_WRITE_ERROR;
	return def;
}

static const char *invoked_by(uid_t uid, char *buf, size_t len)
{
	struct role_id r;
	if (instance_is_root_mode()) {
		if (instance_role(ROLE_ALIAS, &r) == 0 && r.uid == uid)
			return "invoked by alias";
		if (instance_role(ROLE_SMTPD, &r) == 0 && r.uid == uid)
			return "invoked from network";
		if (instance_role(ROLE_SEND, &r) == 0 && r.uid == uid)
			return "invoked for bounce";
	}
	snprintf(buf, len, "invoked by uid %lu", (unsigned long)uid);
	return buf;
}

void qq_write_received(struct sbuf *out, pid_t pid, uid_t uid, time_t now)
{
	char who[64], date[DATEFMT_MAX];
	datefmt_received(date, now);
	sbuf_printf(out, "Received: (qmail %ld %s); %s\n", (long)pid,
		    invoked_by(uid, who, sizeof who), date);
}

size_t qq_write_convert(struct crlf_state *st, const char *in, size_t n, char *out)
{
	size_t o = 0;
	if (!in) {
		if (st->pending_cr)
			out[o++] = ' ';
		st->pending_cr = 0;
		return o;
	}
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (st->pending_cr) {
			st->pending_cr = 0;
			if (c == '\n') {
				out[o++] = '\n';
				continue;
			}
			out[o++] = ' ';
		}
		if (c == '\r')
			st->pending_cr = 1;
		else
			out[o++] = c;
	}
	return o;
}

static int create_tmp(char *path, size_t len, const char *suffix, int mode, int *fd)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(path, len, "tmp/%ld.%lld.%ld%s", (long)getpid(), (long long)ts.tv_sec,
		 (long)ts.tv_nsec, suffix);
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (*fd < 0) {
		path[0] = '\0';
		return io_code(errno, QQ_QUEUE_CREATE);
	}
	return QQ_OK;
}

/* Copies fd into out with line-ending conversion; counts into *total. */
static int copy_converted(int in, int out, uint64_t cap, uint64_t *total)
{
	char *ibuf = xmalloc(CHUNK), *obuf = xmalloc(2 * CHUNK + 1);
	struct crlf_state st = { 0 };
	int code = QQ_OK;
	for (;;) {
		ssize_t r = read(in, ibuf, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			code = QQ_READ_ERROR;
			break;
		}
		size_t o = qq_write_convert(&st, r ? ibuf : NULL, (size_t)r, obuf);
		*total += o;
		if (*total > cap) {
			code = QQ_PERM_REFUSED;
			break;
		}
		if (o && fd_write_all(out, obuf, o) < 0) {
			code = QQ_WRITE_ERROR;
			break;
		}
		if (r == 0)
			break;
	}
	free(ibuf);
	free(obuf);
	return code;
}

/*
 * An exclusive flock on the message file, held until the message is
 * committed or cleaned up (qq_write_end) or this process ends (the kernel
 * drops it even on SIGKILL).  qmail-clean removes a mess/N without an
 * envelope at once when it can take this lock: no qmail-queue is still
 * working on it, so it can never be committed.
 */
static int lock_message(void)
{
	lock_fd = open(tmp_mess, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
		return io_code(errno, QQ_QUEUE_CREATE);
	return QQ_OK;
}

int qq_write_message(int fd, const char *prefix, size_t prefix_len, uint64_t cap)
{
	int out;
	int code = create_tmp(tmp_mess, sizeof tmp_mess, "", 0640, &out);
	if (code != QQ_OK)
		return code;
	code = lock_message();
	if (code != QQ_OK) {
		close(out);
		return code;
	}
	uint64_t total = prefix_len;
	if (fd_write_all(out, prefix, prefix_len) < 0)
		code = QQ_WRITE_ERROR;
	if (code == QQ_OK)
		code = copy_converted(fd, out, cap, &total);
	struct stat st;
	if (code == QQ_OK && (fsync(out) < 0 || fstat(out, &st) < 0))
		code = QQ_WRITE_ERROR;
	if (fd_close_checked(out) < 0 && code == QQ_OK)
		code = QQ_WRITE_ERROR;
	if (code == QQ_OK) {
		mess_ino = (uint64_t)st.st_ino;
		mess_size = total;
	}
	return code;
}

int qq_write_commit_message(void)
{
	snprintf(mess_path, sizeof mess_path, "mess/%llu", (unsigned long long)mess_ino);
	if (rename(tmp_mess, mess_path) < 0) {
		mess_path[0] = '\0';
		return io_code(errno, QQ_QUEUE_CREATE);
	}
	tmp_mess[0] = '\0';
	if (fd_sync_dir("mess") < 0)
		return QQ_WRITE_ERROR;
	return QQ_OK;
}

/* Where the envelope ends: the empty record after at least one record. */
struct env_reader {
	size_t rec_start;
	size_t n_records;
	size_t scanned;
};

static bool env_complete(struct env_reader *er, const struct sbuf *b, size_t *end)
{
	for (; er->scanned < b->len; er->scanned++) {
		if (b->s[er->scanned] != '\0')
			continue;
		if (er->scanned == er->rec_start && er->n_records > 0) {
			*end = er->scanned + 1;
			return true;
		}
		er->n_records++;
		er->rec_start = er->scanned + 1;
	}
	return false;
}

/* Reads the envelope up to its terminating NUL (not necessarily EOF). */
static int read_envelope(int fd, struct sbuf *b)
{
	struct env_reader er = { 0, 0, 0 };
	size_t end;
	for (;;) {
		if (b->len > QUEUE_ENVELOPE_MAX)
			return QQ_PERM_REFUSED;
		sbuf_reserve(b, CHUNK);
		ssize_t r = read(fd, b->s + b->len, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return QQ_READ_ERROR;
		if (r == 0)
			return b->len ? QQ_OK : QQ_READ_ERROR;
		b->len += (size_t)r;
		b->s[b->len] = '\0';
		if (env_complete(&er, b, &end)) {
			sbuf_truncate(b, end);
			return QQ_OK;
		}
	}
}

static int check_envelope(const struct sbuf *b, struct envelope *e)
{
	enum env_status st = envelope_parse_qq(b->s, b->len, e);
	if (st == ENV_INCOMPLETE)
		return QQ_READ_ERROR;
	if (st == ENV_TOO_BIG)
		return QQ_PERM_REFUSED;
	if (st != ENV_OK)
		return QQ_ENVELOPE_FORMAT;
	if (strlen(e->sender) > QQ_ADDR_MAX)
		return QQ_ADDR_TOO_LONG;
	for (size_t i = 0; i < e->n_rcpt; i++)
		if (strlen(e->rcpt[i].addr) > QQ_ADDR_MAX)
			return QQ_ADDR_TOO_LONG;
	return QQ_OK;
}

static int write_env_file(const struct envelope *e)
{
	struct sbuf data = SBUF_INIT;
	envelope_format(e, &data);
	int fd;
	int code = create_tmp(tmp_env, sizeof tmp_env, ".env", 0660, &fd);
	if (code == QQ_OK) {
		if (fd_write_all(fd, data.s, data.len) < 0 || fsync(fd) < 0)
			code = QQ_WRITE_ERROR;
		if (fd_close_checked(fd) < 0 && code == QQ_OK)
			code = QQ_WRITE_ERROR;
	}
	sbuf_free(&data);
	return code;
}

int qq_write_envelope(int fd, uint64_t birth, uid_t uid, uint64_t pid)
{
	struct sbuf raw = SBUF_INIT;
	struct envelope e;
	memset(&e, 0, sizeof e);
	int code = read_envelope(fd, &raw);
	if (code == QQ_OK)
		code = check_envelope(&raw, &e);
	sbuf_free(&raw);
	if (code == QQ_OK) {
		e.birth = birth;
		e.uid = uid;
		e.pid = pid;
		e.size = mess_size;
		e.has_size = true;
		code = write_env_file(&e);
	}
	envelope_free(&e);
	return code;
}

int qq_write_link_todo(void)
{
	char todo[64];
	snprintf(todo, sizeof todo, "todo/%llu", (unsigned long long)mess_ino);
	crashpoint("queue-before-todo-link");
	if (link(tmp_env, todo) < 0)
		return io_code(errno, QQ_QUEUE_CREATE);
	if (fd_sync_dir("todo") < 0) {
		/* Take todo/N back atomically (a rename, to a name that is not
		 * already a link to it); if qmail-send has renamed it to env/N
		 * first, the message is committed and must keep its mess/N. */
		char back[sizeof tmp_env + 8];
		snprintf(back, sizeof back, "%s.back", tmp_env);
		if (rename(todo, back) == 0)
			unlink(back);
		else
			committed = 1;
		if (committed) {
			unlink(tmp_env);
			tmp_env[0] = '\0';
		}
		return QQ_WRITE_ERROR;
	}
	committed = 1;
	crashpoint("queue-after-todo-link");
	unlink(tmp_env);
	tmp_env[0] = '\0';
	return QQ_OK;
}

void qq_write_trigger(void)
{
	int fd = open("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)!write(fd, "", 1);
	close(fd);
}

void qq_write_cleanup(void)
{
	if (committed)
		return;
	if (tmp_mess[0])
		unlink(tmp_mess);
	if (tmp_env[0])
		unlink(tmp_env);
	if (mess_path[0])
		unlink(mess_path);
}

void qq_write_end(void)
{
	qq_write_cleanup();
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
	tmp_mess[0] = tmp_env[0] = mess_path[0] = '\0';
	mess_ino = mess_size = 0;
	committed = 0;
}
