/* popup_net.c: the half of qmail-popup that talks to the client. */
#include "popup.h"

#include "bio.h"
#include "exitcode.h"
#include "instance.h"
#include "log.h"
#include "pop3_login.h"
#include "pop3_session.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Root mode: become qmaild before the first byte is read. */
static int drop_root(void)
{
	struct role_id r;
	if (geteuid() != 0)
		return 0;
	if (instance_role(ROLE_SMTPD, &r) < 0 || r.uid == 0)
		return -1;
	if (setgroups(1, &r.gid) < 0 || setgid(r.gid) < 0 || setuid(r.uid) < 0)
		return -1;
	if (getuid() != r.uid || geteuid() != r.uid || setuid(0) == 0)
		return -1;
	return chdir("/");
}

static void log_login(const struct pop3_login *l, const char *result)
{
	const char *ip = getenv("TCPREMOTEIP");
	log_kv(LOG_LEVEL_INFO, "login", "result", result, "user", l->user.s ? l->user.s : "", "ip",
	       ip ? ip : "-", (char *)NULL);
}

/* Hands the credentials to the broker; returns its verdict. */
static enum popup_verdict check(int chan, struct pop3_login *l, const char *stamp)
{
	struct sbuf blob = SBUF_INIT;
	pop3_login_blob(l, stamp, &blob);
	ssize_t n = send(chan, blob.s, blob.len, MSG_NOSIGNAL);
	explicit_bzero(blob.s, blob.cap);
	sbuf_free(&blob);
	char v;
	if (n < 0 || recv(chan, &v, 1, 0) != 1)
		return POPUP_TEMP;
	return (enum popup_verdict)v;
}

/* After a CHECK: 1 session over, 0 go on, with the reply in *reply. */
static int after_check(struct pop3_login *l, enum popup_verdict v, struct sbuf *reply,
                       enum pop3_login_action *act)
{
	*act = POP3_LOGIN_REPLY;
	switch (v) {
	case POPUP_DONE:
		log_login(l, "ok");
		return 1;
	case POPUP_REJECT:
		log_login(l, "fail");
		sleep(POPUP_PAUSE_S);
		*act = pop3_login_failed(l, reply);
		return 0;
	case POPUP_BUDGET:
		log_login(l, "budget");
		sleep(POPUP_PAUSE_S);
		sbuf_set_str(reply, "-ERR [AUTH] too many failed logins from your address\r\n");
		*act = POP3_LOGIN_QUIT;
		return 0;
	case POPUP_TEMP:
		break;
	}
	log_login(l, "temp");
	sbuf_set_str(reply, "-ERR [SYS/TEMP] temporary failure, try again later\r\n");
	return 0;
}

static int dialogue(int chan, struct bio *io, const char *stamp, int tls_ctl, bool tls_required)
{
	struct pop3_login l;
	struct sbuf line = SBUF_INIT, reply = SBUF_INIT;
	int rc = EXIT_OK_CODE;
	pop3_login_init(&l);
	l.tls_offered = tls_ctl >= 0;
	l.tls_required = tls_required && tls_ctl >= 0;
	for (;;) {
		enum bio_line how;
		if (bio_flush(io) != BIO_OK)
			break;
		int r = bio_read_line(io, pop3_login_line_max(&l), &line, &how);
		if (r != BIO_OK || how == BIO_LINE_PARTIAL)
			break;
		enum pop3_login_action act = POP3_LOGIN_REPLY;
		if (how == BIO_LINE_TOO_LONG) {
			l.in_auth = false;
			sbuf_set_str(&reply, "-ERR line too long\r\n");
		} else {
			act = pop3_login_line(&l, line.s ? line.s : "", line.len, &reply);
		}
		if (act == POP3_LOGIN_STLS) {
			if (!popup_tls_start(tls_ctl, chan, io, &reply))
				break;
			pop3_login_tls_started(&l);
			continue;
		}
		if (act == POP3_LOGIN_CHECK) {
			if (bio_flush(io) != BIO_OK)
				break;
			if (after_check(&l, check(chan, &l, stamp), &reply, &act))
				break;
		}
		if (bio_put(io, reply.s, reply.len) != BIO_OK || act == POP3_LOGIN_QUIT) {
			(void)bio_flush(io);
			break;
		}
	}
	if (line.s)
		explicit_bzero(line.s, line.cap);
	pop3_login_free(&l);
	sbuf_free(&line);
	sbuf_free(&reply);
	return rc;
}

int popup_net(int chan, const char *hostname, int tls_ctl, bool tls_required)
{
	if (drop_root() < 0) {
		log_kv(LOG_LEVEL_ERROR, "privileges", "error", "cannot become qmaild",
		       (char *)NULL);
		static const char msg[] = "-ERR [SYS/TEMP] server misconfigured\r\n";
		(void)!write(1, msg, sizeof msg - 1);
		return EXIT_TEMP;
	}
	char stamp[300];
	snprintf(stamp, sizeof stamp, "<%ld.%lld@%.200s>", (long)getpid(), (long long)time(NULL),
	         hostname);
	struct bio io;
	bio_init(&io, 0, 1);
	bio_set_timeout(&io, POP3_IDLE_TIMEOUT_MS);
	struct sbuf greet = SBUF_INIT;
	sbuf_printf(&greet, "+OK %s\r\n", stamp);
	int rc = EXIT_OK_CODE;
	if (bio_put(&io, greet.s, greet.len) == BIO_OK)
		rc = dialogue(chan, &io, stamp, tls_ctl, tls_required);
	sbuf_free(&greet);
	bio_free(&io);
	return rc;
}
