/*
 * scram.h: the server side of SASL SCRAM-SHA-256 (RFC 5802, RFC 7677) for
 * SMTP AUTH, without channel binding (no -PLUS mechanism is offered).
 *
 * The exchange (all messages base64 on the wire; these functions see them
 * decoded):
 *   client-first  gs2-header client-first-bare
 *                 gs2-header = ("n" | "y") "," ["a=" saslname] ","
 *                 client-first-bare = "n=" saslname ",r=" c-nonce ["," ext]
 *   server-first  "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iter
 *   client-final  "c=" base64(gs2-header) ",r=" c-nonce s-nonce ["," ext]
 *                 ",p=" base64(ClientProof)
 *   server-final  "v=" base64(ServerSignature)
 * AuthMessage = client-first-bare "," server-first "," client-final
 * without its ",p=..." part.
 *
 * Parsers are pure and fail closed (-1) on anything else, among them:
 * a "p=" flag (channel binding requested), an authzid different from
 * the user, an "m=" extension (RFC 5802 5.1: must fail), a saslname
 * with '=' not followed by "2C" or "3D", a NUL or control byte (< 0x20,
 * 0x7f) in a name, an empty user or nonce, a nonce byte outside 0x21..0x7e
 * or a ',' in it, a client-first-bare longer than SCRAM_BARE_MAX, a user
 * (decoded) longer than SCRAM_USER_MAX, a nonce longer than
 * SCRAM_NONCE_MAX, a client-final longer than SCRAM_FINAL_MAX, a proof
 * that is not exactly SCRAM_KEY_LEN bytes.  Extensions other than "m="
 * ("x=value" after the nonce, x a letter) are accepted and ignored.
 * User names are taken as they are (SASLprep is the identity on the
 * printable ASCII that addresses use; other bytes are not normalized).
 *
 * The stored secret (users/vpasswd's 7th field, qmailctl --scram) is
 * "iter,base64(salt),base64(StoredKey),base64(ServerKey)" (the fields of
 * RFC 5803 and Dovecot's SCRAM-SHA-256 scheme), where
 * SaltedPassword = Hi(password, salt, iter), ClientKey =
 * HMAC(SaltedPassword, "Client Key"), StoredKey = SHA-256(ClientKey),
 * ServerKey = HMAC(SaltedPassword, "Server Key").  It is not
 * password-equivalent: logging in needs ClientKey (docs/SECURITY.md).
 */
#ifndef QNG_SCRAM_H
#define QNG_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "sha256.h"

#define SCRAM_KEY_LEN SHA256_LEN
#define SCRAM_SALT_LEN 16        /* what scram_secret_make's callers use */
#define SCRAM_SALT_MAX 64        /* accepted when parsing a stored secret */
#define SCRAM_ITER_DEFAULT 10000
#define SCRAM_ITER_MIN 4096      /* RFC 7677 4 */
#define SCRAM_ITER_MAX 1000000
#define SCRAM_USER_MAX 255
#define SCRAM_NONCE_MAX 128
#define SCRAM_BARE_MAX 512
#define SCRAM_FINAL_MAX 640
#define SCRAM_SNONCE_LEN 24      /* server nonce: base64 of 18 random bytes */

struct scram_first {
	struct sbuf gs2;    /* the gs2-header as sent, e.g. "n,,", for the c= check */
	struct sbuf user;   /* decoded saslname */
	struct sbuf cnonce; /* client nonce */
	struct sbuf bare;   /* client-first-bare, verbatim */
};

struct scram_final {
	struct sbuf without_proof; /* "c=...,r=..." verbatim, for AuthMessage */
	struct sbuf nonce;         /* the whole nonce (client's + server's) */
	unsigned char proof[SCRAM_KEY_LEN];
	bool cbind_ok;             /* set by scram_final_check */
};

struct scram_secret {
	uint32_t iter;
	unsigned char salt[SCRAM_SALT_MAX];
	size_t salt_len;
	unsigned char stored_key[SCRAM_KEY_LEN];
	unsigned char server_key[SCRAM_KEY_LEN];
};

int scram_parse_first(const char *msg, size_t len, struct scram_first *out);
void scram_first_free(struct scram_first *f);

/* "r=CNONCE SNONCE,s=SALT64,i=ITER" into out (replaced). */
void scram_format_server_first(const char *cnonce, const char *snonce, const unsigned char *salt,
                               size_t salt_len, uint32_t iter, struct sbuf *out);

int scram_parse_final(const char *msg, size_t len, struct scram_final *out);
void scram_final_free(struct scram_final *f);
/* Whether final's c= decodes to exactly first's gs2-header and final's
 * nonce is first's client nonce followed by snonce; also final->cbind_ok. */
bool scram_final_check(const struct scram_first *first, const char *snonce,
                       struct scram_final *final);

/* client-first-bare "," server-first "," client-final-without-proof. */
void scram_auth_message(const struct scram_first *first, const char *server_first,
                        const struct scram_final *final, struct sbuf *out);

/* The secret for password; -1 when iter or salt_len is out of range. */
int scram_secret_make(const char *password, size_t len, const unsigned char *salt,
                      size_t salt_len, uint32_t iter, struct scram_secret *out);
void scram_secret_format(const struct scram_secret *s, struct sbuf *out);
int scram_secret_parse(const char *s, size_t len, struct scram_secret *out);

/* Whether proof is right for secret and auth_msg: SHA-256(proof XOR
 * HMAC(StoredKey, AuthMessage)) == StoredKey, compared in constant time.
 * Either way server_sig gets HMAC(ServerKey, AuthMessage) (the same work
 * for a right and a wrong proof); send it only after a right one. */
bool scram_verify(const struct scram_secret *s, const char *auth_msg, size_t len,
                  const unsigned char proof[SCRAM_KEY_LEN],
                  unsigned char server_sig[SCRAM_KEY_LEN]);

/* A salt for a user without a secret (unknown, or no --scram), the same
 * for the same user and key: HMAC(key, "scram-salt" NUL user), first
 * SCRAM_SALT_LEN bytes, so the answer to an unknown user looks like the
 * answer to a known one (D-11). */
void scram_fake_salt(const unsigned char key[SCRAM_KEY_LEN], const char *user,
                     unsigned char salt[SCRAM_SALT_LEN]);

#endif
