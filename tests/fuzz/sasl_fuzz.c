/* sasl_fuzz.c: the AUTH argument parser and the PLAIN/LOGIN decoders
 * (sasl.h), plus the control channel's parsers (tlsctl.h). */
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
	return 0;
}
