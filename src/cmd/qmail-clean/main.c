/*
 * qmail-clean: removes a finished message's files on qmail-send's request
 * (docs/PROTOCOLS.md): "<N>\0" on fd 0, one byte on fd 1, '+' removed or
 * '!' failed.  At start and every hour it also removes tmp/ files older
 * than 36 hours, and orphaned mess/ files (no todo/ or env/ entry) whose
 * qmail-queue is gone (its flock is free) or that are older than 36 hours.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "queue_scan.h"
#include "sbuf.h"

#define STALE_SECS (36 * 3600)
#define SWEEP_SECS 3600
#define REQ_MAX 64

static bool unlink_ok(const char *path)
{
	return unlink(path) == 0 || errno == ENOENT;
}

#define BATCH_MAX 256

static void qfile(char *buf, size_t len, const char *dir, const char *id)
{
	snprintf(buf, len, "%s/%s", dir, id);
}

/* Phase 1 for one request: its envelope names (todo/ and env/) go first. */
static bool unlink_envelope(const char *id)
{
	uint64_t n;
	char env[64], todo[64];
	if (!queue_scan_name(id, &n))
		return false;
	qfile(env, sizeof env, "env", id);
	qfile(todo, sizeof todo, "todo", id);
	return unlink_ok(env) && unlink_ok(todo);
}

/*
 * Removes a batch of finished messages: every envelope first, made durable
 * with one fsync of env/ and todo/ for the whole batch, then the messages.
 * So there is never an envelope without its message, even after a crash
 * and whatever order the filesystem keeps, and a message number (inode)
 * can be reused only once its old envelope is gone for good.
 */
static void clean_batch(const char **ids, size_t n, char *ans)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		ans[i] = unlink_envelope(ids[i]) ? '+' : '!';
		any |= ans[i] == '+';
	}
	if (any && (fd_sync_dir("env") < 0 || fd_sync_dir("todo") < 0))
		memset(ans, '!', n);
	for (size_t i = 0; i < n; i++) {
		char mess[64];
		qfile(mess, sizeof mess, "mess", ids[i]);
		if (ans[i] == '+' && !unlink_ok(mess))
			ans[i] = '!';
	}
}

static bool is_stale(const char *path, time_t now)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > STALE_SECS;
}

static void sweep_tmp(time_t now)
{
	DIR *d = opendir("tmp");
	if (!d)
		return;
	struct dirent *de;
	char path[512];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "tmp/%s", de->d_name);
		if (is_stale(path, now))
			unlink(path);
	}
	closedir(d);
}

static bool has_envelope(const char *todo, const char *env)
{
	/* todo/ before env/: qmail-send renames from the one to the other. */
	return access(todo, F_OK) == 0 || access(env, F_OK) == 0;
}

/*
 * True when no qmail-queue holds mess's lock: whoever wrote it is gone.
 * If there is still no envelope now, there never will be one.
 */
static bool writer_gone(const char *mess, const char *todo, const char *env)
{
	int fd = open(mess, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	bool gone = flock(fd, LOCK_EX | LOCK_NB) == 0 && !has_envelope(todo, env);
	close(fd);
	return gone;
}

static void sweep_orphans(time_t now)
{
	uint64_t *ids;
	size_t n;
	if (queue_scan_dir("mess", &ids, &n) < 0)
		return;
	char mess[64], env[64], todo[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(mess, sizeof mess, "mess/%llu", (unsigned long long)ids[i]);
		snprintf(env, sizeof env, "env/%llu", (unsigned long long)ids[i]);
		snprintf(todo, sizeof todo, "todo/%llu", (unsigned long long)ids[i]);
		if (has_envelope(todo, env))
			continue;
		if (writer_gone(mess, todo, env) || is_stale(mess, now)) {
			fprintf(stderr, "qmail-clean: removing orphaned %s\n", mess);
			unlink(mess);
		}
	}
	free(ids);
}

static void handle(struct sbuf *in)
{
	const char *ids[BATCH_MAX];
	char ans[BATCH_MAX];
	size_t n = 0, pos = 0;
	for (;;) {
		const char *nul = memchr(in->s + pos, '\0', in->len - pos);
		if (!nul)
			break;
		ids[n++] = in->s + pos;
		pos = (size_t)(nul - in->s) + 1;
		if (n == BATCH_MAX || pos >= in->len) {
			clean_batch(ids, n, ans);
			if (fd_write_all(1, ans, n) < 0)
				_exit(EXIT_TEMP);
			n = 0;
		}
	}
	if (n > 0) {
		clean_batch(ids, n, ans);
		if (fd_write_all(1, ans, n) < 0)
			_exit(EXIT_TEMP);
	}
	memmove(in->s, in->s + pos, in->len - pos);
	sbuf_truncate(in, in->len - pos);
	if (in->len > REQ_MAX)
		_exit(EXIT_TEMP);
}

int main(void)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	/* qmail-clean ends at end of fd 0, when qmail-send is gone. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGALRM, SIG_IGN);
	char *q = instance_path("queue");
	if (chdir(q) < 0)
		return EXIT_TEMP;
	free(q);
	struct sbuf in = SBUF_INIT;
	time_t next_sweep = 0;
	for (;;) {
		time_t now = time(NULL);
		if (now >= next_sweep) {
			sweep_tmp(now);
			sweep_orphans(now);
			next_sweep = now + SWEEP_SECS;
		}
		struct pollfd p = { 0, POLLIN, 0 };
		if (poll(&p, 1, (int)(next_sweep - now) * 1000) <= 0)
			continue;
		char buf[4096];
		ssize_t r = read(0, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		sbuf_append(&in, buf, (size_t)r);
		handle(&in);
	}
}
