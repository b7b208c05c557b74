/*
 * qmail-queue: puts one message into the queue (qmail-queue(8)).
 *
 * Message on fd 0, envelope on fd 1 ("F" sender NUL, "T" rcpt NUL ...,
 * NUL).  Writes the queue in the order of docs/INTERNALS.md and exits 0
 * only when every file and directory involved is durable.  Installed
 * setuid qmailq in root mode, so it trusts nothing in its environment:
 * the instance is the one its own executable lives in.
 *
 * With -d it is the queue daemon instead (qq_daemon.h): the same steps in
 * long-lived forked workers, one message after another, without an exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proclimit.h"
#include "alloc.h"
#include "control.h"
#include "crashpoint.h"
#include "exitcode.h"
#include "instance.h"
#include "proto_limits.h"
#include "qq_daemon.h"
#include "qq_write.h"

#define QQ_SLACK (1024u * 1024u)   /* room for header lines added on the way */

void qq_die(int code)
{
	qq_write_cleanup();
	_exit(code);
}

static void on_alarm(int sig)
{
	(void)sig;
	qq_die(QQ_TIMEOUT);
}

static void on_nomem(void)
{
	qq_die(QQ_NOMEM);
}

/* "/x/bin/qmail-queue" -> "/x": the instance this copy was installed in. */
static int home_from_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(buf, '/');
		if (!slash)
			return -1;
		*slash = '\0';
	}
	if (buf[0] == '\0')
		return -1;
	instance_set_home(buf);
	return 0;
}

static void setup_process(bool want_closefrom)
{
	alloc_set_fatal(on_nomem);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(QQ_TIMEOUT_SECS);
	umask(0);
	(void)proclimit_address_space(PROCESS_AS_LIMIT);
	/* Only fds 0, 1 and 2 are ours; nothing else may leak into the queue. */
	if (want_closefrom)
		closefrom(3);
	bool is_setuid = getuid() != geteuid() || getgid() != getegid();
	if (is_setuid) {
		if (home_from_exe() < 0)
			qq_die(QQ_CONFIG_ERROR);
	} else {
		instance_set_home(instance_home());
	}
	char *cdir = instance_path("control");
	control_set_dir(cdir);
	free(cdir);
}

/* Largest message accepted: databytes (or the D-07 default) plus slack. */
static uint64_t message_cap(void)
{
	uint64_t databytes = 0;
	if (control_read_u64("databytes", 0, UINT64_MAX / 2, &databytes) < 0)
		databytes = 0;
	if (databytes < DATABYTES_DEFAULT)
		databytes = DATABYTES_DEFAULT;
	return databytes + QQ_SLACK;
}

/* One message from fds 0 and 1, for the submitter uid; an exit code. */
int qq_queue_one(uid_t uid)
{
	uint64_t cap = message_cap();
	char *qdir = instance_path("queue");
	int rc = chdir(qdir);
	free(qdir);
	if (rc < 0)
		return 61;
	time_t now = time(NULL);
	pid_t pid = getpid();
	struct sbuf recv = SBUF_INIT;
	qq_write_received(&recv, pid, uid, now);
	int code = qq_write_message(0, recv.s, recv.len, cap);
	sbuf_free(&recv);
	if (code != QQ_OK)
		return code;
	crashpoint("queue-after-mess-write");
	code = qq_write_commit_message();
	if (code != QQ_OK)
		return code;
	crashpoint("queue-after-mess-rename");
	code = qq_write_envelope(1, (uint64_t)now, uid, (uint64_t)pid);
	if (code != QQ_OK)
		return code;
	crashpoint("queue-after-env-write");
	code = qq_write_link_todo();
	if (code != QQ_OK)
		return code;
	qq_write_trigger();
	crashpoint("queue-before-exit");
	return QQ_OK;
}

int main(int argc, char **argv)
{
	/* "qmail-queue -d": the queue daemon (qq_daemon.c), started by
	 * qmail-start as the queue's own account, never through setuid. */
	bool is_daemon = argc > 1 && strcmp(argv[1], "-d") == 0;
	setup_process(!is_daemon);
	if (is_daemon) {
		if (getuid() != geteuid() || getgid() != getegid())
			qq_die(QQ_CONFIG_ERROR);
		return qq_daemon_run();
	}
	int code = qq_queue_one(getuid());
	if (code != QQ_OK)
		qq_die(code);
	return QQ_OK;
}
