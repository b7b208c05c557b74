/* pop3_cmd_fuzz.c: the POP3 command parser, the AUTHORIZATION state
 * machine (AUTH PLAIN decoding) and the RETR/TOP wire encoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_cmd.h"
#include "pop3_login.h"
#include "pop3_maildir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cmd(const char *line, size_t size)
{
	struct pop3_cmd cmd;
	enum pop3_cmd_status st = pop3_cmd_parse(line, size, &cmd);
	if (st != POP3_CMD_OK)
		return;
	if (cmd.verb <= POP3_VERB_UNKNOWN || cmd.verb >= POP3_VERB_COUNT)
		abort();
	if (cmd.arg_len && (cmd.arg < line || cmd.arg + cmd.arg_len > line + size))
		abort();
	struct pop3_word w[POP3_ARG_MAX];
	int n = pop3_cmd_args(cmd.arg, cmd.arg_len, 0, POP3_ARG_MAX, w);
	for (int i = 0; i < n; i++) {
		size_t msg;
		uint64_t lines;
		if (w[i].len == 0 || memchr(w[i].p, ' ', w[i].len))
			abort();
		if (pop3_cmd_msgnum(&w[i], 1000, &msg) && (msg == 0 || msg > 1000))
			abort();
		if (pop3_cmd_lines(&w[i], &lines) && lines > POP3_TOP_LINES_MAX)
			abort();
	}
}

/* Lines separated by LF drive one login session. */
static void check_login(const char *p, size_t size)
{
	struct pop3_login l;
	struct sbuf reply = SBUF_INIT, blob = SBUF_INIT;
	pop3_login_init(&l);
	size_t i = 0;
	while (i < size) {
		const char *lf = memchr(p + i, '\n', size - i);
		size_t end = lf ? (size_t)(lf - p) : size;
		enum pop3_login_action a = pop3_login_line(&l, p + i, end - i, &reply);
		if (a == POP3_LOGIN_CHECK) {
			if (l.user.len == 0 || memchr(l.user.s, '\0', l.user.len) ||
			    l.user.len > POP3_LOGIN_FIELD_MAX || l.pass.len > POP3_LOGIN_FIELD_MAX)
				abort();
			pop3_login_blob(&l, "<1@h>", &blob);
			if (blob.len > POP3_LOGIN_BLOB_MAX)
				abort();
			a = pop3_login_failed(&l, &reply);
		} else if (reply.len < 3 || reply.s[reply.len - 1] != '\n') {
			abort();
		}
		if (a == POP3_LOGIN_QUIT)
			break;
		i = end + 1;
	}
	pop3_login_free(&l);
	sbuf_free(&reply);
	sbuf_free(&blob);
}

/* The encoded form never has a bare LF, and no line is a lone "." early. */
static void check_enc(const char *p, size_t size)
{
	struct pop3_enc e;
	struct sbuf out = SBUF_INIT;
	pop3_enc_init(&e, size > 0 && (p[0] & 1), size > 1 ? (uint8_t)p[1] % 8 : 0);
	size_t half = size / 2;
	if (pop3_enc_chunk(&e, p, half, &out))
		(void)pop3_enc_chunk(&e, p + half, size - half, &out);
	pop3_enc_finish(&e, &out);
	if (out.len < 3 || memcmp(out.s + out.len - 3, ".\r\n", 3) != 0)
		abort();
	for (size_t i = 0; i < out.len; i++) {
		if (out.s[i] == '\n' && (i == 0 || out.s[i - 1] != '\r'))
			abort();
		bool line_start = i == 0 || out.s[i - 1] == '\n';
		if (line_start && i + 3 < out.len && memcmp(out.s + i, ".\r\n", 3) == 0)
			abort();
	}
	sbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	check_cmd(p, size);
	check_login(p, size);
	check_enc(p, size);
	return 0;
}
