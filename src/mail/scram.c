/*
 * scram.c: the server side of SASL SCRAM-SHA-256 (see scram.h).
 *
 * Every message is a list of comma-separated "x=value" fields in which no
 * value may hold a ',' (RFC 5802 7: saslname escapes it, base64 and nonces
 * exclude it), so the parsers split on ',' first and check each field.
 * None of the accepted bytes is a NUL: the AuthMessage built from them goes
 * to qmail-checkpassword as one NUL-terminated field.
 */
#include "scram.h"

#include "base64.h"
#include "scan.h"

#include <string.h>

/* The final nonce is the client's (up to SCRAM_NONCE_MAX) followed by ours. */
#define FINAL_NONCE_MAX (SCRAM_NONCE_MAX + SCRAM_SNONCE_LEN)

struct field {
	const char *p;
	size_t len;
};

/* Walks s[0..len) one comma-separated field at a time; "a," has two
 * fields, the second empty, and "" has one, empty. */
struct cursor {
	const char *s;
	size_t len, pos;
	bool is_done;
};

static bool cursor_next(struct cursor *c, struct field *f)
{
	if (c->is_done)
		return false;
	const char *comma = memchr(c->s + c->pos, ',', c->len - c->pos);
	size_t end = comma ? (size_t)(comma - c->s) : c->len;
	f->p = c->s + c->pos;
	f->len = end - c->pos;
	if (comma)
		c->pos = end + 1;
	else
		c->is_done = true;
	return true;
}

/* Whether f is attr "=" value; value gets the part after the '='. */
static bool field_value(const struct field *f, char attr, struct field *value)
{
	if (f->len < 2 || f->p[0] != attr || f->p[1] != '=')
		return false;
	value->p = f->p + 2;
	value->len = f->len - 2;
	return true;
}

/* RFC 5802 7 saslname: no NUL or ','; '=' only in "=2C" and "=3D".  We
 * refuse control bytes too.  out gets 1..SCRAM_USER_MAX decoded bytes. */
static int saslname_decode(const struct field *v, struct sbuf *out)
{
	sbuf_clear(out);
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->p[i];
		if (c < 0x20 || c == 0x7f || c == ',')
			return -1;
		if (c == '=') {
			if (v->len - i < 3)
				return -1;
			if (memcmp(v->p + i + 1, "2C", 2) == 0)
				c = ',';
			else if (memcmp(v->p + i + 1, "3D", 2) == 0)
				c = '=';
			else
				return -1;
			i += 2;
		}
		if (out->len >= SCRAM_USER_MAX)
			return -1;
		sbuf_append_char(out, (char)c);
	}
	return out->len > 0 ? 0 : -1;
}

/* RFC 5802 7 c-nonce: printable (0x21..0x7e) except ','. */
static bool nonce_ok(const struct field *v, size_t max)
{
	if (v->len == 0 || v->len > max)
		return false;
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->p[i];
		if (c < 0x21 || c > 0x7e || c == ',')
			return false;
	}
	return true;
}

/* RFC 5802 7 attr-val: ALPHA "=" 1*value-char (no NUL, no ','), with
 * "m=" refused (5.1: a mandatory extension we do not know). */
static bool ext_ok(const struct field *f)
{
	char a = f->len >= 3 ? f->p[0] : '\0';
	bool is_alpha = (a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z');
	return is_alpha && a != 'm' && f->p[1] == '=' && !memchr(f->p + 2, '\0', f->len - 2);
}

/* gs2-header = ("n" | "y") "," ["a=" saslname] ","; *gs2_len is its length.
 * "p=" (channel binding) fails on the first byte. */
static int parse_gs2(const char *msg, size_t len, struct sbuf *authz, bool *has_authz,
                     size_t *gs2_len)
{
	struct cursor c = {msg, len, 2, false};
	struct field f, v;
	if (len < 3 || (msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',')
		return -1;
	if (!cursor_next(&c, &f) || c.is_done)
		return -1;
	*has_authz = f.len > 0;
	if (*has_authz && (!field_value(&f, 'a', &v) || saslname_decode(&v, authz) < 0))
		return -1;
	*gs2_len = c.pos;
	return 0;
}

/* client-first-bare = "n=" saslname ",r=" c-nonce *("," attr-val). */
static int parse_bare(const char *bare, size_t len, struct scram_first *out)
{
	struct cursor c = {bare, len, 0, false};
	struct field f, v;
	if (!cursor_next(&c, &f) || !field_value(&f, 'n', &v) ||
	    saslname_decode(&v, &out->user) < 0)
		return -1;
	if (!cursor_next(&c, &f) || !field_value(&f, 'r', &v) || !nonce_ok(&v, SCRAM_NONCE_MAX))
		return -1;
	sbuf_set(&out->cnonce, v.p, v.len);
	while (cursor_next(&c, &f)) {
		if (!ext_ok(&f))
			return -1;
	}
	return 0;
}

int scram_parse_first(const char *msg, size_t len, struct scram_first *out)
{
	struct sbuf authz = SBUF_INIT;
	bool has_authz = false;
	size_t gs2_len = 0;
	memset(out, 0, sizeof *out);
	int rc = msg ? parse_gs2(msg, len, &authz, &has_authz, &gs2_len) : -1;
	if (rc == 0 && len - gs2_len > SCRAM_BARE_MAX)
		rc = -1;
	if (rc == 0)
		rc = parse_bare(msg + gs2_len, len - gs2_len, out);
	/* RFC 5802 5.1: an authzid is allowed only as the user itself. */
	if (rc == 0 && has_authz &&
	    (authz.len != out->user.len || memcmp(authz.s, out->user.s, authz.len) != 0))
		rc = -1;
	sbuf_free(&authz);
	if (rc < 0) {
		scram_first_free(out);
		return -1;
	}
	sbuf_set(&out->gs2, msg, gs2_len);
	sbuf_set(&out->bare, msg + gs2_len, len - gs2_len);
	return 0;
}

void scram_first_free(struct scram_first *f)
{
	sbuf_free(&f->gs2);
	sbuf_free(&f->user);
	sbuf_free(&f->cnonce);
	sbuf_free(&f->bare);
}

/* base64 of exactly min..max bytes into dst; the scratch copy is wiped. */
static bool decode_to(const struct field *v, unsigned char *dst, size_t min, size_t max, size_t *n)
{
	struct sbuf b = SBUF_INIT;
	sbuf_reserve(&b, v->len); /* no realloc leaves a copy behind */
	bool ok = base64_decode(v->p, v->len, &b) == 0 && b.len >= min && b.len <= max;
	if (ok) {
		memcpy(dst, b.s, b.len);
		*n = b.len;
	}
	explicit_bzero(b.s, b.cap);
	sbuf_free(&b);
	return ok;
}

/* "c=" base64 ",r=" nonce *("," attr-val) ",p=" base64(proof), the proof
 * last; *proof_at is the offset of the ',' before "p=". */
static int parse_final_fields(const char *msg, size_t len, struct scram_final *out,
                              size_t *proof_at)
{
	struct cursor c = {msg, len, 0, false};
	struct field f, v;
	struct sbuf cbind = SBUF_INIT;
	size_t n = 0;
	bool ok = cursor_next(&c, &f) && field_value(&f, 'c', &v) && v.len > 0 &&
	          base64_decode(v.p, v.len, &cbind) == 0;
	sbuf_free(&cbind);
	if (!ok || !cursor_next(&c, &f) || !field_value(&f, 'r', &v) ||
	    !nonce_ok(&v, FINAL_NONCE_MAX))
		return -1;
	sbuf_set(&out->nonce, v.p, v.len);
	while (cursor_next(&c, &f)) {
		if (field_value(&f, 'p', &v)) {
			if (!c.is_done ||
			    !decode_to(&v, out->proof, SCRAM_KEY_LEN, SCRAM_KEY_LEN, &n))
				return -1;
			*proof_at = (size_t)(f.p - msg) - 1;
			return 0;
		}
		if (!ext_ok(&f))
			return -1;
	}
	return -1;
}

int scram_parse_final(const char *msg, size_t len, struct scram_final *out)
{
	size_t proof_at = 0;
	memset(out, 0, sizeof *out);
	if (!msg || len == 0 || len > SCRAM_FINAL_MAX ||
	    parse_final_fields(msg, len, out, &proof_at) < 0) {
		scram_final_free(out);
		return -1;
	}
	sbuf_set(&out->without_proof, msg, proof_at);
	return 0;
}

void scram_final_free(struct scram_final *f)
{
	sbuf_free(&f->without_proof);
	sbuf_free(&f->nonce);
	explicit_bzero(f->proof, sizeof f->proof);
	f->cbind_ok = false;
}

/* Whether final's c= (the first field of without_proof) decodes to gs2. */
static bool cbind_matches(const struct sbuf *gs2, const struct sbuf *without_proof)
{
	struct cursor c = {without_proof->s, without_proof->len, 0, false};
	struct field f, v;
	struct sbuf b = SBUF_INIT;
	if (!without_proof->s || gs2->len == 0 || !cursor_next(&c, &f) || !field_value(&f, 'c', &v))
		return false;
	bool ok = base64_decode(v.p, v.len, &b) == 0 && b.len == gs2->len &&
	          memcmp(b.s, gs2->s, b.len) == 0;
	sbuf_free(&b);
	return ok;
}

bool scram_final_check(const struct scram_first *first, const char *snonce,
                       struct scram_final *final)
{
	const struct sbuf *cn = &first->cnonce, *n = &final->nonce;
	size_t sl = snonce ? strlen(snonce) : 0;
	bool ok = cbind_matches(&first->gs2, &final->without_proof) && cn->len > 0 && sl > 0 &&
	          n->len > cn->len && n->len - cn->len == sl && memcmp(n->s, cn->s, cn->len) == 0 &&
	          memcmp(n->s + cn->len, snonce, sl) == 0;
	final->cbind_ok = ok;
	return ok;
}

static void append_base64(struct sbuf *out, const void *p, size_t n)
{
	struct sbuf b = SBUF_INIT;
	base64_encode(p, n, &b);
	sbuf_append(out, b.s, b.len);
	sbuf_free(&b);
}

void scram_format_server_first(const char *cnonce, const char *snonce, const unsigned char *salt,
                               size_t salt_len, uint32_t iter, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_printf(out, "r=%s%s,s=", cnonce, snonce);
	append_base64(out, salt, salt_len);
	sbuf_printf(out, ",i=%lu", (unsigned long)iter);
}

void scram_auth_message(const struct scram_first *first, const char *server_first,
                        const struct scram_final *final, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_append(out, first->bare.s, first->bare.len);
	sbuf_append_char(out, ',');
	sbuf_append_str(out, server_first);
	sbuf_append_char(out, ',');
	sbuf_append(out, final->without_proof.s, final->without_proof.len);
}

int scram_secret_make(const char *password, size_t len, const unsigned char *salt, size_t salt_len,
                      uint32_t iter, struct scram_secret *out)
{
	unsigned char salted[SHA256_LEN], client_key[SHA256_LEN];
	memset(out, 0, sizeof *out);
	if (iter < SCRAM_ITER_MIN || iter > SCRAM_ITER_MAX || !salt || salt_len == 0 ||
	    salt_len > SCRAM_SALT_MAX)
		return -1;
	pbkdf2_sha256(password, len, salt, salt_len, iter, salted);
	hmac_sha256(salted, sizeof salted, "Client Key", 10, client_key);
	sha256_digest(client_key, sizeof client_key, out->stored_key);
	hmac_sha256(salted, sizeof salted, "Server Key", 10, out->server_key);
	out->iter = iter;
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	explicit_bzero(salted, sizeof salted);
	explicit_bzero(client_key, sizeof client_key);
	return 0;
}

void scram_secret_format(const struct scram_secret *s, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_printf(out, "%lu,", (unsigned long)s->iter);
	append_base64(out, s->salt, s->salt_len);
	sbuf_append_char(out, ',');
	append_base64(out, s->stored_key, sizeof s->stored_key);
	sbuf_append_char(out, ',');
	append_base64(out, s->server_key, sizeof s->server_key);
}

/* SCRAM_ITER_MIN..SCRAM_ITER_MAX in decimal, no sign, no leading zero. */
static bool iter_ok(const struct field *v, uint32_t *iter)
{
	uint64_t n;
	if (v->len == 0 || v->p[0] == '0' || !scan_u64(v->p, v->len, SCRAM_ITER_MAX, &n) ||
	    n < SCRAM_ITER_MIN)
		return false;
	*iter = (uint32_t)n;
	return true;
}

int scram_secret_parse(const char *s, size_t len, struct scram_secret *out)
{
	struct cursor c = {s, len, 0, false};
	struct field f[4];
	size_t n = 0, k = 0;
	memset(out, 0, sizeof *out);
	while (s && k < 4 && cursor_next(&c, &f[k]))
		k++;
	bool ok = k == 4 && c.is_done && iter_ok(&f[0], &out->iter) &&
	          decode_to(&f[1], out->salt, 1, SCRAM_SALT_MAX, &out->salt_len) &&
	          decode_to(&f[2], out->stored_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN, &n) &&
	          decode_to(&f[3], out->server_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN, &n);
	if (!ok) {
		explicit_bzero(out, sizeof *out);
		return -1;
	}
	return 0;
}

bool scram_verify(const struct scram_secret *s, const char *auth_msg, size_t len,
                  const unsigned char proof[SCRAM_KEY_LEN], unsigned char server_sig[SCRAM_KEY_LEN])
{
	unsigned char client_sig[SHA256_LEN], client_key[SHA256_LEN], stored[SHA256_LEN];
	unsigned char diff = 0;
	hmac_sha256(s->stored_key, sizeof s->stored_key, auth_msg, len, client_sig);
	for (size_t i = 0; i < SHA256_LEN; i++)
		client_key[i] = proof[i] ^ client_sig[i];
	sha256_digest(client_key, sizeof client_key, stored);
	/* constant time: no early exit on the first differing byte */
	for (size_t i = 0; i < SHA256_LEN; i++)
		diff |= stored[i] ^ s->stored_key[i];
	hmac_sha256(s->server_key, sizeof s->server_key, auth_msg, len, server_sig);
	explicit_bzero(client_sig, sizeof client_sig);
	explicit_bzero(client_key, sizeof client_key);
	explicit_bzero(stored, sizeof stored);
	return diff == 0;
}

void scram_fake_salt(const unsigned char key[SCRAM_KEY_LEN], const char *user,
                     unsigned char salt[SCRAM_SALT_LEN])
{
	static const char label[] = "scram-salt"; /* sent with its NUL */
	struct sbuf msg = SBUF_INIT;
	unsigned char d[SHA256_LEN];
	sbuf_append(&msg, label, sizeof label);
	sbuf_append_str(&msg, user);
	hmac_sha256(key, SCRAM_KEY_LEN, msg.s, msg.len, d);
	memcpy(salt, d, SCRAM_SALT_LEN);
	explicit_bzero(d, sizeof d);
	sbuf_free(&msg);
}
