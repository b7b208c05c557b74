/* ratelimit_fuzz.c: control/ratelimit_ip and ratelimit_auth lines, and
 * the store's record reader.  Properties: a parsed rule set has counts and
 * windows within bounds (a limited rule always has a window), matching
 * never reads outside the rules, and a record that parses formats back to
 * the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "control.h"
#include "ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rules(const struct ratelimit_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct ratelimit_rule *e = &r->v[i];
		if (e->max[0] > RATELIMIT_COUNT_MAX || e->max[1] > RATELIMIT_COUNT_MAX ||
		    e->window_s > RATELIMIT_WINDOW_MAX ||
		    ((e->max[0] || e->max[1]) && e->window_s == 0) || !e->match)
			abort();
	}
}

static void rules(const char *s, size_t size)
{
	struct strlist lines = {0};
	struct ratelimit_rules r;
	size_t bad;
	if (control_parse_lines(s, size, 1, &lines) < 0)
		return;
	for (int kind = RATELIMIT_BY_IP; kind <= RATELIMIT_BY_USER; kind++) {
		if (ratelimit_rules_parse(&lines, (enum ratelimit_kind)kind, &r, &bad)) {
			check_rules(&r);
			(void)ratelimit_rules_match_ip(&r, "192.0.2.1");
			(void)ratelimit_rules_match_ip(&r, "2001:db8::1");
			(void)ratelimit_rules_match_user(&r, "alice@example.test");
			ratelimit_rules_free(&r);
		} else if (bad == 0 || bad > lines.n || r.n != 0) {
			abort();
		}
	}
	strlist_free(&lines);
}

static void record(const char *s, size_t size)
{
	const char *nl = memchr(s, '\n', size);
	struct ratelimit_entry e;
	struct sbuf out = SBUF_INIT;
	/* the key is whatever follows the first line */
	char *key = nl ? xmemdup(nl + 1, size - (size_t)(nl + 1 - s)) : xstrdup("k");
	char *end = strchr(key, '\n');
	if (end)
		*end = '\0';
	if (ratelimit_entry_parse(s, size, key, &e)) {
		ratelimit_entry_format(&e, key, &out);
		if (out.len != size || memcmp(out.s, s, size) != 0)
			abort();
		(void)ratelimit_entry_step(&e, RATELIMIT_MESSAGES, e.start + 1, 10, e.window_s);
	}
	free(key);
	sbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmemdup(data, size);
	rules(s, size);
	record(s, size);
	free(s);
	return 0;
}
