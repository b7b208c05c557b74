#include "inject_svc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fdio.h"
#include "scan.h"

static const struct svc_def defs[SVC_COUNT] = {
    [SVC_SMTP] = {"smtp", 2525, 25, "qmail-smtpd", true},
    [SVC_SUBMISSION] = {"submission", 2587, 587, "qmail-smtpd", true},
    [SVC_SMTPS] = {"smtps", 2465, 465, "qmail-smtpd", true},
    [SVC_POP3] = {"pop3", 2110, 110, "qmail-popup", false},
    [SVC_POP3S] = {"pop3s", 2995, 995, "qmail-popup", false},
    [SVC_QMTP] = {"qmtp", 2209, 209, "qmail-qmtpd", false},
    [SVC_QMQP] = {"qmqp", 2628, 628, "qmail-qmqpd", false},
};

const struct svc_def *inject_svc_def(enum svc_id id)
{
	return &defs[id];
}

int inject_svc_lookup(const char *name)
{
	for (int i = 0; i < SVC_COUNT; i++) {
		if (strcmp(defs[i].name, name) == 0)
			return i;
	}
	return -1;
}

void inject_svc_defaults(struct svc_table *t, bool root_mode)
{
	memset(t, 0, sizeof *t);
	for (int i = 0; i < SVC_COUNT; i++) {
		strcpy(t->v[i].addr, root_mode ? "0.0.0.0" : "127.0.0.1");
		t->v[i].port = root_mode ? defs[i].root_port : defs[i].user_port;
		t->v[i].enabled = defs[i].default_on;
	}
}

static bool addr_ok(const char *a, size_t len)
{
	char tmp[SVC_ADDR_MAX];
	unsigned char bin[16];
	if (len == 0 || len >= sizeof tmp)
		return false;
	memcpy(tmp, a, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET, tmp, bin) == 1 || inet_pton(AF_INET6, tmp, bin) == 1;
}

static bool port_ok(const char *p, size_t len, unsigned *out)
{
	uint64_t v;
	if (!scan_u64(p, len, 65535, &v) || v == 0)
		return false;
	*out = (unsigned)v;
	return true;
}

static int set_entry(struct svc_table *t, int id, const char *a, size_t alen, const char *p,
                     size_t plen, bool on)
{
	unsigned port;
	if (!addr_ok(a, alen) || !port_ok(p, plen, &port))
		return -1;
	memcpy(t->v[id].addr, a, alen);
	t->v[id].addr[alen] = '\0';
	t->v[id].port = port;
	t->v[id].enabled = on;
	return 0;
}

/* Splits a line into at most 5 space-separated words. */
static size_t words(const char *s, size_t len, const char **w, size_t *wl)
{
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		if (n == 5)
			return 5;
		w[n] = s + start;
		wl[n++] = i - start;
	}
	return n;
}

static int parse_line(const char *s, size_t len, struct svc_table *t)
{
	const char *w[5];
	size_t wl[5];
	char name[16];
	if (words(s, len, w, wl) != 4 || wl[0] >= sizeof name)
		return -1;
	memcpy(name, w[0], wl[0]);
	name[wl[0]] = '\0';
	int id = inject_svc_lookup(name);
	bool on = wl[3] == 2 && memcmp(w[3], "on", 2) == 0;
	bool off = wl[3] == 3 && memcmp(w[3], "off", 3) == 0;
	if (id < 0 || (!on && !off))
		return -1;
	return set_entry(t, id, w[1], wl[1], w[2], wl[2], on);
}

int inject_svc_parse(const char *data, size_t len, struct svc_table *t)
{
	memset(t, 0, sizeof *t);
	if (memchr(data, '\0', len))
		return -1;
	size_t pos = 0;
	while (pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		pos += n + (lf ? 1 : 0);
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == n || line[k] == '#')
			continue;
		if (parse_line(line, n, t) < 0)
			return -1;
	}
	return 0;
}

void inject_svc_format(const struct svc_table *t, struct sbuf *out)
{
	sbuf_append_str(out, "# name address port on|off (qmail-super(8))\n");
	for (int i = 0; i < SVC_COUNT; i++) {
		const struct svc_conf *c = &t->v[i];
		if (c->port == 0)
			continue;
		sbuf_printf(out, "%s %s %u %s\n", defs[i].name, c->addr, c->port,
		            c->enabled ? "on" : "off");
	}
}

int inject_svc_apply_listen(struct svc_table *t, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[16];
	if (!eq || (size_t)(eq - spec) >= sizeof name)
		return -1;
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	int id = inject_svc_lookup(name);
	const char *v = eq + 1;
	if (id < 0)
		return -1;
	if (strcmp(v, "off") == 0) {
		t->v[id].enabled = false;
		return 0;
	}
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return -1;
		return set_entry(t, id, v + 1, (size_t)(close - v - 1), close + 2,
		                 strlen(close + 2), true);
	}
	const char *colon = strrchr(v, ':');
	if (!colon || memchr(v, ':', (size_t)(colon - v)))
		return -1;
	return set_entry(t, id, v, (size_t)(colon - v), colon + 1, strlen(colon + 1), true);
}

int inject_svc_load(const char *path, struct svc_table *t)
{
	struct sbuf b = SBUF_INIT;
	if (file_read_all(path, &b, 65536) < 0) {
		sbuf_free(&b);
		return -1;
	}
	int rc = inject_svc_parse(b.s ? b.s : "", b.len, t);
	sbuf_free(&b);
	if (rc < 0)
		errno = EINVAL;
	return rc;
}
