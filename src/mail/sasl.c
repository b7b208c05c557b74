/*
 * sasl.c: AUTH argument and PLAIN/LOGIN/CRAM-MD5 decoding (see sasl.h).
 */
#include "sasl.h"

#include "base64.h"
#include "scan.h"
#include "tlsctl.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum sasl_mech mech;
} mechs[] = {
    {"PLAIN", SASL_MECH_PLAIN},
    {"LOGIN", SASL_MECH_LOGIN},
    {"CRAM-MD5", SASL_MECH_CRAM_MD5},
    {"SCRAM-SHA-256", SASL_MECH_SCRAM_SHA_256},
};

const char *sasl_mech_name(enum sasl_mech m)
{
	for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
		if (mechs[i].mech == m)
			return mechs[i].name;
	}
	return "?";
}

void sasl_parse_smtpauth(const char *v, bool *cram, bool *scram)
{
	*cram = *scram = false;
	if (!v || v[0] != '+')
		return;
	while (*v == '+') {
		const char *item = ++v;
		size_t n = strcspn(item, "+");
		*cram |= n == 4 && memcmp(item, "cram", 4) == 0;
		*scram |= n == 5 && memcmp(item, "scram", 5) == 0;
		v = item + n;
	}
}

int sasl_parse_auth(const char *arg, size_t len, struct sasl_auth_arg *out)
{
	memset(out, 0, sizeof *out);
	out->mech = SASL_MECH_UNKNOWN;
	const char *sp = memchr(arg, ' ', len);
	size_t mlen = sp ? (size_t)(sp - arg) : len;
	if (mlen == 0 || mlen > 20)
		return -1;
	for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
		if (strlen(mechs[i].name) == mlen && strncasecmp(mechs[i].name, arg, mlen) == 0)
			out->mech = mechs[i].mech;
	}
	if (!sp)
		return 0;
	const char *r = sp + 1;
	size_t rlen = len - mlen - 1;
	if (rlen == 0 || memchr(r, ' ', rlen))
		return -1;
	out->has_initial = true;
	out->initial = r;
	out->initial_len = (rlen == 1 && r[0] == '=') ? 0 : rlen;
	return 0;
}

static bool field_ok(const char *p, size_t n)
{
	return n <= SASL_FIELD_MAX && !memchr(p, '\0', n) && !memchr(p, '\r', n) &&
	       !memchr(p, '\n', n);
}

int sasl_plain_decode(const char *b64, size_t len, struct sasl_creds *out)
{
	struct sbuf raw = SBUF_INIT;
	int rc = -1;
	if (base64_decode(b64, len, &raw) == 0) {
		const char *p = raw.s, *end = raw.s + raw.len;
		const char *nul1 = memchr(p, '\0', raw.len);
		const char *nul2 = nul1 ? memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1)) : NULL;
		if (nul2) {
			size_t zl = (size_t)(nul1 - p), ul = (size_t)(nul2 - nul1 - 1);
			size_t pl = (size_t)(end - nul2 - 1);
			bool ok = ul > 0 && field_ok(nul1 + 1, ul) && field_ok(nul2 + 1, pl) &&
			          field_ok(p, zl) &&
			          (zl == 0 || (zl == ul && memcmp(p, nul1 + 1, ul) == 0));
			if (ok) {
				sbuf_set(&out->user, nul1 + 1, ul);
				sbuf_set(&out->pass, nul2 + 1, pl);
				rc = 0;
			}
		}
	}
	if (raw.s)
		explicit_bzero(raw.s, raw.len);
	sbuf_free(&raw);
	return rc;
}

int sasl_login_decode(const char *b64, size_t len, struct sbuf *out)
{
	if (base64_decode(b64, len, out) < 0 || !field_ok(out->s, out->len)) {
		sbuf_clear(out);
		return -1;
	}
	return 0;
}

static bool cram_user_ok(const char *p, size_t n)
{
	if (n == 0 || n > TLSCTL_USER_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* The digest in lower case into out; false unless SASL_CRAM_DIGEST_LEN hex digits. */
static bool cram_digest(const char *p, size_t n, struct sbuf *out)
{
	if (n != SASL_CRAM_DIGEST_LEN)
		return false;
	sbuf_clear(out);
	for (size_t i = 0; i < n; i++) {
		int v = scan_hex_digit(p[i]);
		if (v < 0)
			return false;
		sbuf_append_char(out, "0123456789abcdef"[v]);
	}
	return true;
}

int sasl_cram_decode(const char *b64, size_t len, struct sasl_creds *out)
{
	struct sbuf raw = SBUF_INIT;
	int rc = -1;
	if (base64_decode(b64, len, &raw) == 0 && raw.len > 0) {
		const char *sp = memchr(raw.s, ' ', raw.len);
		size_t ul = sp ? (size_t)(sp - raw.s) : 0;
		if (sp && !memchr(sp + 1, ' ', raw.len - ul - 1) && cram_user_ok(raw.s, ul) &&
		    cram_digest(sp + 1, raw.len - ul - 1, &out->pass)) {
			sbuf_set(&out->user, raw.s, ul);
			rc = 0;
		}
	}
	if (rc < 0) {
		sbuf_clear(&out->user);
		sbuf_clear(&out->pass);
	}
	sbuf_free(&raw);
	return rc;
}

void sasl_creds_free(struct sasl_creds *c)
{
	if (c->pass.s)
		explicit_bzero(c->pass.s, c->pass.len);
	sbuf_free(&c->user);
	sbuf_free(&c->pass);
}
