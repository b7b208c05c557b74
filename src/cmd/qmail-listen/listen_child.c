#include "listen.h"

#include "exitcode.h"
#include "fdio.h"
#include "tcprules.h"
#include "tlsctl.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void child_log(const char *what, const struct endpoint *remote, const char *detail)
{
	fprintf(stderr, "tcpserver: %s %ld %s%s%s\n", what, (long)getpid(), remote->ip,
	        detail ? " " : "", detail ? detail : "");
}

static void set_env(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0) {
		fprintf(stderr, "qmail-listen: fatal: out of memory\n");
		_exit(EXIT_TEMP);
	}
}

/* An IPv4-mapped IPv6 peer is looked up as the IPv4 address it is. */
static void unmap_v4(struct sockaddr_storage *ss, socklen_t *sl)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = s6->sin6_port };
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof *ss);
	memcpy(ss, &s4, sizeof s4);
	*sl = sizeof s4;
}

/* Reverse lookup for TCPREMOTEHOST (-h); no name: the variable stays unset. */
static void set_remote_host(int sock, char *host, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	host[0] = '\0';
	if (getpeername(sock, (struct sockaddr *)&ss, &sl) < 0)
		return;
	unmap_v4(&ss, &sl);
	if (getnameinfo((struct sockaddr *)&ss, sl, host, (socklen_t)len, NULL, 0,
	                NI_NAMEREQD) != 0) {
		host[0] = '\0';
		return;
	}
	for (char *p = host; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == ':')
			*p = '?';
	set_env("TCPREMOTEHOST", host);
}

static void set_tcp_env(const struct listen_opts *o, int sock, const struct endpoint *local,
                        const struct endpoint *remote, char *host, size_t hostlen)
{
	set_env("PROTO", remote->is_v6 ? "TCP6" : "TCP");
	set_env("TCPLOCALIP", local->ip);
	set_env("TCPLOCALPORT", local->port);
	set_env("TCPLOCALHOST", o->local_name ? o->local_name : local->ip);
	set_env("TCPREMOTEIP", remote->ip);
	set_env("TCPREMOTEPORT", remote->port);
	unsetenv("TCPREMOTEHOST");
	unsetenv("TCPREMOTEINFO");
	host[0] = '\0';
	if (o->want_remote_host)
		set_remote_host(sock, host, hostlen);
}

/* NAME=VALUE sets, NAME alone unsets. */
static void apply_assignments(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(v[i], '=');
		if (!eq) {
			unsetenv(v[i]);
			continue;
		}
		*eq = '\0';
		set_env(v[i], eq + 1);
		*eq = '=';
	}
}

/* The TLS proxy was set up before the rules were read (the lookup may
 * block): settings meant for it cannot reach it on this path. */
static void warn_proxy_settings(const char *ip, const struct strlist *env)
{
	struct listen_peer p;
	(void)listen_peer_init(&p, ip, env);
	if (p.checkpassword[0])
		fprintf(stderr, "tcpserver: warning: CHECKPASSWORD from the rules is not used "
		        "with -h\n");
	if (p.fail_max[0])
		fprintf(stderr, "tcpserver: warning: AUTHFAILIPMAX from the rules is not used "
		        "with -h\n");
}

/* Applies the rules file: deny or an unreadable file ends the child. */
static void apply_rules(const struct listen_opts *o, const struct endpoint *remote,
                        const char *host)
{
	if (!o->rules)
		return;
	struct tcprules_result r = { false, { 0 }, SBUF_INIT };
	int rc = tcprules_lookup(o->rules, remote->ip, host[0] ? host : NULL, &r);
	if (rc < 0) {
		fprintf(stderr, "tcpserver: warning: unable to read rules %s: %s\n", o->rules,
		        strerror(errno));
		child_log("deny", remote, NULL);
		_exit(EXIT_TEMP);
	}
	if (!r.is_allow) {
		child_log("deny", remote, NULL);
		_exit(EXIT_OK_CODE);
	}
	if (o->tls_mode != LISTEN_TLS_NONE)
		warn_proxy_settings(remote->ip, &r.env);
	apply_assignments(r.env.v, r.env.n);
	tcprules_result_free(&r);
}

/* The TLS control channel (the loop made it: listen_loop.c) on TLSCTL_FD,
 * out of the socket's way; its variables after the rules' (which cannot
 * set them). */
static void setup_tls(int *sock, int ctl, const struct strlist *tls)
{
	unsetenv("TLSCTLFD");
	unsetenv("TLSMODE");
	if (ctl < 0)
		return;
	if (*sock == TLSCTL_FD) {
		int n = fcntl(*sock, F_DUPFD_CLOEXEC, TLSCTL_FD + 1);
		if (n < 0 || close(*sock) < 0)
			ctl = -1;
		*sock = n;
	}
	if (ctl < 0 || fd_move(TLSCTL_FD, ctl) < 0 || fd_set_cloexec(TLSCTL_FD, 0) < 0) {
		fprintf(stderr, "qmail-listen: fatal: unable to set up the TLS control channel\n");
		_exit(EXIT_TEMP);
	}
	apply_assignments(tls->v, tls->n);
}

int listen_drop_privileges(uid_t uid, gid_t gid)
{
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -1;
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
		errno = EPERM;
		return -1;
	}
	/* Regaining root must be impossible once we are someone else. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

void listen_reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void listen_child_run(const struct listen_opts *o, int sock, int ctl, const struct strlist *tls,
                      const struct endpoint *local, const struct endpoint *remote)
{
	char host[NI_MAXHOST];
	listen_reset_signals();
	set_tcp_env(o, sock, local, remote, host, sizeof host);
	apply_rules(o, remote, host);
	setup_tls(&sock, ctl, tls);
	if (o->has_uid || o->has_gid) {
		uid_t uid = o->has_uid ? o->uid : getuid();
		gid_t gid = o->has_gid ? o->gid : getgid();
		if (listen_drop_privileges(uid, gid) < 0) {
			fprintf(stderr, "qmail-listen: fatal: unable to drop privileges: %s\n",
			        strerror(errno));
			_exit(EXIT_TEMP);
		}
	}
	fprintf(stderr, "tcpserver: ok %ld %s:%s:%s %s:%s:%s\n", (long)getpid(),
	        o->local_name ? o->local_name : "", local->ip, local->port, host, remote->ip,
	        remote->port);
	if (fd_set_nonblock(sock, 0) < 0 || fd_move(0, sock) < 0 || dup2(0, 1) < 0) {
		fprintf(stderr, "qmail-listen: fatal: unable to set up descriptors: %s\n",
		        strerror(errno));
		_exit(EXIT_TEMP);
	}
	execvp(o->argv[0], o->argv);
	fprintf(stderr, "qmail-listen: fatal: unable to run %s: %s\n", o->argv[0],
	        strerror(errno));
	_exit(EXIT_TEMP);
}
