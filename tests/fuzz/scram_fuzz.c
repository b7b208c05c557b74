/* scram_fuzz.c: AUTH SCRAM-SHA-256's parsers (scram.h): the client's two
 * messages and the stored secret. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scram.h"

static void check_first(const char *s, size_t size, const struct scram_first *f)
{
	if (f->user.len == 0 || f->user.len > SCRAM_USER_MAX || f->cnonce.len == 0 ||
	    f->cnonce.len > SCRAM_NONCE_MAX || f->bare.len > SCRAM_BARE_MAX || f->bare.len > size ||
	    memcmp(f->bare.s, s + size - f->bare.len, f->bare.len) != 0 ||
	    f->gs2.len + f->bare.len != size || memcmp(f->gs2.s, s, f->gs2.len) != 0)
		abort();
	for (size_t i = 0; i < f->user.len; i++) {
		unsigned char u = (unsigned char)f->user.s[i];
		if (u < 0x20 || u == 0x7f)
			abort();
	}
	for (size_t i = 0; i < f->cnonce.len; i++) {
		unsigned char c = (unsigned char)f->cnonce.s[i];
		if (c < 0x21 || c > 0x7e || c == ',')
			abort();
	}
}

static void check_final(const char *s, size_t size, const struct scram_final *f)
{
	if (size > SCRAM_FINAL_MAX || f->without_proof.len >= size ||
	    memcmp(f->without_proof.s, s, f->without_proof.len) != 0 || f->nonce.len == 0 ||
	    memchr(f->without_proof.s, '\0', f->without_proof.len) ||
	    memcmp(s + f->without_proof.len, ",p=", 3) != 0)
		abort();
}

static void check_secret(const struct scram_secret *sec)
{
	struct sbuf out = SBUF_INIT;
	struct scram_secret again;
	if (sec->iter < SCRAM_ITER_MIN || sec->iter > SCRAM_ITER_MAX || sec->salt_len == 0 ||
	    sec->salt_len > SCRAM_SALT_MAX)
		abort();
	scram_secret_format(sec, &out);
	if (scram_secret_parse(out.s, out.len, &again) < 0 ||
	    memcmp(&again, sec, sizeof again) != 0)
		abort();
	sbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that ASan sees any read past them */
	char *s = malloc(size ? size : 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	struct scram_first first;
	if (scram_parse_first(s, size, &first) == 0)
		check_first(s, size, &first);
	scram_first_free(&first);
	struct scram_final final;
	if (scram_parse_final(s, size, &final) == 0) {
		check_final(s, size, &final);
		struct sbuf am = SBUF_INIT;
		if (scram_parse_first("n,,n=u,r=abc", 12, &first) < 0)
			abort();
		(void)scram_final_check(&first, "def", &final);
		scram_auth_message(&first, "r=abcdef,s=AA==,i=4096", &final, &am);
		sbuf_free(&am);
		scram_first_free(&first);
	}
	scram_final_free(&final);
	struct scram_secret sec;
	if (scram_secret_parse(s, size, &sec) == 0)
		check_secret(&sec);
	free(s);
	return 0;
}
