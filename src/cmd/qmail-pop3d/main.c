/*
 * qmail-pop3d: the POP3 TRANSACTION state on fds 0/1 for one Maildir,
 * run by a checkpassword program as the mailbox owner (qmail-pop3d(8)).
 *
 *   qmail-pop3d [maildir]
 *
 * The Maildir is $MAILDIR when the checkpassword program set it to an
 * absolute path, else argv[1] (relative to the current directory, which
 * checkpassword made the user's home), else "./Maildir/".  Refuses to run
 * as root.  Exit codes: 0 once the session has started (its "+OK" sent),
 * whatever happens after; 111 when it could not start (the caller,
 * qmail-popup, then answers -ERR [SYS/TEMP]); 100 on misuse.
 */
#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "bio.h"
#include "exitcode.h"
#include "log.h"
#include "pop3_maildir.h"
#include "pop3_session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void out_of_memory(void)
{
	static const char msg[] = "-ERR [SYS/TEMP] out of memory\r\n";
	(void)!write(1, msg, sizeof msg - 1);
	_exit(EXIT_OK_CODE);
}

static void limit_memory(void)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT);
}

static const char *maildir_arg(int argc, char **argv)
{
	const char *env = getenv("MAILDIR");
	if (env && env[0] == '/')
		return env;
	if (argc > 1 && argv[1][0] != '\0')
		return argv[1];
	return "./Maildir/";
}

static const char *result_name(enum pop3_session_result r)
{
	switch (r) {
	case POP3_SESSION_QUIT:
		return "quit";
	case POP3_SESSION_DROPPED:
		return "dropped";
	case POP3_SESSION_ERROR:
		return "error";
	case POP3_SESSION_CONTINUE:
		break;
	}
	return "?";
}

static void log_end(const struct pop3_session *s, const struct pop3_box *box,
                    enum pop3_session_result r)
{
	char n[32], retr[32], top[32], del[32], moved[32], statted[32];
	snprintf(n, sizeof n, "%zu", box->n);
	snprintf(retr, sizeof retr, "%zu", s->n_retr);
	snprintf(top, sizeof top, "%zu", s->n_top);
	snprintf(del, sizeof del, "%ld", s->n_removed);
	snprintf(moved, sizeof moved, "%zu", box->n_moved);
	snprintf(statted, sizeof statted, "%zu", box->n_stat);
	const char *user = getenv("USER");
	log_kv(LOG_LEVEL_INFO, "end", "user", user ? user : "-", "end", result_name(r), "msgs", n,
	       "moved", moved, "stat", statted, "retr", retr, "top", top, "deleted", del,
	       (char *)NULL);
}

int main(int argc, char **argv)
{
	log_set_ident("qmail-pop3d");
	alloc_set_fatal(out_of_memory);
	signal(SIGPIPE, SIG_IGN);
	limit_memory();
	if (getuid() == 0 || geteuid() == 0) {
		log_kv(LOG_LEVEL_ERROR, "refused", "why", "running as root", (char *)NULL);
		return EXIT_TEMP;
	}
	const char *dir = maildir_arg(argc, argv);
	struct pop3_box box;
	if (pop3_box_open(&box, dir) < 0) {
		log_kv(LOG_LEVEL_ERROR, "maildir", "dir", dir, "error", strerror(errno),
		       (char *)NULL);
		return EXIT_TEMP;
	}
	struct bio io;
	struct pop3_session s;
	bio_init(&io, 0, 1);
	bio_set_timeout(&io, POP3_IDLE_TIMEOUT_MS);
	pop3_session_init(&s, &box, &io);
	enum pop3_session_result r = pop3_session_run(&s);
	log_end(&s, &box, r);
	bio_free(&io);
	pop3_box_close(&box);
	return EXIT_OK_CODE;
}
