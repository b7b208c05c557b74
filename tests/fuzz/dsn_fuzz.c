/* dsn_fuzz: status/reply extraction from delivery texts and the whole
 * bounce builder on arbitrary failure texts and messages. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char st[DSN_STATUS_MAX];
	dsn_status(text, st);
	if (st[0] != '5' || st[1] != '.' || strlen(st) > 9)
		abort();
	const char *r = dsn_smtp_reply(text);
	if (r && (r < text || r >= text + strlen(text)))
		abort();
	struct dsn_rcpt rc = { "a@b", text };
	struct dsn_msg m = { "me", "MAILER-DAEMON@me", "s@x", "1", 0, 1, size & 1, &rc, 1,
			     (const char *)data, size };
	struct sbuf out = SBUF_INIT;
	dsn_build(&m, &out);
	sbuf_free(&out);
	free(text);
	return 0;
}
