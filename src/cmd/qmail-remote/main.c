/*
 * qmail-remote: delivers one message to a remote host by SMTP.
 *
 *   qmail-remote host sender recipient...
 *
 * The message is on fd 0 (LF line endings, as queued).  Output on fd 1
 * (docs/PROTOCOLS.md): per recipient r/h/s + text + NUL, then K/Z/D +
 * text + NUL for the message.  Exit 0 when the report was written, 111
 * otherwise.  Configuration: qmail-remote-control(5).
 *
 * qmail-rspawn normally starts it once as a zygote (ZYGOTEFD, zygote.h)
 * and has it fork per delivery with QMAILREMOTE_HOST, _SENDER and _RCPT
 * in the environment instead of the arguments: no exec per delivery.
 * When the request also carries a session channel (QMAILREMOTE_REUSE set,
 * the channel on ZYGOTE_CTL_FD), a delivery that leaves the connection in
 * a clean state closes its report, says "I" on the channel and waits for
 * qmail-rspawn's next delivery to the same domain on the same connection
 * (docs/PROTOCOLS.md "Connection reuse").
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "data_encode.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "remote.h"
#include "zygote.h"

#define REMOTE_MSG_MAX (1024u * 1024u * 1024u)
/* A connection serves deliveries for at most this long; qmail-rspawn
 * decides how long it may stay idle (control/remotereusetime). */
#define REMOTE_REUSE_SECS 300u

static struct remote_delivery d;

static void put_record(char tag, const char *text, size_t n)
{
	struct sbuf b = SBUF_INIT;
	sbuf_append_char(&b, tag);
	for (size_t i = 0; i < n; i++)
		sbuf_append_char(&b, text[i] ? text[i] : '_');
	sbuf_append_char(&b, '\0');
	if (fd_write_all(1, b.s, b.len) < 0)
		_exit(EXIT_TEMP);
	sbuf_free(&b);
}

static void __attribute__((noreturn)) finish(char tag, const char *text)
{
	put_record(tag, text, strlen(text));
	_exit(EXIT_OK_CODE);
}

static void alloc_died(void)
{
	finish('Z', "Out of memory. (#4.3.0)");
}

static void put_report(const struct smtp_result *r)
{
	static const char tags[] = { [SMTP_OK] = 'K', [SMTP_TEMP] = 'Z', [SMTP_PERM] = 'D' };
	for (size_t i = 0; i < r->n_rcpt; i++)
		put_record(r->rcpt_status[i], sbuf_cstr(&r->rcpt_text[i]), r->rcpt_text[i].len);
	put_record(tags[r->outcome], sbuf_cstr(&r->text), r->text.len);
}

static void read_message(void)
{
	sbuf_clear(&d.msg);
	if (fd_read_all(0, &d.msg, REMOTE_MSG_MAX) < 0)
		finish('Z', "Unable to read the message. (#4.3.0)");
	enum data_status st = data_encode_check(sbuf_cstr(&d.msg), d.msg.len, &d.has_8bit);
	if (st != DATA_OK)
		finish('Z', "The queued message has a bare CR or a NUL; not sending it. (#4.3.0)");
}

/* host sender recipient... from argv, or from a zygote request's environment. */
static void take_request(int argc, char **argv)
{
	static const char *zargs[4];
	if (zygote_is_session()) {
		const char *names[3] = { "QMAILREMOTE_HOST", "QMAILREMOTE_SENDER",
		                         "QMAILREMOTE_RCPT" };
		for (int i = 0; i < 3; i++) {
			const char *v = getenv(names[i]);
			if (!v)
				finish('Z', "qmail-rspawn sent an incomplete request. (#4.3.0)");
			free((char *)zargs[i + 1]);
			zargs[i + 1] = xstrdup(v);
		}
		argc = 4;
		argv = (char **)zargs;
	}
	if (argc < 4)
		finish('Z', "usage: qmail-remote host sender recipient... (#4.3.0)");
	d.domain = argv[1];
	d.sender = argv[2];
	d.rcpts = (const char *const *)argv + 3;
	d.n_rcpt = (size_t)argc - 3;
}

/* One delivery on the kept session or a new one; true to keep it. */
static bool deliver_one(bool may_keep)
{
	struct smtp_result res;
	if (!remote_deliver_again(&d, &res) && !remote_deliver(&d, &res)) {
		put_record('Z', sbuf_cstr(&res.text), res.text.len);
		smtp_result_free(&res);
		return false;
	}
	bool keep = may_keep && remote_live_keep(REMOTE_REUSE_SECS);
	if (!keep)
		remote_live_close(); /* QUIT before the report, as without reuse */
	put_report(&res);
	smtp_result_free(&res);
	return keep;
}

/* Report closed, "I" said: true when the next delivery has been placed. */
static bool await_next(void)
{
	close(1);
	if (send(ZYGOTE_CTL_FD, "I", 1, MSG_NOSIGNAL) != 1)
		return false;
	struct pollfd p[2] = { { ZYGOTE_CTL_FD, POLLIN, 0 }, { remote_live_fd(), POLLIN, 0 } };
	int n;
	while ((n = poll(p, 2, (int)REMOTE_REUSE_SECS * 1000)) < 0 && errno == EINTR)
		;
	/* Anything from the peer while idle (421, close) ends the session. */
	if (n <= 0 || p[1].revents || !(p[0].revents & POLLIN))
		return false;
	return zygote_session_next(0) == 1;
}

int main(int argc, char **argv)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	signal(SIGPIPE, SIG_IGN);
	alloc_set_fatal(alloc_died);
	/* Started by qmail-rspawn as a zygote (zygote.h): returns in each
	 * delivery's process, with its arguments in the environment. */
	zygote_serve();
	bool may_keep = zygote_is_session() && getenv("QMAILREMOTE_REUSE") != NULL;
	take_request(argc, argv);
	d.tcpto_path = instance_path("queue/lock/tcpto");
	read_message();
	struct sbuf text = SBUF_INIT;
	if (remote_conf_load(&d.conf, &text) < 0) {
		sbuf_append_str(&text, ". (#4.3.0)");
		finish('Z', text.s);
	}
	enum remote_status rs = remote_plan_make(&d.conf, d.domain, &d.plan, &text);
	if (rs != REMOTE_GO)
		finish(rs == REMOTE_FAIL ? 'D' : 'Z', text.s);
	char *domain = xstrdup(d.domain);
	while (deliver_one(may_keep) && await_next()) {
		take_request(argc, argv);
		read_message();
		if (strcmp(domain, d.domain) != 0)
			finish('Z', "qmail-rspawn reused a session for another domain. (#4.3.0)");
	}
	remote_live_close();
	return EXIT_OK_CODE;
}
