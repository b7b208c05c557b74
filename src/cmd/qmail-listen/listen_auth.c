/*
 * listen_auth.c: password checks for qmail-smtpd, run by the TLS proxy
 * (see listen.h and docs/SECURITY.md "TLS and AUTH").
 *
 * qmail-smtpd (uid qmaild) cannot read users/vpasswd.cdb; it sends the
 * credentials over the control channel and the proxy (its own uid) runs
 * the checkpassword program: CHECKPASSWORD from the client's tcprules,
 * else $CHECKPASSWORD of qmail-listen itself, else the first line of
 * control/checkpassword, else $QMAILHOME/bin/qmail-checkpassword, as
 * "PROG /bin/true" with the credentials on fd 3.  The rules' settings
 * come with the session (struct listen_peer, filled by the loop from the
 * same assignments the program gets): qmail-smtpd never names them.
 *
 * D-11's per-IP budget: a table in memory shared (MAP_SHARED) by every
 * process the listener forks, so all connections of one service count
 * together; AUTH_IP_FAIL_MAX failures (AUTHFAILIPMAX from the rules, else
 * from qmail-listen's environment) within AUTH_IP_WINDOW_S, after which
 * the address gets TLSCTL_AUTH_BUDGET without the program being run.
 */
#include "listen.h"

#include "control.h"
#include "fdio.h"
#include "instance.h"
#include "alloc.h"
#include "scan.h"
#include "sbuf.h"
#include "tlsctl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AUTH_IP_FAIL_MAX 10
#define AUTH_IP_WINDOW_S 900
#define AUTH_TABLE_N 1024
#define AUTH_CHECK_TIMEOUT_MS 30000

struct fail_entry {
	char ip[64];
	unsigned fails;
	time_t since;
};

struct fail_table {
	int lock;
	struct fail_entry e[AUTH_TABLE_N];
};

static struct fail_table *table;

int listen_auth_init(void)
{
	void *p = mmap(NULL, sizeof *table, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	               -1, 0);
	if (p == MAP_FAILED)
		return -1;
	table = p;
	return 0;
}

static void lock(void)
{
	while (__atomic_test_and_set(&table->lock, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void unlock(void)
{
	__atomic_clear(&table->lock, __ATOMIC_RELEASE);
}

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The entry for ip (a fresh or the oldest slot when absent); locked. */
static struct fail_entry *entry_for(const char *ip)
{
	struct fail_entry *oldest = &table->e[0];
	time_t t = now_s();
	for (size_t i = 0; i < AUTH_TABLE_N; i++) {
		struct fail_entry *e = &table->e[i];
		if (strcmp(e->ip, ip) == 0) {
			if (t - e->since > AUTH_IP_WINDOW_S)
				e->fails = 0, e->since = t;
			return e;
		}
		if (e->ip[0] == '\0' || e->since < oldest->since)
			oldest = e;
	}
	snprintf(oldest->ip, sizeof oldest->ip, "%s", ip);
	oldest->fails = 0;
	oldest->since = t;
	return oldest;
}

/* NAME's value in assign (the last assignment counts; NAME alone unsets):
 * copied to out (cap bytes); "-" and false when it does not fit. */
static bool assigned(const struct strlist *assign, const char *name, char *out, size_t cap)
{
	size_t len = strlen(name);
	out[0] = '\0';
	for (size_t i = 0; i < assign->n; i++) {
		const char *a = assign->v[i];
		if (strncmp(a, name, len) != 0 || (a[len] != '=' && a[len] != '\0'))
			continue;
		const char *v = a[len] == '=' ? a + len + 1 : ""; /* NAME alone unsets */
		size_t n = strlen(v);
		if (n >= cap) {
			snprintf(out, cap, "-");
			fprintf(stderr, "tcpserver: warning: %s from the rules is too long\n", name);
			return false;
		}
		memcpy(out, v, n + 1);
	}
	return true;
}

bool listen_peer_init(struct listen_peer *peer, const char *ip, const struct strlist *assign)
{
	snprintf(peer->ip, sizeof peer->ip, "%s", ip);
	bool ok = assigned(assign, "CHECKPASSWORD", peer->checkpassword,
	                   sizeof peer->checkpassword);
	return assigned(assign, "AUTHFAILIPMAX", peer->fail_max, sizeof peer->fail_max) && ok;
}

static uint64_t budget(const struct listen_peer *peer)
{
	const char *v = peer->fail_max[0] ? peer->fail_max : getenv("AUTHFAILIPMAX");
	uint64_t n;
	if (v && scan_u64_str(v, 1000000, &n) && n > 0)
		return n;
	return AUTH_IP_FAIL_MAX;
}

static bool over_budget(const struct listen_peer *peer, bool add_failure)
{
	if (!table)
		return false;
	uint64_t max = budget(peer);
	lock();
	struct fail_entry *e = entry_for(peer->ip);
	if (add_failure)
		e->fails++;
	bool over = e->fails >= max;
	unlock();
	return over;
}

/* The program to run, or NULL (logged) when the rules name one that is
 * not an absolute path: no other program is run in its place. */
static char *checkpassword_prog(const struct listen_peer *peer)
{
	if (peer->checkpassword[0] && peer->checkpassword[0] != '/') {
		fprintf(stderr, "tcpserver: warning: CHECKPASSWORD from the rules is not an "
		        "absolute path\n");
		return NULL;
	}
	const char *v = peer->checkpassword[0] ? peer->checkpassword : getenv("CHECKPASSWORD");
	if (v && v[0] == '/')
		return xstrdup(v);
	struct sbuf line = SBUF_INIT;
	if (control_read_line("checkpassword", "", &line) == 1 && line.len > 0 &&
	    line.s[0] == '/')
		return line.s;
	sbuf_free(&line);
	return instance_path("bin/qmail-checkpassword");
}

/* Waits for pid up to the deadline; kills it after.  Its exit code or -1. */
static int wait_child(pid_t pid)
{
	int st;
	for (int waited = 0; waited < AUTH_CHECK_TIMEOUT_MS; waited += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	return -1;
}

static char run_checkpassword(const struct listen_peer *peer, const char *blob, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return TLSCTL_AUTH_TEMP;
	char *prog = checkpassword_prog(peer);
	if (!prog) {
		close(p[0]);
		close(p[1]);
		return TLSCTL_AUTH_TEMP;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {prog, (char *)"/bin/true", NULL};
		close(p[1]);
		if (fd_move(3, p[0]) < 0)
			_exit(111);
		execv(prog, argv);
		_exit(111);
	}
	free(prog);
	close(p[0]);
	int code = -1;
	if (pid > 0) {
		(void)fd_write_all(p[1], blob, len);
		close(p[1]);
		code = wait_child(pid);
	} else {
		close(p[1]);
	}
	switch (code) {
	case 0: return TLSCTL_AUTH_OK;
	case 1: return TLSCTL_AUTH_REJECT;
	case 2: return TLSCTL_AUTH_MISUSE;
	default: return TLSCTL_AUTH_TEMP;
	}
}

void listen_auth_serve(int ctl, const struct listen_peer *peer, char *msg, size_t len)
{
	const char *user, *blob;
	size_t blob_len;
	char reply[2] = {'A', TLSCTL_AUTH_MISUSE};
	if (tlsctl_parse_auth(msg, len, &user, &blob, &blob_len) == 0) {
		if (over_budget(peer, false))
			reply[1] = TLSCTL_AUTH_BUDGET;
		else
			reply[1] = run_checkpassword(peer, blob, blob_len);
		if (reply[1] == TLSCTL_AUTH_REJECT && over_budget(peer, true))
			reply[1] = TLSCTL_AUTH_BUDGET;
		fprintf(stderr, "tcpserver: auth %ld %s %s\n", (long)getpid(), peer->ip,
		        reply[1] == TLSCTL_AUTH_OK ? "ok" : "failed");
	}
	explicit_bzero(msg, len);
	(void)tlsctl_send(ctl, reply, sizeof reply, NULL, 0);
}
