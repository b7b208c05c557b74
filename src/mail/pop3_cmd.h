/*
 * pop3_cmd.h: POP3 command-line parsing (RFC 1939 3, RFC 2449 4, RFC 5034).
 *
 * Pure functions, no I/O; fuzzed by tests/fuzz/pop3_cmd_fuzz.c.
 *
 * pop3_cmd_parse splits one command line (CRLF or LF already removed by the
 * reader) into a verb, matched case-insensitively against a table, and an
 * argument: everything after the first space, kept as it is (a password may
 * hold or end in spaces).  A CR or NUL anywhere in the line is
 * POP3_CMD_BAD_CHAR; an empty verb POP3_CMD_EMPTY; a verb not in the table
 * POP3_CMD_UNKNOWN.  The argument points into the caller's line.
 *
 * Limits: a command line is at most POP3_LINE_MAX octets including CRLF
 * (RFC 2449 4), so readers accept POP3_LINE_MAX - 2 octets before it; an
 * AUTH continuation line may be POP3_AUTH_LINE_MAX octets.
 *
 * Numbers (pop3_cmd_msgnum, pop3_cmd_lines) are plain decimal digits through
 * scan.h: no sign, no spaces, no leading '+', no wrap-around.  A message
 * number must be 1..n_msgs; 0, negative, huge or junk fail (-ERR).
 * pop3_cmd_args splits an argument into exactly the words a verb takes,
 * separated by single spaces (RFC 1939 3); anything else fails.
 */
#ifndef QNG_POP3_CMD_H
#define QNG_POP3_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POP3_LINE_MAX 255
#define POP3_AUTH_LINE_MAX 2048
#define POP3_ARG_MAX 2 /* TOP msg n */
#define POP3_TOP_LINES_MAX 100000000u

enum pop3_verb {
	POP3_VERB_UNKNOWN = 0,
	POP3_VERB_USER,
	POP3_VERB_PASS,
	POP3_VERB_APOP,
	POP3_VERB_AUTH,
	POP3_VERB_CAPA,
	POP3_VERB_STLS,
	POP3_VERB_QUIT,
	POP3_VERB_STAT,
	POP3_VERB_LIST,
	POP3_VERB_UIDL,
	POP3_VERB_TOP,
	POP3_VERB_RETR,
	POP3_VERB_DELE,
	POP3_VERB_RSET,
	POP3_VERB_NOOP,
	POP3_VERB_COUNT
};

enum pop3_cmd_status {
	POP3_CMD_OK = 0,
	POP3_CMD_BAD_CHAR, /* CR or NUL in the line */
	POP3_CMD_EMPTY,    /* no verb */
	POP3_CMD_UNKNOWN,  /* verb not in the table */
};

struct pop3_cmd {
	enum pop3_verb verb;
	const char *arg; /* into the line, not NUL-terminated; "" if none */
	size_t arg_len;
};

struct pop3_word {
	const char *p;
	size_t len;
};

enum pop3_cmd_status pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *out);
const char *pop3_cmd_name(enum pop3_verb v);

/* Splits arg into between min_words and max_words (<= POP3_ARG_MAX) words
 * separated by single spaces; returns the count, -1 when it does not fit. */
int pop3_cmd_args(const char *arg, size_t len, size_t min_words, size_t max_words,
                  struct pop3_word out[POP3_ARG_MAX]);
/* A message number 1..n_msgs. */
bool pop3_cmd_msgnum(const struct pop3_word *w, size_t n_msgs, size_t *out);
/* A TOP line count 0..POP3_TOP_LINES_MAX. */
bool pop3_cmd_lines(const struct pop3_word *w, uint64_t *out);

#endif
