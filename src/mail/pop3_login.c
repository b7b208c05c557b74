/* pop3_login.c: the POP3 AUTHORIZATION state (pop3_login.h). */
#include "pop3_login.h"

#include <string.h>
#include <strings.h>

#include "pop3_cmd.h"
#include "base64.h"

static const char capa_text[] = "+OK capability list follows\r\n"
                                "TOP\r\n"
                                "UIDL\r\n"
                                "USER\r\n"
                                "SASL PLAIN\r\n"
                                "RESP-CODES\r\n"
                                "AUTH-RESP-CODE\r\n"
                                "IMPLEMENTATION qmail-ng\r\n"
                                ".\r\n";

const char *pop3_login_capa(void)
{
	return capa_text;
}

static void wipe(struct sbuf *b)
{
	if (b->s)
		explicit_bzero(b->s, b->cap);
	sbuf_clear(b);
}

static enum pop3_login_action say(struct sbuf *reply, const char *text)
{
	sbuf_set_str(reply, text);
	return POP3_LOGIN_REPLY;
}

/* CAPA for this session: STLS while it can be used; no login
 * mechanisms while TLS is required and not active. */
static enum pop3_login_action do_capa(const struct pop3_login *l, struct sbuf *reply)
{
	bool plain_ok = !l->tls_required || l->is_tls;
	sbuf_set_str(reply, "+OK capability list follows\r\nTOP\r\nUIDL\r\n");
	if (plain_ok)
		sbuf_append_str(reply, "USER\r\nSASL PLAIN\r\n");
	if (l->tls_offered && !l->is_tls)
		sbuf_append_str(reply, "STLS\r\n");
	sbuf_append_str(reply, "RESP-CODES\r\nAUTH-RESP-CODE\r\nIMPLEMENTATION qmail-ng\r\n.\r\n");
	return POP3_LOGIN_REPLY;
}

static enum pop3_login_action do_stls(struct pop3_login *l, const struct pop3_cmd *c,
                                      struct sbuf *reply)
{
	if (!l->tls_offered)
		return say(reply, "-ERR STLS not available\r\n");
	if (l->is_tls)
		return say(reply, "-ERR command not permitted when TLS active\r\n");
	if (c->arg_len > 0)
		return say(reply, "-ERR STLS takes no argument\r\n");
	l->has_user = false;
	sbuf_set_str(reply, "+OK Begin TLS negotiation\r\n");
	return POP3_LOGIN_STLS;
}

void pop3_login_tls_started(struct pop3_login *l)
{
	l->is_tls = true;
	l->has_user = false;
	l->in_auth = false;
	wipe(&l->user);
	wipe(&l->pass);
}

void pop3_login_init(struct pop3_login *l)
{
	memset(l, 0, sizeof *l);
}

void pop3_login_free(struct pop3_login *l)
{
	wipe(&l->pass);
	wipe(&l->user);
	sbuf_free(&l->user);
	sbuf_free(&l->pass);
}

size_t pop3_login_line_max(const struct pop3_login *l)
{
	return l->in_auth ? POP3_AUTH_LINE_MAX : POP3_LINE_MAX - 2;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd, exactly two NULs. */
static bool plain_split(struct pop3_login *l, const char *b64, size_t len)
{
	struct sbuf dec = SBUF_INIT;
	bool ok = len > 0 && base64_decode(b64, len, &dec) == 0;
	char *nul1 = ok ? memchr(dec.s, '\0', dec.len) : NULL;
	char *nul2 = nul1 ? memchr(nul1 + 1, '\0', dec.len - (size_t)(nul1 + 1 - dec.s)) : NULL;
	ok = nul2 && !memchr(nul2 + 1, '\0', dec.len - (size_t)(nul2 + 1 - dec.s));
	if (ok) {
		size_t zlen = (size_t)(nul1 - dec.s), ulen = (size_t)(nul2 - nul1 - 1);
		size_t plen = dec.len - (size_t)(nul2 + 1 - dec.s);
		ok = ulen > 0 && ulen <= POP3_LOGIN_FIELD_MAX && plen <= POP3_LOGIN_FIELD_MAX &&
		     (zlen == 0 || (zlen == ulen && memcmp(dec.s, nul1 + 1, ulen) == 0));
		if (ok) {
			sbuf_set(&l->user, nul1 + 1, ulen);
			sbuf_set(&l->pass, nul2 + 1, plen);
		}
	}
	wipe(&dec);
	sbuf_free(&dec);
	return ok;
}

static enum pop3_login_action auth_response(struct pop3_login *l, const char *line, size_t len,
                                            struct sbuf *reply)
{
	l->in_auth = false;
	if (len == 1 && line[0] == '*')
		return say(reply, "-ERR authentication cancelled\r\n");
	if (memchr(line, '\r', len) || !plain_split(l, line, len))
		return say(reply, "-ERR [AUTH] malformed AUTH PLAIN response\r\n");
	return POP3_LOGIN_CHECK;
}

static enum pop3_login_action do_auth(struct pop3_login *l, const struct pop3_cmd *c,
                                      struct sbuf *reply)
{
	struct pop3_word w[POP3_ARG_MAX];
	int n = pop3_cmd_args(c->arg, c->arg_len, 0, 2, w);
	if (n == 0)
		return say(reply, "+OK\r\nPLAIN\r\n.\r\n");
	if (n < 0 || w[0].len != 5 || strncasecmp(w[0].p, "PLAIN", 5) != 0)
		return say(reply, "-ERR unsupported authentication mechanism\r\n");
	l->has_user = false;
	if (n == 1) {
		l->in_auth = true;
		return say(reply, "+ \r\n");
	}
	if (w[1].len == 1 && w[1].p[0] == '=') /* RFC 5034 4: empty initial response */
		return say(reply, "-ERR [AUTH] malformed AUTH PLAIN response\r\n");
	return auth_response(l, w[1].p, w[1].len, reply);
}

static enum pop3_login_action do_user(struct pop3_login *l, const struct pop3_cmd *c,
                                      struct sbuf *reply)
{
	l->has_user = false;
	if (c->arg_len == 0 || c->arg_len > POP3_LOGIN_FIELD_MAX)
		return say(reply, "-ERR USER needs a name\r\n");
	sbuf_set(&l->user, c->arg, c->arg_len);
	l->has_user = true;
	return say(reply, "+OK\r\n");
}

static enum pop3_login_action do_pass(struct pop3_login *l, const struct pop3_cmd *c,
                                      struct sbuf *reply)
{
	if (!l->has_user)
		return say(reply, "-ERR USER first\r\n");
	l->has_user = false;
	if (c->arg_len > POP3_LOGIN_FIELD_MAX)
		return say(reply, "-ERR [AUTH] authentication failed\r\n");
	sbuf_set(&l->pass, c->arg, c->arg_len);
	return POP3_LOGIN_CHECK;
}

static enum pop3_login_action verb(struct pop3_login *l, const struct pop3_cmd *c,
                                   struct sbuf *reply)
{
	bool login_verb = c->verb == POP3_VERB_USER || c->verb == POP3_VERB_PASS ||
	                  c->verb == POP3_VERB_AUTH || c->verb == POP3_VERB_APOP;
	if (login_verb && l->tls_required && !l->is_tls) {
		l->has_user = false;
		return say(reply, "-ERR [AUTH] use STLS first\r\n");
	}
	switch (c->verb) {
	case POP3_VERB_USER:
		return do_user(l, c, reply);
	case POP3_VERB_PASS:
		return do_pass(l, c, reply);
	case POP3_VERB_AUTH:
		return do_auth(l, c, reply);
	case POP3_VERB_CAPA:
		return do_capa(l, reply);
	case POP3_VERB_QUIT:
		say(reply, "+OK bye\r\n");
		return POP3_LOGIN_QUIT;
	case POP3_VERB_APOP:
		return say(reply, "-ERR APOP not supported\r\n");
	case POP3_VERB_STLS:
		return do_stls(l, c, reply);
	default:
		break;
	}
	return say(reply, "-ERR authenticate first\r\n");
}

enum pop3_login_action pop3_login_line(struct pop3_login *l, const char *line, size_t len,
                                       struct sbuf *reply)
{
	if (l->in_auth)
		return auth_response(l, line, len, reply);
	struct pop3_cmd c;
	switch (pop3_cmd_parse(line, len, &c)) {
	case POP3_CMD_OK:
		return verb(l, &c, reply);
	case POP3_CMD_BAD_CHAR:
		return say(reply, "-ERR bad character in command\r\n");
	case POP3_CMD_EMPTY:
	case POP3_CMD_UNKNOWN:
		break;
	}
	return say(reply, "-ERR unknown command\r\n");
}

void pop3_login_blob(struct pop3_login *l, const char *stamp, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_append(out, l->user.s ? l->user.s : "", l->user.len);
	sbuf_append_char(out, '\0');
	sbuf_append(out, l->pass.s ? l->pass.s : "", l->pass.len);
	sbuf_append_char(out, '\0');
	sbuf_append_str(out, stamp);
	sbuf_append_char(out, '\0');
	wipe(&l->pass);
}

enum pop3_login_action pop3_login_failed(struct pop3_login *l, struct sbuf *reply)
{
	l->failures++;
	if (l->failures >= POP3_LOGIN_FAILURES_MAX) {
		sbuf_set_str(reply, "-ERR [AUTH] authentication failed; too many failures\r\n");
		return POP3_LOGIN_QUIT;
	}
	return say(reply, "-ERR [AUTH] authentication failed\r\n");
}
