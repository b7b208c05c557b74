/*
 * smtpd_session.c: the SMTP command loop and its verb table
 * (see smtpd_session.h).  DATA lives in smtpd_data.c, RCPT checks in
 * smtpd_rcpt.c.
 */
#include "smtpd_session.h"

#include "proto_limits.h"
#include "scan.h"
#include "smtp_cmd.h"
#include "smtpd_rcpt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * D-13: by default the check for early talkers costs nothing (a zero-timeout
 * poll just before the greeting); GREETDELAY (seconds, as in the qmail
 * greetdelay patches) makes the server wait and so catch more of them.
 */
#define GREET_DELAY_MAX_S 60

typedef void (*verb_fn)(struct smtpd_session *s, const struct smtp_cmd *cmd);

struct verb_entry {
	enum smtp_verb verb;
	verb_fn handler;
	unsigned states;     /* enum smtpd_state bits where it is allowed */
	const char *refused; /* reply in any other state */
	bool ends_group;     /* RFC 2920 3.1: nothing may follow it (D-13) */
};

void smtpd_reply(struct smtpd_session *s, const char *line)
{
	bio_puts(&s->bio, line);
	bio_puts(&s->bio, "\r\n");
}

void smtpd_reset_transaction(struct smtpd_session *s)
{
	sbuf_clear(&s->sender);
	strlist_free(&s->rcpts);
	sbuf_clear(&s->add_headers);
	if (s->state & (SMTPD_MAIL | SMTPD_RCPT))
		s->state = SMTPD_READY;
}

enum smtpd_verdict smtpd_run_hooks(struct smtpd_session *s, enum smtpd_hook_point pt,
                                   const char *arg, struct sbuf *reply)
{
	sbuf_clear(reply);
	for (size_t i = 0; i < s->n_hooks; i++) {
		if (s->hooks[i].point != pt)
			continue;
		enum smtpd_verdict v = s->hooks[i].fn(s, arg, reply);
		if (v == SMTPD_ACCEPT) {
			sbuf_clear(reply);
			continue;
		}
		if (reply->len == 0)
			sbuf_set_str(reply, v == SMTPD_REJECT ? "554 5.7.1 rejected by policy"
			                                      : "451 4.7.1 try again later");
		return v;
	}
	return SMTPD_ACCEPT;
}

/* Runs the hooks for pt; on refusal answers and returns false. */
static bool hooks_allow(struct smtpd_session *s, enum smtpd_hook_point pt, const char *arg)
{
	struct sbuf reply = SBUF_INIT;
	enum smtpd_verdict v = smtpd_run_hooks(s, pt, arg, &reply);
	if (v != SMTPD_ACCEPT) {
		smtpd_reply(s, reply.s);
		log_kv(LOG_LEVEL_INFO, "hook", "session", s->id, "reply", reply.s, (char *)NULL);
	}
	sbuf_free(&reply);
	return v == SMTPD_ACCEPT;
}

static void do_helo_common(struct smtpd_session *s, const struct smtp_cmd *cmd, bool esmtp)
{
	if (cmd->arg_len == 0) {
		smtpd_reply(s, esmtp ? "501 5.5.4 syntax: EHLO hostname"
		                     : "501 5.5.4 syntax: HELO hostname");
		return;
	}
	struct sbuf name = SBUF_INIT;
	sbuf_set(&name, cmd->arg, cmd->arg_len);
	if (!hooks_allow(s, SMTPD_HOOK_HELO, name.s)) {
		sbuf_free(&name);
		return;
	}
	sbuf_free(&s->helo);
	s->helo = name;
	s->is_esmtp = esmtp;
	smtpd_reset_transaction(s);
	s->state = SMTPD_READY;
	log_kv(LOG_LEVEL_INFO, "helo", "session", s->id, "helo", s->helo.s, "esmtp",
	       esmtp ? "yes" : "no", (char *)NULL);
}

static void do_helo(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	do_helo_common(s, cmd, false);
	if (s->state == SMTPD_READY && !s->is_esmtp) {
		bio_puts(&s->bio, "250 ");
		smtpd_reply(s, sbuf_cstr(&s->cfg->me));
	}
}

/* EHLO keywords (RFC 5321 4.1.1.1). */
static bool when_starttls(const struct smtpd_session *s)
{
	return s->tls_ctl >= 0 && !s->is_tls;
}

static bool auth_offered(const struct smtpd_session *s)
{
	return s->is_tls && s->auth_user.len == 0; /* D-10 */
}

/* The SIZE keyword's argument: the message size limit. */
static void size_limit(const struct smtpd_session *s, struct sbuf *r)
{
	sbuf_printf(r, " %llu", (unsigned long long)s->cfg->databytes);
}

/* The mechanisms SMTPAUTH adds to PLAIN and LOGIN. */
static void auth_mechs(const struct smtpd_session *s, struct sbuf *r)
{
	if (s->want_cram)
		sbuf_append_str(r, " CRAM-MD5");
	if (s->want_scram)
		sbuf_append_str(r, " SCRAM-SHA-256");
}

/* "when" limits a row to some sessions; "append" adds what depends on the
 * session to the keyword. */
struct ehlo_ext {
	const char *keyword;
	void (*append)(const struct smtpd_session *s, struct sbuf *r);
	bool (*when)(const struct smtpd_session *s);
};

static const struct ehlo_ext ehlo_exts[] = {
    {"PIPELINING", NULL, NULL},
    {"8BITMIME", NULL, NULL},
    {"SIZE", size_limit, NULL},
    {"ENHANCEDSTATUSCODES", NULL, NULL},
    {"STARTTLS", NULL, when_starttls},
    {"AUTH PLAIN LOGIN", auth_mechs, auth_offered},
};

static void do_ehlo(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	do_helo_common(s, cmd, true);
	if (s->state != SMTPD_READY || !s->is_esmtp)
		return;
	struct sbuf r = SBUF_INIT;
	sbuf_printf(&r, "250-%s", sbuf_cstr(&s->cfg->me));
	for (size_t i = 0; i < sizeof ehlo_exts / sizeof ehlo_exts[0]; i++) {
		if (ehlo_exts[i].when && !ehlo_exts[i].when(s))
			continue;
		smtpd_reply(s, r.s);
		sbuf_clear(&r);
		sbuf_printf(&r, "250-%s", ehlo_exts[i].keyword);
		if (ehlo_exts[i].append)
			ehlo_exts[i].append(s, &r);
	}
	r.s[3] = ' ';
	smtpd_reply(s, r.s);
	sbuf_free(&r);
}

static void do_mail(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_mail_args a = {SBUF_INIT, false, 0, SMTP_BODY_NONE};
	enum smtp_arg_status st =
	    smtp_cmd_parse_mail(cmd->arg, cmd->arg_len, sbuf_cstr(&s->cfg->defaultdomain), &a);
	if (st != SMTP_ARG_OK) {
		smtpd_reply(s, smtp_arg_reply(st, false));
	} else if (a.has_size && a.size > s->cfg->databytes) {
		smtpd_reply(s, "552 5.3.4 message size exceeds fixed maximum message size");
	} else if (smtpd_auth_mail_check(s, sbuf_cstr(&a.sender)) != NULL) {
		smtpd_reply(s, smtpd_auth_mail_check(s, sbuf_cstr(&a.sender)));
	} else if (smtpd_config_is_badmailfrom(s->cfg, sbuf_cstr(&a.sender))) {
		smtpd_reply(s, "553 5.7.1 sorry, your envelope sender is in my badmailfrom list");
		log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "sender", sbuf_cstr(&a.sender),
		       "reason", "badmailfrom", (char *)NULL);
	} else if (hooks_allow(s, SMTPD_HOOK_MAIL, sbuf_cstr(&a.sender))) {
		sbuf_set(&s->sender, a.sender.s, a.sender.len);
		s->state = SMTPD_MAIL;
		smtpd_reply(s, "250 2.1.0 ok");
	}
	smtp_mail_args_free(&a);
}

static void do_rcpt(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_rcpt_handle(s, cmd->arg, cmd->arg_len);
}

static void do_rset(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_reset_transaction(s);
	smtpd_reply(s, "250 2.0.0 ok");
}

static void do_noop(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_reply(s, "250 2.0.0 ok");
}

static void do_quit(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	bio_puts(&s->bio, "221 2.0.0 ");
	bio_puts(&s->bio, sbuf_cstr(&s->cfg->me));
	smtpd_reply(s, " closing connection");
	s->want_close = true;
}

static void do_vrfy(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_reply(s, "252 2.1.5 send some mail, I will try my best");
}

static void do_expn(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_reply(s, "502 5.5.1 EXPN not available");
}

static void do_help(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtpd_reply(s, "214-2.0.0 qmail-ng commands:");
	smtpd_reply(s, "214-2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
	smtpd_reply(s, "214 2.0.0 end of HELP");
}

static void do_starttls(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_tls_starttls(s, cmd->arg, cmd->arg_len);
}

static void do_auth(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	smtpd_auth_handle(s, cmd->arg, cmd->arg_len);
}

static void do_data(struct smtpd_session *s, const struct smtp_cmd *cmd)
{
	if (cmd->arg_len != 0) {
		smtpd_reply(s, "501 5.5.4 syntax: DATA takes no argument");
		return;
	}
	smtpd_data_handle(s);
}

#define ANY (SMTPD_START | SMTPD_READY | SMTPD_MAIL | SMTPD_RCPT)

static const struct verb_entry verbs[] = {
    {SMTP_VERB_HELO, do_helo, ANY, NULL, false},
    {SMTP_VERB_EHLO, do_ehlo, ANY, NULL, false},
    {SMTP_VERB_MAIL, do_mail, SMTPD_READY, "503 5.5.1 send HELO/EHLO first, or MAIL already given",
     false},
    {SMTP_VERB_RCPT, do_rcpt, SMTPD_MAIL | SMTPD_RCPT, "503 5.5.1 need MAIL before RCPT", false},
    {SMTP_VERB_DATA, do_data, SMTPD_RCPT, "503 5.5.1 need MAIL and RCPT before DATA", true},
    {SMTP_VERB_RSET, do_rset, ANY, NULL, false},
    {SMTP_VERB_NOOP, do_noop, ANY, NULL, false},
    {SMTP_VERB_QUIT, do_quit, ANY, NULL, false},
    {SMTP_VERB_VRFY, do_vrfy, ANY, NULL, false},
    {SMTP_VERB_EXPN, do_expn, ANY, NULL, false},
    {SMTP_VERB_HELP, do_help, ANY, NULL, false},
    {SMTP_VERB_STARTTLS, do_starttls, ANY, NULL, false},
    {SMTP_VERB_AUTH, do_auth, ANY, NULL, false},
};

static void dispatch(struct smtpd_session *s, const char *line, size_t len)
{
	struct smtp_cmd cmd;
	enum smtp_cmd_status st = smtp_cmd_parse(line, len, &cmd);
	if (st != SMTP_CMD_OK) {
		smtpd_reply(s, smtp_cmd_reply(st));
		return;
	}
	if (s->connect_reply.len > 0 && cmd.verb != SMTP_VERB_QUIT) {
		smtpd_reply(s, s->connect_reply.s);
		return;
	}
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (verbs[i].verb != cmd.verb)
			continue;
		if (verbs[i].ends_group && s->want_sync_check && bio_buffered(&s->bio) > 0) {
			/* D-13: checked even when the verb is refused, so that a
			 * pipelined message body is never read as commands. */
			smtpd_reply(s,
			            "554 5.5.0 protocol synchronization error (input after DATA)");
			log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "reason", "pipelining",
			       (char *)NULL);
			s->want_close = true;
		} else if (verbs[i].states & s->state)
			verbs[i].handler(s, &cmd);
		else
			smtpd_reply(s, verbs[i].refused);
		return;
	}
	smtpd_reply(s, smtp_cmd_reply(SMTP_CMD_UNKNOWN));
}

static unsigned greet_delay_ms(void)
{
	const char *v = getenv("GREETDELAY");
	uint64_t secs;
	if (!v || !scan_u64_str(v, GREET_DELAY_MAX_S, &secs))
		return 0;
	return (unsigned)secs * 1000u;
}

void smtpd_session_init(struct smtpd_session *s, struct smtpd_config *cfg, int rfd, int wfd)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	bio_init(&s->bio, rfd, wfd);
	bio_set_timeout(&s->bio, cfg->timeout_s * 1000u);
	s->state = SMTPD_START;
	s->greet_wait_ms = greet_delay_ms();
	struct stat st;
	s->want_sync_check = fstat(rfd, &st) == 0 && S_ISSOCK(st.st_mode);
	log_session_id(s->id);
	smtpd_tls_init(s);
	smtpd_auth_init(s);
}

void smtpd_session_set_hooks(struct smtpd_session *s, const struct smtpd_hook *hooks, size_t n)
{
	s->hooks = hooks;
	s->n_hooks = hooks ? n : 0;
}

void smtpd_session_free(struct smtpd_session *s)
{
	bio_free(&s->bio);
	sbuf_free(&s->line);
	sbuf_free(&s->helo);
	sbuf_free(&s->sender);
	strlist_free(&s->rcpts);
	sbuf_free(&s->connect_reply);
	sbuf_free(&s->auth_user);
	sbuf_free(&s->add_headers);
}

/* D-13: a client that talks before our greeting is not speaking SMTP. */
static bool greet(struct smtpd_session *s)
{
	if (s->want_sync_check && bio_input_ready(&s->bio, s->greet_wait_ms) != 0) {
		smtpd_reply(s, "554 5.5.0 protocol synchronization error (talked before greeting)");
		log_kv(LOG_LEVEL_INFO, "reject", "session", s->id, "reason", "early-talker",
		       (char *)NULL);
		return false;
	}
	struct sbuf reply = SBUF_INIT;
	if (smtpd_run_hooks(s, SMTPD_HOOK_CONNECT, "", &reply) != SMTPD_ACCEPT)
		sbuf_set(&s->connect_reply, reply.s, reply.len);
	sbuf_free(&reply);
	bio_puts(&s->bio, "220 ");
	bio_puts(&s->bio, sbuf_cstr(&s->cfg->greeting));
	smtpd_reply(s, " ESMTP");
	return true;
}

/* Reads and answers one command line; false when the session is over. */
static bool one_command(struct smtpd_session *s)
{
	enum bio_line how;
	if (bio_buffered(&s->bio) == 0 && bio_flush(&s->bio) != BIO_OK)
		return false;
	int r = bio_read_line(&s->bio, SMTP_LINE_MAX, &s->line, &how);
	if (r == BIO_TIMEOUT || r == BIO_TOO_SLOW) {
		smtpd_reply(s, "421 4.4.2 timeout, closing connection");
		log_kv(LOG_LEVEL_INFO, "timeout", "session", s->id, (char *)NULL);
		return false;
	}
	if (r != BIO_OK || how == BIO_LINE_PARTIAL)
		return false;
	if (how == BIO_LINE_TOO_LONG)
		smtpd_reply(s, "500 5.5.2 line too long"); /* D-06 */
	else
		dispatch(s, s->line.s, s->line.len);
	return !s->want_close;
}

int smtpd_session_run(struct smtpd_session *s)
{
	log_kv(LOG_LEVEL_INFO, "connect", "session", s->id, "ip", sbuf_cstr(&s->cfg->remote_ip),
	       "host", sbuf_cstr(&s->cfg->remote_host), (char *)NULL);
	if (smtpd_tls_implicit_wait(s) && greet(s)) {
		while (one_command(s))
			;
	}
	bio_flush(&s->bio);
	struct sbuf n = SBUF_INIT;
	sbuf_append_ulong(&n, s->n_messages);
	log_kv(LOG_LEVEL_INFO, "close", "session", s->id, "ip", sbuf_cstr(&s->cfg->remote_ip),
	       "messages", n.s, (char *)NULL);
	sbuf_free(&n);
	return 0;
}
