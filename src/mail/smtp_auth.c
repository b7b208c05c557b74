/*
 * smtp_auth.c: client side of SMTP AUTH (RFC 4954) with PLAIN (RFC 4616),
 * LOGIN and CRAM-MD5 (RFC 2195), used by qmail-remote (smtp_client_int.h).
 * The mechanism is picked from the peer's EHLO AUTH list: CRAM-MD5 (with
 * md5.h's HMAC, as the server side), then PLAIN, then LOGIN.  Credentials are never
 * sent in plaintext unless the route allows it (smtproutes.h), and never
 * logged.  A failed AUTH is a temporary failure: the credentials are local
 * configuration, so the message waits instead of bouncing.
 */

#include "base64.h"
#include "md5.h"

#include <string.h>
#include <strings.h>

#include "smtp_client_int.h"

/* Is m in the space-separated mechanism list of the peer's EHLO AUTH? */
static bool offers(const char *mechs, const char *m)
{
	size_t n = strlen(m);
	for (const char *p = mechs; *p;) {
		while (*p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ' ')
			e++;
		if ((size_t)(e - p) == n && strncasecmp(p, m, n) == 0)
			return true;
		p = e;
	}
	return false;
}

/* Sends "prefix" + base64(data) and reads the reply; code or -1. */
static int send_b64(struct smtp_sess *s, const char *prefix, const void *data, size_t n)
{
	struct sbuf cmd = SBUF_INIT, enc = SBUF_INIT;
	base64_encode(data, n, &enc);
	sbuf_append_str(&cmd, prefix);
	sbuf_append(&cmd, enc.s, enc.len);
	int code = smtp_client_cmd(s, cmd.s, SMTP_TEMP);
	explicit_bzero(cmd.s, cmd.len);
	explicit_bzero(enc.s, enc.len);
	sbuf_free(&cmd);
	sbuf_free(&enc);
	return code;
}

static int auth_plain(struct smtp_sess *s)
{
	struct sbuf creds = SBUF_INIT;
	sbuf_append_char(&creds, '\0');
	sbuf_append_str(&creds, s->job->auth_user);
	sbuf_append_char(&creds, '\0');
	sbuf_append_str(&creds, s->job->auth_pass);
	int code = send_b64(s, "AUTH PLAIN ", creds.s, creds.len);
	explicit_bzero(creds.s, creds.len);
	sbuf_free(&creds);
	return code;
}

static int auth_login(struct smtp_sess *s)
{
	int code = smtp_client_cmd(s, "AUTH LOGIN", SMTP_TEMP);
	if (code == 334)
		code = send_b64(s, "", s->job->auth_user, strlen(s->job->auth_user));
	if (code == 334)
		code = send_b64(s, "", s->job->auth_pass, strlen(s->job->auth_pass));
	return code;
}

static int auth_cram(struct smtp_sess *s)
{
	int code = smtp_client_cmd(s, "AUTH CRAM-MD5", SMTP_TEMP);
	if (code != 334)
		return code;
	struct sbuf chal = SBUF_INIT, resp = SBUF_INIT;
	const char *c = s->rep.lines.v[0];
	unsigned char mac[MD5_LEN];
	if (base64_decode(c, strlen(c), &chal) < 0) {
		smtp_client_put(s, "*");
		code = smtp_client_flush(s, SMTP_TEMP) ? smtp_client_reply(s, SMTP_TEMP) : -1;
		sbuf_free(&chal);
		return code > 0 ? 501 : code;
	}
	md5_hmac(s->job->auth_pass, strlen(s->job->auth_pass), chal.s ? chal.s : "", chal.len, mac);
	sbuf_printf(&resp, "%s ", s->job->auth_user);
	for (size_t i = 0; i < sizeof mac; i++)
		sbuf_printf(&resp, "%02x", mac[i]);
	code = send_b64(s, "", resp.s, resp.len);
	sbuf_free(&chal);
	sbuf_free(&resp);
	return code;
}

bool smtp_auth_run(struct smtp_sess *s)
{
	const struct smtp_job *j = s->job;
	if (!j->auth_user || !*j->auth_user)
		return true;
	if (!s->is_tls && !j->allow_plain_auth) {
		smtp_client_fail(s, SMTP_TEMP, "offers no TLS; not sending credentials in plaintext.",
				 false);
		return false;
	}
	const char *m = sbuf_cstr(&s->auth_mechs);
	int code;
	if (offers(m, "CRAM-MD5"))
		code = auth_cram(s);
	else if (offers(m, "PLAIN"))
		code = auth_plain(s);
	else if (offers(m, "LOGIN"))
		code = auth_login(s);
	else {
		smtp_client_fail(s, SMTP_TEMP, "offers no AUTH mechanism we support.", false);
		return false;
	}
	if (code < 0)
		return false;
	if (code != 235) {
		smtp_client_fail(s, SMTP_TEMP, "rejected our AUTH.", true);
		return false;
	}
	return true;
}
