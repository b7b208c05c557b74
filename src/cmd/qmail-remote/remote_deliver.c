/*
 * remote_deliver.c: one delivery over the plan's addresses in order, and
 * the session kept afterwards for the next delivery to the same domain
 * (connection reuse, remote.h).
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"
#include "tcpto.h"

/* The one connection this process holds (at most one at a time). */
static struct remote_live {
	struct remote_tls tls;
	struct bio b;
	struct smtp_hooks h;
	struct smtp_job j;
	struct sbuf host_text;
	struct sbuf info;
	struct smtp_sess *sess;
	time_t opened;
	bool is_open;
} live;

static void job_session_fields(struct remote_delivery *d, const struct remote_target *t)
{
	struct smtp_job *j = &live.j;
	sbuf_clear(&live.host_text);
	remote_conn_describe(live.tls.fd, t, &live.host_text);
	memset(j, 0, sizeof *j);
	j->helo = sbuf_cstr(&d->conf.helo);
	j->host_text = live.host_text.s;
	const struct smtproute *r = &d->plan.route;
	if (d->plan.has_route && r->user[0]) {
		j->auth_user = r->user;
		j->auth_pass = r->pass;
		j->allow_plain_auth = r->allow_plain_auth;
	}
}

static void job_message_fields(const struct remote_delivery *d)
{
	struct smtp_job *j = &live.j;
	j->sender = d->sender;
	j->rcpts = d->rcpts;
	j->n_rcpt = d->n_rcpt;
	j->msg = sbuf_cstr(&d->msg);
	j->msg_len = d->msg.len;
	j->has_8bit = d->has_8bit;
}

void remote_live_close(void)
{
	if (!live.is_open)
		return;
	smtp_client_close(live.sess);
	live.sess = NULL;
	remote_tls_done(&live.tls);
	bio_free(&live.b);
	close(live.tls.fd);
	live.is_open = false;
}

/* Connects and opens a session to t; the outcome in res (NEXT_HOST: no
 * session). */
static void live_open(struct remote_delivery *d, const struct remote_target *t, bool tls_off,
                      struct smtp_result *res, struct sbuf *last)
{
	bool is_timeout;
	struct sbuf err = SBUF_INIT;
	remote_tls_policy(&live.tls, &d->conf, d->domain, t,
	                  d->plan.has_route ? &d->plan.route : NULL);
	sbuf_clear(last);
	live.tls.fd = remote_conn_open(&d->conf, t, d->domain, &is_timeout, last);
	/* The backoff table is advisory: a failure to update it is ignored.
	 * A local failure (-2, e.g. an unbindable bindroutes address) is not
	 * the remote host's. */
	if (live.tls.fd != -2)
		(void)tcpto_note(d->tcpto_path, t->addr.family == AF_INET6 ? 6 : 4, t->addr.ip,
		                 live.tls.fd < 0, time(NULL));
	if (live.tls.fd < 0)
		return;
	live.is_open = true;
	live.opened = time(NULL);
	job_session_fields(d, t);
	job_message_fields(d);
	live.j.tls = tls_off ? SMTP_TLS_OFF : live.tls.mode;
	bio_init(&live.b, live.tls.fd, live.tls.fd);
	bio_set_timeout(&live.b, d->conf.timeout_remote * 1000u);
	live.h = (struct smtp_hooks){ remote_tls_starttls, &live.tls };
	bool is_smtps = t->port == REMOTE_PORT_SMTPS;
	sbuf_clear(&live.info);
	if (is_smtps && remote_tls_starttls(&live.tls, &live.b, &live.info, &err) < 0) {
		sbuf_printf(last, "%s TLS failed: %s.", live.host_text.s, sbuf_cstr(&err));
		res->outcome = SMTP_NEXT_HOST;
	} else {
		live.j.is_tls_active = is_smtps;
		live.j.tls_info = sbuf_cstr(&live.info);
		live.sess = smtp_client_open(&live.b, &live.j, &live.h, res);
		if (res->outcome == SMTP_NEXT_HOST)
			sbuf_set(last, sbuf_cstr(&res->text), res->text.len);
	}
	sbuf_free(&err);
	if (!live.sess)
		remote_live_close();
}

/* One attempt at one address; SMTP_NEXT_HOST means try the next. */
static enum smtp_outcome attempt(struct remote_delivery *d, const struct remote_target *t,
                                 bool tls_off, struct smtp_result *res, struct sbuf *last)
{
	live_open(d, t, tls_off, res, last);
	if (!live.sess)
		return res->outcome;
	smtp_client_send(live.sess, &live.j, res);
	return res->outcome;
}

bool remote_deliver(struct remote_delivery *d, struct smtp_result *res)
{
	struct sbuf last = SBUF_INIT;
	remote_live_close();
	for (size_t i = 0; i < d->plan.n; i++) {
		const struct remote_target *t = &d->plan.v[i];
		if (tcpto_check(d->tcpto_path, t->addr.family == AF_INET6 ? 6 : 4, t->addr.ip,
		                time(NULL)) == 1) {
			sbuf_set_str(&last, "Recent connection failures; backing off.");
			continue;
		}
		for (int pass = 0; pass < 2; pass++) {
			smtp_result_init(res, d->n_rcpt);
			if (attempt(d, t, pass == 1, res, &last) != SMTP_NEXT_HOST) {
				sbuf_free(&last);
				return true;
			}
			bool retry_plain = res->is_tls_failure;
			smtp_result_free(res);
			if (!retry_plain)
				break;
		}
	}
	smtp_result_init(res, d->n_rcpt);
	res->outcome = SMTP_TEMP;
	sbuf_printf(&res->text, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) %s",
	            sbuf_cstr(&last));
	sbuf_free(&last);
	return false;
}

bool remote_deliver_again(struct remote_delivery *d, struct smtp_result *res)
{
	if (!live.is_open)
		return false;
	job_message_fields(d);
	smtp_result_init(res, d->n_rcpt);
	smtp_client_send(live.sess, &live.j, res);
	if (!res->is_stale)
		return true;
	smtp_result_free(res);
	remote_live_close();
	return false;
}

int remote_live_fd(void)
{
	return live.is_open ? live.tls.fd : -1;
}

bool remote_live_keep(unsigned max_age_secs)
{
	if (!live.is_open)
		return false;
	if (time(NULL) - live.opened < (time_t)max_age_secs && bio_buffered(&live.b) == 0 &&
	    smtp_client_reusable(live.sess))
		return true;
	remote_live_close();
	return false;
}
