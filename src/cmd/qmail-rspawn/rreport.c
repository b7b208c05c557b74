#include "rreport.h"

#include <string.h>

#include "proto_limits.h"

/* The i-th complete record of out, or NULL. */
static const char *record(const char *out, size_t len, size_t i, size_t *rlen)
{
	size_t pos = 0;
	for (;;) {
		const char *nul = memchr(out + pos, '\0', len - pos);
		if (!nul)
			return NULL;
		if (i == 0) {
			*rlen = (size_t)(nul - (out + pos));
			return out + pos;
		}
		i--;
		pos = (size_t)(nul - out) + 1;
		if (pos >= len)
			return NULL;
	}
}

static void put_text(struct sbuf *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n && r->len < REPORT_TEXT_MAX + 1; i++) {
		unsigned char c = (unsigned char)s[i];
		sbuf_append_char(r, (c >= 0x20 && c <= 0x7e) ? (char)c : '_');
	}
}

static char rcpt_status(char tag)
{
	return tag == 'r' ? 'K' : tag == 'h' ? 'D' : tag == 's' ? 'Z' : 0;
}

void rreport_convert(const char *out, size_t len, bool crashed, struct sbuf *report)
{
	sbuf_clear(report);
	size_t l0 = 0, l1 = 0;
	const char *r0 = len ? record(out, len, 0, &l0) : NULL;
	if (!r0 || l0 == 0) {
		sbuf_set_str(report, crashed ? "Zqmail-remote crashed."
					    : "Zqmail-remote produced no report.");
		return;
	}
	char st = rcpt_status(r0[0]);
	const char *msg = NULL;
	if (st) {
		msg = record(out, len, 1, &l1);
		/* "r" only says the recipient was accepted at RCPT; the message's
		 * own report decides whether it was delivered (qmail-remote(8)). */
		if (r0[0] == 'r')
			st = (msg && l1 > 0 && (msg[0] == 'K' || msg[0] == 'D')) ? msg[0] : 'Z';
	} else {
		st = r0[0] == 'K' ? 'K' : r0[0] == 'D' ? 'D' : 'Z';
	}
	sbuf_append_char(report, st);
	put_text(report, r0 + 1, l0 - 1);
	if (msg && l1 > 1) {
		if (l0 > 1)
			sbuf_append_char(report, '/');
		put_text(report, msg + 1, l1 - 1);
	}
	if (report->len > REPORT_TEXT_MAX + 1)
		sbuf_truncate(report, REPORT_TEXT_MAX + 1);
}
