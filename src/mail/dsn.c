#include "dsn.h"

#include <string.h>

#include "datefmt.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at s, at most max of them; returns how many. */
static size_t count_digits(const char *s, size_t max)
{
	size_t n = 0;
	while (n <= max && is_digit(s[n]))
		n++;
	return n;
}

/* Matches "c.s.d" at s with c in 2,4,5, 1-3 digits for s and d, not
 * followed by a digit or dot; returns its length or 0. */
static size_t match_status(const char *s)
{
	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (s[1] != '.')
		return 0;
	size_t a = count_digits(s + 2, 3);
	if (a < 1 || a > 3 || s[2 + a] != '.')
		return 0;
	size_t b = count_digits(s + 3 + a, 3);
	if (b < 1 || b > 3)
		return 0;
	char after = s[3 + a + b];
	if (is_digit(after) || after == '.')
		return 0;
	return 3 + a + b;
}

void dsn_status(const char *text, char out[DSN_STATUS_MAX])
{
	for (size_t i = 0; text[i]; i++) {
		if (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.'))
			continue;
		size_t n = match_status(text + i);
		if (n) {
			memcpy(out, text + i, n);
			out[n] = '\0';
			out[0] = '5';
			return;
		}
	}
	strcpy(out, "5.0.0");
}

const char *dsn_smtp_reply(const char *text)
{
	for (size_t i = 0; text[i]; i++) {
		if (i > 0 && text[i - 1] != ' ' && text[i - 1] != '/' && text[i - 1] != '_')
			continue;
		const char *s = text + i;
		if ((s[0] == '2' || s[0] == '4' || s[0] == '5') && is_digit(s[1]) &&
		    is_digit(s[2]) && (s[3] == ' ' || s[3] == '-' || s[3] == '\0'))
			return s;
	}
	return NULL;
}

static void put_text_part(const struct dsn_msg *m, struct sbuf *out)
{
	sbuf_printf(out, "Hi. This is the qmail-send program at %s.\n", m->me);
	if (m->is_double)
		sbuf_append_str(out, "I tried to deliver a bounce message to this address, "
				     "but the bounce bounced!\n");
	else
		sbuf_append_str(out, "I'm afraid I wasn't able to deliver your message to the "
				     "following addresses.\nThis is a permanent error; I've given "
				     "up. Sorry it didn't work out.\n");
	for (size_t i = 0; i < m->n_rcpt; i++)
		sbuf_printf(out, "\n<%s>:\n%s\n", m->rcpt[i].addr, m->rcpt[i].text);
	sbuf_append_str(out, "\n--- Below this line is a copy of the message.\n\n");
}

static void put_status_part(const struct dsn_msg *m, struct sbuf *out)
{
	char date[DATEFMT_MAX];
	datefmt_rfc5322(date, (time_t)m->arrival);
	sbuf_printf(out, "Reporting-MTA: dns; %s\nArrival-Date: %s\n", m->me, date);
	for (size_t i = 0; i < m->n_rcpt; i++) {
		char status[DSN_STATUS_MAX];
		dsn_status(m->rcpt[i].text, status);
		sbuf_printf(out, "\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n",
			    m->rcpt[i].addr, status);
		const char *reply = dsn_smtp_reply(m->rcpt[i].text);
		if (reply) {
			/* The reply ends where qmail-remote's next '/'-separated part starts. */
			size_t n = strcspn(reply, "/");
			sbuf_printf(out, "Diagnostic-Code: smtp; %.*s\n", (int)n, reply);
		}
	}
}

/* Length of the header section of msg (through the empty line), capped. */
static size_t header_len(const char *msg, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			return i + 1;
	return len;
}

static void put_orig_part(const struct dsn_msg *m, const char *boundary, struct sbuf *out)
{
	size_t n = m->orig_len;
	if (n <= DSN_ORIG_MAX) {
		sbuf_printf(out, "--%s\nContent-Type: message/rfc822\n\n", boundary);
	} else {
		sbuf_printf(out, "--%s\nContent-Type: text/rfc822-headers\n\n", boundary);
		n = header_len(m->orig, n);
		if (n > DSN_ORIG_MAX) {
			n = DSN_ORIG_MAX;
			while (n > 0 && m->orig[n - 1] != '\n')
				n--;
		}
	}
	sbuf_append(out, m->orig, n);
	if (n > 0 && m->orig[n - 1] != '\n')
		sbuf_append_char(out, '\n');
}

/* A boundary that does not occur in the original message. */
static void make_boundary(const struct dsn_msg *m, struct sbuf *b)
{
	sbuf_printf(b, "qmail-ng-%s-%lld", m->unique, (long long)m->now);
	while (m->orig_len && memmem(m->orig, m->orig_len, b->s, b->len))
		sbuf_append_char(b, '=');
}

void dsn_build(const struct dsn_msg *m, struct sbuf *out)
{
	struct sbuf boundary = SBUF_INIT;
	make_boundary(m, &boundary);
	char date[DATEFMT_MAX];
	datefmt_rfc5322(date, (time_t)m->now);
	sbuf_printf(out, "Date: %s\nFrom: %s\nTo: %s\nSubject: failure notice\n", date, m->from,
		    m->to);
	sbuf_printf(out, "Message-ID: <%lld.%s.qmail@%s>\n", (long long)m->now, m->unique, m->me);
	sbuf_printf(out, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
			 "Content-Type: multipart/report; report-type=delivery-status;\n"
			 "\tboundary=\"%s\"\n\n",
		    boundary.s);
	sbuf_append_str(out, "This is a MIME-formatted message.\n\n");
	sbuf_printf(out, "--%s\nContent-Type: text/plain; charset=us-ascii\n\n", boundary.s);
	put_text_part(m, out);
	sbuf_printf(out, "--%s\nContent-Type: message/delivery-status\n\n", boundary.s);
	put_status_part(m, out);
	sbuf_append_char(out, '\n');
	put_orig_part(m, boundary.s, out);
	sbuf_printf(out, "\n--%s--\n", boundary.s);
	sbuf_free(&boundary);
}
