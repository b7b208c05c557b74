/* vpasswd_fuzz.c: libFuzzer harness for the users/vpasswd line parser and
 * the CRAM-MD5 check (vpasswd_verify_cram). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "vpasswd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpw_entry e;
	if (vpasswd_parse_line((const char *)data, size, &e) == 0) {
		/* what parses must format back to the same bytes */
		struct sbuf b = SBUF_INIT;
		vpasswd_format_line(&e, &b);
		if (!vpasswd_addr_valid(e.addr) || strchr(e.hash, ':') || strchr(e.maildir, '\n'))
			abort();
		if (e.cram && (strlen(e.cram) != VPASSWD_CRAM_LEN ||
		               strspn(e.cram, "0123456789abcdef") != VPASSWD_CRAM_LEN))
			abort();
		sbuf_free(&b);
		vpasswd_entry_free(&e);
	}
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	(void)vpasswd_addr_valid(s);
	(void)vpasswd_domain_valid(s);
	/* "cram NUL challenge NUL digest" from the input */
	const char *chal = s + strlen(s) + (strlen(s) < size);
	const char *dig = chal + strlen(chal) + (chal + strlen(chal) < s + size);
	(void)vpasswd_verify_cram(s, chal, dig);
	free(s);
	return 0;
}
