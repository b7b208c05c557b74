/*
 * assign.h: users/assign lines (qmail-users(5)) and their users/cdb
 * records, shared by qmail-newu (writer) and users.c (reader).
 *
 *   =local:user:uid:gid:homedir:dash:ext:     exact address
 *   +prefix:user:uid:gid:homedir:dash:pre:    every address starting with prefix
 *   .                                          end of file (optional here)
 * Fields must not contain ':' (by construction), NUL, CR or LF; local and
 * prefix are lower-cased; uid and gid are decimal; homedir must be
 * absolute.  users/cdb keys: exact "!" local "\0", wildcard "!" prefix;
 * value: user\0uid\0gid\0homedir\0dash\0ext\0.  Pure; fuzzed through
 * assign_parse_line.
 */
#ifndef QNG_ASSIGN_H
#define QNG_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

#define ASSIGN_LINE_MAX 4096

enum assign_status {
	ASSIGN_ENTRY = 0,   /* *out filled */
	ASSIGN_SKIP,        /* empty line or the "." end line */
	ASSIGN_BAD_TYPE,    /* does not start with '=', '+' or '.' */
	ASSIGN_BAD_FIELDS,  /* wrong number of fields or missing final ':' */
	ASSIGN_BAD_NUMBER,  /* uid or gid */
	ASSIGN_BAD_HOME,    /* homedir not absolute */
	ASSIGN_BAD_CHAR,    /* NUL, CR or LF, or line too long */
};

struct assign_entry {
	bool is_wildcard;
	struct sbuf key;    /* cdb key */
	struct sbuf value;  /* cdb value */
};

enum assign_status assign_parse_line(const char *line, size_t len, struct assign_entry *out);
void assign_entry_free(struct assign_entry *e);
const char *assign_status_str(enum assign_status st);

#endif
