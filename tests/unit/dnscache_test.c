/* dnscache_test.c: the shared DNS cache in front of a fake resolver: hit,
 * miss, expiry (injected clock), what is never stored (TEMP, TTL 0, too
 * big), torn or corrupt slots, keys, sharing with a forked process; and
 * the slot decoder's bounds on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnscache.h"

static uint64_t now;
static unsigned n_asked;
static uint32_t answer_ttl;
static size_t answer_len; /* 0: a short TXT record */

static uint64_t fake_clock(void)
{
	return now;
}

/* spf-temp.example: TEMP; nx.example: NXDOMAIN; others: one record that
 * names the type and the name as asked (so a hit is recognisable). */
static enum spf_dns_status fake_lookup(void *ctx, const char *name, enum spf_rr type,
                                       struct strlist *out, uint32_t *ttl)
{
	char text[2048];
	(void)ctx;
	n_asked++;
	strlist_free(out);
	*ttl = answer_ttl;
	if (strcasecmp(name, "temp.example") == 0)
		return SPF_DNS_TEMP;
	if (strcasecmp(name, "nx.example") == 0)
		return SPF_DNS_NXDOMAIN;
	int n = snprintf(text, sizeof text, "%s %s #%u", type == SPF_RR_A ? "A" : "TXT", name,
	                 n_asked);
	if (answer_len > 0) {
		memset(text, 'x', answer_len);
		n = (int)answer_len;
	}
	strlist_add(out, text, (size_t)n);
	return SPF_DNS_OK;
}

static struct dnscache *cache;
static struct dnscache_dns dns;

static int setup(void **state)
{
	(void)state;
	static const struct dnscache_source src = {fake_lookup, NULL};
	cache = dnscache_create(DNSCACHE_SLOTS);
	if (!cache)
		return -1;
	dnscache_dns_init(&dns, cache, &src);
	dns.now_ms = fake_clock;
	now = 1000000;
	n_asked = 0;
	answer_ttl = 300;
	answer_len = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dnscache_destroy(cache);
	return 0;
}

static enum spf_dns_status ask(const char *name, enum spf_rr type, struct strlist *out)
{
	return dns.ops.lookup(dns.ops.ctx, name, type, out);
}

static void test_hit_and_miss(void **state)
{
	(void)state;
	struct strlist out = {0};
	assert_int_equal(ask("a.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 1);
	assert_int_equal(ask("a.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 1);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0], "TXT a.example #1");
	assert_int_equal(ask("b.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 2);
	assert_int_equal(ask("nx.example", SPF_RR_A, &out), SPF_DNS_NXDOMAIN);
	assert_int_equal(ask("nx.example", SPF_RR_A, &out), SPF_DNS_NXDOMAIN);
	assert_int_equal(n_asked, 3);
	assert_int_equal(out.n, 0);
	strlist_free(&out);
}

static void test_expiry(void **state)
{
	(void)state;
	struct strlist out = {0};
	answer_ttl = 10;
	assert_int_equal(ask("a.example", SPF_RR_A, &out), SPF_DNS_OK);
	now += 9999; /* ttl - 1 ms */
	assert_int_equal(ask("a.example", SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 1);
	now += 1; /* ttl */
	assert_int_equal(ask("a.example", SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 2);
	assert_string_equal(out.v[0], "A a.example #2");
	/* a TTL above the cap is kept for DNSCACHE_TTL_MAX seconds only */
	answer_ttl = 86400;
	assert_int_equal(ask("c.example", SPF_RR_A, &out), SPF_DNS_OK);
	now += DNSCACHE_TTL_MAX * 1000ull - 1;
	assert_int_equal(ask("c.example", SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 3);
	now += 1;
	assert_int_equal(ask("c.example", SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 4);
	strlist_free(&out);
}

static void test_not_stored(void **state)
{
	(void)state;
	struct strlist out = {0};
	assert_int_equal(ask("temp.example", SPF_RR_TXT, &out), SPF_DNS_TEMP);
	assert_int_equal(ask("temp.example", SPF_RR_TXT, &out), SPF_DNS_TEMP);
	assert_int_equal(n_asked, 2);
	answer_ttl = 0;
	assert_int_equal(ask("zero.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(ask("zero.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 4);
	answer_ttl = 300;
	/* The slot holds 16 + name + 2 + record bytes: at max, kept; max+1, not. */
	size_t fit = DNSCACHE_DATA_MAX - 16 - strlen("big.example") - 2;
	answer_len = fit;
	assert_int_equal(ask("big.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(ask("big.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 5);
	assert_int_equal(strlen(out.v[0]), fit);
	answer_len = fit + 1;
	assert_int_equal(ask("big.example", SPF_RR_AAAA, &out), SPF_DNS_OK);
	assert_int_equal(ask("big.example", SPF_RR_AAAA, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 7);
	assert_int_equal(strlen(out.v[0]), fit + 1);
	/* a name longer than a key: asked every time */
	char name[DNSCACHE_NAME_MAX + 2];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	answer_len = 0;
	assert_int_equal(ask(name, SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(ask(name, SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 9);
	strlist_free(&out);
}

static void test_keys(void **state)
{
	(void)state;
	struct strlist out = {0};
	assert_int_equal(ask("Mixed.Example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(ask("mixed.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(ask("MIXED.EXAMPLE", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 1);
	assert_int_equal(ask("mixed.example", SPF_RR_A, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 2);
	assert_string_equal(out.v[0], "A mixed.example #2");
	assert_int_equal(ask("mixed.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_string_equal(out.v[0], "TXT Mixed.Example #1");
	assert_int_equal(n_asked, 2);
	char key[DNSCACHE_NAME_MAX + 1];
	assert_false(dnscache_key("", key));
	assert_true(dnscache_key("A.b-C", key));
	assert_string_equal(key, "a.b-c");
	strlist_free(&out);
}

static void test_torn_slot(void **state)
{
	(void)state;
	struct strlist out = {0};
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	struct dnscache_slot *slot = dnscache_slot_of(cache, SPF_RR_TXT, "torn.example");
	uint64_t w = atomic_load(&slot->seq);
	uint32_t seq = DNSCACHE_SEQ(w);
	assert_int_equal(seq % 2, 0);
	assert_int_equal(DNSCACHE_WRITER(w), getpid());
	/* a writer still alive (this process) is mid-write: a miss, and not
	 * written over */
	atomic_store(&slot->seq, (uint64_t)getpid() << 32 | (seq + 1));
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 3);
	assert_int_equal(DNSCACHE_SEQ(atomic_load(&slot->seq)), seq + 1);
	/* its writer died mid-write: the next writer takes the slot over */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	assert_true(dead > 0 && waitpid(dead, NULL, 0) == dead);
	atomic_store(&slot->seq, (uint64_t)(uint32_t)dead << 32 | (seq + 1));
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 4);
	w = atomic_load(&slot->seq);
	assert_int_equal(DNSCACHE_SEQ(w), seq + 4);
	assert_int_equal(DNSCACHE_WRITER(w), getpid());
	/* a hit again */
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 4);
	/* a torn slot without a writer (pid 0) stays a miss */
	atomic_store(&slot->seq, seq + 1);
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 5);
	atomic_store(&slot->seq, w);
	/* corrupt bytes: a record length past the end is a miss */
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 5);
	size_t rec = 16 + strlen("torn.example");
	slot->data[rec] = 0xff;
	slot->data[rec + 1] = 0xff;
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 6);
	/* the miss stored a good entry again */
	assert_int_equal(ask("torn.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 6);
	assert_string_equal(out.v[0], "TXT torn.example #6");
	strlist_free(&out);
}

/* An entry stored by a forked process (a session) is a hit in its parent
 * and in a sibling: the mapping is shared, not copied. */
static void test_shared_across_fork(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct strlist out = {0};
		_exit(ask("forked.example", SPF_RR_TXT, &out) == SPF_DNS_OK ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct strlist out = {0};
	assert_int_equal(ask("forked.example", SPF_RR_TXT, &out), SPF_DNS_OK);
	assert_int_equal(n_asked, 0); /* the child asked, in its own memory */
	assert_string_equal(out.v[0], "TXT forked.example #1");
	strlist_free(&out);
}

static size_t encode_one(unsigned char *p, size_t cap, const char *rec, uint64_t expires)
{
	struct strlist recs = {0};
	strlist_add(&recs, rec, strlen(rec));
	size_t n = dnscache_slot_encode(SPF_RR_TXT, "k.example", SPF_DNS_OK, &recs, expires, p, cap);
	strlist_free(&recs);
	return n;
}

static void test_decode_bounds(void **state)
{
	(void)state;
	unsigned char p[256];
	struct strlist out = {0};
	enum spf_dns_status st;
	size_t n = encode_one(p, sizeof p, "v=spf1 -all", 5000);
	assert_int_equal(n, 16 + 9 + 2 + 11);
	assert_int_equal(encode_one(p, n - 1, "v=spf1 -all", 5000), 0);
	assert_int_equal(encode_one(p, n, "v=spf1 -all", 5000), n);
	assert_true(dnscache_slot_decode(p, n, SPF_RR_TXT, "k.example", 4999, &st, &out));
	assert_int_equal(st, SPF_DNS_OK);
	assert_string_equal(out.v[0], "v=spf1 -all");
	/* every shorter length fails; so do another key, type or time */
	for (size_t len = 0; len < n; len++)
		assert_false(dnscache_slot_decode(p, len, SPF_RR_TXT, "k.example", 0, &st, &out));
	assert_int_equal(out.n, 0);
	assert_false(dnscache_slot_decode(p, n, SPF_RR_TXT, "k.exampl", 0, &st, &out));
	assert_false(dnscache_slot_decode(p, n, SPF_RR_A, "k.example", 0, &st, &out));
	assert_false(dnscache_slot_decode(p, n, SPF_RR_TXT, "k.example", 5000, &st, &out));
	/* an entry claiming more than DNSCACHE_TTL_MAX from now is refused */
	encode_one(p, sizeof p, "x", DNSCACHE_TTL_MAX * 1000ull + 1);
	assert_false(dnscache_slot_decode(p, n, SPF_RR_TXT, "k.example", 0, &st, &out));
	assert_true(dnscache_slot_decode(p, n, SPF_RR_TXT, "k.example", 1, &st, &out));
	/* one byte changed at a time in the header: status, count, total */
	static const struct {
		size_t at;
		unsigned char v;
	} bad[] = {{0, 2}, {2, 2}, {2, 1}, {3, 8}, {3, 0}, {12, 2}, {12, 0}, {14, 0xff}, {15, 1}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = encode_one(p, sizeof p, "v=spf1 -all", 5000);
		p[bad[i].at] = bad[i].v;
		assert_false(dnscache_slot_decode(p, sizeof p, SPF_RR_TXT, "k.example", 0, &st, &out));
		assert_int_equal(out.n, 0);
	}
	/* a NUL inside a record */
	n = encode_one(p, sizeof p, "v=spf1 -all", 5000);
	p[n - 3] = '\0';
	assert_false(dnscache_slot_decode(p, n, SPF_RR_TXT, "k.example", 0, &st, &out));
	strlist_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hit_and_miss, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_slot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_across_fork, setup, teardown),
	    cmocka_unit_test(test_decode_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
