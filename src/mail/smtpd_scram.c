/*
 * smtpd_scram.c: AUTH SCRAM-SHA-256 (RFC 5802, RFC 7677) for qmail-smtpd,
 * offered where SMTPAUTH has "+scram" (smtpd_auth.c).
 *
 * qmail-smtpd parses the client's messages (scram.h) and makes the server
 * nonce; the two steps that need the user's secret go through the TLS
 * proxy to `qmail-checkpassword --scram` (tlsctl.h "C"): the salt and
 * iteration count for the user (made up, the same way every time, for a
 * user without a secret), then the proof check, which answers the server
 * signature.  The signature goes to the client in a 334 challenge, and its
 * empty response completes the exchange (RFC 4954 4: SMTP has no
 * "additional data with success").  No channel binding: "p=" is refused.
 */
#include "smtpd_session.h"

#include "base64.h"
#include "sasl.h"
#include "scan.h"
#include "scram.h"

#include <string.h>
#include <sys/random.h>

struct scram_run {
	struct scram_first first;
	struct scram_final final;
	struct sbuf resp, raw, server_first, answer, prompt, auth_msg, proof64;
	char snonce[SCRAM_SNONCE_LEN + 1];
};

/* "ITER,SALT64" from qmail-checkpassword --scram; -1 if malformed. */
static int parse_salt_answer(const struct sbuf *a, uint32_t *iter, struct sbuf *salt)
{
	const char *comma = a->s ? memchr(a->s, ',', a->len) : NULL;
	uint64_t v;
	if (!comma || !scan_u64(a->s, (size_t)(comma - a->s), SCRAM_ITER_MAX, &v) ||
	    v < SCRAM_ITER_MIN)
		return -1;
	*iter = (uint32_t)v;
	size_t n = a->len - (size_t)(comma + 1 - a->s);
	if (base64_decode(comma + 1, n, salt) < 0 || salt->len == 0 || salt->len > SCRAM_SALT_MAX)
		return -1;
	return 0;
}

/* 18 random bytes in base64: 24 nonce characters without ','. */
static bool make_snonce(char out[SCRAM_SNONCE_LEN + 1])
{
	unsigned char r[SCRAM_SNONCE_LEN / 4 * 3];
	struct sbuf b = SBUF_INIT;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return false;
	base64_encode(r, sizeof r, &b);
	bool ok = b.len == SCRAM_SNONCE_LEN;
	if (ok)
		memcpy(out, b.s, SCRAM_SNONCE_LEN + 1);
	sbuf_free(&b);
	return ok;
}

/* Sends "334 base64(msg)" and reads the response, decoded into r->raw:
 * 1 read, -1 the exchange ended (answered), -2 undecodable. */
static int step(struct smtpd_session *s, struct scram_run *r, const struct sbuf *msg)
{
	struct sbuf enc = SBUF_INIT;
	base64_encode(msg->s, msg->len, &enc);
	sbuf_set_str(&r->prompt, "334 ");
	sbuf_append(&r->prompt, enc.s, enc.len);
	sbuf_free(&enc);
	if (!smtpd_auth_challenge(s, r->prompt.s, &r->resp))
		return -1;
	return base64_decode(r->resp.s ? r->resp.s : "", r->resp.len, &r->raw) == 0 ? 1 : -2;
}

/* Client-first (initial response or after "334 "), parsed into r->first. */
static int client_first(struct smtpd_session *s, const struct sasl_auth_arg *a,
                        struct scram_run *r)
{
	if (a->has_initial)
		sbuf_set(&r->resp, a->initial, a->initial_len);
	else if (!smtpd_auth_challenge(s, "334 ", &r->resp))
		return -1;
	if (base64_decode(r->resp.s ? r->resp.s : "", r->resp.len, &r->raw) < 0 ||
	    scram_parse_first(r->raw.s ? r->raw.s : "", r->raw.len, &r->first) < 0)
		return -2;
	return 0;
}

/* The salt from the checker and the server-first message; -3 (code set)
 * when the checker did not answer OK or answered garbage. */
static int server_first(struct smtpd_session *s, struct scram_run *r, char *code)
{
	uint32_t iter;
	struct sbuf salt = SBUF_INIT;
	*code = smtpd_tls_scram(s, r->first.user.s, NULL, NULL, &r->answer);
	if (*code == TLSCTL_AUTH_OK &&
	    (parse_salt_answer(&r->answer, &iter, &salt) < 0 || !make_snonce(r->snonce)))
		*code = TLSCTL_AUTH_TEMP;
	if (*code == TLSCTL_AUTH_OK)
		scram_format_server_first(r->first.cnonce.s, r->snonce,
		                          (const unsigned char *)salt.s, salt.len, iter,
		                          &r->server_first);
	sbuf_free(&salt);
	return *code == TLSCTL_AUTH_OK ? 0 : -3;
}

/* Client-final: checked against the first messages, then the proof by
 * the checker; on success r->answer holds the server signature. */
static int check_final(struct smtpd_session *s, struct scram_run *r, char *code)
{
	if (scram_parse_final(r->raw.s ? r->raw.s : "", r->raw.len, &r->final) < 0)
		return -2;
	*code = TLSCTL_AUTH_REJECT;
	if (!scram_final_check(&r->first, r->snonce, &r->final))
		return -3;
	scram_auth_message(&r->first, r->server_first.s, &r->final, &r->auth_msg);
	base64_encode(r->final.proof, sizeof r->final.proof, &r->proof64);
	*code = smtpd_tls_scram(s, r->first.user.s, r->auth_msg.s, r->proof64.s, &r->answer);
	return *code == TLSCTL_AUTH_OK ? 0 : -3;
}

/* "v=SIG" to the client; its response must be empty. */
static int server_final(struct smtpd_session *s, struct scram_run *r)
{
	struct sbuf v = SBUF_INIT;
	sbuf_set_str(&v, "v=");
	sbuf_append(&v, r->answer.s, r->answer.len);
	int rc = step(s, r, &v);
	sbuf_free(&v);
	if (rc != 1)
		return rc;
	return r->raw.len == 0 ? 0 : -2;
}

static int run(struct smtpd_session *s, const struct sasl_auth_arg *a, struct scram_run *r,
               char *code, uint64_t *t0)
{
	int rc = client_first(s, a, r);
	*t0 = bio_now_ms();
	if (rc == 0)
		rc = server_first(s, r, code);
	if (rc == 0)
		rc = step(s, r, &r->server_first);
	*t0 = bio_now_ms();
	if (rc == 1)
		rc = check_final(s, r, code);
	if (rc == 0)
		rc = server_final(s, r);
	return rc;
}

int smtpd_scram_exchange(struct smtpd_session *s, const struct sasl_auth_arg *a,
                         struct sbuf *user, char *code, uint64_t *t0)
{
	struct scram_run r;
	memset(&r, 0, sizeof r);
	*code = TLSCTL_AUTH_REJECT;
	int rc = run(s, a, &r, code, t0);
	sbuf_set(user, r.first.user.s ? r.first.user.s : "", r.first.user.len);
	scram_first_free(&r.first);
	scram_final_free(&r.final);
	struct sbuf *bufs[] = {&r.resp, &r.raw, &r.server_first, &r.answer,
	                       &r.prompt, &r.auth_msg, &r.proof64};
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		sbuf_free(bufs[i]);
	return rc;
}
