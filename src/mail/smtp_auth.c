#include "smtp_auth.h"

#include <string.h>
#include <strings.h>

#include "smtp_client_int.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void smtp_auth_base64_encode(const void *p, size_t n, struct sbuf *out)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		sbuf_append_char(out, b64[(v >> 18) & 63]);
		sbuf_append_char(out, b64[(v >> 12) & 63]);
		sbuf_append_char(out, i + 1 < n ? b64[(v >> 6) & 63] : '=');
		sbuf_append_char(out, i + 2 < n ? b64[v & 63] : '=');
	}
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

bool smtp_auth_base64_decode(const char *s, size_t n, struct sbuf *out)
{
	if (n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		size_t pad = 0;
		for (size_t k = 0; k < 4; k++) {
			bool is_pad = s[i + k] == '=' && i + 4 == n && k >= 2;
			if (pad && !is_pad)
				return false;
			v[k] = is_pad ? 0 : b64_value(s[i + k]);
			pad += is_pad;
			if (v[k] < 0)
				return false;
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		sbuf_append_char(out, (char)(w >> 16));
		if (pad < 2)
			sbuf_append_char(out, (char)(w >> 8));
		if (pad < 1)
			sbuf_append_char(out, (char)w);
	}
	return true;
}

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
	struct sbuf cmd = SBUF_INIT;
	sbuf_append_str(&cmd, prefix);
	smtp_auth_base64_encode(data, n, &cmd);
	int code = smtp_client_cmd(s, cmd.s, SMTP_TEMP);
	sbuf_free(&cmd);
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
	unsigned char mac[16];
	if (!smtp_auth_base64_decode(c, strlen(c), &chal) ||
	    !s->h->hmac_md5(s->job->auth_pass, strlen(s->job->auth_pass), chal.s ? chal.s : "",
			    chal.len, mac)) {
		smtp_client_put(s, "*");
		code = smtp_client_flush(s, SMTP_TEMP) ? smtp_client_reply(s, SMTP_TEMP) : -1;
		sbuf_free(&chal);
		return code > 0 ? 501 : code;
	}
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
	if (s->h->hmac_md5 && offers(m, "CRAM-MD5"))
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
