/* qmailctl start|stop|restart|stat|reload|flush|queue (qmail-super(8)). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "tcpto.h"
#include "exitcode.h"
#include "fdio.h"
#include "inject_svc.h"
#include "sbuf.h"
#include "scan.h"

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 120000

/* Pid of the running qmail-super (it holds run/super.lock), or 0. */
static pid_t super_pid(void)
{
	char *lock = instance_path("run/super.lock");
	char *pidf = instance_path("run/super.pid");
	pid_t pid = 0;
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		struct sbuf b = SBUF_INIT;
		uint64_t v;
		if (file_read_all(pidf, &b, 64) == 0 && b.len > 1 &&
		    scan_u64(b.s, strcspn(b.s, "\n"), 0x7fffffff, &v))
			pid = (pid_t)v;
		sbuf_free(&b);
	}
	if (fd >= 0)
		close(fd);
	free(lock);
	free(pidf);
	return pid;
}

void ctl_signal_super(int sig, bool only_send)
{
	(void)only_send;
	pid_t pid = super_pid();
	if (pid > 0)
		(void)kill(pid, sig);
}

static void exec_super(int notify_fd)
{
	char *prog = instance_path("bin/qmail-super");
	char *errlog = instance_path("log/super.log");
	char fdbuf[16];
	snprintf(fdbuf, sizeof fdbuf, "%d", notify_fd);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (in < 0 || out < 0 || fd_move(0, in) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(EXIT_TEMP);
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	char *argv[] = {prog, "-N", fdbuf, NULL};
	execv(prog, argv);
	(void)!write(2, "qmailctl: cannot run qmail-super\n", 33);
	_exit(EXIT_TEMP);
}

/* Waits for qmail-super's readiness byte: 0 ready, -1 failed. */
static int wait_ready(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	int rc = poll(&p, 1, START_TIMEOUT_MS);
	char c;
	if (rc <= 0)
		return -1;
	return read(fd, &c, 1) == 1 ? 0 : -1;
}

int ctl_start(int argc, char **argv)
{
	(void)argv;
	int p[2];
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl start");
	if (super_pid() > 0)
		return 0;
	if (ctl_compile_tcprules(true) < 0)
		ctl_warn("a tcprules file did not compile; the old map stays");
	if (pipe(p) < 0)
		return ctl_fail(EXIT_TEMP, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return ctl_fail(EXIT_TEMP, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		exec_super(p[1]);
	}
	close(p[1]);
	int st;
	(void)waitpid(pid, &st, 0);
	int rc = wait_ready(p[0]);
	close(p[0]);
	if (rc < 0)
		return ctl_fail(EXIT_TEMP, "services did not start; see %s/log/super.log",
		                instance_home());
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Exited: no such process, or only a zombie waiting for its parent. */
static bool process_gone(pid_t pid)
{
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	char path[64];
	struct sbuf b = SBUF_INIT;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	bool gone = file_read_all(path, &b, 1024) < 0;
	if (!gone) {
		/* "pid (comm) S ...": the state follows the last ')'. */
		const char *rp = strrchr(sbuf_cstr(&b), ')');
		gone = rp && rp[1] == ' ' && rp[2] == 'Z';
	}
	sbuf_free(&b);
	return gone;
}

int ctl_stop(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl stop");
	pid_t pid = super_pid();
	if (pid <= 0)
		return 0;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return ctl_fail(EXIT_TEMP, "cannot signal qmail-super: %s", strerror(errno));
	/* The lock goes free a moment before the process is gone: wait for
	 * both, so "stop" returns only when qmail-super has exited. */
	for (long waited = 0; waited < STOP_TIMEOUT_MS; waited += 10) {
		if (super_pid() <= 0 && process_gone(pid))
			return 0;
		sleep_ms(10);
	}
	return ctl_fail(EXIT_TEMP, "qmail-super (pid %ld) did not exit", (long)pid);
}

int ctl_restart(int argc, char **argv)
{
	int rc = ctl_stop(argc, argv);
	return rc ? rc : ctl_start(argc, argv);
}

/* One status line "name state pid since" from qmail-super's run/status. */
static void print_status_line(const char *line, size_t len, time_t now)
{
	char name[32], state[16];
	unsigned long long pid, since;
	char buf[128];
	if (len >= sizeof buf)
		return;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "%31s %15s %llu %llu", name, state, &pid, &since) != 4)
		return;
	if (strcmp(state, "disabled") == 0) {
		printf("%s disabled\n", name);
		return;
	}
	long long secs = (long long)now - (long long)since;
	printf("%s %s %llu %lld\n", name, state, strcmp(state, "up") == 0 ? pid : 0ULL,
	       secs < 0 ? 0 : secs);
}

static void print_all_down(void)
{
	struct svc_table t;
	char *path = instance_path("etc/services");
	printf("send down 0 0\n");
	if (inject_svc_load(path, &t) == 0) {
		for (int i = 0; i < SVC_COUNT; i++) {
			if (t.v[i].port == 0)
				continue;
			printf(t.v[i].enabled ? "%s down 0 0\n" : "%s disabled\n",
			       inject_svc_def((enum svc_id)i)->name);
		}
	}
	free(path);
}

int ctl_stat(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl stat");
	if (super_pid() <= 0) {
		print_all_down();
		return 0;
	}
	char *path = instance_path("run/status");
	struct sbuf b = SBUF_INIT;
	if (file_read_all(path, &b, 65536) < 0) {
		free(path);
		return ctl_fail(EXIT_TEMP, "cannot read run/status: %s", strerror(errno));
	}
	time_t now = time(NULL);
	for (size_t pos = 0; pos < b.len;) {
		size_t n = strcspn(b.s + pos, "\n");
		print_status_line(b.s + pos, n, now);
		pos += n + 1;
	}
	sbuf_free(&b);
	free(path);
	return 0;
}

static int signal_verb(int argc, int sig, const char *usage)
{
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl %s", usage);
	pid_t pid = super_pid();
	if (pid <= 0)
		return ctl_fail(EXIT_TEMP, "qmail-ng is not running");
	if (kill(pid, sig) < 0)
		return ctl_fail(EXIT_TEMP, "cannot signal qmail-super: %s", strerror(errno));
	return 0;
}

int ctl_reload(int argc, char **argv)
{
	(void)argv;
	if (ctl_compile_tcprules(true) < 0)
		ctl_warn("a tcprules file did not compile; the old map stays");
	return signal_verb(argc, SIGHUP, "reload");
}

/* Retry now, everything: also forget qmail-remote's connection failures
 * (as qmail-tcpok), or a destination that just came back stays in backoff
 * and every retry is skipped. */
int ctl_flush(int argc, char **argv)
{
	(void)argv;
	char *tcpto = instance_path("queue/lock/tcpto");
	if (argc == 0 && tcpto_clear(tcpto) < 0 && errno != ENOENT)
		ctl_warn("cannot clear queue/lock/tcpto: %s", strerror(errno));
	free(tcpto);
	return signal_verb(argc, SIGALRM, "flush");
}

int ctl_queue(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl queue");
	fflush(stdout);
	int a = ctl_run_bin("qmail-qstat", NULL, NULL);
	int b = ctl_run_bin("qmail-qread", NULL, NULL);
	if (a != 0 || b != 0)
		return ctl_fail(EXIT_TEMP, "qmail-qstat or qmail-qread failed");
	return 0;
}
