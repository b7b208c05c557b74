#include "smtp_client.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "data_encode.h"
#include "scan.h"
#include "smtp_client_int.h"

#define QUIT_TIMEOUT_MS 5000u

void smtp_result_init(struct smtp_result *r, size_t n_rcpt)
{
	memset(r, 0, sizeof *r);
	r->outcome = SMTP_NEXT_HOST;
	r->n_rcpt = n_rcpt;
	r->rcpt_status = xcalloc(n_rcpt ? n_rcpt : 1, 1);
	r->rcpt_text = xcalloc(n_rcpt ? n_rcpt : 1, sizeof *r->rcpt_text);
}

void smtp_result_free(struct smtp_result *r)
{
	for (size_t i = 0; i < r->n_rcpt; i++)
		sbuf_free(&r->rcpt_text[i]);
	free(r->rcpt_text);
	free(r->rcpt_status);
	sbuf_free(&r->text);
	sbuf_free(&r->tls_info);
	memset(r, 0, sizeof *r);
}

/* Sets the message outcome; with the last reply when has_reply. */
void smtp_client_fail(struct smtp_sess *s, enum smtp_outcome o, const char *what, bool has_reply)
{
	struct smtp_result *r = s->res;
	r->outcome = o;
	sbuf_clear(&r->text);
	sbuf_printf(&r->text, "%s %s", s->job->host_text, what);
	if (has_reply)
		sbuf_printf(&r->text, " Remote host said: %d %s", s->rep.code,
			    sbuf_cstr(&s->rep.text));
}

static const char *bio_error_text(int rc)
{
	switch (rc) {
	case BIO_EOF: return "closed the connection.";
	case BIO_TIMEOUT: return "timed out.";
	default: return "connection failed.";
	}
}

/* Reads one reply; its code, or -1 (text set, outcome o). */
int smtp_client_reply(struct smtp_sess *s, enum smtp_outcome o)
{
	smtp_reply_reset(&s->rep);
	for (;;) {
		enum bio_line how;
		int rc = bio_read_line(s->b, SMTP_REPLY_LINE_MAX, &s->line, &how);
		if (rc != BIO_OK) {
			s->is_dead = true;
			smtp_client_fail(s, o, bio_error_text(rc), false);
			return -1;
		}
		enum smtp_reply_status st = how == BIO_LINE_TOO_LONG || how == BIO_LINE_PARTIAL
			? REPLY_BAD : smtp_reply_feed(&s->rep, s->line.s, s->line.len);
		if (st == REPLY_BAD) {
			s->is_dead = true;
			smtp_client_fail(s, o, "sent a malformed reply.", false);
			return -1;
		}
		if (st == REPLY_DONE) {
			s->has_replied = true;
			if (s->rep.code == 421)
				s->is_dead = true; /* the peer is closing */
			return s->rep.code;
		}
	}
}

/* Queues a command line (CRLF added); flushed by smtp_client_flush. */
void smtp_client_put(struct smtp_sess *s, const char *cmd)
{
	if (bio_puts(s->b, cmd) != BIO_OK || bio_put(s->b, "\r\n", 2) != BIO_OK)
		s->is_write_failed = true;
}

bool smtp_client_flush(struct smtp_sess *s, enum smtp_outcome o)
{
	if (!s->is_write_failed && bio_flush(s->b) == BIO_OK)
		return true;
	s->is_write_failed = s->is_dead = true;
	smtp_client_fail(s, o, "connection failed while sending.", false);
	return false;
}

/* One command and its reply; code or -1. */
int smtp_client_cmd(struct smtp_sess *s, const char *cmd, enum smtp_outcome o)
{
	smtp_client_put(s, cmd);
	if (!smtp_client_flush(s, o))
		return -1;
	return smtp_client_reply(s, o);
}

static void read_extensions(struct smtp_sess *s)
{
	const char *args;
	s->has_pipelining = smtp_reply_has_keyword(&s->rep, "PIPELINING", NULL);
	s->has_8bitmime = smtp_reply_has_keyword(&s->rep, "8BITMIME", NULL);
	s->has_starttls = smtp_reply_has_keyword(&s->rep, "STARTTLS", NULL);
	s->has_size = smtp_reply_has_keyword(&s->rep, "SIZE", &args);
	s->size_max = 0;
	if (s->has_size && !scan_u64_str(args, UINT64_MAX, &s->size_max))
		s->size_max = 0;
	sbuf_clear(&s->auth_mechs);
	if (smtp_reply_has_keyword(&s->rep, "AUTH", &args))
		sbuf_set_str(&s->auth_mechs, args);
}

/* EHLO, falling back to HELO; false when the session is over. */
static bool say_hello(struct smtp_sess *s)
{
	struct sbuf cmd = SBUF_INIT;
	sbuf_printf(&cmd, "EHLO %s", s->job->helo);
	int code = smtp_client_cmd(s, cmd.s, SMTP_NEXT_HOST);
	if (code >= 200 && code < 300) {
		s->is_esmtp = true;
		read_extensions(s);
	} else if (code > 0) {
		sbuf_clear(&cmd);
		sbuf_printf(&cmd, "HELO %s", s->job->helo);
		code = smtp_client_cmd(s, cmd.s, SMTP_NEXT_HOST);
		s->is_esmtp = false;
		s->has_pipelining = s->has_8bitmime = s->has_starttls = s->has_size = false;
		if (code > 0 && (code < 200 || code >= 300))
			smtp_client_fail(s, SMTP_NEXT_HOST, "rejected HELO.", true);
	}
	sbuf_free(&cmd);
	return code >= 200 && code < 300;
}

/* STARTTLS when wanted and offered; false when the session is over. */
static bool maybe_starttls(struct smtp_sess *s)
{
	const struct smtp_job *j = s->job;
	if (s->is_tls || j->tls == SMTP_TLS_OFF)
		return true;
	if (!s->has_starttls) {
		if (j->tls == SMTP_TLS_OPPORTUNISTIC)
			return true;
		smtp_client_fail(s, SMTP_NEXT_HOST, "does not offer STARTTLS, which is required.",
			       false);
		return false;
	}
	int code = smtp_client_cmd(s, "STARTTLS", SMTP_NEXT_HOST);
	if (code < 0)
		return false;
	if (code != 220) {
		if (j->tls == SMTP_TLS_OPPORTUNISTIC)
			return true;
		smtp_client_fail(s, SMTP_NEXT_HOST, "refused STARTTLS, which is required.", true);
		return false;
	}
	if (bio_buffered(s->b) > 0) {
		/* CVE-2011-0411 class: plaintext injected after the 220. */
		s->is_dead = true;
		smtp_client_fail(s, SMTP_NEXT_HOST, "sent data after its STARTTLS reply.", false);
		return false;
	}
	struct sbuf err = SBUF_INIT;
	if (!s->h->starttls || s->h->starttls(s->h->ctx, s->b, &s->tls_info, &err) < 0) {
		struct sbuf what = SBUF_INIT;
		sbuf_printf(&what, "TLS failed: %s.", err.len ? err.s : "no TLS support");
		smtp_client_fail(s, SMTP_NEXT_HOST, what.s, false);
		s->res->is_tls_failure = j->tls == SMTP_TLS_OPPORTUNISTIC;
		s->is_dead = true;
		sbuf_free(&what);
		sbuf_free(&err);
		return false;
	}
	sbuf_free(&err);
	s->is_tls = true;
	return say_hello(s);
}

static bool greet(struct smtp_sess *s)
{
	int code = smtp_client_reply(s, SMTP_NEXT_HOST);
	if (code < 0)
		return false;
	if (code != 220) {
		smtp_client_fail(s, SMTP_NEXT_HOST, "greeting failed.", true);
		return false;
	}
	return say_hello(s) && maybe_starttls(s);
}

/* Size of the wire form: CRLF line ends, dot-stuffing and a final line
 * end (an upper bound when the message already holds CRLF pairs). */
static uint64_t wire_size(const struct smtp_job *j)
{
	uint64_t n = j->msg_len;
	for (size_t i = 0; i < j->msg_len; i++) {
		if (j->msg[i] == '\n')
			n++;
		if (j->msg[i] == '.' && (i == 0 || j->msg[i - 1] == '\n'))
			n++;
	}
	if (j->msg_len && j->msg[j->msg_len - 1] != '\n')
		n += 2;
	return n;
}

static void sess_free(struct smtp_sess *s)
{
	smtp_reply_free(&s->rep);
	sbuf_free(&s->line);
	sbuf_free(&s->auth_mechs);
	sbuf_free(&s->tls_info);
	free(s);
}

struct smtp_sess *smtp_client_open(struct bio *b, const struct smtp_job *job,
                                   const struct smtp_hooks *h, struct smtp_result *res)
{
	struct smtp_sess *s = xcalloc(1, sizeof *s);
	s->b = b;
	s->job = job;
	s->h = h;
	s->res = res;
	s->is_tls = job->is_tls_active;
	smtp_reply_init(&s->rep);
	if (job->is_tls_active && job->tls_info)
		sbuf_set_str(&s->tls_info, job->tls_info);
	bool is_open = greet(s) && smtp_auth_run(s);
	sbuf_set(&res->tls_info, sbuf_cstr(&s->tls_info), s->tls_info.len);
	res->used_tls = s->is_tls;
	if (is_open)
		return s;
	smtp_txn_finish(s);
	smtp_client_close(s);
	return NULL;
}

void smtp_client_send(struct smtp_sess *s, const struct smtp_job *job, struct smtp_result *res)
{
	s->job = job;
	s->res = res;
	s->has_replied = false;
	s->n_txn++;
	sbuf_set(&res->tls_info, sbuf_cstr(&s->tls_info), s->tls_info.len);
	res->used_tls = s->is_tls;
	s->size = wire_size(job);
	if (s->has_size && s->size_max && s->size > s->size_max)
		smtp_client_fail(s, SMTP_PERM, "refuses messages this large (#5.3.4).", false);
	else
		smtp_txn_run(s);
	if (res->outcome == SMTP_NEXT_HOST) /* a transaction always has an outcome */
		smtp_client_fail(s, SMTP_TEMP, "ended the transaction without a result.", false);
	res->is_stale = s->n_txn > 1 && s->is_dead && !s->has_replied;
	s->needs_rset = res->outcome != SMTP_OK;
	smtp_txn_finish(s);
}

bool smtp_client_reusable(struct smtp_sess *s)
{
	if (s->is_dead || s->is_write_failed)
		return false;
	if (!s->needs_rset)
		return true;
	struct smtp_result scratch;
	smtp_result_init(&scratch, 0);
	s->res = &scratch;
	int code = smtp_client_cmd(s, "RSET", SMTP_TEMP);
	smtp_result_free(&scratch);
	s->res = NULL;
	s->needs_rset = !(code >= 200 && code < 300);
	return !s->needs_rset && !s->is_dead;
}

void smtp_client_close(struct smtp_sess *s)
{
	if (!s)
		return;
	if (!s->is_dead && !s->is_write_failed) {
		bio_set_timeout(s->b, QUIT_TIMEOUT_MS);
		smtp_client_put(s, "QUIT");
		if (bio_flush(s->b) == BIO_OK) {
			enum bio_line how;
			(void)bio_read_line(s->b, SMTP_REPLY_LINE_MAX, &s->line, &how);
		}
	}
	sess_free(s);
}

void smtp_client_run(struct bio *b, const struct smtp_job *job, const struct smtp_hooks *h,
                     struct smtp_result *res)
{
	struct smtp_sess *s = smtp_client_open(b, job, h, res);
	if (s) {
		smtp_client_send(s, job, res);
		smtp_client_close(s);
	}
}
