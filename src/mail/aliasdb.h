/*
 * aliasdb.h: the alias user and the aliases database.
 *
 * The alias user (ROLE_ALIAS) receives every local address that no other
 * user claims; its home is $QMAILHOME/alias.  newaliases compiles
 * /etc/aliases-style input into $QMAILHOME/alias/aliases.cdb: the key is
 * the lower-cased local part, the value a list of targets, each followed
 * by a NUL.  A target is read like a .qmail line (an address, "|program",
 * "/file").  Values larger than ALIASDB_VALUE_MAX are refused (EINVAL).
 */
#ifndef QNG_ALIASDB_H
#define QNG_ALIASDB_H

#include <stdbool.h>

#include "control.h"

#define ALIASDB_VALUE_MAX (64u * 1024u)

/* True when home is the alias user's home directory. */
bool aliasdb_is_alias_home(const char *home);

/* 1 found (targets appended to *out), 0 not found or no database,
 * -1 error (errno). */
int aliasdb_lookup(const char *local, struct strlist *out);

#endif
