/*
 * vdom.h: qmailctl's virtual-domain helpers shared by the domain, user
 * and alias verbs.  Functions return 0 / -1 (after a warning line).
 */
#ifndef QMAILCTL_VDOM_H
#define QMAILCTL_VDOM_H

#include <stdbool.h>

void vdom_lower(char *s);
/* Adds the line add (if missing) and removes every line del, in a
 * control-style list file, atomically. */
int vdom_edit_lines(const char *rel, const char *add, const char *del);
/* control/virtualdomains has "domain:vd-domain". */
bool vdom_is_virtual(const char *domain);
/* Removes every vpasswd entry whose address ends with suffix. */
int vuser_remove_domain(const char *suffix);
/* "domains/D/.qmail-L" for address L@D ('.' in L becomes ':'). */
char *vuser_dotqmail_rel(const char *addr);

#endif
