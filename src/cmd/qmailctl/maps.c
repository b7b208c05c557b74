/* qmailctl cdb: compile every map of the instance. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cdbmap.h"
#include "ctl.h"
#include "exitcode.h"
#include "inject_aliases.h"
#include "inject_maps.h"
#include "sbuf.h"
#include "vpasswd.h"

int ctl_compile_users(void)
{
	int rc = ctl_run_bin("qmail-newu", NULL, NULL);
	return rc == 0 ? 0 : -1;
}

static bool is_rules_name(const char *n)
{
	size_t len = strlen(n);
	if (n[0] == '.' || len == 0)
		return false;
	if (len > 4 && strcmp(n + len - 4, ".cdb") == 0)
		return false;
	if (len > 4 && strcmp(n + len - 4, ".tmp") == 0)
		return false;
	return true;
}

static int compile_rules(const char *dir, const char *name, bool only_stale)
{
	struct sbuf src = SBUF_INIT, cdb = SBUF_INIT, tmp = SBUF_INIT;
	sbuf_printf(&src, "%s/%s", dir, name);
	sbuf_printf(&cdb, "%s.cdb", src.s);
	sbuf_printf(&tmp, "%s.tmp", src.s);
	int rc = 0;
	if (!only_stale || inject_maps_stale(src.s, cdb.s)) {
		const char *args[] = {cdb.s, tmp.s, NULL};
		rc = ctl_run_bin("qmail-tcprules", args, src.s) == 0 ? 0 : -1;
		if (rc < 0)
			ctl_warn("%s: qmail-tcprules failed", src.s);
	}
	sbuf_free(&src);
	sbuf_free(&cdb);
	sbuf_free(&tmp);
	return rc;
}

int ctl_compile_tcprules(bool only_stale)
{
	char *dir = instance_path("control/tcprules");
	DIR *d = opendir(dir);
	int rc = 0;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (is_rules_name(de->d_name) &&
			    compile_rules(dir, de->d_name, only_stale) < 0)
				rc = -1;
		}
		closedir(d);
	} else if (errno != ENOENT) {
		rc = -1;
	}
	free(dir);
	return rc;
}

/* users/scramkey: made once and kept (the salts SCRAM answers for users
 * without a secret must not change; scram.h). */
static int ensure_scramkey(void)
{
	char *path = instance_path(VPASSWD_SCRAMKEY);
	int rc = vpasswd_scramkey_ensure(path);
	if (rc == 0)
		rc = ctl_chown_role(path, ROLE_TLS);
	free(path);
	return rc;
}

int ctl_build_vpasswd_cdb(const struct vpw_list *l, const char *cdb)
{
	int rc = vpasswd_build_cdb(l, cdb);
	/* Readable by the password check (qmailt), never by qmaild. */
	if (rc == 0)
		rc = ctl_chown_role(cdb, ROLE_TLS);
	if (rc == 0)
		rc = ensure_scramkey();
	return rc;
}

int ctl_compile_vpasswd(void)
{
	char *txt = instance_path("users/vpasswd");
	char *cdb = instance_path("users/vpasswd.cdb");
	struct vpw_list l;
	int rc = vpasswd_load(txt, &l);
	if (rc == 0)
		rc = ctl_build_vpasswd_cdb(&l, cdb);
	if (rc < 0)
		ctl_warn("cannot compile %s: %s", txt, strerror(errno));
	vpasswd_list_free(&l);
	free(txt);
	free(cdb);
	return rc;
}

/* control/NAME (a list, one entry a line) into control/NAME.cdb, keys in
 * lower case with empty values: qmail-newmrh's morercpthosts, and
 * morebadrcptto.  No source: an existing cdb (perhaps made by hand) stays. */
static int compile_list(const char *name)
{
	struct strlist l = {0};
	int rc = control_read_lines(name, &l);
	if (rc <= 0) {
		if (rc < 0)
			ctl_warn("cannot read control/%s: %s", name, strerror(errno));
		strlist_free(&l);
		return rc;
	}
	struct sbuf path = SBUF_INIT;
	sbuf_printf(&path, "%s/%s.cdb", control_dir(), name);
	struct cdbmap_build b;
	rc = cdbmap_build_begin(&b, path.s, NULL, 0644);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		for (char *c = l.v[i]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		rc = cdbmap_build_add(&b, l.v[i], strlen(l.v[i]), "", 0);
		if (rc < 0)
			cdbmap_build_abort(&b);
	}
	if (rc == 0)
		rc = cdbmap_build_commit(&b);
	if (rc < 0)
		ctl_warn("cannot compile %s: %s", path.s, strerror(errno));
	sbuf_free(&path);
	strlist_free(&l);
	return rc < 0 ? -1 : 0;
}

int ctl_compile_lists(void)
{
	control_set_dir(NULL);
	int rc = compile_list("morercpthosts");
	if (compile_list("morebadrcptto") < 0)
		rc = -1;
	return rc < 0 ? -1 : 0;
}

int ctl_compile_aliases(void)
{
	char *src = instance_path("alias/aliases");
	char *cdb = instance_path("alias/aliases.cdb");
	struct sbuf me = SBUF_INIT, err = SBUF_INIT;
	control_set_dir(NULL);
	(void)control_read_line("me", "localhost", &me);
	int rc = inject_aliases_compile(src, cdb, sbuf_cstr(&me), &err);
	if (rc < 0)
		ctl_warn("%s: %s", src, sbuf_cstr(&err));
	sbuf_free(&me);
	sbuf_free(&err);
	free(src);
	free(cdb);
	return rc;
}

int ctl_cdb(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl cdb");
	int rc = 0;
	if (ctl_compile_users() < 0)
		rc = -1, ctl_warn("qmail-newu failed");
	if (ctl_compile_tcprules(false) < 0)
		rc = -1;
	if (ctl_compile_vpasswd() < 0 || ctl_compile_aliases() < 0)
		rc = -1;
	if (ctl_compile_lists() < 0)
		rc = -1;
	if (rc < 0)
		return ctl_fail(EXIT_TEMP, "some maps were not compiled");
	ctl_signal_super(SIGHUP, false);
	return 0;
}
