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
 * AUTH SCRAM-SHA-256's two steps ("C" requests) run qmail-checkpassword
 * --scram and send its answer line back with the verdict.
 */
#include "listen.h"

#include "bio.h"
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

/* The child's answer: its first line (without the LF), read through a
 * bio with the check's deadline; its length, or -1 (too long, a read
 * error, nothing in time).  No output at all is an empty answer. */
static ssize_t read_answer(int fd, char *buf, size_t cap)
{
	struct bio b;
	struct sbuf line = SBUF_INIT;
	enum bio_line how;
	bio_init(&b, fd, -1);
	bio_set_timeout(&b, AUTH_CHECK_TIMEOUT_MS);
	int r = bio_read_line(&b, cap, &line, &how);
	ssize_t len = r == BIO_EOF ? 0 : -1;
	if (r == BIO_OK && how != BIO_LINE_TOO_LONG) {
		memcpy(buf, line.s, line.len);
		len = (ssize_t)line.len;
	}
	bio_free(&b);
	sbuf_free(&line);
	return len;
}

struct check_run {
	char *argv[3];
	const char *blob;
	size_t blob_len;
	char *answer; /* NULL: stdout is not read */
	size_t answer_cap;
	ssize_t answer_len;
};

static pid_t spawn_check(struct check_run *c, int in[2], int out[2])
{
	pid_t pid = fork();
	if (pid == 0) {
		close(in[1]);
		if (fd_move(3, in[0]) < 0 || (out[1] >= 0 && fd_move(1, out[1]) < 0))
			_exit(111);
		execv(c->argv[0], c->argv);
		_exit(111);
	}
	return pid;
}

/* Runs the program with the blob on fd 3 (and its stdout read into
 * c->answer when asked); one of TLSCTL_AUTH_*. */
static char run_check(struct check_run *c)
{
	int in[2], out[2] = {-1, -1};
	if (pipe2(in, O_CLOEXEC) < 0)
		return TLSCTL_AUTH_TEMP;
	if (c->answer && pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return TLSCTL_AUTH_TEMP;
	}
	pid_t pid = spawn_check(c, in, out);
	close(in[0]);
	if (out[1] >= 0)
		close(out[1]);
	int code = -1;
	c->answer_len = -1;
	if (pid > 0) {
		(void)fd_write_all(in[1], c->blob, c->blob_len);
		close(in[1]);
		if (out[0] >= 0)
			c->answer_len = read_answer(out[0], c->answer, c->answer_cap);
		code = wait_child(pid);
	} else {
		close(in[1]);
	}
	if (out[0] >= 0)
		close(out[0]);
	switch (code) {
	case 0: return TLSCTL_AUTH_OK;
	case 1: return TLSCTL_AUTH_REJECT;
	case 2: return TLSCTL_AUTH_MISUSE;
	default: return TLSCTL_AUTH_TEMP;
	}
}

/* The verdict, the per-IP budget applied: an address over it gets
 * TLSCTL_AUTH_BUDGET without the program being run; a rejection counts
 * against it when counts. */
static char verdict(const struct listen_peer *peer, struct check_run *c, bool counts)
{
	if (over_budget(peer, false))
		return TLSCTL_AUTH_BUDGET;
	char code = run_check(c);
	if (counts && code == TLSCTL_AUTH_REJECT && over_budget(peer, true))
		code = TLSCTL_AUTH_BUDGET;
	return code;
}

static void log_result(const struct listen_peer *peer, char code)
{
	fprintf(stderr, "tcpserver: auth %ld %s %s\n", (long)getpid(), peer->ip,
	        code == TLSCTL_AUTH_OK ? "ok" : "failed");
}

static char serve_password(const struct listen_peer *peer, char *msg, size_t len)
{
	const char *user, *blob;
	size_t blob_len;
	if (tlsctl_parse_auth(msg, len, &user, &blob, &blob_len) < 0)
		return TLSCTL_AUTH_MISUSE;
	char *prog = checkpassword_prog(peer);
	if (!prog)
		return TLSCTL_AUTH_TEMP;
	struct check_run c = {{prog, (char *)"/bin/true", NULL}, blob, blob_len, NULL, 0, -1};
	char code = verdict(peer, &c, true);
	free(prog);
	log_result(peer, code);
	return code;
}

/*
 * SCRAM-SHA-256 ("C"): always the instance's own qmail-checkpassword
 * --scram (no other checkpassword program knows it).  Its answer line
 * follows the verdict; an OK without a well-formed answer is a temporary
 * failure.  Only the proof step is logged and counted.
 */
static size_t serve_scram(const struct listen_peer *peer, char *msg, size_t len, char *reply)
{
	const char *blob;
	size_t blob_len;
	char answer[TLSCTL_ANSWER_MAX];
	reply[1] = TLSCTL_AUTH_MISUSE;
	if (tlsctl_parse_scram(msg, len, &blob, &blob_len) < 0)
		return 2;
	char *prog = instance_path("bin/qmail-checkpassword");
	struct check_run c = {{prog, (char *)"--scram", NULL}, blob, blob_len, answer,
	                      sizeof answer, -1};
	bool is_proof = blob[0] == 'p';
	reply[1] = verdict(peer, &c, is_proof);
	free(prog);
	long n = c.answer_len >= 0 ? tlsctl_answer_len(answer, (size_t)c.answer_len) : -1;
	if (reply[1] == TLSCTL_AUTH_OK && n <= 0)
		reply[1] = TLSCTL_AUTH_TEMP;
	if (is_proof)
		log_result(peer, reply[1]);
	if (reply[1] != TLSCTL_AUTH_OK)
		return 2;
	memcpy(reply + 2, answer, (size_t)n);
	return 2 + (size_t)n;
}

void listen_auth_serve(int ctl, const struct listen_peer *peer, char *msg, size_t len)
{
	char reply[2 + TLSCTL_ANSWER_MAX] = {'A', TLSCTL_AUTH_MISUSE};
	size_t reply_len = 2;
	if (len > 0 && msg[0] == 'C')
		reply_len = serve_scram(peer, msg, len, reply);
	else
		reply[1] = serve_password(peer, msg, len);
	explicit_bzero(msg, len);
	(void)tlsctl_send(ctl, reply, reply_len, NULL, 0);
}
