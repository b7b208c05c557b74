/*
 * ratelimit.h: message and recipient rate limits per client address and
 * per authenticated user (issue 6), with state shared by every
 * qmail-smtpd process.
 *
 * Rules (control/ratelimit_ip, control/ratelimit_auth; qmail-control(5)):
 * one rule a line, "MATCH MESSAGES RECIPIENTS SECONDS", fields separated
 * by blanks: at most MESSAGES MAIL commands and RECIPIENTS accepted RCPT
 * commands per SECONDS.  0 in a count column: that count is not limited
 * ("0 0 0" exempts the match).  MATCH for ratelimit_ip: "*", an address,
 * or a network "ADDR/LEN"; for ratelimit_auth: "*", a user name (compared
 * without case) or "@domain" (the part after the user name's last '@').
 * The first matching line applies; no match, no limit.  A malformed line
 * makes ratelimit_rules_parse fail (the caller refuses to start: a typo
 * must not silently turn limits off).
 *
 * Keys (what is counted): an IPv4 client's address ("ip 192.0.2.1"), an
 * IPv6 client's /64 ("ip 2001:db8:1:2::/64": one host usually owns a
 * whole /64), an authenticated user ("user NAME", lower-cased, bytes
 * outside 0x21..0x7e as '?', at most RATELIMIT_KEY_MAX bytes).
 *
 * Window: a sliding window estimated from two fixed ones: the count of
 * the current window (aligned to a multiple of SECONDS) plus the previous
 * window's count weighted by the share of it still inside the sliding
 * window.  An event passes when that estimate is below the limit, and
 * only passing events are counted, so a client that keeps trying recovers
 * as its old events age out.  A clock that went back, or a rule whose
 * window changed, starts the key over.
 *
 * Store: a directory (qmail-smtpd: $QMAILHOME/ratelimit, owned by the
 * smtpd user, 0700); one file per key at DIR/HH/HASH (HASH: 16 hex digits
 * of the key's 64-bit FNV-1a, HH its first two), "START WINDOW PM CM PR
 * CR\n" in fixed-width decimal, then "KEY\n".  A check opens the file
 * (O_NOFOLLOW), takes an exclusive flock, reads, decides, rewrites the
 * record in place and closes: concurrent processes never lose an update.
 * The state is soft (no fsync): after a crash a key may start over.  A
 * malformed file, or one for another key, starts the key over.
 * ratelimit_sweep removes the files of one bucket HH not written for
 * max_age seconds (a key idle for two windows holds no information).
 *
 * Errors: ratelimit_check returns RATELIMIT_ERROR when the store failed
 * (the caller accepts and logs: a local fault never refuses mail).
 */
#ifndef QNG_RATELIMIT_H
#define QNG_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "sbuf.h"

#define RATELIMIT_COUNT_MAX 1000000ull
#define RATELIMIT_WINDOW_MAX (7ull * 86400ull)
#define RATELIMIT_KEY_MAX 512
#define RATELIMIT_BUCKETS 256
#define RATELIMIT_SWEEP_MAX 10000 /* files looked at by one sweep */

enum ratelimit_kind { RATELIMIT_BY_IP, RATELIMIT_BY_USER };
enum ratelimit_counter { RATELIMIT_MESSAGES, RATELIMIT_RECIPIENTS };
enum ratelimit_verdict { RATELIMIT_PASS, RATELIMIT_OVER, RATELIMIT_ERROR };

struct ratelimit_rule {
	char *match; /* the line's first field */
	bool is_any; /* "*" */
	int family;  /* RATELIMIT_BY_IP: AF_INET or AF_INET6 */
	unsigned char net[16];
	unsigned prefix_len;
	uint64_t max[2];   /* by enum ratelimit_counter; 0: unlimited */
	uint64_t window_s; /* 0 only when both max are 0 */
};

struct ratelimit_rules {
	struct ratelimit_rule *v;
	size_t n, cap;
};

struct ratelimit_entry {
	uint64_t start, window_s;
	uint64_t prev[2], cur[2];
};

/* true and the rules, or false (out empty) and the 1-based line number of
 * the first bad line in *bad_line. */
bool ratelimit_rules_parse(const struct strlist *lines, enum ratelimit_kind kind,
                           struct ratelimit_rules *out, size_t *bad_line);
void ratelimit_rules_free(struct ratelimit_rules *r);
/* The first rule matching, or NULL. */
const struct ratelimit_rule *ratelimit_rules_match_ip(const struct ratelimit_rules *r,
                                                      const char *ip);
const struct ratelimit_rule *ratelimit_rules_match_user(const struct ratelimit_rules *r,
                                                        const char *user);
/* The longest window among the rules (0: none). */
uint64_t ratelimit_rules_window_max(const struct ratelimit_rules *r);

/* Keys; false when ip is not an address. */
bool ratelimit_key_ip(const char *ip, struct sbuf *out);
void ratelimit_key_user(const char *user, struct sbuf *out);

/* Pure window arithmetic: true (and counted) when one more event of
 * counter c fits under max per window_s at now; false when over. */
bool ratelimit_entry_step(struct ratelimit_entry *e, enum ratelimit_counter c, uint64_t now,
                          uint64_t max, uint64_t window_s);
/* The store's record format. */
void ratelimit_entry_format(const struct ratelimit_entry *e, const char *key, struct sbuf *out);
bool ratelimit_entry_parse(const char *data, size_t len, const char *key,
                           struct ratelimit_entry *e);

/* One event of counter c for key against max per window_s (max 0: pass,
 * no I/O).  dir must exist; bucket directories are made as needed. */
enum ratelimit_verdict ratelimit_check(const char *dir, const char *key, enum ratelimit_counter c,
                                       uint64_t now, uint64_t max, uint64_t window_s);
/* Removes bucket's files idle for more than max_age seconds; the number
 * removed, or -1 with errno (a missing bucket is 0). */
long ratelimit_sweep(const char *dir, unsigned bucket, uint64_t now, uint64_t max_age);

#endif
