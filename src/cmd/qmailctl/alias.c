/* qmailctl alias add|del|list: forwarding addresses (.qmail files of "&addr"). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "alloc.h"
#include "ctl.h"
#include "exitcode.h"
#include "fdio.h"
#include "inject_maps.h"
#include "sbuf.h"
#include "vdom.h"
#include "vpasswd.h"

/* The .qmail file for addr: a virtual domain's, or ~alias's for a local one. */
static char *alias_file(const char *addr, bool *is_virtual)
{
	const char *at = strchr(addr, '@');
	*is_virtual = vdom_is_virtual(at + 1);
	if (*is_virtual) {
		char *rel = vuser_dotqmail_rel(addr);
		char *p = instance_path(rel);
		free(rel);
		return p;
	}
	struct strlist locals = {NULL, 0, 0};
	struct sbuf me = SBUF_INIT, rel = SBUF_INIT;
	char *path = NULL;
	(void)control_read_lines("locals", &locals);
	(void)control_read_line("me", "", &me);
	if (strlist_contains_nocase(&locals, at + 1) || strcmp(me.s ? me.s : "", at + 1) == 0) {
		sbuf_append_str(&rel, "alias/.qmail-");
		for (const char *c = addr; c < at; c++)
			sbuf_append_char(&rel, *c == '.' ? ':' : *c);
		path = instance_path(rel.s);
	}
	strlist_free(&locals);
	sbuf_free(&me);
	sbuf_free(&rel);
	return path;
}

/* Every line of a forward-only .qmail file, without the '&'; -1 if it is
 * not such a file (a mailbox or a program). */
static int read_forwards(const char *path, struct strlist *out)
{
	struct strlist l = {NULL, 0, 0};
	int rc = inject_maps_read_lines(path, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		if (l.v[i][0] != '&')
			rc = -1;
		else
			strlist_add(out, l.v[i] + 1, strlen(l.v[i] + 1));
	}
	strlist_free(&l);
	return rc;
}

static int alias_add(const char *addr, const char *path, bool is_virtual, int n, char **targets)
{
	struct strlist fw = {NULL, 0, 0};
	struct sbuf norm = SBUF_INIT, text = SBUF_INIT;
	if (read_forwards(path, &fw) < 0)
		return ctl_fail(EXIT_PERM, "%s is a mailbox, not an alias", addr);
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		sbuf_clear(&norm);
		if (addr_normalize(targets[i], strlen(targets[i]), NULL, &norm) != ADDR_OK ||
		    norm.len == 0)
			rc = ctl_fail(EXIT_PERM, "invalid target address: %s", targets[i]);
		else if (!strlist_contains(&fw, norm.s))
			strlist_add(&fw, norm.s, norm.len);
	}
	for (size_t i = 0; i < fw.n; i++)
		sbuf_printf(&text, "&%s\n", fw.v[i]);
	if (rc == 0 && (file_write_atomic(path, text.s, text.len, 0644) < 0 ||
	                (is_virtual && ctl_chown_role(path, ROLE_VMAIL) < 0)))
		rc = ctl_fail(EXIT_TEMP, "cannot write %s: %s", path, strerror(errno));
	strlist_free(&fw);
	sbuf_free(&norm);
	sbuf_free(&text);
	return rc;
}

static int alias_del(const char *addr, const char *path)
{
	struct strlist fw = {NULL, 0, 0};
	int rc = read_forwards(path, &fw);
	if (rc < 0 || fw.n == 0)
		rc = ctl_fail(EXIT_PERM, "no such alias: %s", addr);
	else if (unlink(path) < 0)
		rc = ctl_fail(EXIT_TEMP, "cannot remove %s: %s", path, strerror(errno));
	strlist_free(&fw);
	return rc;
}

static void list_dir(const char *rel, const char *domain)
{
	char *dir = instance_path(rel);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".qmail-", 7) != 0 || !de->d_name[7])
			continue;
		struct strlist fw = {NULL, 0, 0};
		struct sbuf path = SBUF_INIT;
		sbuf_printf(&path, "%s/%s", dir, de->d_name);
		if (read_forwards(path.s, &fw) == 0 && fw.n > 0) {
			for (const char *c = de->d_name + 7; *c; c++)
				putchar(*c == ':' ? '.' : *c);
			printf("@%s:", domain);
			for (size_t i = 0; i < fw.n; i++)
				printf(" %s", fw.v[i]);
			printf("\n");
		}
		strlist_free(&fw);
		sbuf_free(&path);
	}
	if (d)
		closedir(d);
	free(dir);
}

static int alias_list(const char *domain)
{
	struct sbuf rel = SBUF_INIT;
	sbuf_printf(&rel, "domains/%s", domain);
	list_dir(vdom_is_virtual(domain) ? rel.s : "alias", domain);
	sbuf_free(&rel);
	return 0;
}

int ctl_alias(int argc, char **argv)
{
	const char *use = "usage: qmailctl alias add|del|list ADDRESS [TARGET...]";
	if (argc == 2 && strcmp(argv[0], "list") == 0 && !strchr(argv[1], '@')) {
		char *d = xstrdup(argv[1]);
		vdom_lower(d);
		int rc = alias_list(d);
		free(d);
		return rc;
	}
	if (argc < 2)
		return ctl_fail(EXIT_PERM, "%s", use);
	char *addr = xstrdup(argv[1]);
	vdom_lower(addr);
	bool virt = false;
	char *path = vpasswd_addr_valid(addr) ? alias_file(addr, &virt) : NULL;
	int rc;
	if (!path)
		rc = ctl_fail(EXIT_PERM, "%s is not an address in a local or virtual domain",
		              argv[1]);
	else if (strcmp(argv[0], "add") == 0 && argc > 2)
		rc = alias_add(addr, path, virt, argc - 2, argv + 2);
	else if (strcmp(argv[0], "del") == 0 && argc == 2)
		rc = alias_del(addr, path);
	else
		rc = ctl_fail(EXIT_PERM, "%s", use);
	if (rc == 0)
		ctl_signal_super(SIGHUP, false);
	free(addr);
	free(path);
	return rc;
}
