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
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proclimit.h"
#include "proto_limits.h"
#include "alloc.h"
#include "data_encode.h"
#include "exitcode.h"
#include "fdio.h"
#include "instance.h"
#include "remote.h"
#include "tcpto.h"
#include "tls_client.h"
#include "tls_hmac.h"
#include "zygote.h"

#define REMOTE_MSG_MAX (1024u * 1024u * 1024u)

struct delivery {
	const char *domain;
	const char *sender;
	const char *const *rcpts;
	size_t n_rcpt;
	struct sbuf msg;
	bool has_8bit;
	struct remote_conf conf;
	struct remote_plan plan;
	char *tcpto_path;
};

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

static void __attribute__((noreturn)) report(const struct smtp_result *r)
{
	static const char tags[] = { [SMTP_OK] = 'K', [SMTP_TEMP] = 'Z', [SMTP_PERM] = 'D' };
	for (size_t i = 0; i < r->n_rcpt; i++)
		put_record(r->rcpt_status[i], sbuf_cstr(&r->rcpt_text[i]), r->rcpt_text[i].len);
	finish(tags[r->outcome], sbuf_cstr(&r->text));
}

static void job_setup(struct delivery *d, struct smtp_job *j, const struct remote_target *t,
                      struct sbuf *host_text)
{
	char ipt[64];
	dns_addr_text(&t->addr, ipt);
	sbuf_clear(host_text);
	sbuf_printf(host_text, "%s[%s]", t->name, ipt);
	memset(j, 0, sizeof *j);
	j->helo = sbuf_cstr(&d->conf.helo);
	j->host_text = host_text->s;
	j->sender = d->sender;
	j->rcpts = d->rcpts;
	j->n_rcpt = d->n_rcpt;
	j->msg = sbuf_cstr(&d->msg);
	j->msg_len = d->msg.len;
	j->has_8bit = d->has_8bit;
	const struct smtproute *r = &d->plan.route;
	if (d->plan.has_route && r->user[0]) {
		j->auth_user = r->user;
		j->auth_pass = r->pass;
		j->allow_plain_auth = r->allow_plain_auth;
	}
}

/* One attempt at one address; SMTP_NEXT_HOST means try the next. */
static enum smtp_outcome attempt(struct delivery *d, const struct remote_target *t,
                                 bool tls_off, struct smtp_result *res, struct sbuf *last)
{
	struct remote_tls tls;
	struct sbuf host_text = SBUF_INIT, info = SBUF_INIT, err = SBUF_INIT;
	struct smtp_job j;
	struct bio b;
	bool is_timeout;
	remote_tls_policy(&tls, &d->conf, d->domain, t, d->plan.has_route ? &d->plan.route : NULL);
	sbuf_clear(last);
	tls.fd = remote_conn_open(&d->conf, t, &is_timeout, last);
	/* The backoff table is advisory: a failure to update it is ignored. */
	(void)tcpto_note(d->tcpto_path, t->addr.family == AF_INET6 ? 6 : 4, t->addr.ip,
			 tls.fd < 0, time(NULL));
	if (tls.fd < 0)
		return SMTP_NEXT_HOST;
	job_setup(d, &j, t, &host_text);
	j.tls = tls_off ? SMTP_TLS_OFF : tls.mode;
	bio_init(&b, tls.fd, tls.fd);
	bio_set_timeout(&b, d->conf.timeout_remote * 1000u);
	bool is_smtps = t->port == REMOTE_PORT_SMTPS;
	struct smtp_hooks h = { remote_tls_starttls, tls_hmac_md5, &tls };
	if (is_smtps && remote_tls_starttls(&tls, &b, &info, &err) < 0) {
		sbuf_printf(last, "%s TLS failed: %s.", host_text.s, sbuf_cstr(&err));
		res->outcome = SMTP_NEXT_HOST;
	} else {
		j.is_tls_active = is_smtps;
		j.tls_info = sbuf_cstr(&info);
		smtp_client_run(&b, &j, &h, res);
		if (res->outcome == SMTP_NEXT_HOST)
			sbuf_set(last, sbuf_cstr(&res->text), res->text.len);
	}
	remote_tls_done(&tls);
	bio_free(&b);
	close(tls.fd);
	sbuf_free(&host_text);
	sbuf_free(&info);
	sbuf_free(&err);
	return res->outcome;
}

static void deliver(struct delivery *d)
{
	struct sbuf last = SBUF_INIT;
	for (size_t i = 0; i < d->plan.n; i++) {
		const struct remote_target *t = &d->plan.v[i];
		if (tcpto_check(d->tcpto_path, t->addr.family == AF_INET6 ? 6 : 4, t->addr.ip,
				time(NULL)) == 1) {
			sbuf_set_str(&last, "Recent connection failures; backing off.");
			continue;
		}
		for (int pass = 0; pass < 2; pass++) {
			struct smtp_result res;
			smtp_result_init(&res, d->n_rcpt);
			if (attempt(d, t, pass == 1, &res, &last) != SMTP_NEXT_HOST)
				report(&res);
			bool retry_plain = res.is_tls_failure;
			smtp_result_free(&res);
			if (!retry_plain)
				break;
		}
	}
	struct sbuf text = SBUF_INIT;
	sbuf_printf(&text, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) %s",
		    sbuf_cstr(&last));
	finish('Z', text.s);
}

static void read_message(struct delivery *d)
{
	if (fd_read_all(0, &d->msg, REMOTE_MSG_MAX) < 0)
		finish('Z', "Unable to read the message. (#4.3.0)");
	enum data_status st = data_encode_check(sbuf_cstr(&d->msg), d->msg.len, &d->has_8bit);
	if (st != DATA_OK)
		finish('Z', "The queued message has a bare CR or a NUL; not sending it. (#4.3.0)");
}

int main(int argc, char **argv)
{
	(void)proclimit_address_space(PROCESS_AS_LIMIT); /* D-07 */
	static struct delivery d;
	signal(SIGPIPE, SIG_IGN);
	alloc_set_fatal(alloc_died);
	/* Started by qmail-rspawn as a zygote (zygote.h): returns in each
	 * delivery's process, with its arguments in the environment. */
	zygote_serve();
	static const char *zargs[4];
	if (zygote_is_session()) {
		zargs[1] = getenv("QMAILREMOTE_HOST");
		zargs[2] = getenv("QMAILREMOTE_SENDER");
		zargs[3] = getenv("QMAILREMOTE_RCPT");
		if (!zargs[1] || !zargs[2] || !zargs[3])
			finish('Z', "qmail-rspawn sent an incomplete request. (#4.3.0)");
		argc = 4;
		argv = (char **)zargs;
	}
	if (argc < 4)
		finish('Z', "usage: qmail-remote host sender recipient... (#4.3.0)");
	d.domain = argv[1];
	d.sender = argv[2];
	d.rcpts = (const char *const *)argv + 3;
	d.n_rcpt = (size_t)argc - 3;
	d.tcpto_path = instance_path("queue/lock/tcpto");
	read_message(&d);
	struct sbuf text = SBUF_INIT;
	if (remote_conf_load(&d.conf, &text) < 0) {
		sbuf_append_str(&text, ". (#4.3.0)");
		finish('Z', text.s);
	}
	enum remote_status rs = remote_plan_make(&d.conf, d.domain, &d.plan, &text);
	if (rs != REMOTE_GO)
		finish(rs == REMOTE_FAIL ? 'D' : 'Z', text.s);
	deliver(&d);
	return EXIT_TEMP;
}
