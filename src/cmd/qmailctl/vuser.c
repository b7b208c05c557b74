/* qmailctl user add|del|list|passwd|path: virtual mailbox users. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "exitcode.h"
#include "fdio.h"
#include "sbuf.h"
#include "vdom.h"
#include "vpasswd.h"

struct vuser_req {
	char *addr;         /* lower case */
	const char *domain; /* inside addr */
	bool password_stdin;
	bool want_cram;  /* --cram: also store the CRAM-MD5 key schedule */
	bool want_scram; /* --scram: also store the SCRAM-SHA-256 secret */
};

char *vuser_dotqmail_rel(const char *addr)
{
	const char *at = strchr(addr, '@');
	struct sbuf b = SBUF_INIT;
	sbuf_printf(&b, "domains/%s/.qmail-", at + 1);
	for (const char *c = addr; c < at; c++)
		sbuf_append_char(&b, *c == '.' ? ':' : *c);
	return b.s;
}

static char *vpw_path(void)
{
	return instance_path("users/vpasswd");
}

static int save_and_compile(const struct vpw_list *l)
{
	char *txt = vpw_path();
	char *cdb = instance_path("users/vpasswd.cdb");
	int rc = vpasswd_save(txt, l);
	if (rc == 0)
		rc = ctl_build_vpasswd_cdb(l, cdb);
	if (rc < 0)
		ctl_warn("cannot write %s: %s", txt, strerror(errno));
	free(txt);
	free(cdb);
	return rc;
}

int vuser_remove_domain(const char *suffix)
{
	struct vpw_list l;
	char *txt = vpw_path();
	int rc = vpasswd_load(txt, &l);
	free(txt);
	if (rc < 0)
		return ctl_fail(-1, "cannot read users/vpasswd: %s", strerror(errno));
	size_t slen = strlen(suffix);
	for (size_t i = l.n; i-- > 0;) {
		size_t alen = strlen(l.v[i].addr);
		if (alen > slen && strcmp(l.v[i].addr + alen - slen, suffix) == 0)
			vpasswd_remove(&l, l.v[i].addr);
	}
	rc = save_and_compile(&l);
	vpasswd_list_free(&l);
	return rc;
}

/* One line from fd, without its line ending; echo off on a terminal. */
static int read_password(bool from_stdin, struct sbuf *out)
{
	int fd = from_stdin ? 0 : open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	struct termios old, quiet;
	bool tty = !from_stdin && fd >= 0 && tcgetattr(fd, &old) == 0;
	if (fd < 0)
		return ctl_fail(-1, "no terminal for the password prompt; use --password-stdin");
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)fd_write_all(fd, "Password: ", 10);
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	char c;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (out->len >= VPASSWD_PASSWORD_MAX)
			rc = -1;
		else if (c != '\r')
			sbuf_append_char(out, c);
	}
	if (tty) {
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		(void)fd_write_all(fd, "\n", 1);
	}
	if (!from_stdin)
		close(fd);
	if (rc < 0 || out->len == 0)
		return ctl_fail(-1, "empty or too long password");
	return 0;
}

static void replace_secret(char **field, bool want, const struct sbuf *v)
{
	if (*field)
		explicit_bzero(*field, strlen(*field));
	free(*field);
	*field = want ? xstrdup(v->s) : NULL;
}

/*
 * The yescrypt hash, and with --cram the CRAM-MD5 key schedule, with
 * --scram the SCRAM-SHA-256 secret; a stored secret not asked for again
 * goes (it would no longer match the password).
 */
static int set_password(struct vpw_entry *e, const struct vuser_req *r)
{
	struct sbuf pw = SBUF_INIT, hash = SBUF_INIT, cram = SBUF_INIT, scram = SBUF_INIT;
	int rc = read_password(r->password_stdin, &pw);
	if (rc == 0 && vpasswd_hash(pw.s, &hash) < 0)
		rc = ctl_fail(-1, "cannot hash the password: %s", strerror(errno));
	if (rc == 0 && r->want_cram && vpasswd_cram_secret(pw.s, &cram) < 0)
		rc = ctl_fail(-1, "cannot make the CRAM-MD5 secret: %s", strerror(errno));
	if (rc == 0 && r->want_scram && vpasswd_scram_secret(pw.s, &scram) < 0)
		rc = ctl_fail(-1, "cannot make the SCRAM-SHA-256 secret: %s", strerror(errno));
	if (rc == 0) {
		free(e->hash);
		e->hash = xstrdup(hash.s);
		replace_secret(&e->cram, r->want_cram, &cram);
		replace_secret(&e->scram, r->want_scram, &scram);
	}
	struct sbuf *wipe[] = {&pw, &cram, &scram};
	for (size_t i = 0; i < sizeof wipe / sizeof wipe[0]; i++) {
		if (wipe[i]->s)
			explicit_bzero(wipe[i]->s, wipe[i]->cap);
		sbuf_free(wipe[i]);
	}
	sbuf_free(&hash);
	return rc;
}

static int make_maildir(const char *addr, struct sbuf *maildir_abs)
{
	const char *at = strchr(addr, '@');
	struct sbuf rel = SBUF_INIT;
	static const char *const sub[] = {"", "/Maildir", "/Maildir/tmp", "/Maildir/new",
	                                  "/Maildir/cur"};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < 5; i++) {
		sbuf_clear(&rel);
		sbuf_printf(&rel, "domains/%s/%.*s%s", at + 1, (int)(at - addr), addr, sub[i]);
		rc = ctl_mkdir(rel.s, 0700, ROLE_VMAIL, false);
	}
	sbuf_printf(maildir_abs, "%s/%s/", instance_home(), rel.s);
	sbuf_truncate(maildir_abs, maildir_abs->len - 4);
	sbuf_free(&rel);
	return rc;
}

static int write_dotqmail(const char *addr, const char *text)
{
	char *rel = vuser_dotqmail_rel(addr);
	char *path = instance_path(rel);
	int rc = file_write_atomic(path, text, strlen(text), 0600);
	if (rc == 0)
		rc = ctl_chown_role(path, ROLE_VMAIL);
	if (rc < 0)
		ctl_warn("cannot write %s: %s", path, strerror(errno));
	free(rel);
	free(path);
	return rc;
}

static int user_add(struct vpw_list *l, const struct vuser_req *r)
{
	struct role_id v;
	struct sbuf md = SBUF_INIT, dq = SBUF_INIT;
	struct vpw_entry e = {NULL, NULL, NULL, 0, 0, NULL, NULL};
	if (vpasswd_find(l, r->addr) >= 0)
		return ctl_fail(EXIT_PERM, "user %s exists", r->addr);
	if (instance_role(ROLE_VMAIL, &v) < 0)
		return ctl_fail(EXIT_TEMP, "no qmailv user: %s", strerror(errno));
	if (set_password(&e, r) < 0)
		return EXIT_PERM;
	const char *at = strchr(r->addr, '@');
	sbuf_printf(&dq, "./%.*s/Maildir/\n", (int)(at - r->addr), r->addr);
	int rc = make_maildir(r->addr, &md);
	if (rc == 0)
		rc = write_dotqmail(r->addr, dq.s);
	e.addr = xstrdup(r->addr);
	e.maildir = xstrdup(md.s);
	e.uid = v.uid;
	e.gid = v.gid;
	vpasswd_put(l, &e);
	if (rc == 0)
		rc = save_and_compile(l);
	sbuf_free(&md);
	sbuf_free(&dq);
	return rc < 0 ? ctl_fail(EXIT_TEMP, "cannot add user %s", r->addr) : 0;
}

static int user_del(struct vpw_list *l, const struct vuser_req *r)
{
	if (!vpasswd_remove(l, r->addr))
		return ctl_fail(EXIT_PERM, "no such user: %s", r->addr);
	char *rel = vuser_dotqmail_rel(r->addr);
	char *path = instance_path(rel);
	if (unlink(path) < 0 && errno != ENOENT)
		ctl_warn("cannot remove %s: %s", path, strerror(errno));
	free(rel);
	free(path);
	return save_and_compile(l) < 0 ? ctl_fail(EXIT_TEMP, "cannot delete %s", r->addr) : 0;
}

static int user_passwd(struct vpw_list *l, const struct vuser_req *r)
{
	long i = vpasswd_find(l, r->addr);
	if (i < 0)
		return ctl_fail(EXIT_PERM, "no such user: %s", r->addr);
	if (set_password(&l->v[i], r) < 0)
		return EXIT_PERM;
	return save_and_compile(l) < 0 ? ctl_fail(EXIT_TEMP, "cannot save") : 0;
}

static int user_path(struct vpw_list *l, const struct vuser_req *r)
{
	long i = vpasswd_find(l, r->addr);
	if (i < 0)
		return ctl_fail(EXIT_PERM, "no such user: %s", r->addr);
	printf("%s\n", l->v[i].maildir);
	return 0;
}

static int user_list(struct vpw_list *l, const char *domain)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *at = strchr(l->v[i].addr, '@');
		if (!domain || strcmp(at + 1, domain) == 0)
			printf("%s\n", l->v[i].addr);
	}
	return 0;
}

static int parse_req(int argc, char **argv, struct vuser_req *r)
{
	memset(r, 0, sizeof *r);
	bool is_set_verb = strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			r->password_stdin = true;
		else if (strcmp(argv[i], "--cram") == 0 && is_set_verb)
			r->want_cram = true;
		else if (strcmp(argv[i], "--scram") == 0 && is_set_verb)
			r->want_scram = true;
		else
			return ctl_fail(-1, "unknown option %s", argv[i]);
	}
	r->addr = xstrdup(argv[1]);
	vdom_lower(r->addr);
	if (!vpasswd_addr_valid(r->addr))
		return ctl_fail(-1, "invalid address: %s", argv[1]);
	r->domain = strchr(r->addr, '@') + 1;
	if (!vdom_is_virtual(r->domain))
		return ctl_fail(-1, "%s is not a virtual domain (qmailctl domain add)", r->domain);
	return 0;
}

static int user_dispatch(struct vpw_list *l, const char *verb, const struct vuser_req *r)
{
	if (strcmp(verb, "add") == 0)
		return user_add(l, r);
	if (strcmp(verb, "del") == 0)
		return user_del(l, r);
	if (strcmp(verb, "passwd") == 0)
		return user_passwd(l, r);
	if (strcmp(verb, "path") == 0)
		return user_path(l, r);
	return ctl_fail(EXIT_PERM, "usage: qmailctl user add|del|list|passwd|path ADDRESS");
}

int ctl_user(int argc, char **argv)
{
	struct vpw_list l;
	struct vuser_req r = {NULL, NULL, false, false, false};
	char *txt = vpw_path();
	int rc = vpasswd_load(txt, &l);
	free(txt);
	if (rc < 0)
		return ctl_fail(EXIT_TEMP, "cannot read users/vpasswd: %s", strerror(errno));
	if (argc >= 1 && argc <= 2 && strcmp(argv[0], "list") == 0)
		rc = user_list(&l, argc == 2 ? argv[1] : NULL);
	else if (argc < 2)
		rc = ctl_fail(EXIT_PERM, "usage: qmailctl user add|del|list|passwd|path ADDRESS");
	else if (parse_req(argc, argv, &r) < 0)
		rc = EXIT_PERM;
	else
		rc = user_dispatch(&l, argv[0], &r);
	free(r.addr);
	vpasswd_list_free(&l);
	return rc;
}
