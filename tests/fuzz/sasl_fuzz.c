/* sasl_fuzz.c: the AUTH argument parser and the PLAIN/LOGIN/CRAM-MD5
 * decoders (sasl.h), the SMTPAUTH parser, plus the control channel's
 * parsers (tlsctl.h), the SCRAM requests and answers among them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"
#include "tlsctl.h"

static void check_field(const struct sbuf *b)
{
	if (b->len > SASL_FIELD_MAX || (b->s && (memchr(b->s, '\0', b->len) ||
	                                         memchr(b->s, '\r', b->len) ||
	                                         memchr(b->s, '\n', b->len))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sasl_auth_arg a;
	if (sasl_parse_auth(s, size, &a) == 0 && a.has_initial &&
	    (a.initial < s || a.initial + a.initial_len > s + size))
		abort();
	struct sasl_creds c = {SBUF_INIT, SBUF_INIT};
	if (sasl_plain_decode(s, size, &c) == 0) {
		if (c.user.len == 0)
			abort();
		check_field(&c.user);
		check_field(&c.pass);
	}
	sasl_creds_free(&c);
	if (sasl_cram_decode(s, size, &c) == 0) {
		/* a user without control bytes or spaces, 32 lower-case hex digits */
		if (c.user.len == 0 || c.user.len > TLSCTL_USER_MAX ||
		    c.pass.len != SASL_CRAM_DIGEST_LEN ||
		    strspn(c.pass.s, "0123456789abcdef") != SASL_CRAM_DIGEST_LEN)
			abort();
		for (size_t i = 0; i < c.user.len; i++) {
			unsigned char u = (unsigned char)c.user.s[i];
			if (u < 0x20 || u == 0x7f || u == ' ')
				abort();
		}
		struct sbuf m = SBUF_INIT;
		if (tlsctl_format_auth(c.user.s, c.pass.s, "<1.2@x>", &m) < 0)
			abort();
		sbuf_free(&m);
	}
	sasl_creds_free(&c);
	struct sbuf one = SBUF_INIT;
	if (sasl_login_decode(s, size, &one) == 0)
		check_field(&one);
	sbuf_free(&one);
	struct tlsctl_info info;
	(void)tlsctl_parse_ok(s, size, &info);
	char *copy = malloc(size + 1);
	memcpy(copy, data, size);
	const char *user, *blob;
	size_t blob_len;
	if (tlsctl_parse_auth(copy, size, &user, &blob, &blob_len) == 0 &&
	    blob + blob_len > copy + size)
		abort();
	free(copy);
	if (tlsctl_parse_scram(s, size, &blob, &blob_len) == 0 &&
	    (blob != s + 1 || blob_len != size - 1 || s[size - 1] != '\0'))
		abort();
	long alen = tlsctl_answer_len(s, size);
	if (alen > TLSCTL_ANSWER_MAX || (alen >= 0 && (size_t)alen + 1 < size))
		abort();
	bool cram, scram;
	char *v = malloc(size + 1);
	memcpy(v, data, size);
	v[size] = '\0';
	sasl_parse_smtpauth(v, &cram, &scram);
	free(v);
	return 0;
}
