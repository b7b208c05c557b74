#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"

#define TIMEOUT_MAX 86400

static void path_in(struct sbuf *p, const char *dir, const char *name)
{
	sbuf_clear(p);
	sbuf_printf(p, "%s/%s", dir, name);
}

/* tlsdestinations lines without a colon mean "key:" (system CA store). */
static void normalise_keys(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strchr(l->v[i], ':'))
			continue;
		size_t n = strlen(l->v[i]);
		char *s = xmalloc(n + 2);
		memcpy(s, l->v[i], n);
		s[n] = ':';
		s[n + 1] = '\0';
		free(l->v[i]);
		l->v[i] = s;
	}
}

static int read_timeouts(struct remote_conf *c, struct sbuf *err)
{
	uint64_t v;
	if (control_read_u64("timeoutconnect", 60, TIMEOUT_MAX, &v) < 0 || v == 0) {
		sbuf_set_str(err, "bad control/timeoutconnect");
		return -1;
	}
	c->timeout_connect = (unsigned)v;
	if (control_read_u64("timeoutremote", 1200, TIMEOUT_MAX, &v) < 0 || v == 0) {
		sbuf_set_str(err, "bad control/timeoutremote");
		return -1;
	}
	c->timeout_remote = (unsigned)v;
	return 0;
}

/* control/NAME into t; a malformed file is an error (defer: sending from
 * the wrong address can break SPF, so no silent fallback to the default). */
static int read_bindroutes(struct bindroutes *t, int family, const char *name, struct sbuf *err)
{
	struct strlist lines = { 0 };
	bindroutes_init(t, family);
	int rc = control_read_lines(name, &lines);
	if (rc < 0)
		sbuf_printf(err, "cannot read control/%s", name);
	else
		rc = bindroutes_parse(t, name, &lines, err);
	strlist_free(&lines);
	return rc < 0 ? -1 : 0;
}

int remote_conf_load(struct remote_conf *c, struct sbuf *err)
{
	memset(c, 0, sizeof *c);
	c->control = xstrdup(control_dir());
	struct sbuf me = SBUF_INIT;
	int rc = control_read_line("me", "localhost", &me);
	if (rc >= 0)
		rc = control_read_line("helohost", sbuf_cstr(&me), &c->helo);
	sbuf_free(&me);
	if (rc < 0 || c->helo.len == 0) {
		sbuf_set_str(err, "cannot read control/helohost or control/me");
		return -1;
	}
	if (read_timeouts(c, err) < 0)
		return -1;
	if (control_read_lines("smtproutes", &c->routes) < 0 ||
	    control_read_lines("tlsdestinations", &c->tlsdest) < 0 ||
	    control_read_lines("outgoingip", &c->outgoing) < 0 ||
	    control_read_lines("dnsservers", &c->dnsservers) < 0) {
		sbuf_set_str(err, "cannot read a control file");
		return -1;
	}
	normalise_keys(&c->tlsdest);
	if (read_bindroutes(&c->bind4, AF_INET, "bindroutes", err) < 0 ||
	    read_bindroutes(&c->bind6, AF_INET6, "bindroutes6", err) < 0)
		return -1;
	struct sbuf p = SBUF_INIT;
	path_in(&p, c->control, "clientcert.pem");
	if (access(p.s, R_OK) == 0)
		c->clientcert = xstrdup(p.s);
	sbuf_free(&p);
	return 0;
}
