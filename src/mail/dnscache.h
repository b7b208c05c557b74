/*
 * dnscache.h: DNS answers shared by the qmail-smtpd sessions of one zygote.
 *
 * Why: a session is one process, so libunbound's own cache dies with it,
 * and each SPF or DNSBL question costs about a millisecond of resolver
 * set-up (bench/RESULTS.md, policy section) although the sessions of one
 * client, and the senders of one domain, ask the same questions again.
 *
 * The cache is one shared anonymous mapping (no file) of DNSCACHE_SLOTS
 * slots of DNSCACHE_SLOT_SIZE bytes, made by the zygote before it forks
 * (dnscache_create); the sessions inherit it.  A key, (type, lower-cased
 * name), has one slot (a seeded 64-bit FNV-1a hash; a newer answer for
 * another key in the same slot replaces the older one).  dnscache_dns is a
 * struct spf_dns that answers from the cache and, on a miss, asks the real
 * resolver (a dnscache_source, which also reports the answer's TTL) and
 * stores the answer: only SPF_DNS_OK (with or without records) and
 * SPF_DNS_NXDOMAIN, never SPF_DNS_TEMP; for min(TTL, DNSCACHE_TTL_MAX)
 * seconds on CLOCK_MONOTONIC (one clock for every process); TTL 0 and an
 * answer that does not fit a slot are not stored.
 *
 * Concurrency: each slot has a sequence counter (a seqlock) that carries
 * its writer's pid in the same 64-bit word.  A writer turns the counter
 * from even to odd with a compare-and-swap (or gives up: another writer is
 * there), writes, and stores odd + 1; a reader copies the slot between two
 * loads of the counter and takes a changed or odd counter as a miss.  A
 * writer killed in the middle leaves its slot odd; the next writer that
 * finds the slot odd and its writer gone (kill(pid, 0): ESRCH; sessions
 * share one uid) takes it over with a compare-and-swap to odd + 2 and
 * writes it as usual.  A writer still alive (or a pid reused meanwhile)
 * keeps it: a miss, nothing worse.
 *
 * The bytes of a slot were written by another session: they are decoded
 * by dnscache_slot_decode, a pure function with full bounds checks (unit-
 * tested and fuzzed).  Nothing structural is read from the mapping: the
 * slot count and hash seed live in the process's own struct dnscache.
 */
#ifndef QNG_DNSCACHE_H
#define QNG_DNSCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.h"
#include "spf.h"

/* 2048 slots of 1 KiB: 2 MiB of shared memory, touched only where used.
 * 1 KiB holds a DNSBL answer (name ~40 bytes, one address) many times
 * over and nearly every single SPF TXT record; 2048 keys cover the
 * distinct questions of a busy hour at the TTLs that lists and SPF
 * domains use, and a collision only costs a lookup. */
#define DNSCACHE_SLOTS 2048
#define DNSCACHE_SLOT_SIZE 1024
#define DNSCACHE_DATA_MAX (DNSCACHE_SLOT_SIZE - sizeof(_Atomic uint64_t))
#define DNSCACHE_TTL_MAX 3600
#define DNSCACHE_NAME_MAX 255

/* A slot's counter: the sequence number in the low 32 bits (even: stable;
 * odd: being written, or torn), the pid of its last writer above. */
#define DNSCACHE_SEQ(w) ((uint32_t)(w))
#define DNSCACHE_WRITER(w) ((pid_t)((w) >> 32))
struct dnscache_slot {
	_Atomic uint64_t seq;
	unsigned char data[DNSCACHE_DATA_MAX];
};

struct dnscache; /* this process's handle on one shared mapping */

/* The resolver behind the cache: as spf_dns's lookup, and *ttl gets the
 * answer's TTL in seconds (0: do not keep). */
struct dnscache_source {
	enum spf_dns_status (*lookup)(void *ctx, const char *name, enum spf_rr type,
	                              struct strlist *out, uint32_t *ttl);
	void *ctx;
};

struct dnscache_dns {
	struct spf_dns ops; /* ops.ctx is this struct */
	struct dnscache *cache;
	struct dnscache_source src;
	uint64_t (*now_ms)(void); /* CLOCK_MONOTONIC in ms; tests replace it */
};

/* A fresh mapping of n_slots (> 0); NULL with errno. */
struct dnscache *dnscache_create(size_t n_slots);
/* Unmaps (other processes keep their own reference); NULL is fine. */
void dnscache_destroy(struct dnscache *c);
void dnscache_dns_init(struct dnscache_dns *d, struct dnscache *c,
                       const struct dnscache_source *src);

/* Pure helpers (unit-tested, fuzzed). */
/* name lower-cased into key; false when empty or longer than the max. */
bool dnscache_key(const char *name, char key[DNSCACHE_NAME_MAX + 1]);
/* The slot's bytes for an answer, or 0 when it does not fit in cap. */
size_t dnscache_slot_encode(enum spf_rr type, const char *key, enum spf_dns_status st,
                            const struct strlist *recs, uint64_t expires_ms, unsigned char *p,
                            size_t cap);
/* true when p[0..len) holds a well-formed entry for (type, key) that is
 * still valid at now_ms and expires within DNSCACHE_TTL_MAX seconds; then
 * *st and out (replaced) get the answer.  false leaves out empty. */
bool dnscache_slot_decode(const unsigned char *p, size_t len, enum spf_rr type, const char *key,
                          uint64_t now_ms, enum spf_dns_status *st, struct strlist *out);
/* The slot that (type, key) maps to (tests poke at it). */
struct dnscache_slot *dnscache_slot_of(const struct dnscache *c, enum spf_rr type, const char *key);

#endif
