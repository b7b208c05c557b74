#include "inject_msg.h"

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "datefmt.h"

void inject_msg_normalize(const char *in, size_t len, struct sbuf *out)
{
	sbuf_reserve(out, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '\r') {
			sbuf_append_char(out, in[i]);
		} else if (i + 1 < len && in[i + 1] == '\n') {
			sbuf_append_char(out, '\n');
			i++;
		} else {
			sbuf_append_char(out, ' ');
		}
	}
	if (out->len > 0 && out->s[out->len - 1] != '\n')
		sbuf_append_char(out, '\n');
}

static void fix_domain(const struct inject_cfg *c, struct sbuf *a)
{
	const char *at = strrchr(a->s, '@');
	if (!at)
		return;
	if (!strchr(at + 1, '.') && strcmp(at + 1, "localhost") != 0 && c->defaultdomain[0] &&
	    at[1] != '[') {
		sbuf_printf(a, ".%s", c->defaultdomain);
	}
}

int inject_msg_address(const struct inject_cfg *c, const char *a, size_t len, bool allow_null,
                       struct sbuf *out)
{
	sbuf_clear(out);
	if (len == 0 || (len == 2 && memcmp(a, "<>", 2) == 0))
		return allow_null ? 0 : -1;
	struct sbuf raw = SBUF_INIT;
	sbuf_append(&raw, a, len);
	/* "user@host+" means host.plusdomain; addr_normalize would refuse '+'. */
	if (len > 1 && a[len - 1] == '+' && memchr(a, '@', len) && c->plusdomain[0]) {
		sbuf_truncate(&raw, len - 1);
		sbuf_printf(&raw, ".%s", c->plusdomain);
	}
	enum addr_status st = addr_normalize(raw.s, raw.len, c->defaulthost, out);
	sbuf_free(&raw);
	if (st != ADDR_OK || out->len == 0)
		return -1;
	/* Only a host the sender typed is completed; defaulthost is used as is. */
	if (memchr(a, '@', len))
		fix_domain(c, out);
	return out->len > 0 ? 0 : -1;
}

static bool has_resent(const struct hdr_list *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->v[i].name_len > 7 && strncasecmp(h->v[i].text, "Resent-", 7) == 0)
			return true;
	}
	return false;
}

int inject_msg_recipients(const struct hdr_list *h, const struct inject_cfg *c, struct strlist *out)
{
	static const char *const plain[] = {"To", "Cc", "Bcc"};
	static const char *const resent[] = {"Resent-To", "Resent-Cc", "Resent-Bcc"};
	const char *const *names = has_resent(h) ? resent : plain;
	struct strlist raw = {NULL, 0, 0};
	struct sbuf norm = SBUF_INIT;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < h->n; i++) {
		const struct hdr_field *f = &h->v[i];
		if (!hdr822_is(f, names[0]) && !hdr822_is(f, names[1]) && !hdr822_is(f, names[2]))
			continue;
		size_t vlen;
		const char *v = hdr822_value(f, &vlen);
		rc = hdr822_addrlist(v, vlen, &raw);
	}
	for (size_t i = 0; rc == 0 && i < raw.n; i++) {
		rc = inject_msg_address(c, raw.v[i], strlen(raw.v[i]), false, &norm);
		if (rc == 0)
			strlist_add(out, norm.s, norm.len);
	}
	strlist_free(&raw);
	sbuf_free(&norm);
	return rc;
}

void inject_msg_complete(struct hdr_list *h, const struct inject_cfg *c, time_t now, pid_t pid,
                         struct sbuf *added)
{
	static const char *const drop[] = {"Bcc", "Resent-Bcc", "Return-Path", "Content-Length"};
	char date[DATEFMT_MAX];
	for (size_t i = 0; i < h->n; i++) {
		for (size_t k = 0; k < 4; k++) {
			if (hdr822_is(&h->v[i], drop[k]))
				h->v[i].is_deleted = true;
		}
	}
	if (hdr822_find(h, "Date") < 0) {
		datefmt_rfc5322(date, now);
		sbuf_printf(added, "Date: %s\n", date);
	}
	if (hdr822_find(h, "Message-ID") < 0)
		sbuf_printf(added, "Message-ID: <%lld.%ld.qmail@%s>\n", (long long)now, (long)pid,
		            c->idhost);
	if (hdr822_find(h, "From") < 0) {
		if (c->name[0])
			sbuf_printf(added, "From: %s <%s@%s>\n", c->name, c->user, c->host);
		else
			sbuf_printf(added, "From: %s@%s\n", c->user, c->host);
	}
}
