/*
 * pop3_budget.h: the per-client-address budget of failed POP3 logins.
 *
 * One small file per address in a directory the login broker owns
 * ($QMAILHOME/run/pop3fail, mode 0700; in root mode root's, never
 * writable by the network-facing account).  The file name is the address
 * with ':' as '_'; its content one line "COUNT START\n": COUNT failures
 * since START (seconds since the epoch).  A window of POP3_BUDGET_WINDOW
 * seconds starts at the first failure; POP3_BUDGET_FAILS failures in it
 * use the budget up, and logins from that address are refused without
 * checking the password until the window ends.  Updates are atomic
 * (file_write_atomic); two concurrent failures may count once (the budget
 * is a brake, not a counter).  A clock that went backwards counts as the
 * window's start (D-18).
 *
 * pop3_budget_key accepts only an IP address's characters ([0-9A-Fa-f.:],
 * 1..45 octets) so a name can never leave the directory.  Parsers fail
 * closed: a file that does not parse counts as an exhausted budget.
 */
#ifndef QNG_POP3_BUDGET_H
#define QNG_POP3_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define POP3_BUDGET_FAILS 10
#define POP3_BUDGET_WINDOW 600
#define POP3_BUDGET_FILE_MAX 64

bool pop3_budget_key(const char *ip, struct sbuf *out);
/* "COUNT START\n": 0 ok, -1 invalid. */
int pop3_budget_parse(const char *data, size_t len, uint64_t *count, uint64_t *start);
/* Failures that still count at now (0 once the window is over). */
uint64_t pop3_budget_live(uint64_t count, uint64_t start, uint64_t now);
/* true when ip has no failures left (also for an unreadable record). */
bool pop3_budget_exhausted(const char *dir, const char *ip, uint64_t now);
/* Counts one failure; 0 / -1 errno. Creates dir (0700) if missing. */
int pop3_budget_fail(const char *dir, const char *ip, uint64_t now);

#endif
