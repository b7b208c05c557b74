/*
 * listen_spawn.c: the fast path for one connection (listen.h).
 *
 * When nothing needs a blocking lookup (-h off), the accept loop prepares
 * the program's environment itself (the TCP* variables and the rules
 * file, in an envlist: environ is not touched) and starts the program with
 * vfork + execve.  The child only moves descriptors, drops privileges with
 * raw system calls and execs: no copy of the listener's address space (its
 * TLS contexts included) is made per connection; TLS runs in a reused
 * proxy beside the program (listen_tlspool.c).  Sanitizer builds use
 * fork, which the sanitizers understand.
 */
#include "listen.h"

#include "exitcode.h"
#include "sbuf.h"
#include "tcprules.h"
#include "tlsctl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SPAWN_FORK 1
#endif
#endif

bool listen_can_spawn(const struct listen_opts *o)
{
	return !o->want_remote_host && strchr(o->argv[0], '/') != NULL;
}

static void add(struct strlist *a, const char *name, const char *value)
{
	struct sbuf b = SBUF_INIT;
	sbuf_append_str(&b, name);
	if (value) {
		sbuf_append_char(&b, '=');
		sbuf_append_str(&b, value);
	}
	strlist_add(a, b.s, b.len);
	sbuf_free(&b);
}

static int apply_rules(const struct listen_opts *o, const struct endpoint *remote,
                       struct strlist *a)
{
	if (!o->rules)
		return 1;
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	int rc = tcprules_lookup(o->rules, remote->ip, NULL, &r);
	if (rc < 0) {
		fprintf(stderr, "tcpserver: warning: unable to read rules %s: %s\n", o->rules,
		        strerror(errno));
		rc = -1;
	} else if (!r.is_allow) {
		rc = 0;
	} else {
		for (size_t i = 0; i < r.env.n; i++)
			strlist_add(a, r.env.v[i], strlen(r.env.v[i]));
		rc = 1;
	}
	tcprules_result_free(&r);
	if (rc <= 0)
		fprintf(stderr, "tcpserver: deny %ld %s\n", (long)getpid(), remote->ip);
	return rc;
}

int listen_prepare(const struct listen_opts *o, const struct endpoint *local,
                   const struct endpoint *remote, struct strlist *a)
{
	memset(a, 0, sizeof *a);
	add(a, "TLSCTLFD", NULL);
	add(a, "TLSMODE", NULL);
	add(a, "TCPREMOTEHOST", NULL);
	add(a, "TCPREMOTEINFO", NULL);
	add(a, "PROTO", remote->is_v6 ? "TCP6" : "TCP");
	add(a, "TCPLOCALIP", local->ip);
	add(a, "TCPLOCALPORT", local->port);
	add(a, "TCPLOCALHOST", o->local_name ? o->local_name : local->ip);
	add(a, "TCPREMOTEIP", remote->ip);
	add(a, "TCPREMOTEPORT", remote->port);
	return apply_rules(o, remote, a);
}

void listen_assign_tls(struct strlist *a, const char *mode)
{
	add(a, "TLSCTLFD", "5");
	add(a, "TLSMODE", mode);
}

static void child_fail(const char *msg) __attribute__((noreturn));
static void child_fail(const char *msg)
{
	(void)!write(2, msg, strlen(msg));
	_exit(EXIT_TEMP);
}

/* The child: no stdio, no malloc, nothing that touches shared memory. */
static void spawn_child(const struct listen_opts *o, int sock, int ctl, char **envp)
	__attribute__((noreturn));
static void spawn_child(const struct listen_opts *o, int sock, int ctl, char **envp)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigset_t none;
	sigemptyset(&none);
	(void)sigaction(SIGPIPE, &dfl, NULL); /* ignored in the listener */
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	int fl = fcntl(sock, F_GETFL);
	if (fl < 0 || fcntl(sock, F_SETFL, fl & ~O_NONBLOCK) < 0 || dup2(sock, 0) < 0 ||
	    dup2(sock, 1) < 0)
		child_fail("qmail-listen: fatal: unable to set up descriptors\n");
	if (ctl >= 0 && (ctl == TLSCTL_FD ? fcntl(ctl, F_SETFD, 0) : dup2(ctl, TLSCTL_FD)) < 0)
		child_fail("qmail-listen: fatal: unable to set up the TLS control channel\n");
	if (o->has_uid || o->has_gid) {
		gid_t gid = o->has_gid ? o->gid : getgid();
		uid_t uid = o->has_uid ? o->uid : getuid();
		if (syscall(SYS_setgroups, 1, &gid) < 0 ||
		    syscall(SYS_setresgid, gid, gid, gid) < 0 ||
		    syscall(SYS_setresuid, uid, uid, uid) < 0)
			child_fail("qmail-listen: fatal: unable to drop privileges\n");
	}
	execve(o->argv[0], o->argv, envp);
	child_fail("qmail-listen: fatal: unable to run the program\n");
}

pid_t listen_spawn(const struct listen_opts *o, int sock, int ctl, const struct strlist *a)
{
	extern char **environ;
	struct envlist env;
	envlist_init(&env, environ);
	for (size_t i = 0; i < a->n; i++)
		(void)envlist_apply(&env, a->v[i]); /* names checked by tcprules */
	char **envp = envlist_vec(&env);
#ifdef SPAWN_FORK
	pid_t pid = fork();
#else
	pid_t pid = vfork();
#endif
	if (pid == 0)
		spawn_child(o, sock, ctl, envp);
	envlist_free(&env);
	return pid;
}
