/*
 * qmail-checkpassword: the checkpassword interface for virtual users
 * (qmail-checkpassword(8)).  fd 3: user NUL password NUL timestamp NUL.
 * Exit 0 after exec'ing argv[1..] with USER, HOME and MAILDIR set, 1 bad
 * login, 2 misuse, 111 temporary failure.
 *
 * AUTH CRAM-MD5 (cmd5checkpw's convention): the password is the client's
 * 32-hex-digit digest and the timestamp the challenge.  A user with a CRAM
 * secret (users/vpasswd's 6th field) is accepted when the digest is
 * HMAC-MD5(password, challenge); the yescrypt check runs every time, so a
 * password that happens to be 32 hex digits still works, and an unknown
 * user, a wrong digest and a wrong password cost the same.
 *
 * `qmail-checkpassword --scram`: AUTH SCRAM-SHA-256's checks instead
 * (scram_mode.c).
 */
#include <stdbool.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cp.h"
#include "fdio.h"
#include "instance.h"
#include "sbuf.h"
#include "vpasswd.h"

#define CP_INPUT_MAX 1024

static void oom(void)
{
	_exit(CP_TEMP);
}

/* Splits fd 3's bytes into user, password and timestamp (empty when
 * missing, as checkpassword allows); -1 when malformed. */
static int split_input(char *buf, size_t len, char **user, char **pass, char **stamp)
{
	char *nul1 = memchr(buf, '\0', len);
	if (!nul1)
		return -1;
	char *nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - buf));
	if (!nul2)
		return -1;
	char *nul3 = memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - buf));
	*user = buf;
	*pass = nul1 + 1;
	*stamp = nul3 ? nul2 + 1 : nul2;
	return 0;
}

/* The yescrypt check always; the CRAM-MD5 check too (vpasswd_verify_cram
 * is false unless the user has a secret and pass is a digest). */
static bool check(const char *pass, const char *stamp, const struct vpw_entry *e)
{
	bool by_cram = e && vpasswd_verify_cram(e->cram, stamp, pass);
	bool by_hash = vpasswd_verify(pass, e ? e->hash : NULL);
	return by_cram || by_hash;
}

static int become(const struct vpw_entry *e)
{
	struct sbuf home = SBUF_INIT;
	size_t len = strlen(e->maildir);
	/* HOME is the Maildir's parent: ".../alice/" of ".../alice/Maildir/". */
	sbuf_append(&home, e->maildir, len - 1);
	char *slash = strrchr(home.s, '/');
	if (!slash || slash == home.s)
		return -1;
	*slash = '\0';
	if (geteuid() == 0) {
		gid_t g = (gid_t)e->gid;
		if (setgroups(1, &g) < 0 || setgid(g) < 0 || setuid((uid_t)e->uid) < 0)
			return -1;
	}
	/*
	 * Run as the mailbox owner (POP3), enter its home.  Run as another
	 * account only to check a password (SMTP AUTH as qmailt), the home may
	 * be closed to it and is not needed.
	 */
	bool is_owner = geteuid() == (uid_t)e->uid;
	if ((chdir(home.s) < 0 && is_owner) || setenv("HOME", home.s, 1) < 0 ||
	    setenv("USER", e->addr, 1) < 0 || setenv("MAILDIR", e->maildir, 1) < 0)
		return -1;
	sbuf_free(&home);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[CP_INPUT_MAX + 1];
	alloc_set_fatal(oom);
	if (argc < 2)
		return CP_MISUSE;
	if (argc == 2 && strcmp(argv[1], "--scram") == 0)
		return cp_scram();
	ssize_t n = fd_read_full(3, buf, sizeof buf);
	close(3);
	if (n < 0)
		return CP_MISUSE;
	if ((size_t)n > CP_INPUT_MAX)
		return CP_REJECT;
	char *user, *pass, *stamp;
	if (split_input(buf, (size_t)n, &user, &pass, &stamp) < 0)
		return CP_MISUSE;
	for (char *c = user; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	char *cdb = instance_path("users/vpasswd.cdb");
	struct vpw_entry e;
	int found = vpasswd_addr_valid(user) ? vpasswd_lookup(cdb, user, &e) : 0;
	free(cdb);
	if (found < 0)
		return CP_TEMP;
	bool ok = check(pass, stamp, found ? &e : NULL);
	explicit_bzero(buf, sizeof buf);
	if (!ok)
		return CP_REJECT;
	if (become(&e) < 0)
		return CP_TEMP;
	execvp(argv[1], argv + 1);
	return CP_TEMP;
}
