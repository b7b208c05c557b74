/*
 * greylist.h: greylisting (POLICY D-14).
 *
 * The triple is (client network, sender, recipient): an IPv4 client's /24
 * ("192.0.2.0/24"), an IPv6 client's /64; addresses lower-cased.  The
 * store is a directory (qmail-smtpd uses $QMAILHOME/greylist, writable by
 * the smtpd user): one small file per triple at DIR/HH/HASH (HASH: 16 hex
 * digits of a 64-bit FNV-1a of the triple, HH its first two), holding
 * "FIRST LAST\n" (seconds since the epoch) and the triple itself, so a
 * hash collision is a new triple, never a pass.  Files are replaced
 * atomically (tmp + rename), so a crash leaves the old entry or the new
 * one, never a torn one; an unreadable or malformed file counts as new.
 *
 * greylist_check: a new triple (or one idle longer than GREYLIST_EXPIRE)
 * is recorded and answered GREYLIST_WAIT; a known one is GREYLIST_WAIT
 * until delay seconds after it was first seen, then GREYLIST_PASS (its
 * "last seen" is refreshed).  GREYLIST_ERROR: the store failed (the caller
 * fails open and logs it, D-14).
 */
#ifndef QNG_GREYLIST_H
#define QNG_GREYLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define GREYLIST_EXPIRE (36ull * 86400ull)
#define GREYLIST_DELAY_MAX (86400ull)
#define GREYLIST_TRIPLE_MAX 1100

enum greylist_verdict { GREYLIST_PASS, GREYLIST_WAIT, GREYLIST_ERROR };

/* false when ip is not an address. */
bool greylist_triple(const char *ip, const char *sender, const char *rcpt, struct sbuf *out);
/* File contents ("FIRST LAST\nTRIPLE\n") → times; false when malformed or
 * for another triple. */
bool greylist_parse_entry(const char *data, size_t len, const char *triple, uint64_t *first,
                          uint64_t *last);
enum greylist_verdict greylist_check(const char *dir, const char *triple, uint64_t now,
                                     uint64_t delay);

#endif
