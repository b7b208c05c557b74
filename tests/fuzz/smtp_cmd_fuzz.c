/* smtp_cmd_fuzz.c: the SMTP command-line and MAIL/RCPT argument parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct smtp_cmd cmd;
	enum smtp_cmd_status st = smtp_cmd_parse(line, size, &cmd);
	if (smtp_cmd_reply(st) == NULL)
		abort();
	if (st != SMTP_CMD_OK)
		return 0;
	if (cmd.arg < line || cmd.arg + cmd.arg_len > line + size)
		abort();
	if (memchr(cmd.arg, '\r', cmd.arg_len) || memchr(cmd.arg, '\0', cmd.arg_len))
		abort();
	struct smtp_mail_args m = { SBUF_INIT, false, 0, SMTP_BODY_NONE };
	struct smtp_rcpt_args r = { SBUF_INIT };
	enum smtp_arg_status as = smtp_cmd_parse_mail(cmd.arg, cmd.arg_len, "d.example", &m);
	if (smtp_arg_reply(as, false) == NULL)
		abort();
	if (as == SMTP_ARG_OK && (memchr(m.sender.s ? m.sender.s : "", '\n', m.sender.len)))
		abort();
	as = smtp_cmd_parse_rcpt(cmd.arg, cmd.arg_len, NULL, &r);
	if (as == SMTP_ARG_OK && r.rcpt.len == 0)
		abort();
	smtp_mail_args_free(&m);
	smtp_rcpt_args_free(&r);
	return 0;
}
