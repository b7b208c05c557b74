/*
 * spf_header.c: the Received-SPF field (RFC 7208 section 9.1); see spf.h.
 */
#include "spf.h"

#include <arpa/inet.h>
#include <string.h>

/* Keeps a value to characters that are safe in a header and in a
 * key=value pair; anything else becomes '?'. */
static void append_safe(struct sbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || strchr("@.-_+=:[]", c) != NULL;
		sbuf_append_char(out, ok ? (char)c : '?');
	}
}

/* The comment's words before and after the client's address. */
static void comment_words(enum spf_result r, const char **before, const char **after)
{
	static const struct {
		const char *before, *after;
	} w[] = {
	    [SPF_NONE] = {"does not publish SPF for ", ""},
	    [SPF_NEUTRAL] = {"neither permits nor denies ", ""},
	    [SPF_PASS] = {"designates ", " as permitted sender"},
	    [SPF_FAIL] = {"does not designate ", " as permitted sender"},
	    [SPF_SOFTFAIL] = {"does not designate ", " as permitted sender (softfail)"},
	    [SPF_TEMPERROR] = {"had a temporary DNS error checking ", ""},
	    [SPF_PERMERROR] = {"has a broken SPF record checking ", ""},
	};
	*before = w[r].before;
	*after = w[r].after;
}

void spf_received_spf(const struct spf_request *req, const struct spf_answer *a,
                      const char *me, struct sbuf *out)
{
	char ip[64];
	if (!inet_ntop(req->family, req->ip, ip, sizeof ip))
		strcpy(ip, "unknown");
	const char *id = sbuf_cstr(&a->identity);
	const char *at = strrchr(id, '@');
	sbuf_printf(out, "Received-SPF: %s (", spf_result_name(a->result));
	append_safe(out, me);
	sbuf_append_str(out, ": domain of ");
	append_safe(out, at ? at + 1 : id);
	sbuf_append_char(out, ' ');
	const char *before, *after;
	comment_words(a->result, &before, &after);
	sbuf_printf(out, "%s%s%s", before, ip, after);
	sbuf_printf(out, ")\n\tclient-ip=%s; envelope-from=\"", ip);
	append_safe(out, req->sender);
	sbuf_append_str(out, "\"; helo=\"");
	append_safe(out, req->helo);
	sbuf_append_str(out, "\"; receiver=");
	append_safe(out, me);
	sbuf_printf(out, "; identity=%s;\n", req->sender[0] ? "mailfrom" : "helo");
}
