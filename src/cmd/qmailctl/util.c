#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "ctl.h"
#include "exitcode.h"
#include "fdio.h"
#include "inject_maps.h"
#include "sbuf.h"
#include "scan.h"

/* One line on stderr: prefix, the formatted text, a newline. */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	struct sbuf b = SBUF_INIT;
	sbuf_append_str(&b, prefix);
	sbuf_vprintf(&b, fmt, ap);
	sbuf_append_char(&b, '\n');
	(void)fd_write_all(2, b.s, b.len);
	sbuf_free(&b);
}

int ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("qmailctl: ", fmt, ap);
	va_end(ap);
	return code;
}

void ctl_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("qmailctl: warning: ", fmt, ap);
	va_end(ap);
}

char *ctl_exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xstrdup(buf[0] ? buf : "/");
}

int ctl_run_bin(const char *name, const char *const *args, const char *in_path)
{
	struct sbuf prog = SBUF_INIT;
	char *argv[16];
	size_t n = 0;
	sbuf_printf(&prog, "%s/bin/%s", instance_home(), name);
	argv[n++] = prog.s;
	for (; args && args[n - 1] && n < 15; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	int rc = access(prog.s, X_OK) == 0 ? inject_maps_run(argv, in_path, -1) : -1;
	if (rc < 0 && errno == 0)
		errno = ENOENT;
	sbuf_free(&prog);
	return rc;
}

int ctl_chown_role(const char *path, enum role r)
{
	struct role_id id;
	if (!instance_is_root_mode())
		return 0;
	if (instance_role(r, &id) < 0)
		return -1;
	return lchown(path, id.uid, id.gid);
}

/* owner ROLE_COUNT: root (group qmail when group_qmail). */
static int own_dir(const char *p, enum role owner, bool group_qmail)
{
	struct role_id id;
	if (!instance_is_root_mode())
		return 0;
	if (owner != ROLE_COUNT)
		return instance_role(owner, &id) < 0 ? -1 : chown(p, id.uid, id.gid);
	if (!group_qmail)
		return chown(p, 0, 0);
	return instance_role(ROLE_SEND, &id) < 0 ? -1 : chown(p, 0, id.gid);
}

int ctl_mkdir(const char *rel, mode_t mode, enum role owner, bool group_qmail)
{
	char *p = instance_path(rel);
	int rc = mkdir(p, mode);
	if (rc < 0 && errno == EEXIST)
		rc = 0;
	if (rc == 0)
		rc = own_dir(p, owner, group_qmail);
	if (rc == 0)
		rc = chmod(p, mode);
	if (rc < 0)
		ctl_warn("%s: %s", p, strerror(errno));
	free(p);
	return rc;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	struct sbuf data = SBUF_INIT;
	int rc = file_read_all(src, &data, 256u * 1024u * 1024u);
	if (rc == 0)
		rc = file_write_atomic(dst, data.s ? data.s : "", data.len, (int)mode);
	sbuf_free(&data);
	return rc;
}

static int install_one(const char *srcdir, const char *name)
{
	struct sbuf src = SBUF_INIT, dst = SBUF_INIT;
	struct stat st;
	int rc = 0;
	sbuf_printf(&src, "%s/%s", srcdir, name);
	sbuf_printf(&dst, "%s/bin/%s", instance_home(), name);
	if (lstat(src.s, &st) < 0 || (!S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode)))
		goto out;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src.s, target, sizeof target - 1);
		if (n > 0 && !strchr((target[n] = '\0', target), '/')) {
			unlink(dst.s);
			rc = symlink(target, dst.s);
		}
		goto out;
	}
	if (!(st.st_mode & S_IXUSR))
		goto out;
	rc = copy_file(src.s, dst.s, 0755);
	if (rc == 0 && strcmp(name, "qmail-queue") == 0 && instance_is_root_mode()) {
		rc = ctl_chown_role(dst.s, ROLE_QUEUE);
		if (rc == 0)
			rc = chmod(dst.s, 06711);
	}
out:
	if (rc < 0)
		ctl_warn("cannot install %s: %s", dst.s, strerror(errno));
	sbuf_free(&src);
	sbuf_free(&dst);
	return rc;
}

int ctl_install_bin(void)
{
	char *srcdir = ctl_exe_dir();
	char *bindir = instance_path("bin");
	int rc = -1;
	if (!srcdir)
		goto out;
	if (strcmp(srcdir, bindir) == 0) {
		rc = 0;
		goto out;
	}
	DIR *d = opendir(srcdir);
	if (!d)
		goto out;
	struct dirent *de;
	rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && install_one(srcdir, de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
out:
	free(srcdir);
	free(bindir);
	return rc;
}

int ctl_bin(int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_fail(EXIT_PERM, "usage: qmailctl bin");
	if (ctl_install_bin() < 0)
		return ctl_fail(EXIT_TEMP, "cannot copy the programs into %s/bin", instance_home());
	return 0;
}
