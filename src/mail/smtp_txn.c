/* MAIL, RCPT, DATA and QUIT for smtp_client.c (see smtp_client.h). */
#include <string.h>

#include "data_encode.h"
#include "smtp_client_int.h"

#define TXN_CHUNK 65536

static bool addr_ok(const char *a)
{
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p < 0x21 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

static void put_mail(struct smtp_sess *s)
{
	struct sbuf cmd = SBUF_INIT;
	sbuf_printf(&cmd, "MAIL FROM:<%s>", s->job->sender);
	if (s->has_size)
		sbuf_printf(&cmd, " SIZE=%llu", (unsigned long long)s->size);
	if (s->job->has_8bit && s->has_8bitmime)
		sbuf_append_str(&cmd, " BODY=8BITMIME");
	smtp_client_put(s, cmd.s);
	sbuf_free(&cmd);
}

static void put_rcpt(struct smtp_sess *s, size_t i)
{
	struct sbuf cmd = SBUF_INIT;
	sbuf_printf(&cmd, "RCPT TO:<%s>", s->job->rcpts[i]);
	smtp_client_put(s, cmd.s);
	sbuf_free(&cmd);
}

static enum smtp_outcome class_of(int code)
{
	return code >= 500 ? SMTP_PERM : SMTP_TEMP;
}

/* Reads the MAIL reply; false when the transaction is over. */
static bool mail_reply(struct smtp_sess *s)
{
	int code = smtp_client_reply(s, SMTP_TEMP);
	if (code < 0)
		return false;
	if (code >= 200 && code < 300)
		return true;
	smtp_client_fail(s, class_of(code), "does not like the sender.", true);
	return false;
}

/* Reads one RCPT reply; -1 dead, 1 accepted, 0 refused. */
static int rcpt_reply(struct smtp_sess *s, size_t i)
{
	struct smtp_result *r = s->res;
	int code = smtp_client_reply(s, SMTP_TEMP);
	if (code < 0)
		return -1;
	if (code >= 200 && code < 300) {
		r->rcpt_status[i] = 'a';
		return 1;
	}
	r->rcpt_status[i] = code >= 500 ? 'h' : 's';
	sbuf_printf(&r->rcpt_text[i], "%s does not like recipient. Remote host said: %d %s",
		    s->job->host_text, code, sbuf_cstr(&s->rep.text));
	return 0;
}

/* Sends the encoded body and the final dot; false on failure (set). */
static bool send_body(struct smtp_sess *s)
{
	struct data_encoder e;
	struct sbuf out = SBUF_INIT;
	enum data_status st = DATA_OK;
	data_encode_init(&e);
	for (size_t pos = 0; pos < s->job->msg_len && st == DATA_OK; pos += TXN_CHUNK) {
		size_t n = s->job->msg_len - pos < TXN_CHUNK ? s->job->msg_len - pos : TXN_CHUNK;
		sbuf_clear(&out);
		st = data_encode_chunk(&e, s->job->msg + pos, n, &out);
		if (st == DATA_OK && bio_put(s->b, out.s, out.len) != BIO_OK)
			s->is_write_failed = true;
	}
	sbuf_clear(&out);
	if (st == DATA_OK)
		st = data_encode_finish(&e, &out);
	if (st != DATA_OK) {
		/* Never the final dot after a broken stream (D-17): drop the
		 * connection so the peer discards what it got. */
		s->is_dead = true;
		sbuf_free(&out);
		smtp_client_fail(s, SMTP_TEMP, "not sent: the message breaks the queue's line-ending invariant (#4.3.0).", false);
		return false;
	}
	if (bio_put(s->b, out.s, out.len) != BIO_OK)
		s->is_write_failed = true;
	sbuf_free(&out);
	return smtp_client_flush(s, SMTP_TEMP);
}

static void final_reply(struct smtp_sess *s)
{
	int code = smtp_client_reply(s, SMTP_TEMP);
	if (code < 0)
		return;
	if (code >= 200 && code < 300) {
		struct sbuf what = SBUF_INIT;
		sbuf_printf(&what, "accepted message. TLS: %s.",
			    s->is_tls ? sbuf_cstr(&s->res->tls_info) : "none");
		smtp_client_fail(s, SMTP_OK, what.s, true);
		sbuf_free(&what);
		return;
	}
	smtp_client_fail(s, class_of(code), "failed on DATA command.", true);
	if (code < 400)
		s->res->outcome = SMTP_TEMP;
}

/* The DATA step once recipients are known. */
static void data_phase(struct smtp_sess *s, size_t accepted, int data_code)
{
	if (accepted == 0) {
		if (data_code == 354) {
			smtp_client_put(s, ".");
			if (smtp_client_flush(s, SMTP_TEMP))
				(void)smtp_client_reply(s, SMTP_TEMP);
		}
		bool all_perm = true;
		for (size_t i = 0; i < s->job->n_rcpt; i++)
			all_perm = all_perm && s->res->rcpt_status[i] == 'h';
		smtp_client_fail(s, all_perm ? SMTP_PERM : SMTP_TEMP,
				 "accepted no recipient.", false);
		return;
	}
	if (data_code != 354) {
		smtp_client_fail(s, class_of(data_code), "failed on DATA command.", true);
		if (data_code < 400)
			s->res->outcome = SMTP_TEMP;
		return;
	}
	if (send_body(s))
		final_reply(s);
}

static bool check_addrs(struct smtp_sess *s)
{
	bool ok = addr_ok(s->job->sender);
	for (size_t i = 0; ok && i < s->job->n_rcpt; i++)
		ok = addr_ok(s->job->rcpts[i]);
	if (!ok)
		smtp_client_fail(s, SMTP_PERM, "not contacted: an address holds invalid characters (#5.1.3).", false);
	return ok;
}

void smtp_txn_run(struct smtp_sess *s)
{
	bool pipe = s->has_pipelining;
	size_t accepted = 0;
	if (!check_addrs(s))
		return;
	put_mail(s);
	if (!pipe && (!smtp_client_flush(s, SMTP_TEMP) || !mail_reply(s)))
		return;
	for (size_t i = 0; i < s->job->n_rcpt; i++) {
		put_rcpt(s, i);
		if (pipe)
			continue;
		int rc = smtp_client_flush(s, SMTP_TEMP) ? rcpt_reply(s, i) : -1;
		if (rc < 0)
			return;
		accepted += (size_t)rc;
	}
	if (pipe) {
		smtp_client_put(s, "DATA");
		if (!smtp_client_flush(s, SMTP_TEMP) || !mail_reply(s))
			return;
		for (size_t i = 0; i < s->job->n_rcpt; i++) {
			int rc = rcpt_reply(s, i);
			if (rc < 0)
				return;
			accepted += (size_t)rc;
		}
		int code = smtp_client_reply(s, SMTP_TEMP);
		if (code > 0)
			data_phase(s, accepted, code);
		return;
	}
	int code = accepted ? smtp_client_cmd(s, "DATA", SMTP_TEMP) : 0;
	if (code >= 0)
		data_phase(s, accepted, code);
}

static char rcpt_char(enum smtp_outcome o)
{
	return o == SMTP_OK ? 'r' : o == SMTP_PERM ? 'h' : 's';
}

void smtp_txn_finish(struct smtp_sess *s)
{
	struct smtp_result *r = s->res;
	if (r->outcome != SMTP_NEXT_HOST) {
		for (size_t i = 0; i < r->n_rcpt; i++) {
			if (r->rcpt_status[i] == 'h' || r->rcpt_status[i] == 's')
				continue;
			r->rcpt_status[i] = rcpt_char(r->outcome);
			/* As in qmail: "r" carries no text; the message record does. */
			if (r->outcome != SMTP_OK)
				sbuf_set(&r->rcpt_text[i], sbuf_cstr(&r->text), r->text.len);
		}
	}
}
