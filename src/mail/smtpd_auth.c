/*
 * smtpd_auth.c: SMTP AUTH (RFC 4954) with PLAIN and LOGIN, CRAM-MD5
 * (RFC 2195) where the environment says SMTPAUTH="+cram" (the qmail AUTH
 * patches' convention, set per client through tcprules), and the
 * submission rules (RFC 6409) for qmail-smtpd (see smtpd_session.h).
 *
 * CRAM-MD5: the challenge is "<random.time@me>"; the checkpassword program
 * gets user NUL hex-digest NUL challenge NUL (cmd5checkpw's convention),
 * through the same proxy request as a password (tlsctl.h), so it needs a
 * usable secret (qmail-checkpassword: `qmailctl user ... --cram`).
 *
 * D-10: only under TLS, else 538 5.7.11.  D-11: every failure is answered
 * "535 5.7.8" no sooner than AUTH_FAIL_PAUSE_MS after the response
 * arrived, whatever the checker said or how long it took, so an unknown
 * user and a wrong password look the same; the third failure in a
 * session ends it with 421 4.7.0, as does the per-IP budget the proxy
 * keeps.  The password is wiped from memory once checked.  After a right
 * password the qmail-spp [auth] plugins may still refuse (succeed()).
 */
#include "smtpd_session.h"

#include "base64.h"
#include "control.h"
#include "proto_limits.h"
#include "sasl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define AUTH_FAIL_PAUSE_MS 1000
#define AUTH_SESSION_FAIL_MAX 3

void smtpd_auth_init(struct smtpd_session *s)
{
	uint64_t v = 0;
	s->is_submission = getenv("SUBMISSION") != NULL;
	if (s->is_submission)
		(void)control_read_u64("submission_sender_check", 0, 1, &v);
	s->want_sender_check = v == 1;
	sasl_parse_smtpauth(getenv("SMTPAUTH"), &s->want_cram, &s->want_scram);
}

bool smtpd_auth_challenge(struct smtpd_session *s, const char *prompt, struct sbuf *resp)
{
	enum bio_line how;
	smtpd_reply(s, prompt);
	if (bio_flush(&s->bio) != BIO_OK)
		return s->want_close = true, false;
	int r = bio_read_line(&s->bio, SMTP_AUTH_LINE_MAX, resp, &how);
	if (r != BIO_OK || how == BIO_LINE_PARTIAL) {
		if (r == BIO_TIMEOUT)
			smtpd_reply(s, "421 4.4.2 timeout, closing connection");
		s->want_close = true;
		return false;
	}
	if (how == BIO_LINE_TOO_LONG) {
		smtpd_reply(s, "500 5.5.2 line too long"); /* D-06 */
		return false;
	}
	if (resp->len == 1 && resp->s[0] == '*') {
		smtpd_reply(s, "501 5.0.0 authentication cancelled");
		return false;
	}
	return true;
}

static int get_plain(struct smtpd_session *s, const struct sasl_auth_arg *a,
                     struct sasl_creds *c)
{
	struct sbuf resp = SBUF_INIT;
	int rc = -1;
	if (a->has_initial)
		sbuf_set(&resp, a->initial, a->initial_len);
	if (a->has_initial || smtpd_auth_challenge(s, "334 ", &resp))
		rc = sasl_plain_decode(resp.s ? resp.s : "", resp.len, c) == 0 ? 0 : -2;
	if (resp.s)
		explicit_bzero(resp.s, resp.len);
	sbuf_free(&resp);
	return rc;
}

static int get_login(struct smtpd_session *s, const struct sasl_auth_arg *a,
                     struct sasl_creds *c)
{
	struct sbuf resp = SBUF_INIT;
	int rc = -1;
	if (a->has_initial)
		sbuf_set(&resp, a->initial, a->initial_len);
	if (a->has_initial || smtpd_auth_challenge(s, "334 VXNlcm5hbWU6", &resp)) {
		rc = -2;
		if (sasl_login_decode(resp.s ? resp.s : "", resp.len, &c->user) == 0 &&
		    c->user.len > 0) {
			rc = -1;
			if (smtpd_auth_challenge(s, "334 UGFzc3dvcmQ6", &resp))
				rc = sasl_login_decode(resp.s, resp.len, &c->pass) == 0 ? 0 : -2;
		}
	}
	if (resp.s)
		explicit_bzero(resp.s, resp.len);
	sbuf_free(&resp);
	return rc;
}

/* "<random.time@me>" (RFC 2195); false when no random bytes. */
static bool make_challenge(const struct smtpd_session *s, struct sbuf *chal)
{
	unsigned long long r;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		return false;
	sbuf_printf(chal, "<%llu.%lld@%.*s>", r, (long long)time(NULL), 255,
	            sbuf_cstr(&s->cfg->me));
	return true;
}

/* The CRAM-MD5 exchange; *chal keeps the challenge for the check. */
static int get_cram(struct smtpd_session *s, const struct sasl_auth_arg *a,
                    struct sasl_creds *c, struct sbuf *chal)
{
	struct sbuf prompt = SBUF_INIT, resp = SBUF_INIT;
	int rc = -1;
	if (a->has_initial) {
		smtpd_reply(s, "501 5.5.4 CRAM-MD5 takes no initial response");
	} else if (!make_challenge(s, chal)) {
		smtpd_reply(s, "454 4.7.0 temporary authentication failure");
	} else {
		base64_encode(chal->s, chal->len, &resp);
		sbuf_printf(&prompt, "334 %s", resp.s);
		if (smtpd_auth_challenge(s, prompt.s, &resp))
			rc = sasl_cram_decode(resp.s ? resp.s : "", resp.len, c) == 0 ? 0 : -2;
	}
	sbuf_free(&prompt);
	sbuf_free(&resp);
	return rc;
}

static void pause_until(uint64_t t_ms)
{
	uint64_t now = bio_now_ms();
	if (now >= t_ms)
		return;
	struct timespec ts = {(time_t)((t_ms - now) / 1000), (long)((t_ms - now) % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0)
		;
}

static void clean_user(const char *in, struct sbuf *out)
{
	sbuf_clear(out);
	for (size_t i = 0; in[i] && i < 255; i++) {
		unsigned char c = (unsigned char)in[i];
		sbuf_append_char(out, c > 32 && c < 127 && c != '(' && c != ')' ? (char)c : '?');
	}
}

/*
 * The password was right; the [auth] plugins (smtpd_spp.c) have the last
 * word.  They see SMTPAUTHUSER, so auth_user is set while they run.  A
 * refusal leaves the session unauthenticated with the plugin's reply; a
 * 5xx one counts as a failure in the session (the third ends it with 421,
 * D-11) but not against the per-IP budget, which counts wrong passwords.
 */
static void succeed(struct smtpd_session *s, const char *user, enum sasl_mech mech)
{
	struct sbuf r = SBUF_INIT;
	clean_user(user, &s->auth_user);
	enum smtpd_verdict v = smtpd_run_hooks(s, SMTPD_HOOK_AUTH, s->auth_user.s, &r);
	const char *result = "ok";
	if (v == SMTPD_ACCEPT) {
		s->cfg->is_relayclient = true; /* an authenticated client may relay */
		sbuf_printf(&r, "235 2.7.0 authentication successful, user %s", s->auth_user.s);
	} else if (v == SMTPD_REJECT && ++s->n_auth_failures >= AUTH_SESSION_FAIL_MAX) {
		sbuf_set_str(&r, "421 4.7.0 too many authentication failures, closing connection");
		s->want_close = true;
	}
	if (v != SMTPD_ACCEPT)
		result = v == SMTPD_REJECT ? "plugin-rejected" : "plugin-deferred";
	smtpd_reply(s, r.s);
	log_kv(LOG_LEVEL_INFO, "auth", "session", s->id, "user", s->auth_user.s, "result", result,
	       "mech", sasl_mech_name(mech), (char *)NULL);
	if (v != SMTPD_ACCEPT)
		sbuf_clear(&s->auth_user);
	sbuf_free(&r);
}

static void fail(struct smtpd_session *s, const char *user, char code, uint64_t t0,
                 enum sasl_mech mech)
{
	struct sbuf u = SBUF_INIT;
	clean_user(user, &u);
	pause_until(t0 + AUTH_FAIL_PAUSE_MS);
	const char *result = "rejected";
	if (code == TLSCTL_AUTH_TEMP || code == TLSCTL_AUTH_MISUSE) {
		smtpd_reply(s, "454 4.7.0 temporary authentication failure");
		result = "temporary";
	} else if (code == TLSCTL_AUTH_BUDGET) {
		smtpd_reply(s, "421 4.7.0 too many failed authentications from your address");
		s->want_close = true;
		result = "budget";
	} else if (++s->n_auth_failures >= AUTH_SESSION_FAIL_MAX) {
		smtpd_reply(s, "421 4.7.0 too many authentication failures, closing connection");
		s->want_close = true;
	} else {
		smtpd_reply(s, "535 5.7.8 authentication credentials invalid");
	}
	log_kv(LOG_LEVEL_INFO, "auth", "session", s->id, "ip", sbuf_cstr(&s->cfg->remote_ip),
	       "user", u.s ? u.s : "", "result", result, "mech", sasl_mech_name(mech),
	       (char *)NULL);
	sbuf_free(&u);
}

static const char *refusal(const struct smtpd_session *s)
{
	if (!s->is_tls)
		return "538 5.7.11 encryption required for requested authentication mechanism";
	if (s->auth_user.len > 0)
		return "503 5.5.1 already authenticated";
	if (s->state & (SMTPD_MAIL | SMTPD_RCPT))
		return "503 5.5.1 AUTH not permitted during a mail transaction";
	if (!s->is_esmtp)
		return "503 5.5.1 send EHLO first";
	return NULL;
}

/* Runs the mechanism's exchange: 0 with c filled (and *chal for CRAM-MD5),
 * -1 answered already (cancelled, closed), -2 an undecodable response. */
static int get_creds(struct smtpd_session *s, const struct sasl_auth_arg *a,
                     struct sasl_creds *c, struct sbuf *chal)
{
	if (a->mech == SASL_MECH_PLAIN)
		return get_plain(s, a, c);
	if (a->mech == SASL_MECH_LOGIN)
		return get_login(s, a, c);
	return get_cram(s, a, c, chal);
}

static bool mech_offered(const struct smtpd_session *s, enum sasl_mech m)
{
	return m == SASL_MECH_PLAIN || m == SASL_MECH_LOGIN ||
	       (m == SASL_MECH_CRAM_MD5 && s->want_cram) ||
	       (m == SASL_MECH_SCRAM_SHA_256 && s->want_scram);
}

/* PLAIN, LOGIN, CRAM-MD5: the credentials, then one check. */
static void auth_password(struct smtpd_session *s, const struct sasl_auth_arg *a)
{
	struct sasl_creds c = {SBUF_INIT, SBUF_INIT};
	struct sbuf chal = SBUF_INIT;
	int rc = get_creds(s, a, &c, &chal);
	if (rc == -2)
		smtpd_reply(s, "501 5.5.2 cannot decode response");
	if (rc == 0) {
		uint64_t t0 = bio_now_ms();
		const char *pass = c.pass.s ? c.pass.s : "";
		char code = smtpd_tls_check_password(s, c.user.s, pass,
		                                     a->mech == SASL_MECH_CRAM_MD5 ? chal.s : NULL);
		if (code == TLSCTL_AUTH_OK)
			succeed(s, c.user.s, a->mech);
		else
			fail(s, c.user.s, code, t0, a->mech);
	}
	sasl_creds_free(&c);
	sbuf_free(&chal);
}

static void auth_scram(struct smtpd_session *s, const struct sasl_auth_arg *a)
{
	struct sbuf user = SBUF_INIT;
	char code;
	uint64_t t0;
	int rc = smtpd_scram_exchange(s, a, &user, &code, &t0);
	if (rc == -2)
		smtpd_reply(s, "501 5.5.2 cannot decode response");
	else if (rc == -3)
		fail(s, sbuf_cstr(&user), code, t0, a->mech);
	else if (rc == 0)
		succeed(s, sbuf_cstr(&user), a->mech);
	sbuf_free(&user);
}

void smtpd_auth_handle(struct smtpd_session *s, const char *arg, size_t len)
{
	struct sasl_auth_arg a;
	const char *no = refusal(s);
	if (no) {
		smtpd_reply(s, no);
		return;
	}
	if (sasl_parse_auth(arg, len, &a) < 0) {
		smtpd_reply(s, "501 5.5.4 syntax: AUTH mechanism [initial-response]");
		return;
	}
	if (!mech_offered(s, a.mech))
		smtpd_reply(s, "504 5.5.4 unrecognized authentication type");
	else if (a.mech == SASL_MECH_SCRAM_SHA_256)
		auth_scram(s, &a);
	else
		auth_password(s, &a);
}

const char *smtpd_auth_mail_check(const struct smtpd_session *s, const char *sender)
{
	if (!s->is_submission)
		return NULL;
	if (s->auth_user.len == 0)
		return "530 5.7.0 authentication required";
	if (s->want_sender_check && strcasecmp(sender, s->auth_user.s) != 0)
		return "553 5.7.1 sender address does not belong to the authenticated user";
	return NULL;
}

const char *smtpd_auth_protocol(const struct smtpd_session *s)
{
	static const char *const names[2][2][2] = {
	    {{"SMTP", "SMTPA"}, {"SMTPS", "SMTPSA"}},
	    {{"ESMTP", "ESMTPA"}, {"ESMTPS", "ESMTPSA"}},
	};
	return names[s->is_esmtp][s->is_tls][s->auth_user.len > 0];
}
