/*
 * inject_aliases.h: newaliases(8) - compile an aliases(5) file into
 * $QMAILHOME/alias/aliases.cdb (read by aliasdb.h).
 *
 * Input: lines "name: target, target, ..."; a line starting with a space
 * or tab continues the previous one; '#' lines and empty lines are
 * ignored.  A target is an address (normalised with addr_normalize and
 * the default domain), "|program" or "/file" (kept verbatim), or any of
 * these in double quotes.  ":include:" is not supported.
 * Output (cdb): key = the lower-cased name, value = every target followed
 * by a NUL.  Limits: ALIASES_LINE_MAX per logical line, ALIASDB_VALUE_MAX
 * per value.  A duplicate name, an empty target list or a bad address
 * makes the whole file invalid (fail closed, the old cdb stays): the
 * functions return -1 and describe the first problem in *err
 * ("line N: ...").
 */
#ifndef QNG_INJECT_ALIASES_H
#define QNG_INJECT_ALIASES_H

#include <stddef.h>

#include "control.h"
#include "sbuf.h"

#define ALIASES_LINE_MAX 65536
#define ALIASES_FILE_MAX (16u * 1024u * 1024u)

struct alias_entry {
	char *name;
	struct sbuf value; /* targets, each NUL-terminated */
};

struct alias_list {
	struct alias_entry *v;
	size_t n;
	size_t cap;
};

int inject_aliases_parse(const char *data, size_t len, const char *defdomain,
                         struct alias_list *out, struct sbuf *err);
void inject_aliases_free(struct alias_list *l);
/* Parses src (missing: empty map) and writes cdb_path atomically. */
int inject_aliases_compile(const char *src, const char *cdb_path, const char *defdomain,
                           struct sbuf *err);

#endif
