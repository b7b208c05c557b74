/*
 * dotqmail_find.h: which .qmail file qmail-local reads (dot-qmail(5)).
 *
 * For the extension ext of a user with dash "-", the candidates are, in
 * order: ".qmail-EXT", then for ext "a-b-c" ".qmail-a-b-default",
 * ".qmail-a-default", ".qmail-default".  For an empty ext only ".qmail"
 * + dash.  File names are lower-cased and '.' in the extension becomes ':'
 * (a name starting with ".qmail-." must not escape the naming scheme).
 * Shared by the RCPT-time check (users.c) and delivery (local_deliver.c)
 * so they can never disagree.  Only stat(2) is used: no file is opened.
 */
#ifndef QNG_DOTQMAIL_FIND_H
#define QNG_DOTQMAIL_FIND_H

#include <stdbool.h>

#include "sbuf.h"

struct dotqmail_match {
	struct sbuf name;     /* file name, relative to the home directory */
	struct sbuf deflt;    /* what "default" stood for ("" if exact match) */
	bool is_default;
};

/* Builds ".qmail" dash ext with the rules above. */
void dotqmail_find_name(const char *dash, const char *ext, struct sbuf *out);

/*
 * Searches home (a directory path; "." for the cwd).  Returns 1 when a file
 * was found (*m filled), 0 when none exists, -1 on any other stat error
 * (errno: EACCES, EIO, ...).
 */
int dotqmail_find(const char *home, const char *dash, const char *ext,
                  struct dotqmail_match *m);
void dotqmail_match_free(struct dotqmail_match *m);

#endif
