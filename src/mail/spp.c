/*
 * spp.c: qmail-spp configuration and plugin output (see spp.h).
 */
#include "spp.h"

#include <errno.h>
#include <string.h>

static const char *const section_names[SPP_N] = {"[connection]", "[helo]", "[mail]",
                                                 "[rcpt]",       "[data]", "[auth]"};

int spp_config_parse(const struct strlist *lines, struct spp_config *out)
{
	int cur = -1;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < lines->n; i++) {
		const char *l = lines->v[i];
		if (l[0] == '[') {
			cur = -1;
			for (int k = 0; k < SPP_N; k++) {
				if (strcmp(l, section_names[k]) == 0)
					cur = k;
			}
		} else if (cur >= 0) {
			strlist_add(&out->plugins[cur], l, strlen(l));
			continue;
		}
		if (cur < 0) {
			spp_config_free(out);
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

void spp_config_free(struct spp_config *c)
{
	for (int k = 0; k < SPP_N; k++)
		strlist_free(&c->plugins[k]);
}

bool spp_config_empty(const struct spp_config *c)
{
	for (int k = 0; k < SPP_N; k++) {
		if (c->plugins[k].n > 0)
			return false;
	}
	return true;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static void set_reply(struct spp_result *r, const char *s, size_t n)
{
	bool ok = n >= 5 && n <= SPP_LINE_MAX && strchr("245", s[0]) && s[1] >= '0' &&
	          s[1] <= '9' && s[2] >= '0' && s[2] <= '9' && s[3] == ' ' && printable(s, n);
	if (ok)
		sbuf_set(&r->reply, s, n);
	else
		sbuf_set_str(&r->reply, "451 4.3.0 plugin error");
}

/* A header line: "Name: value", printable, no leading space. */
static bool header_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	return n > 0 && n <= SPP_LINE_MAX && colon && colon > s && s[0] != ' ' && printable(s, n);
}

/* One line; returns true when processing stops here. */
static bool one_line(const char *s, size_t n, struct spp_result *r)
{
	const char *arg = s + 1;
	size_t an = n - 1;
	switch (s[0]) {
	case 'A':
	case 'O': r->action = SPP_ACCEPT; return true;
	case 'N': return true;
	case 'R':
	case 'E':
	case 'D':
		r->action = s[0] == 'D' ? SPP_DROP : SPP_REFUSE;
		set_reply(r, arg, an);
		return true;
	case 'H':
		if (header_ok(arg, an)) {
			sbuf_append(&r->headers, arg, an);
			sbuf_append_char(&r->headers, '\n');
		}
		return false;
	case 'S':
		if (an > 1 && memchr(arg, '=', an) && arg[0] != '=' && printable(arg, an))
			strlist_add(&r->setenv, arg, an);
		return false;
	case 'U':
		if (an > 0 && !memchr(arg, '=', an) && printable(arg, an))
			strlist_add(&r->unsetenv, arg, an);
		return false;
	case 'L':
		strlist_add(&r->logs, arg, an < SPP_LINE_MAX ? an : SPP_LINE_MAX);
		return false;
	default: return false;
	}
}

void spp_parse_output(const char *out, size_t len, struct spp_result *r)
{
	memset(r, 0, sizeof *r);
	if (len > SPP_OUT_MAX)
		len = SPP_OUT_MAX;
	while (len > 0) {
		const char *nl = memchr(out, '\n', len);
		size_t n = nl ? (size_t)(nl - out) : len;
		size_t used = nl ? n + 1 : n;
		if (n > 0 && out[n - 1] == '\r')
			n--;
		if (n > 0 && memchr(out, '\0', n) == NULL && one_line(out, n, r))
			return;
		out += used;
		len -= used;
	}
}

void spp_result_free(struct spp_result *r)
{
	sbuf_free(&r->reply);
	sbuf_free(&r->headers);
	strlist_free(&r->setenv);
	strlist_free(&r->unsetenv);
	strlist_free(&r->logs);
}
