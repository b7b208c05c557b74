/*
 * users.h: who receives a local address (qmail-users(5), qmail-getpw(8)).
 *
 * Input: the local part of a routed local address (after virtualdomains
 * rewriting), lower-cased for lookup.  Lookup order:
 *   1. users/cdb (compiled from users/assign by qmail-newu): exact "=local"
 *      entries, then the longest matching "+prefix" wildcard;
 *   2. the passwd database (qmail-getpw rules: the longest prefix before a
 *      '-' that names a user with uid != 0 whose home directory exists
 *      and belongs to it; in user mode only the instance owner qualifies);
 *   3. the alias user, with the whole local part as the extension.
 * The result carries qmail-local's arguments.
 */
#ifndef QNG_USERS_H
#define QNG_USERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "sbuf.h"

struct local_user {
	struct sbuf user;     /* account name */
	uid_t uid;
	gid_t gid;
	struct sbuf home;
	struct sbuf dash;     /* "" or "-" */
	struct sbuf ext;      /* extension, e.g. "box" for "user-box" */
};

void local_user_free(struct local_user *u);
/* 1 found, 0 no such user (cannot happen while an alias user exists),
 * -1 temporary error (errno). */
int users_lookup(const char *local, struct local_user *out);

/*
 * The RCPT-time check (POLICY.md D-05): does delivery logic have somewhere
 * to put mail for this routed local address?  Looks up the user, then
 * checks for the .qmail file that qmail-local would use (.qmail-EXT, the
 * -default files walking up, or .qmail with empty ext; aliases: .qmail-*
 * in ~alias, then the aliases cdb from newaliases).  Returns
 * DELIV_YES, DELIV_NO (550 5.1.1), or DELIV_UNKNOWN when it could not
 * tell (permission denied, I/O error): the caller accepts in that case.
 */
enum deliverable { DELIV_YES, DELIV_NO, DELIV_UNKNOWN };
enum deliverable users_deliverable(const char *local, const char *domain);

#endif
