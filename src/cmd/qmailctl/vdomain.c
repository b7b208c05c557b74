/* qmailctl domain add|del|list: virtual domains (qmailctl(8)). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "ctl.h"
#include "exitcode.h"
#include "inject_maps.h"
#include "sbuf.h"
#include "vdom.h"
#include "vpasswd.h"

void vdom_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int vdom_edit_lines(const char *rel, const char *add, const char *del)
{
	char *path = instance_path(rel);
	struct strlist l = {NULL, 0, 0};
	int rc = inject_maps_read_lines(path, &l);
	if (rc == 0 && del)
		inject_maps_remove_line(&l, del);
	if (rc == 0 && add && !strlist_contains(&l, add))
		strlist_add(&l, add, strlen(add));
	if (rc == 0)
		rc = inject_maps_write_lines(path, &l, 0644);
	if (rc < 0)
		ctl_warn("cannot update %s: %s", path, strerror(errno));
	strlist_free(&l);
	free(path);
	return rc;
}

bool vdom_is_virtual(const char *domain)
{
	char *path = instance_path("control/virtualdomains");
	struct strlist l = {NULL, 0, 0};
	struct sbuf want = SBUF_INIT;
	sbuf_printf(&want, "%s:vd-%s", domain, domain);
	bool found = inject_maps_read_lines(path, &l) == 0 && strlist_contains(&l, want.s);
	strlist_free(&l);
	sbuf_free(&want);
	free(path);
	return found;
}

/* users/assign with the domain's "+vd-D-" line added or removed; the
 * terminating "." stays last. */
static int edit_assign(const char *domain, bool add)
{
	struct role_id v;
	if (instance_role(ROLE_VMAIL, &v) < 0)
		return ctl_fail(-1, "no qmailv user: %s", strerror(errno));
	struct sbuf line = SBUF_INIT;
	sbuf_printf(&line, "+vd-%s-:%s:%lu:%lu:%s/domains/%s:-::", domain, v.name,
	            (unsigned long)v.uid, (unsigned long)v.gid, instance_home(), domain);
	char *path = instance_path("users/assign");
	struct strlist l = {NULL, 0, 0};
	int rc = inject_maps_read_lines(path, &l);
	if (rc == 0) {
		inject_maps_remove_line(&l, ".");
		inject_maps_remove_line(&l, line.s);
		if (add)
			strlist_add(&l, line.s, line.len);
		strlist_add(&l, ".", 1);
		rc = inject_maps_write_lines(path, &l, 0644);
	}
	strlist_free(&l);
	free(path);
	sbuf_free(&line);
	if (rc == 0 && ctl_compile_users() < 0)
		return ctl_fail(-1, "qmail-newu failed");
	return rc;
}

static int domain_add(const char *d)
{
	struct sbuf vd = SBUF_INIT, rel = SBUF_INIT;
	if (vdom_is_virtual(d))
		return ctl_fail(EXIT_PERM, "domain %s exists", d);
	sbuf_printf(&vd, "%s:vd-%s", d, d);
	sbuf_printf(&rel, "domains/%s", d);
	int rc = ctl_mkdir(rel.s, 0755, ROLE_VMAIL, false);
	if (rc == 0)
		rc = vdom_edit_lines("control/virtualdomains", vd.s, NULL);
	if (rc == 0)
		rc = vdom_edit_lines("control/rcpthosts", d, NULL);
	if (rc == 0)
		rc = edit_assign(d, true);
	sbuf_free(&vd);
	sbuf_free(&rel);
	return rc < 0 ? ctl_fail(EXIT_TEMP, "cannot add domain %s", d) : 0;
}

static int domain_del(const char *d)
{
	struct sbuf vd = SBUF_INIT, suffix = SBUF_INIT;
	if (!vdom_is_virtual(d))
		return ctl_fail(EXIT_PERM, "no such domain: %s", d);
	sbuf_printf(&vd, "%s:vd-%s", d, d);
	sbuf_printf(&suffix, "@%s", d);
	int rc = vdom_edit_lines("control/virtualdomains", NULL, vd.s);
	if (rc == 0)
		rc = vdom_edit_lines("control/rcpthosts", NULL, d);
	if (rc == 0)
		rc = edit_assign(d, false);
	if (rc == 0)
		rc = vuser_remove_domain(suffix.s);
	sbuf_free(&vd);
	sbuf_free(&suffix);
	return rc < 0 ? ctl_fail(EXIT_TEMP, "cannot delete domain %s", d) : 0;
}

static int domain_list(void)
{
	char *path = instance_path("control/virtualdomains");
	struct strlist l = {NULL, 0, 0};
	int rc = inject_maps_read_lines(path, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const char *colon = strchr(l.v[i], ':');
		if (colon && strncmp(colon + 1, "vd-", 3) == 0 &&
		    strncmp(colon + 4, l.v[i], (size_t)(colon - l.v[i])) == 0)
			printf("%.*s\n", (int)(colon - l.v[i]), l.v[i]);
	}
	strlist_free(&l);
	free(path);
	return rc < 0 ? ctl_fail(EXIT_TEMP, "cannot read control/virtualdomains") : 0;
}

int ctl_domain(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return domain_list();
	if (argc != 2)
		return ctl_fail(EXIT_PERM, "usage: qmailctl domain add|del|list [DOMAIN]");
	char *d = xstrdup(argv[1]);
	vdom_lower(d);
	int rc;
	if (!vpasswd_domain_valid(d))
		rc = ctl_fail(EXIT_PERM, "invalid domain name: %s", argv[1]);
	else if (strcmp(argv[0], "add") == 0)
		rc = domain_add(d);
	else if (strcmp(argv[0], "del") == 0)
		rc = domain_del(d);
	else
		rc = ctl_fail(EXIT_PERM, "usage: qmailctl domain add|del|list [DOMAIN]");
	if (rc == 0)
		ctl_signal_super(SIGHUP, false);
	free(d);
	return rc;
}
