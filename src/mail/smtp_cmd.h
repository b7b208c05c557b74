/*
 * smtp_cmd.h: SMTP command-line parsing (RFC 5321 4.1, RFC 1870, RFC 6152).
 *
 * Pure functions, no I/O; fuzzed by tests/fuzz/smtp_cmd_fuzz.c.
 * smtp_cmd_parse splits one command line (its CRLF or LF already removed by
 * the reader) into a verb and an argument.  D-03: a CR or NUL anywhere in
 * the line is SMTP_CMD_BAD_CHAR (501 5.5.2).  The verb is matched
 * case-insensitively against a name table; unknown verbs are
 * SMTP_VERB_UNKNOWN (500 5.5.1).  The argument is what follows the first
 * space, trailing spaces removed; it points into the caller's line.
 *
 * smtp_cmd_parse_mail / _rcpt parse "FROM:<path> params" and "TO:<path>
 * params" with the one address parser (addr.h).  MAIL knows SIZE=<n> and
 * BODY=7BIT|8BITMIME; any other parameter (and any RCPT parameter) is
 * SMTP_ARG_UNKNOWN_PARAM (555 5.5.4).  smtp_cmd_reply gives the reply line
 * (without CRLF) for every non-OK status, enhanced codes included.
 */
#ifndef QNG_SMTP_CMD_H
#define QNG_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "sbuf.h"

enum smtp_verb {
	SMTP_VERB_UNKNOWN = 0,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_COUNT
};

enum smtp_cmd_status {
	SMTP_CMD_OK = 0,
	SMTP_CMD_BAD_CHAR, /* CR or NUL in the line: 501 5.5.2 */
	SMTP_CMD_EMPTY,    /* no verb: 500 5.5.2 */
	SMTP_CMD_UNKNOWN,  /* verb not in the table: 500 5.5.1 */
};

struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg; /* into the line; not NUL-terminated */
	size_t arg_len;
};

enum smtp_body { SMTP_BODY_NONE = 0, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

enum smtp_arg_status {
	SMTP_ARG_OK = 0,
	SMTP_ARG_SYNTAX,        /* no "FROM:"/"TO:" or junk: 501 5.5.4 */
	SMTP_ARG_ADDR,          /* bad path: 501 5.1.7 (MAIL) / 501 5.1.3 (RCPT) */
	SMTP_ARG_ADDR_TOO_LONG, /* 501 5.1.7 / 501 5.1.3 */
	SMTP_ARG_BAD_PARAM,     /* known parameter, bad value or repeated: 501 5.5.4 */
	SMTP_ARG_UNKNOWN_PARAM, /* 555 5.5.4 */
};

struct smtp_mail_args {
	struct sbuf sender; /* "" for the null sender */
	bool has_size;
	uint64_t size;
	enum smtp_body body;
};

struct smtp_rcpt_args {
	struct sbuf rcpt;
};

enum smtp_cmd_status smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *out);
const char *smtp_cmd_verb_name(enum smtp_verb v);

enum smtp_arg_status smtp_cmd_parse_mail(const char *arg, size_t len, const char *defdomain,
                                         struct smtp_mail_args *out);
enum smtp_arg_status smtp_cmd_parse_rcpt(const char *arg, size_t len, const char *defdomain,
                                         struct smtp_rcpt_args *out);
void smtp_mail_args_free(struct smtp_mail_args *a);
void smtp_rcpt_args_free(struct smtp_rcpt_args *a);

/* Reply lines; is_rcpt picks the recipient flavour of address errors. */
const char *smtp_cmd_reply(enum smtp_cmd_status st);
const char *smtp_arg_reply(enum smtp_arg_status st, bool is_rcpt);

#endif
