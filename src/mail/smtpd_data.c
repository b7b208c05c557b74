/*
 * smtpd_data.c: DATA for qmail-smtpd (see smtpd_session.h, smtp_data.h).
 *
 * Order (after the session's D-13 check that nothing followed DATA in its
 * pipelined group): DATA hooks, start qmail-queue, 354, the Received field, then the body
 * through the DATA state machine straight into qmail-queue.  250 is sent
 * only after qmail-queue exited 0 (POLICY promise 1).
 */
#include "smtpd_session.h"

#include "exitcode.h"
#include "proto_limits.h"
#include "qqueue.h"
#include "datefmt.h"
#include "received.h"
#include "smtp_data.h"

#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * RFC 3848 names the protocol; the TLS version and cipher and the
 * authenticated user go into a comment before the ";" that ends the
 * tokens (RFC 5322 3.6.7 allows CFWS there).  All three are restricted
 * to safe characters (tlsctl.h, smtpd_auth.c).
 */
static void add_tls_comment(const struct smtpd_session *s, struct sbuf *r)
{
	char *semi = r->len ? strrchr(r->s, ';') : NULL;
	if (!semi || (!s->is_tls && s->auth_user.len == 0))
		return;
	struct sbuf c = SBUF_INIT, tail = SBUF_INIT;
	sbuf_append_str(&c, "\n\t(");
	if (s->is_tls)
		sbuf_printf(&c, "version=%s cipher=%s", s->tls.version, s->tls.cipher);
	if (s->auth_user.len > 0)
		sbuf_printf(&c, "%sauth=%s", s->is_tls ? " " : "", s->auth_user.s);
	sbuf_append_str(&c, ")");
	sbuf_append_str(&tail, semi);
	sbuf_truncate(r, (size_t)(semi - r->s));
	sbuf_append(r, c.s, c.len);
	sbuf_append(r, tail.s, tail.len);
	sbuf_free(&c);
	sbuf_free(&tail);
}

static void add_received(struct smtpd_session *s, struct qqueue *q, const char *msgid)
{
	struct sbuf r = SBUF_INIT;
	struct received_info ri = {
	    .helo = sbuf_cstr(&s->helo),
	    .remote_host = sbuf_cstr(&s->cfg->remote_host),
	    .remote_ip = sbuf_cstr(&s->cfg->remote_ip),
	    .me = sbuf_cstr(&s->cfg->me),
	    .protocol = smtpd_auth_protocol(s),
	    .id = msgid,
	    .when = time(NULL),
	};
	received_format(&ri, &r);
	add_tls_comment(s, &r);
	qqueue_write(q, r.s, r.len);
	sbuf_free(&r);
}

/* Does the header text (LF lines) have a field named name (lower case)? */
static bool has_field(const struct sbuf *head, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < head->len;) {
		const char *line = head->s + i;
		const char *nl = memchr(line, '\n', head->len - i);
		size_t len = nl ? (size_t)(nl - line) : head->len - i;
		if (len == 0)
			return false; /* end of the header section */
		size_t k = n;
		if (len > n && strncasecmp(line, name, n) == 0) {
			while (k < len && (line[k] == ' ' || line[k] == '\t'))
				k++;
			if (k < len && line[k] == ':')
				return true;
		}
		i += len + 1;
	}
	return false;
}

/*
 * Submission (RFC 6409 8.2, 8.3; what ofmipd did): a message without a
 * Date or Message-ID field gets one, in front of its own header fields.
 */
static void submission_fields(struct smtpd_session *s, struct qqueue *q, const struct sbuf *head)
{
	char date[DATEFMT_MAX];
	struct sbuf add = SBUF_INIT;
	time_t now = time(NULL);
	if (!has_field(head, "date")) {
		datefmt_rfc5322(date, now);
		sbuf_printf(&add, "Date: %s\n", date);
	}
	if (!has_field(head, "message-id"))
		sbuf_printf(&add, "Message-ID: <%lld.%s.%llu@%s>\n", (long long)now, s->id,
		            (unsigned long long)s->n_messages, sbuf_cstr(&s->cfg->me));
	if (add.len > 0)
		qqueue_write(q, add.s, add.len);
	sbuf_free(&add);
}

/* Submission holds the header section back until it is complete. */
static void deliver_out(struct smtpd_session *s, struct smtp_data *d, struct qqueue *q,
                        struct sbuf *out, struct sbuf *head, bool *holding)
{
	if (!*holding) {
		if (out->len > 0)
			qqueue_write(q, out->s, out->len);
		return;
	}
	sbuf_append(head, out->s, out->len);
	if (d->in_header && d->state != SD_DONE && d->state != SD_FATAL)
		return;
	*holding = false;
	if (d->state == SD_FATAL || d->error != SD_ERR_NONE)
		return;
	submission_fields(s, q, head);
	qqueue_write(q, head->s, head->len);
}

/* Feeds input to the machine until it is done or failed; returns the
 * bio result of the last read (BIO_OK when the machine finished). */
static int pump(struct smtpd_session *s, struct smtp_data *d, struct qqueue *q)
{
	struct sbuf out = SBUF_INIT, head = SBUF_INIT;
	bool holding = s->is_submission;
	int r = BIO_OK;
	while (d->state != SD_DONE && d->state != SD_FATAL) {
		char first;
		size_t got;
		if (s->bio.in_pos == s->bio.in_len) {
			r = bio_read(&s->bio, &first, 1, &got);
			if (r != BIO_OK)
				break;
			smtp_data_feed(d, &first, 1, &out);
		}
		/* The rest of what is buffered, in place; leftovers stay there. */
		size_t avail = s->bio.in_len - s->bio.in_pos;
		s->bio.in_pos += smtp_data_feed(d, s->bio.in + s->bio.in_pos, avail, &out);
		deliver_out(s, d, q, &out, &head, &holding);
		sbuf_clear(&out);
	}
	sbuf_free(&out);
	sbuf_free(&head);
	return r;
}

static void finish(struct smtpd_session *s, struct smtp_data *d, struct qqueue *q,
                   const char *msgid)
{
	struct sbuf reply = SBUF_INIT;
	const char *result;
	if (d->error != SD_ERR_NONE) {
		qqueue_abort(q);
		sbuf_set_str(&reply, smtp_data_reply(d));
		result = "rejected";
	} else {
		int code = qqueue_finish(q, sbuf_cstr(&s->sender), &s->rcpts);
		if (code == QQ_OK) {
			sbuf_printf(&reply, "250 2.0.0 ok %s", msgid);
			s->n_messages++;
			result = "queued";
		} else if (q->reply.kind != QQERR_NONE) {
			qqerr_format_reply(&q->reply, &reply); /* qmail-queue-custom-error */
			result = q->reply.kind == QQERR_PERM ? "qq-custom-permanent"
			                                     : "qq-custom-temporary";
		} else if (queue_exit_is_permanent(code)) {
			sbuf_printf(&reply, "554 5.3.0 %s", qqueue_strerror(code));
			result = "qq-permanent";
		} else {
			sbuf_printf(&reply, "451 4.3.0 %s", qqueue_strerror(code));
			result = "qq-temporary";
		}
	}
	smtpd_reply(s, reply.s);
	struct sbuf n = SBUF_INIT, bytes = SBUF_INIT;
	sbuf_append_ulong(&n, s->rcpts.n);
	sbuf_append_ulong(&bytes, d->stored);
	log_kv(LOG_LEVEL_INFO, "message", "session", s->id, "id", msgid, "sender",
	       sbuf_cstr(&s->sender), "rcpts", n.s, "bytes", bytes.s, "result", result, "reply",
	       reply.s, (char *)NULL);
	sbuf_free(&n);
	sbuf_free(&bytes);
	sbuf_free(&reply);
}

static void transfer(struct smtpd_session *s, struct qqueue *q, const char *msgid)
{
	struct smtp_data d;
	smtp_data_init(&d, s->cfg->databytes);
	if (s->add_headers.len > 0)
		qqueue_write(q, s->add_headers.s, s->add_headers.len);
	add_received(s, q, msgid);
	bio_rate_start(&s->bio, SMTP_DATA_MIN_RATE, SMTP_DATA_GRACE); /* D-20 */
	int r = pump(s, &d, q);
	bio_rate_stop(&s->bio);
	if (r != BIO_OK) {
		qqueue_abort(q);
		if (r == BIO_TIMEOUT || r == BIO_TOO_SLOW)
			smtpd_reply(s, "421 4.4.2 timeout in DATA, closing connection");
		log_kv(LOG_LEVEL_INFO, "message", "session", s->id, "id", msgid, "result",
		       r == BIO_EOF ? "eof" : "timeout", (char *)NULL);
		s->want_close = true;
	} else if (d.state == SD_FATAL) {
		qqueue_abort(q);
		smtpd_reply(s, smtp_data_reply(&d)); /* D-01, D-02 */
		log_kv(LOG_LEVEL_INFO, "message", "session", s->id, "id", msgid, "result",
		       "bare-cr-lf", (char *)NULL);
		s->want_close = true;
	} else {
		finish(s, &d, q, msgid);
	}
}

void smtpd_data_handle(struct smtpd_session *s)
{
	struct qqueue q;
	struct sbuf msgid = SBUF_INIT;
	struct sbuf hook_reply = SBUF_INIT;
	if (smtpd_run_hooks(s, SMTPD_HOOK_DATA, "", &hook_reply) != SMTPD_ACCEPT) {
		smtpd_reply(s, hook_reply.s);
		sbuf_free(&hook_reply);
		return;
	}
	sbuf_free(&hook_reply);
	if (qqueue_start(&q) < 0) {
		smtpd_reply(s, "451 4.3.0 unable to start qmail-queue");
		log_kv(LOG_LEVEL_ERROR, "qqueue", "session", s->id, "error", "start failed",
		       (char *)NULL);
		return;
	}
	sbuf_printf(&msgid, "%s.%llu", s->id, (unsigned long long)s->n_messages + 1);
	smtpd_reply(s, "354 go ahead, end with <CRLF>.<CRLF>");
	if (bio_flush(&s->bio) != BIO_OK) {
		qqueue_abort(&q);
		s->want_close = true;
	} else {
		transfer(s, &q, msgid.s);
	}
	sbuf_free(&msgid);
	smtpd_reset_transaction(s);
}
