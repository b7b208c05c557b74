/*
 * child.c: one local delivery request: message, user, checks, then a worker.
 */
#include "lspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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

/* Checks before a worker sees the delivery; 1 go, 0 reported (*status,
 * *why set). */
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
		r = pool_dispatch(ls, id, &u, msg_fd, sender, local.s, domain.s);
	else
		r = lspawn_report(id, status, why, strlen(why));
	if (msg_fd >= 0)
		close(msg_fd);
	local_user_free(&u);
	sbuf_free(&local);
	sbuf_free(&domain);
	return r;
}
