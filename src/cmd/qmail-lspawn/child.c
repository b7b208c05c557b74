/*
 * child.c: one local delivery: message, user, fork, privileges, engine.
 */
#include "lspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "fdio.h"
#include "local_deliver.h"
#include "scan.h"
#include "users.h"

static int open_message(const char *mess)
{
	uint64_t n;
	if (!scan_u64_str(mess, UINT64_MAX, &n)) {
		errno = EINVAL;
		return -1;
	}
	struct sbuf path = SBUF_INIT;
	sbuf_printf(&path, "queue/mess/%s", mess);
	int fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	sbuf_free(&path);
	return fd;
}

/* Never returns: delivers and writes "status text" to out_fd. */
static void run_child(const struct lspawn *ls, const struct local_user *u, int msg_fd,
                      const char *sender, const char *local, const char *domain,
                      int out_fd)
{
	struct local_result res = { 'Z', SBUF_INIT };
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(111);
	if (ls->is_root_mode && (setgroups(1, &u->gid) != 0 || setgid(u->gid) != 0
	                         || setuid(u->uid) != 0)) {
		sbuf_set_str(&res.text, "Unable to switch to the user. (#4.3.0)");
	} else if (getuid() == 0 || geteuid() == 0) {
		res.status = 'D';
		sbuf_set_str(&res.text, "Refusing to deliver as root. (#5.7.0)");
	} else {
		struct local_args a = {
			.user = u->user.s, .home = u->home.s, .local = local,
			.dash = sbuf_cstr(&u->dash), .ext = sbuf_cstr(&u->ext),
			.domain = domain, .sender = sender,
			.defaultdelivery = ls->defaultdelivery,
			.noathost = sbuf_cstr(&ls->noathost), .msg_fd = msg_fd,
			.program_timeout = ls->timeout,
		};
		local_deliver(&a, &res);
	}
	crashpoint("local-before-report");
	struct sbuf out = SBUF_INIT;
	sbuf_append_char(&out, res.status);
	sbuf_append(&out, sbuf_cstr(&res.text), res.text.len);
	_exit(fd_write_all(out_fd, out.s, out.len) == 0 ? 0 : 111);
}

/* Checks before the fork; 1 go, 0 reported (*status, *why set). */
static int precheck(const struct lspawn *ls, const struct local_user *u, char *status,
                    const char **why)
{
	*status = 'Z';
	if (u->uid == 0) {
		*status = 'D';
		*why = "Refusing to deliver to a uid 0 account. (#5.7.0)";
		return 0;
	}
	if (!ls->is_root_mode && u->uid != geteuid()) {
		*why = "User mode instance: the user is not the instance owner. (#4.3.0)";
		return 0;
	}
	return 1;
}

static void add_job(struct lspawn *ls, const char *id, pid_t pid, int fd)
{
	if (ls->n_jobs == ls->cap_jobs) {
		ls->cap_jobs = ls->cap_jobs ? ls->cap_jobs * 2 : 16;
		ls->jobs = xreallocarray(ls->jobs, ls->cap_jobs, sizeof *ls->jobs);
	}
	struct lspawn_job *j = &ls->jobs[ls->n_jobs++];
	j->id = xstrdup(id);
	j->pid = pid;
	j->fd = fd;
	memset(&j->result, 0, sizeof j->result);
}

static int fork_delivery(struct lspawn *ls, const char *id, const struct local_user *u,
                         int msg_fd, const char *sender, const char *local,
                         const char *domain)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return lspawn_report(id, 'Z', "Unable to create a pipe. (#4.3.0)", 33);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		lspawn_default_signals();
		run_child(ls, u, msg_fd, sender, local, domain, p[1]);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return lspawn_report(id, 'Z', "Unable to fork. (#4.3.0)", 24);
	}
	add_job(ls, id, pid, p[0]);
	return 0;
}

int lspawn_start(struct lspawn *ls, const char *id, const char *mess,
                 const char *sender, const char *recipient)
{
	struct local_user u = { 0 };
	struct sbuf local = SBUF_INIT, domain = SBUF_INIT;
	const char *at = strrchr(recipient, '@');
	sbuf_set(&local, recipient, at ? (size_t)(at - recipient) : strlen(recipient));
	sbuf_set_str(&domain, at ? at + 1 : "");
	char status = 'Z';
	const char *why = NULL;
	int msg_fd = open_message(mess);
	int lr = msg_fd < 0 ? -1 : users_lookup(local.s, &u);
	int r;
	if (msg_fd < 0)
		why = "Unable to open the message file. (#4.3.0)";
	else if (lr < 0)
		why = "Temporary failure in the user lookup. (#4.3.0)";
	else if (lr == 0)
		status = 'D', why = "Sorry, no mailbox here by that name. (#5.1.1)";
	if (why == NULL && precheck(ls, &u, &status, &why))
		r = fork_delivery(ls, id, &u, msg_fd, sender, local.s, domain.s);
	else
		r = lspawn_report(id, status, why, strlen(why));
	if (msg_fd >= 0)
		close(msg_fd);
	local_user_free(&u);
	sbuf_free(&local);
	sbuf_free(&domain);
	return r;
}
