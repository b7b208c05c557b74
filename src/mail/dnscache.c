/*
 * dnscache.c: the shared DNS answer cache (see dnscache.h).
 *
 * A slot's bytes (little-endian):
 *   0  format (DNSCACHE_FORMAT)     1  type (enum spf_rr)
 *   2  status (OK or NXDOMAIN)      3  name length, 1..255
 *   4  expiry, ms on CLOCK_MONOTONIC (8 bytes)
 *  12  record count (2)            14  total length (2)
 *  16  the name, then per record: its length (2) and its bytes (no NUL).
 */
#include "dnscache.h"

#include "alloc.h"
#include "bio.h"
#include "dns.h"
#include "hash.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define DNSCACHE_FORMAT 1
#define HEAD_LEN 16

static_assert(sizeof(struct dnscache_slot) == DNSCACHE_SLOT_SIZE, "slot size");
static_assert(DNSCACHE_DATA_MAX <= UINT16_MAX, "total length fits 2 bytes");

struct dnscache {
	struct dnscache_slot *slots;
	size_t n_slots;
	uint64_t seed;
};

bool dnscache_key(const char *name, char key[DNSCACHE_NAME_MAX + 1])
{
	size_t n = strlen(name);
	if (n == 0 || n > DNSCACHE_NAME_MAX)
		return false;
	for (size_t i = 0; i <= n; i++)
		key[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + ('a' - 'A')) : name[i];
	return true;
}

static void put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

static size_t get16(const unsigned char *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t dnscache_slot_encode(enum spf_rr type, const char *key, enum spf_dns_status st,
                            const struct strlist *recs, uint64_t expires_ms, unsigned char *p,
                            size_t cap)
{
	size_t name_len = strlen(key), pos = HEAD_LEN + name_len;
	if (cap > UINT16_MAX)
		cap = UINT16_MAX; /* the total length has 2 bytes */
	if (st == SPF_DNS_TEMP || name_len == 0 || name_len > DNSCACHE_NAME_MAX ||
	    recs->n > DNS_RECORDS_MAX || (st == SPF_DNS_NXDOMAIN && recs->n > 0) || cap < pos)
		return 0;
	for (size_t i = 0; i < recs->n; i++) {
		size_t l = strlen(recs->v[i]);
		if (l > cap - pos || cap - pos - l < 2)
			return 0;
		put16(p + pos, l);
		memcpy(p + pos + 2, recs->v[i], l);
		pos += 2 + l;
	}
	p[0] = DNSCACHE_FORMAT;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)st;
	p[3] = (unsigned char)name_len;
	put64(p + 4, expires_ms);
	put16(p + 12, recs->n);
	put16(p + 14, pos);
	memcpy(p + HEAD_LEN, key, name_len);
	return pos;
}

/* The records of an entry whose header checked out; false on any excess. */
static bool decode_records(const unsigned char *p, size_t total, size_t pos, size_t n,
                           struct strlist *out)
{
	for (size_t i = 0; i < n; i++) {
		if (total - pos < 2)
			return false;
		size_t l = get16(p + pos);
		pos += 2;
		if (l > total - pos || memchr(p + pos, '\0', l))
			return false;
		strlist_add(out, (const char *)p + pos, l);
		pos += l;
	}
	return pos == total;
}

bool dnscache_slot_decode(const unsigned char *p, size_t len, enum spf_rr type, const char *key,
                          uint64_t now_ms, enum spf_dns_status *st, struct strlist *out)
{
	strlist_free(out);
	if (len < HEAD_LEN || p[0] != DNSCACHE_FORMAT || p[1] != (unsigned char)type)
		return false;
	size_t name_len = p[3], n = get16(p + 12), total = get16(p + 14);
	uint64_t expires = get64(p + 4);
	if (p[2] != SPF_DNS_OK && p[2] != SPF_DNS_NXDOMAIN)
		return false;
	if (name_len == 0 || total > len || total < HEAD_LEN + name_len ||
	    name_len != strlen(key) || memcmp(p + HEAD_LEN, key, name_len) != 0)
		return false;
	if (expires <= now_ms || expires - now_ms > DNSCACHE_TTL_MAX * 1000ull)
		return false;
	if (n > DNS_RECORDS_MAX || (p[2] == SPF_DNS_NXDOMAIN && n > 0))
		return false;
	if (!decode_records(p, total, HEAD_LEN + name_len, n, out)) {
		strlist_free(out);
		return false;
	}
	*st = (enum spf_dns_status)p[2];
	return true;
}

struct dnscache *dnscache_create(size_t n_slots)
{
	if (n_slots == 0 || n_slots > SIZE_MAX / sizeof(struct dnscache_slot))
		return errno = EINVAL, NULL;
	void *m = mmap(NULL, n_slots * sizeof(struct dnscache_slot), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	struct dnscache *c = xmalloc(sizeof *c);
	c->slots = m;
	c->n_slots = n_slots;
	if (getrandom(&c->seed, sizeof c->seed, GRND_NONBLOCK) != (ssize_t)sizeof c->seed)
		c->seed = (uint64_t)(uintptr_t)m ^ (uint64_t)time(NULL);
	return c;
}

void dnscache_destroy(struct dnscache *c)
{
	if (!c)
		return;
	munmap(c->slots, c->n_slots * sizeof(struct dnscache_slot));
	free(c);
}

struct dnscache_slot *dnscache_slot_of(const struct dnscache *c, enum spf_rr type, const char *key)
{
	unsigned char t = (unsigned char)type;
	uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS ^ c->seed, &t, 1);
	h = hash_fnv1a(h, key, strlen(key));
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return &c->slots[h % c->n_slots];
}

/* Seqlock reader: the slot copied between two equal, even counter loads. */
static bool slot_read(struct dnscache_dns *d, enum spf_rr type, const char *key,
                      enum spf_dns_status *st, struct strlist *out)
{
	struct dnscache_slot *slot = dnscache_slot_of(d->cache, type, key);
	unsigned char copy[DNSCACHE_DATA_MAX];
	uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
	if (DNSCACHE_SEQ(seq) == 0 || (seq & 1))
		return false;
	memcpy(copy, slot->data, sizeof copy);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&slot->seq, memory_order_relaxed) != seq)
		return false;
	return dnscache_slot_decode(copy, sizeof copy, type, key, d->now_ms(), st, out);
}

/* The counter word for sequence number n written by this process. */
static uint64_t word(uint32_t n)
{
	return (uint64_t)(uint32_t)getpid() << 32 | n;
}

/* Makes the slot ours: even -> odd, or a torn odd (its writer is gone) ->
 * odd + 2, by compare-and-swap; *seq is then our odd number.  False when
 * another writer is there. */
static bool slot_claim(struct dnscache_slot *slot, uint32_t *seq)
{
	uint64_t w = atomic_load_explicit(&slot->seq, memory_order_relaxed);
	uint32_t n = DNSCACHE_SEQ(w) + 1;
	if (w & 1) {
		pid_t writer = DNSCACHE_WRITER(w);
		if (writer <= 0 || kill(writer, 0) == 0 || errno != ESRCH)
			return false;
		n = DNSCACHE_SEQ(w) + 2;
	}
	if (!atomic_compare_exchange_strong_explicit(&slot->seq, &w, word(n),
	                                             memory_order_acquire, memory_order_relaxed))
		return false;
	*seq = n;
	return true;
}

/* Seqlock writer: claim the slot (else someone else is writing: skip), the
 * bytes, then our odd number + 1. */
static void slot_write(struct dnscache_dns *d, enum spf_rr type, const char *key,
                       enum spf_dns_status st, const struct strlist *recs, uint32_t ttl)
{
	unsigned char buf[DNSCACHE_DATA_MAX];
	uint64_t keep_s = ttl > DNSCACHE_TTL_MAX ? DNSCACHE_TTL_MAX : ttl;
	uint64_t expires = d->now_ms() + keep_s * 1000u;
	size_t len = dnscache_slot_encode(type, key, st, recs, expires, buf, sizeof buf);
	if (len == 0)
		return;
	struct dnscache_slot *slot = dnscache_slot_of(d->cache, type, key);
	uint32_t seq;
	if (!slot_claim(slot, &seq))
		return;
	atomic_thread_fence(memory_order_release);
	memcpy(slot->data, buf, len);
	atomic_store_explicit(&slot->seq, word(seq + 1), memory_order_release);
}

static enum spf_dns_status cached_lookup(void *ctx, const char *name, enum spf_rr type,
                                         struct strlist *out)
{
	struct dnscache_dns *d = ctx;
	char key[DNSCACHE_NAME_MAX + 1];
	bool has_key = dnscache_key(name, key);
	enum spf_dns_status st;
	if (has_key && slot_read(d, type, key, &st, out))
		return st;
	uint32_t ttl = 0;
	st = d->src.lookup(d->src.ctx, name, type, out, &ttl);
	if (has_key && st != SPF_DNS_TEMP && ttl > 0)
		slot_write(d, type, key, st, out, ttl);
	return st;
}

void dnscache_dns_init(struct dnscache_dns *d, struct dnscache *c,
                       const struct dnscache_source *src)
{
	d->ops.lookup = cached_lookup;
	d->ops.ctx = d;
	d->cache = c;
	d->src = *src;
	d->now_ms = bio_now_ms;
}
