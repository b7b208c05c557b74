/* dnscache_fuzz.c: the shared cache's slot decoder (its bytes come from
 * other sessions).  Input: one byte choosing the type, then the slot.
 * Properties: an accepted slot is exactly what the encoder makes of the
 * answer it yields (so nothing past its total length is read, and every
 * record is NUL-free and counted); and the input's lines, encoded as an
 * answer, decode back to the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnscache.h"
#include "dns.h"

#define KEY "k.example"
#define NOW 1000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decoded(const uint8_t *p, size_t len, enum spf_rr type)
{
	struct strlist out = {0};
	enum spf_dns_status st;
	if (!dnscache_slot_decode(p, len, type, KEY, NOW, &st, &out)) {
		if (out.n != 0)
			abort();
		return;
	}
	if ((st != SPF_DNS_OK && st != SPF_DNS_NXDOMAIN) || out.n > DNS_RECORDS_MAX)
		abort();
	uint64_t expires = 0;
	for (int i = 0; i < 8; i++)
		expires |= (uint64_t)p[4 + i] << (8 * i);
	if (expires <= NOW || expires - NOW > DNSCACHE_TTL_MAX * 1000ull)
		abort();
	unsigned char again[DNSCACHE_DATA_MAX];
	size_t n = dnscache_slot_encode(type, KEY, st, &out, expires, again, sizeof again);
	if (n == 0 || n > len || memcmp(again, p, n) != 0)
		abort();
	strlist_free(&out);
}

static void check_round_trip(const uint8_t *data, size_t size, enum spf_rr type)
{
	struct strlist recs = {0}, out = {0};
	for (size_t start = 0; start < size;) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		if (!memchr(data + start, '\0', end - start))
			strlist_add(&recs, (const char *)data + start, end - start);
		start = end + 1;
	}
	unsigned char p[DNSCACHE_DATA_MAX];
	enum spf_dns_status st;
	size_t n = dnscache_slot_encode(type, KEY, SPF_DNS_OK, &recs, NOW + 1, p, sizeof p);
	if (n > 0) {
		if (!dnscache_slot_decode(p, n, type, KEY, NOW, &st, &out) || out.n != recs.n)
			abort();
		for (size_t i = 0; i < out.n; i++)
			if (strcmp(out.v[i], recs.v[i]) != 0)
				abort();
	}
	strlist_free(&recs);
	strlist_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum spf_rr type = (enum spf_rr)(data[0] % 5);
	check_decoded(data + 1, size - 1, type);
	check_round_trip(data + 1, size - 1, type);
	return 0;
}
