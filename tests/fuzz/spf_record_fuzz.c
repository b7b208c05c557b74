/* spf_record_fuzz.c: the SPF record parser, then a whole check_host()
 * over a fake DNS whose every TXT answer is the fuzz input (so include and
 * redirect recurse into it).  Properties: no crash or leak, the term count
 * stays bounded, a parsed spec points inside the record, the lookup limit
 * ends every evaluation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *record;
static unsigned n_queries;

static enum spf_dns_status lookup(void *ctx, const char *name, enum spf_rr type,
                                  struct strlist *out)
{
	(void)ctx;
	strlist_free(out);
	if (++n_queries > 200)
		abort(); /* limits must stop long before */
	if (strlen(name) > 4096)
		abort();
	if (type == SPF_RR_TXT)
		strlist_add(out, record, strlen(record));
	else if (type == SPF_RR_A)
		strlist_add(out, "192.0.2.1", 9);
	else if (type == SPF_RR_MX || type == SPF_RR_PTR)
		strlist_add(out, "mx.example", 10);
	return SPF_DNS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmemdup(data, size);
	struct spf_record r;
	if (spf_record_parse(s, &r) == 0) {
		if (r.n > SPF_TERMS_MAX)
			abort();
		for (size_t i = 0; i < r.n; i++) {
			if (r.terms[i].spec && (r.terms[i].spec < s || r.terms[i].spec > s + size))
				abort();
		}
		record = s;
		n_queries = 0;
		struct spf_dns dns = {lookup, NULL};
		struct spf_request req = {.sender = "a@x.example", .helo = "h.example",
		                          .family = 2, .ip = {192, 0, 2, 1}};
		struct spf_answer a;
		spf_check(&dns, &req, &a);
		if (a.result > SPF_PERMERROR)
			abort();
		spf_answer_free(&a);
	}
	free(s);
	return 0;
}
