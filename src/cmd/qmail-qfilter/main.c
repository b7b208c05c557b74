/*
 * qmail-qfilter: a QMAILQUEUE program that pipes the message through the
 * filters listed in $QFILTERS (default control/qfilters) before handing it
 * to $QMAILHOME/bin/qmail-queue.  See qmail-qfilter(8).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "control.h"
#include "envelope.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "proto_limits.h"
#include "qfilter_conf.h"
#include "qfilter_run.h"
#include "qqerr.h"
#include "sbuf.h"

static void die(int code, const char *what)
{
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "qmail-qfilter: %s%s%s\n", what, errno != 0 ? ": " : "",
	            errno != 0 ? strerror(errno) : "");
	fd_write_all(2, b.s, b.len);
	_exit(code);
}

static void nomem(void)
{
	errno = 0;
	die(QQ_NOMEM, "out of memory");
}

/* Reads the envelope from fd 1 up to its terminating NUL (or EOF). */
static void read_envelope(struct sbuf *raw, struct envelope *env)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(1, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(QQ_READ_ERROR, "cannot read envelope");
		if (r == 0)
			break;
		if ((size_t)r > QUEUE_ENVELOPE_MAX - raw->len) {
			errno = 0;
			die(QQ_ENVELOPE_FORMAT, "envelope too large");
		}
		sbuf_append(raw, buf, (size_t)r);
		if (raw->len >= 2 && raw->s[raw->len - 1] == '\0' && raw->s[raw->len - 2] == '\0')
			break;
	}
	enum env_status st = envelope_parse_qq(raw->s != NULL ? raw->s : "", raw->len, env);
	errno = 0;
	if (st == ENV_INCOMPLETE)
		die(QQ_READ_ERROR, "envelope incomplete");
	if (st != ENV_OK)
		die(QQ_ENVELOPE_FORMAT, "envelope format error");
}

/* QMAILMAILFROM and QMAILRCPTS for the filters; QMAILQUEUE must not loop. */
static void set_filter_env(const struct envelope *env)
{
	struct sbuf rcpts = SBUF_INIT;
	for (size_t i = 0; i < env->n_rcpt; i++) {
		sbuf_append_str(&rcpts, env->rcpt[i].addr);
		sbuf_append_char(&rcpts, '\n');
	}
	if (setenv("QMAILMAILFROM", env->sender, 1) < 0 ||
	    setenv("QMAILRCPTS", sbuf_cstr(&rcpts), 1) < 0 || unsetenv("QMAILQUEUE") < 0)
		nomem();
	sbuf_free(&rcpts);
}

static void load_chain(struct qfilter_conf *conf, unsigned *timeout)
{
	const char *path = getenv("QFILTERS");
	struct sbuf def = SBUF_INIT;
	if (path == NULL || path[0] == '\0') {
		sbuf_printf(&def, "%s/qfilters", control_dir());
		path = sbuf_cstr(&def);
	}
	if (qfilter_conf_read(path, conf) < 0)
		die(QQ_CONFIG_ERROR, "cannot read the filter list");
	sbuf_free(&def);
	uint64_t t = 0;
	if (control_read_u64("qfiltertimeout", QFILTER_TIMEOUT_DEFAULT, QFILTER_TIMEOUT_MAX, &t) <
	    0)
		die(QQ_CONFIG_ERROR, "cannot read control/qfiltertimeout");
	*timeout = t == 0 ? QFILTER_TIMEOUT_DEFAULT : (unsigned)t;
}

static void exec_queue(int msg_fd, const struct sbuf *raw_env)
{
	int env_fd = qfilter_memfd();
	if (env_fd < 0 || fd_write_all(env_fd, raw_env->s, raw_env->len) < 0 ||
	    lseek(env_fd, 0, SEEK_SET) != 0)
		die(QQ_WRITE_ERROR, "cannot store the envelope");
	if (dup2(msg_fd, 0) < 0 || dup2(env_fd, 1) < 0)
		die(QQ_BUG, "dup2");
	char *prog = instance_path("bin/qmail-queue");
	char *argv[2] = {prog, NULL};
	execv(prog, argv);
	die(QQ_CONFIG_ERROR, "cannot run qmail-queue");
}

/*
 * A filter refused with its own text: hand it on through our own QQERR_FD
 * and exit QQERR_EXIT, as a queue program of the qmail-queue-custom-error
 * convention does.  A caller that gave us no pipe there gets the text on
 * stderr and the plain code (31 for D, 71 for Z).
 */
static void pass_reply(const struct qqerr *reply)
{
	struct stat st;
	struct sbuf raw = SBUF_INIT;
	qqerr_format_raw(reply, &raw);
	if (fstat(QQERR_FD, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    fd_write_all(QQERR_FD, raw.s, raw.len) == 0)
		_exit(QQERR_EXIT);
	errno = 0;
	die(reply->kind == QQERR_PERM ? QQ_PERM_REFUSED : QQ_TEMP_REFUSED, reply->text);
}

int main(void)
{
	alloc_set_fatal(nomem);
	struct sbuf raw_env = SBUF_INIT;
	struct envelope env;
	memset(&env, 0, sizeof env);
	int msg_fd = qfilter_slurp(0, QFILTER_MSG_MAX);
	if (msg_fd < 0)
		die(errno == E2BIG ? QQ_TEMP_REFUSED : QQ_READ_ERROR, "cannot read the message");
	read_envelope(&raw_env, &env);
	struct qfilter_conf conf;
	unsigned timeout = QFILTER_TIMEOUT_DEFAULT;
	load_chain(&conf, &timeout);
	set_filter_env(&env);
	struct qqerr reply;
	int code = qfilter_run_chain(&conf, &msg_fd, timeout, &reply);
	errno = 0;
	if (code == QQERR_EXIT)
		pass_reply(&reply);
	if (code == QFILTER_EXIT_DROP)
		die(QQ_OK, "a filter dropped the message");
	if (code == QQ_PERM_REFUSED)
		die(code, "a filter rejected the message");
	if (code != QQ_OK)
		die(code, "a filter failed or deferred the message");
	qfilter_conf_free(&conf);
	envelope_free(&env);
	exec_queue(msg_fd, &raw_env);
	return QQ_BUG;
}
