#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "control.h"
#include "fdio.h"
#include "inject_maps.h"
#include "inject_svc.h"
#include "instance.h"
#include "proto_limits.h"
#include "super.h"

#define NOTIFY_FD 3
#define CONNECT_FALLBACK_AFTER 2.0

struct argv_b {
	char *v[40];
	size_t n;
};

static void arg(struct argv_b *a, const char *s)
{
	if (a->n < 39)
		a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void arg_num(struct argv_b *a, unsigned long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lu", v);
	arg(a, buf);
}

static char *bin(const char *name)
{
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "bin/%s", name);
	char *p = instance_path(b.s);
	sbuf_free(&b);
	return p;
}

static bool have_bin(const char *name)
{
	char *p = bin(name);
	bool ok = access(p, X_OK) == 0;
	free(p);
	return ok;
}

/* Recompiles control/tcprules/NAME when it changed (CONTRACT.md). */
static void refresh_rules(struct super *s, const char *name, struct sbuf *cdb)
{
	struct sbuf src = SBUF_INIT, tmp = SBUF_INIT;
	sbuf_printf(&src, "%s/tcprules/%s", control_dir(), name);
	sbuf_printf(cdb, "%s.cdb", src.s);
	sbuf_printf(&tmp, "%s.tmp", src.s);
	if (inject_maps_stale(src.s, cdb->s)) {
		char *prog = bin("qmail-tcprules");
		char *argv[] = {prog, cdb->s, tmp.s, NULL};
		if (inject_maps_run(argv, src.s, -1) != 0)
			logw_line(&s->log, "warning: %s did not compile; old rules stay", src.s);
		free(prog);
	}
	sbuf_free(&src);
	sbuf_free(&tmp);
}

/* qmail-popup runs as root in root mode (no -u): name the proxy's role. */
static void pop3_tls_user(struct argv_b *a)
{
	struct role_id r;
	if (instance_is_root_mode() && instance_role(ROLE_TLS, &r) == 0) {
		char ug[64];
		snprintf(ug, sizeof ug, "%lu:%lu", (unsigned long)r.uid, (unsigned long)r.gid);
		arg(a, "-U");
		arg(a, ug);
	}
}

/*
 * TLS switches on when a certificate is in place (pkgsrc qmail-run's "auto"):
 * STARTTLS on smtp, submission and pop3 (STLS), implicit TLS on smtps.  In
 * root mode qmail-listen runs its TLS proxies as the qmailt role by default.
 */
static void tls_args(enum svc_id id, struct argv_b *a)
{
	char *cert = instance_path("control/servercert.pem");
	bool have_cert = access(cert, F_OK) == 0;
	free(cert);
	if (!have_cert)
		return;
	if (id == SVC_SMTP || id == SVC_SUBMISSION)
		arg(a, "-S");
	else if (id == SVC_SMTPS)
		arg(a, "-Z");
	else if (id == SVC_POP3) {
		arg(a, "-S");
		pop3_tls_user(a);
	}
}

static void listener_argv(struct super *s, enum svc_id id, const struct svc_conf *c,
                          struct argv_b *a)
{
	const struct svc_def *d = inject_svc_def(id);
	struct sbuf me = SBUF_INIT, cdb = SBUF_INIT;
	uint64_t maxconn = LISTEN_MAX_CONN, perip = LISTEN_MAX_PER_IP;
	(void)control_read_line("me", "localhost", &me);
	(void)control_read_u64("concurrencyincoming", LISTEN_MAX_CONN, 100000, &maxconn);
	(void)control_read_u64("concurrencyperip", LISTEN_MAX_PER_IP, 100000, &perip);
	char *p = bin("qmail-listen");
	arg(a, p);
	free(p);
	arg(a, "-c");
	arg_num(a, (unsigned long)maxconn);
	arg(a, "-C");
	arg_num(a, (unsigned long)perip);
	refresh_rules(s, d->name, &cdb);
	if (access(cdb.s, R_OK) == 0) {
		arg(a, "-x");
		arg(a, cdb.s);
	}
	struct role_id r;
	bool popup = strcmp(d->program, "qmail-popup") == 0;
	if (instance_is_root_mode() && !popup && instance_role(ROLE_SMTPD, &r) == 0) {
		arg(a, "-u");
		arg_num(a, r.uid);
		arg(a, "-g");
		arg_num(a, r.gid);
	}
	if (id == SVC_POP3S) {
		/* Implicit TLS: qmail-listen's TLS proxy (as qmailt in root mode)
		 * terminates TLS; qmail-popup sees plaintext. */
		arg(a, "-Z");
		pop3_tls_user(a);
	}
	if (strcmp(d->program, "qmail-smtpd") == 0)
		arg(a, "-z"); /* started once, forks per connection (zygote.h) */
	arg(a, "-l");
	arg(a, sbuf_cstr(&me));
	arg(a, "-s");
	arg(a, d->name);
	arg(a, "-N");
	arg_num(a, NOTIFY_FD);
	tls_args(id, a);
	arg(a, c->addr);
	arg_num(a, c->port);
	p = bin(d->program);
	arg(a, p);
	free(p);
	if (id == SVC_SUBMISSION)
		arg(a, "-s");
	if (popup) {
		arg(a, sbuf_cstr(&me));
		p = bin("qmail-checkpassword");
		arg(a, p);
		free(p);
		p = bin("qmail-pop3d");
		arg(a, p);
		free(p);
		arg(a, "Maildir");
	}
	sbuf_free(&me);
	sbuf_free(&cdb);
}

static struct service *add_service(struct super *s, const char *name)
{
	struct service *v = &s->svc[s->n++];
	memset(v, 0, sizeof *v);
	snprintf(v->name, sizeof v->name, "%s", name);
	v->log_rd = v->log_wr = v->notify_rd = -1;
	v->state = SVC_DISABLED;
	v->since = time(NULL);
	v->backoff = 1;
	return v;
}

static int open_log(struct super *s, struct service *v)
{
	int p[2];
	struct sbuf dir = SBUF_INIT;
	sbuf_printf(&dir, "%s/log/%s", instance_home(), v->name);
	int rc = logw_open(&v->log, dir.s);
	sbuf_free(&dir);
	if (rc < 0 || pipe2(p, O_CLOEXEC) < 0) {
		logw_line(&s->log, "%s: cannot open its log: %s", v->name, strerror(errno));
		return -1;
	}
	v->log_rd = p[0];
	v->log_wr = p[1];
	(void)fd_set_nonblock(v->log_rd, 1);
	return 0;
}

static void add_send(struct super *s)
{
	struct argv_b a = {{NULL}, 0};
	struct sbuf dd = SBUF_INIT;
	struct service *v = add_service(s, "send");
	(void)control_read_line("defaultdelivery", "./Maildir/", &dd);
	char *p = bin("qmail-start");
	arg(&a, p);
	arg(&a, sbuf_cstr(&dd));
	free(p);
	sbuf_free(&dd);
	v->argv = xmalloc(sizeof a.v);
	memcpy(v->argv, a.v, sizeof a.v);
	if (have_bin("qmail-start") && open_log(s, v) == 0)
		v->state = SVC_DOWN;
}

int svc_load(struct super *s)
{
	struct svc_table t;
	char *path = instance_path("etc/services");
	int rc = inject_svc_load(path, &t);
	free(path);
	if (rc < 0)
		return -1;
	add_send(s);
	for (int i = 0; i < SVC_COUNT && s->n < SUPER_MAX_SERVICES; i++) {
		const struct svc_def *d = inject_svc_def((enum svc_id)i);
		if (t.v[i].port == 0)
			continue;
		struct service *v = add_service(s, d->name);
		v->is_listener = true;
		v->addr = xstrdup(t.v[i].addr);
		v->port = t.v[i].port;
		if (!t.v[i].enabled)
			continue;
		if (!have_bin("qmail-listen") || !have_bin(d->program)) {
			logw_line(&s->log, "%s: disabled: bin/%s is missing", d->name, d->program);
			continue;
		}
		struct argv_b a = {{NULL}, 0};
		listener_argv(s, (enum svc_id)i, &t.v[i], &a);
		v->argv = xmalloc(sizeof a.v);
		memcpy(v->argv, a.v, sizeof a.v);
		if (open_log(s, v) == 0)
			v->state = SVC_DOWN;
	}
	return 0;
}

static void child(struct service *v, int notify_wr)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	(void)setpgid(0, 0);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || fd_move(0, in) < 0 || dup2(v->log_wr, 1) < 0 || dup2(v->log_wr, 2) < 0)
		_exit(111);
	if (notify_wr >= 0 && fd_move(NOTIFY_FD, notify_wr) < 0)
		_exit(111);
	if (notify_wr >= 0)
		(void)fd_set_cloexec(NOTIFY_FD, 0);
	execv(v->argv[0], v->argv);
	fprintf(stderr, "qmail-super: cannot run %s: %s\n", v->argv[0], strerror(errno));
	_exit(111);
}

int svc_start(struct super *s, struct service *v)
{
	int np[2] = {-1, -1};
	if (v->is_listener && pipe2(np, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		logw_line(&s->log, "%s: fork: %s", v->name, strerror(errno));
		if (np[0] >= 0)
			close(np[0]), close(np[1]);
		v->restart_at = super_now() + v->backoff;
		return -1;
	}
	if (pid == 0)
		child(v, np[1]);
	if (np[1] >= 0)
		close(np[1]);
	if (v->notify_rd >= 0)
		close(v->notify_rd);
	v->notify_rd = np[0];
	v->pid = pid;
	v->state = SVC_UP;
	v->since = time(NULL);
	v->ready = !v->is_listener;
	v->restart_at = 0;
	v->started_mono = super_now();
	logw_line(&s->log, "%s: started pid %ld", v->name, (long)pid);
	svc_write_status(s);
	return 0;
}

void svc_reaped(struct super *s, pid_t pid, int status)
{
	for (size_t i = 0; i < s->n; i++) {
		struct service *v = &s->svc[i];
		if (v->pid != pid || v->state != SVC_UP)
			continue;
		v->state = SVC_DOWN;
		v->pid = 0;
		v->ready = false;
		v->since = time(NULL);
		if (WIFSIGNALED(status))
			logw_line(&s->log, "%s: pid %ld killed by signal %d", v->name, (long)pid,
			          WTERMSIG(status));
		else
			logw_line(&s->log, "%s: pid %ld exited %d", v->name, (long)pid,
			          WEXITSTATUS(status));
		double now = super_now();
		if (now - v->started_mono > SUPER_BACKOFF_MAX)
			v->backoff = 1;
		if (!s->stopping) {
			v->restart_at = now + v->backoff;
			v->backoff =
			    v->backoff * 2 > SUPER_BACKOFF_MAX ? SUPER_BACKOFF_MAX : v->backoff * 2;
		}
		svc_write_status(s);
	}
}

void svc_restart_due(struct super *s)
{
	double now = super_now();
	for (size_t i = 0; i < s->n && !s->stopping; i++) {
		struct service *v = &s->svc[i];
		if (v->state == SVC_DOWN && v->restart_at != 0 && v->restart_at <= now)
			(void)svc_start(s, v);
	}
}

static bool connect_ok(const struct service *v)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	const char *host = v->addr;
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)v->port);
		len = sizeof *a4;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)v->port);
		len = sizeof *a6;
	} else {
		return false;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Readiness: the listener's byte on its -N fd, or (if it closed the fd
 * without one, or is slow) a successful connection to its port. */
void svc_check_ready(struct super *s, struct service *v)
{
	if (v->state != SVC_UP || v->ready)
		return;
	if (v->notify_rd >= 0) {
		char c;
		ssize_t n = read(v->notify_rd, &c, 1);
		if (n < 0 && errno == EAGAIN)
			return;
		close(v->notify_rd);
		v->notify_rd = -1;
		if (n == 1) {
			v->ready = true;
			logw_line(&s->log, "%s: ready on %s port %u", v->name, v->addr, v->port);
			return;
		}
	}
	if (super_now() - v->started_mono >= CONNECT_FALLBACK_AFTER && connect_ok(v)) {
		v->ready = true;
		logw_line(&s->log, "%s: accepting on %s port %u", v->name, v->addr, v->port);
	}
}

bool svc_all_ready(const struct super *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->svc[i].state != SVC_DISABLED && !s->svc[i].ready)
			return false;
	}
	return true;
}

bool svc_any_running(const struct super *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->svc[i].state == SVC_UP)
			return true;
	}
	return false;
}

void svc_signal_all(struct super *s, int sig, bool only_send)
{
	for (size_t i = 0; i < s->n; i++) {
		struct service *v = &s->svc[i];
		if (v->state != SVC_UP || (only_send && strcmp(v->name, "send") != 0))
			continue;
		(void)kill(sig == SIGKILL ? -v->pid : v->pid, sig);
	}
}

void svc_write_status(struct super *s)
{
	static const char *const names[] = {"disabled", "down", "up"};
	struct sbuf b = SBUF_INIT;
	for (size_t i = 0; i < s->n; i++) {
		const struct service *v = &s->svc[i];
		sbuf_printf(&b, "%s %s %ld %lld\n", v->name, names[v->state], (long)v->pid,
		            (long long)v->since);
	}
	char *path = instance_path("run/status");
	if (file_write_atomic(path, b.s ? b.s : "", b.len, 0644) < 0)
		logw_line(&s->log, "cannot write run/status: %s", strerror(errno));
	free(path);
	sbuf_free(&b);
}
