/*
 * smtpd_config.c: qmail-smtpd's control files and environment
 * (see smtpd_config.h).
 */
#include "smtpd_config.h"

#include "addr.h"
#include "alloc.h"
#include "cdbmap.h"
#include "proto_limits.h"
#include "scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DATABYTES_LIMIT (1ull << 40)
#define TIMEOUT_LIMIT 86400u

static int load_names(struct smtpd_config *c, const char **what)
{
	char host[256] = "localhost";
	if (gethostname(host, sizeof host - 1) < 0)
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	*what = "me";
	if (control_read_line("me", host, &c->me) < 0)
		return -1;
	*what = "smtpgreeting";
	if (control_read_line("smtpgreeting", c->me.s, &c->greeting) < 0)
		return -1;
	*what = "defaultdomain";
	if (control_read_line("defaultdomain", c->me.s, &c->defaultdomain) < 0)
		return -1;
	*what = "localiphost";
	if (control_read_line("localiphost", c->me.s, &c->localiphost) < 0)
		return -1;
	return 0;
}

static int load_limits(struct smtpd_config *c, const char **what)
{
	uint64_t v;
	*what = "databytes";
	if (control_read_u64("databytes", 0, DATABYTES_LIMIT, &v) < 0)
		return -1;
	const char *env = getenv("DATABYTES");
	if (env != NULL && *env != '\0' && !scan_u64_str(env, DATABYTES_LIMIT, &v)) {
		*what = "DATABYTES";
		errno = EINVAL;
		return -1;
	}
	c->databytes = v ? v : DATABYTES_DEFAULT; /* D-07: never unlimited */
	*what = "timeoutsmtpd";
	if (control_read_u64("timeoutsmtpd", SMTP_CMD_TIMEOUT, TIMEOUT_LIMIT, &v) < 0)
		return -1;
	c->timeout_s = v ? (unsigned)v : SMTP_CMD_TIMEOUT;
	return 0;
}

static void load_env(struct smtpd_config *c)
{
	const char *v = getenv("RELAYCLIENT");
	c->is_relayclient = v != NULL;
	sbuf_set_str(&c->relay_suffix, v ? v : "");
	for (size_t i = 0; i < c->relay_suffix.len; i++) {
		unsigned char ch = (unsigned char)c->relay_suffix.s[i];
		if (ch < 0x21 || ch > 0x7e) /* never a control byte in an address */
			sbuf_clear(&c->relay_suffix);
	}
	v = getenv("TCPREMOTEIP");
	sbuf_set_str(&c->remote_ip, v ? v : "");
	v = getenv("TCPREMOTEHOST");
	sbuf_set_str(&c->remote_host, v ? v : "");
	v = getenv("TCPLOCALIP");
	sbuf_set_str(&c->local_ip, v ? v : "");
}

int smtpd_config_load(struct smtpd_config *c, const char **what)
{
	memset(c, 0, sizeof *c);
	c->deliverable = users_deliverable;
	if (load_names(c, what) < 0 || load_limits(c, what) < 0)
		return -1;
	*what = "rcpthosts";
	int r = control_read_lines("rcpthosts", &c->rcpthosts);
	if (r < 0)
		return -1;
	c->has_rcpthosts = r > 0;
	c->morercpthosts = xmalloc(strlen(control_dir()) + sizeof "/morercpthosts.cdb");
	strcpy(c->morercpthosts, control_dir());
	strcat(c->morercpthosts, "/morercpthosts.cdb");
	if (control_file_exists("morercpthosts.cdb"))
		c->has_rcpthosts = true;
	*what = "badmailfrom";
	if (control_read_lines("badmailfrom", &c->badmailfrom) < 0)
		return -1;
	*what = "locals/virtualdomains";
	if (route_config_load(&c->route) < 0)
		return -1;
	load_env(c);
	return 0;
}

void smtpd_config_free(struct smtpd_config *c)
{
	sbuf_free(&c->me);
	sbuf_free(&c->greeting);
	sbuf_free(&c->defaultdomain);
	sbuf_free(&c->localiphost);
	strlist_free(&c->rcpthosts);
	free(c->morercpthosts);
	strlist_free(&c->badmailfrom);
	sbuf_free(&c->relay_suffix);
	sbuf_free(&c->remote_ip);
	sbuf_free(&c->remote_host);
	sbuf_free(&c->local_ip);
	route_config_free(&c->route);
}

/* entry equals domain, or entry is ".suffix" and domain ends with it. */
static bool domain_matches(const char *entry, const char *domain)
{
	if (entry[0] != '.')
		return strcasecmp(entry, domain) == 0;
	size_t n = strlen(entry), d = strlen(domain);
	return d > n && strcasecmp(domain + d - n, entry) == 0;
}

static int cdb_has_domain(const char *path, const char *domain)
{
	struct sbuf key = SBUF_INIT, val = SBUF_INIT;
	int found = 0;
	for (const char *p = domain; *p; p++)
		sbuf_append_char(&key, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
	for (size_t i = 0; found == 0 && i < key.len; i++) {
		if (i > 0 && key.s[i] != '.')
			continue;
		found = cdbmap_lookup(path, key.s + i, key.len - i, &val);
		if (found < 0 && errno == ENOENT)
			found = 0;
	}
	sbuf_free(&key);
	sbuf_free(&val);
	return found;
}

int smtpd_config_is_rcpthost(const struct smtpd_config *c, const char *domain)
{
	if (*domain == '\0')
		return 0;
	for (size_t i = 0; i < c->rcpthosts.n; i++) {
		if (domain_matches(c->rcpthosts.v[i], domain))
			return 1;
	}
	return cdb_has_domain(c->morercpthosts, domain);
}

bool smtpd_config_is_badmailfrom(const struct smtpd_config *c, const char *addr)
{
	const char *domain = addr_domain(addr);
	if (*addr == '\0')
		return false;
	for (size_t i = 0; i < c->badmailfrom.n; i++) {
		const char *e = c->badmailfrom.v[i];
		if (strcasecmp(e, addr) == 0)
			return true;
		if (e[0] == '@' && strcasecmp(e + 1, domain) == 0)
			return true;
		if (e[0] == '.' && domain_matches(e, domain))
			return true;
	}
	return false;
}
