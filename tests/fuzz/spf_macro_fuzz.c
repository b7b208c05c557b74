/* spf_macro_fuzz.c: the SPF macro expander, in domain and explanation
 * mode, IPv4 and IPv6.  Properties: the output is bounded, holds no
 * control byte, and truncation leaves at most 253 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spf_macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ptr(void *arg, struct sbuf *out)
{
	(void)arg;
	sbuf_append_str(out, "mail.example.com");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	                                     0,    0,    0,    0,    0, 0, 0, 1};
	struct spf_macro_ctx c = {"first.last@example.com", "example.com", "helo.example", "rx",
	                          AF_INET, ip, 42, ptr, NULL};
	struct sbuf out = SBUF_INIT;
	for (int mode = 0; mode < 4; mode++) {
		c.family = mode & 1 ? AF_INET6 : AF_INET;
		if (spf_macro_expand((const char *)data, size, &c, mode >= 2, &out) == 0) {
			if (out.len > SPF_MACRO_OUT_MAX + 64)
				abort();
			for (size_t i = 0; i < out.len; i++) {
				if ((unsigned char)out.s[i] < 0x20 || (unsigned char)out.s[i] > 0x7e)
					abort();
			}
			spf_domain_truncate(&out);
			if (out.len > SPF_DOMAIN_MAX && memchr(out.s, '.', out.len))
				abort();
		}
	}
	sbuf_free(&out);
	return 0;
}
