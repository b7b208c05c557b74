/*
 * local_program.c: |program deliveries (qmail-command(8)).
 *
 * The only sh -c in qmail-ng: the command is the user's own .qmail line.
 * Message data reaches it only through the environment built here, with
 * control characters in envelope values replaced by '_'.
 */
#include "local_deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "proto_limits.h"

#define ENV_MAX 32

static void env_add(char **env, size_t *n, const char *name, const char *val,
                    bool keep_newline)
{
	struct sbuf s = SBUF_INIT;
	sbuf_printf(&s, "%s=", name);
	for (const char *p = val; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		bool ok = ch >= 0x20 && ch != 0x7f;
		if (keep_newline && ch == '\n' && p[1] == '\0')
			ok = true;
		sbuf_append_char(&s, ok ? *p : '_');
	}
	if (*n < ENV_MAX - 1)
		env[(*n)++] = s.s ? s.s : xstrdup("");
	else
		sbuf_free(&s);
}

/* "a-b-c": n=1 -> "a-b-c" after first dash of ext... EXT2 is the part of
 * EXT after its first '-', EXT3 after the second, EXT4 after the third. */
static const char *ext_after(const char *ext, int dashes)
{
	for (; dashes > 0; dashes--) {
		const char *d = strchr(ext, '-');
		if (!d)
			return "";
		ext = d + 1;
	}
	return ext;
}

/* HOST2 is HOST before its last '.', HOST3 before the second last, ... */
static void host_before(const char *host, int dots, struct sbuf *out)
{
	size_t len = strlen(host);
	for (; dots > 0 && len > 0; dots--) {
		while (len > 0 && host[len - 1] != '.')
			len--;
		if (len > 0)
			len--;
	}
	sbuf_set(out, host, len);
}

static void env_hosts(char **env, size_t *n, const char *host)
{
	static const char *const names[] = { "HOST2", "HOST3", "HOST4" };
	struct sbuf h = SBUF_INIT;
	for (int i = 0; i < 3; i++) {
		host_before(host, i + 1, &h);
		env_add(env, n, names[i], sbuf_cstr(&h), false);
	}
	sbuf_free(&h);
}

char **local_program_env(const struct local_ctx *c)
{
	const struct local_args *a = c->a;
	char **env = xcalloc(ENV_MAX, sizeof *env);
	size_t n = 0;
	const char *path = getenv("PATH");
	env_add(env, &n, "PATH", path ? path : "/usr/local/bin:/usr/bin:/bin", false);
	static const char *const pass[] = { "QMAILHOME", "QMAILQUEUE", "QNG_CRASH" };
	for (size_t i = 0; i < sizeof pass / sizeof *pass; i++)
		if (getenv(pass[i]))
			env_add(env, &n, pass[i], getenv(pass[i]), false);
	env_add(env, &n, "USER", a->user, false);
	env_add(env, &n, "HOME", a->home, false);
	env_add(env, &n, "LOCAL", a->local, false);
	env_add(env, &n, "HOST", a->domain, false);
	env_add(env, &n, "RECIPIENT", c->recipient.s, false);
	env_add(env, &n, "SENDER", a->sender, false);
	env_add(env, &n, "NEWSENDER", sbuf_cstr(&c->newsender), false);
	env_add(env, &n, "DTLINE", c->dtline.s, true);
	env_add(env, &n, "RPLINE", c->rpline.s, true);
	env_add(env, &n, "UFLINE", c->ufline.s, true);
	env_add(env, &n, "EXT", a->ext, false);
	env_add(env, &n, "EXT2", ext_after(a->ext, 1), false);
	env_add(env, &n, "EXT3", ext_after(a->ext, 2), false);
	env_add(env, &n, "EXT4", ext_after(a->ext, 3), false);
	if (c->is_default)
		env_add(env, &n, "DEFAULT", sbuf_cstr(&c->deflt), false);
	env_hosts(env, &n, a->domain);
	return env;
}

void local_program_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

char local_program_status(int exit_code)
{
	switch (exit_code) {
	case 0:
		return 'K';
	case 99:
		return 'S';
	case 64: case 65: case 70: case 76: case 77: case 78: case 100: case 112:
		return 'D';
	default:
		return 'Z';
	}
}

static void child_exec(struct local_ctx *c, const char *cmd, int out_fd, char **env)
{
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (fd_move(0, c->a->msg_fd) != 0 || fd_move(1, out_fd) != 0 || dup2(1, 2) < 0)
		_exit(111);
	char *const argv[] = { "sh", "-c", (char *)cmd, NULL };
	execve("/bin/sh", argv, env);
	_exit(111);
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Collects output until EOF or the deadline; false on timeout. */
static bool collect_output(int fd, unsigned timeout, struct sbuf *out)
{
	double deadline = now_mono() + timeout;
	char buf[4096];
	for (;;) {
		double left = deadline - now_mono();
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, left > 1000000 ? 1000000000 : (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		size_t room = out->len < REPORT_TEXT_MAX ? REPORT_TEXT_MAX - out->len : 0;
		sbuf_append(out, buf, (size_t)n < room ? (size_t)n : room);
	}
}

static char wait_child(pid_t pid, bool timed_out, struct sbuf *why)
{
	int st;
	if (timed_out)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			sbuf_set_str(why, "Unable to wait for program. (#4.3.0)");
			return 'Z';
		}
	if (timed_out) {
		sbuf_set_str(why, "Timeout on program delivery. (#4.3.0)");
		return 'Z';
	}
	if (!WIFEXITED(st)) {
		sbuf_set_str(why, "Program crashed. (#4.3.0)");
		return 'Z';
	}
	return local_program_status(WEXITSTATUS(st));
}

char local_program_run(struct local_ctx *c, const char *cmd, struct sbuf *why)
{
	int pfd[2];
	if (lseek(c->a->msg_fd, 0, SEEK_SET) != 0 || pipe2(pfd, O_CLOEXEC) != 0) {
		sbuf_set_str(why, "Unable to set up program delivery. (#4.3.0)");
		return 'Z';
	}
	char **env = local_program_env(c);
	pid_t pid = fork();
	if (pid == 0)
		child_exec(c, cmd, pfd[1], env);
	local_program_env_free(env);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		sbuf_set_str(why, "Unable to fork. (#4.3.0)");
		return 'Z';
	}
	setpgid(pid, pid);
	size_t before = c->out.len;
	bool ok = collect_output(pfd[0], c->a->program_timeout, &c->out);
	close(pfd[0]);
	char st = wait_child(pid, !ok, why);
	if ((st == 'D' || st == 'Z') && why->len == 0)
		sbuf_set(why, c->out.s + before, c->out.len - before);
	return st;
}
