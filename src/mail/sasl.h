/*
 * sasl.h: the SASL parts of SMTP AUTH (RFC 4954) qmail-smtpd uses:
 * PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login) and CRAM-MD5
 * (RFC 2195).
 *
 * SCRAM-SHA-256 (RFC 7677) has its own module, scram.h.
 *
 * sasl_parse_auth splits the AUTH argument "MECHANISM [initial-response]"
 * (mechanism names are case-insensitive; "=" is an empty response).
 * sasl_plain_decode decodes a base64 PLAIN message
 * "authzid NUL authcid NUL password": authcid non-empty, authzid empty or
 * equal to authcid (no proxy authorization), no further NUL, no CR or LF,
 * each at most SASL_FIELD_MAX.  sasl_login_decode decodes one LOGIN step
 * (user name or password) with the same field rules.  sasl_cram_decode
 * decodes a base64 CRAM-MD5 response "user SP digest": exactly one space,
 * user 1..TLSCTL_USER_MAX bytes without control bytes (< 0x20, 0x7f),
 * digest exactly SASL_CRAM_DIGEST_LEN hex digits, returned in lower case
 * in out->pass.  All return -1 for any invalid input (fail closed).  Pure.
 */
#ifndef QNG_SASL_H
#define QNG_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define SASL_FIELD_MAX 512
#define SASL_CRAM_DIGEST_LEN 32

enum sasl_mech {
	SASL_MECH_PLAIN,
	SASL_MECH_LOGIN,
	SASL_MECH_CRAM_MD5,
	SASL_MECH_SCRAM_SHA_256,
	SASL_MECH_UNKNOWN
};

struct sasl_auth_arg {
	enum sasl_mech mech;
	bool has_initial;
	const char *initial; /* points into the argument */
	size_t initial_len;  /* 0 for "=" */
};

struct sasl_creds {
	struct sbuf user;
	struct sbuf pass;
};

int sasl_parse_auth(const char *arg, size_t len, struct sasl_auth_arg *out);
int sasl_plain_decode(const char *b64, size_t len, struct sasl_creds *out);
int sasl_login_decode(const char *b64, size_t len, struct sbuf *out);
int sasl_cram_decode(const char *b64, size_t len, struct sasl_creds *out);
void sasl_creds_free(struct sasl_creds *c);   /* wipes the password */
/* "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256" ("?" for unknown). */
const char *sasl_mech_name(enum sasl_mech m);
/* The SMTPAUTH variable (qmail AUTH patches): "+name" items run together,
 * "+cram" offers CRAM-MD5, "+scram" SCRAM-SHA-256, e.g. "+cram+scram";
 * other items and a value not starting with '+' offer nothing more.
 * NULL: nothing more. */
void sasl_parse_smtpauth(const char *v, bool *cram, bool *scram);

#endif
