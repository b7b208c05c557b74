/*
 * route.c: recipient classification (route.h).  Pure in-memory matching:
 * route_classify does no file I/O, so it can run once per recipient.
 */
#include "route.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "control.h"

/* Bounds the percent hack: "a%b%c%...@d" rewrites at most this often. */
#define ROUTE_PERCENT_MAX 32

int route_config_load(struct route_config *rc)
{
	memset(rc, 0, sizeof *rc);
	if (control_read_line("me", "", &rc->me) < 0)
		return -1;
	int r = control_read_lines("locals", &rc->locals);
	if (r < 0)
		return -1;
	if (r == 0 && rc->me.len > 0)
		strlist_add(&rc->locals, rc->me.s, rc->me.len);
	if (control_read_lines("virtualdomains", &rc->virtualdomains) < 0)
		return -1;
	if (control_read_lines("percenthack", &rc->percenthack) < 0)
		return -1;
	return 0;
}

void route_config_free(struct route_config *rc)
{
	strlist_free(&rc->locals);
	strlist_free(&rc->virtualdomains);
	strlist_free(&rc->percenthack);
	sbuf_free(&rc->me);
}

/* The virtualdomains line whose key equals key[0..len) (case-insensitive);
 * returns its value (after the first ':'), or NULL. */
static const char *vd_find(const struct route_config *rc, const char *key, size_t len)
{
	for (size_t i = 0; i < rc->virtualdomains.n; i++) {
		const char *line = rc->virtualdomains.v[i];
		const char *colon = strchr(line, ':');
		if (!colon || (size_t)(colon - line) != len)
			continue;
		if (strncasecmp(line, key, len) == 0)
			return colon + 1;
	}
	return NULL;
}

/* virtualdomains lookup order of route.h for addr whose domain is dom. */
static const char *vd_lookup(const struct route_config *rc, const char *addr,
                             const char *dom)
{
	const char *v = vd_find(rc, addr, strlen(addr));
	if (v)
		return v;
	v = vd_find(rc, dom, strlen(dom));
	if (v)
		return v;
	for (const char *p = dom; *p; p++) {
		if (*p != '.')
			continue;
		v = vd_find(rc, p, strlen(p));
		if (v)
			return v;
	}
	return vd_find(rc, "", 0);
}

/* Applies the percent hack once: "a%b@d" -> "a@b" when d is listed. */
static bool percent_rewrite(const struct route_config *rc, struct sbuf *a)
{
	char *at = strrchr(a->s, '@');
	if (!at || !strlist_contains_nocase(&rc->percenthack, at + 1))
		return false;
	char *pct = NULL;
	for (char *p = a->s; p < at; p++)
		if (*p == '%')
			pct = p;
	if (!pct)
		return false;
	*pct = '@';
	sbuf_truncate(a, (size_t)(at - a->s));
	return true;
}

enum route_kind route_classify(const struct route_config *rc, const char *addr,
                               struct sbuf *out)
{
	struct sbuf a = SBUF_INIT;
	sbuf_set_str(&a, addr);
	for (int i = 0; i < ROUTE_PERCENT_MAX && percent_rewrite(rc, &a); i++)
		;
	const char *at = strrchr(a.s, '@');
	const char *dom = at ? at + 1 : "";
	size_t local_len = at ? (size_t)(at - a.s) : a.len;
	enum route_kind kind = ROUTE_REMOTE;
	const char *prepend = NULL;

	if (strlist_contains_nocase(&rc->locals, dom)) {
		kind = ROUTE_LOCAL;
		sbuf_set(out, a.s, a.len);
	} else if ((prepend = vd_lookup(rc, a.s, dom)) != NULL && *prepend) {
		kind = ROUTE_LOCAL;
		sbuf_set_str(out, prepend);
		sbuf_append_char(out, '-');
		sbuf_append(out, a.s, local_len);
		sbuf_append_char(out, '@');
		sbuf_append_str(out, dom);
	} else {
		sbuf_set(out, a.s, a.len);
	}
	sbuf_free(&a);
	return kind;
}
