#include "control.h"

#include "alloc.h"
#include "fdio.h"
#include "instance.h"
#include "proto_limits.h"
#include "scan.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Line rules (qmail-control(5)): trailing spaces and tabs are ignored.  A
 * trailing CR is ignored too, so that a file saved with CRLF endings still
 * means what the operator sees.  A NUL anywhere makes the file invalid.
 */

static char *dir_override;      /* control_set_dir */
static char *dir_default;       /* "$QMAILHOME/control", rebuilt on change */
static char *dir_default_home;  /* the home dir_default was built from */

void strlist_add(struct strlist *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		size_t cap;
		if (!size_mul(l->cap ? l->cap : 4, 2, &cap))
			alloc_fatal();
		l->v = xreallocarray(l->v, cap, sizeof *l->v);
		l->cap = cap;
	}
	l->v[l->n++] = xmemdup(s, len);
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int strlist_contains_nocase(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

void control_set_dir(const char *dir)
{
	free(dir_override);
	dir_override = dir ? xstrdup(dir) : NULL;
}

const char *control_dir(void)
{
	if (dir_override)
		return dir_override;
	const char *home = instance_home();
	if (!dir_default || strcmp(dir_default_home, home) != 0) {
		free(dir_default);
		free(dir_default_home);
		dir_default_home = xstrdup(home);
		dir_default = instance_path("control");
	}
	return dir_default;
}

static size_t trimmed_len(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	return len;
}

/*
 * skip_comments != 0 (list files): empty lines and lines starting with '#'
 * are dropped.  skip_comments == 0: every line is kept, empty ones too.
 * A final fragment without LF is a line; the empty fragment after the last
 * LF is not.
 */
int control_parse_lines(const char *data, size_t len, int skip_comments,
                        struct strlist *out)
{
	if (memchr(data, '\0', len)) {
		errno = EINVAL;
		return -1;
	}
	size_t pos = 0;
	while (pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t raw = lf ? (size_t)(lf - line) : len - pos;
		pos += raw + (lf ? 1 : 0);
		size_t n = trimmed_len(line, raw);
		if (skip_comments && (n == 0 || line[0] == '#'))
			continue;
		strlist_add(out, line, n);
	}
	return 0;
}

static char *control_path(const char *name)
{
	const char *dir = control_dir();
	size_t dlen = strlen(dir), nlen = strlen(name), total;
	if (!size_add(dlen, nlen, &total) || !size_add(total, 2, &total))
		alloc_fatal();
	char *p = xmalloc(total);
	memcpy(p, dir, dlen);
	p[dlen] = '/';
	memcpy(p + dlen + 1, name, nlen + 1);
	return p;
}

/*
 * The snapshot (control.h): files read while recording, kept with what the
 * read returned.  Only plain names (no '/') of regular files are kept; a
 * symbolic link is read every time, as its target is not watched.
 */
#define SNAP_MAX 64

static struct snap {
	int watch_fd;               /* inotify on the control directory, -1 */
	bool is_recording, is_frozen, is_checked, is_stale;
	size_t n;
	struct snap_file {
		char *name;
		int rc;                 /* 1 read, 0 missing */
		bool is_exists_only;    /* recorded by control_file_exists */
		struct sbuf data;
	} files[SNAP_MAX];
} snap = { .watch_fd = -1 };

static void snap_clear(void)
{
	for (size_t i = 0; i < snap.n; i++) {
		free(snap.files[i].name);
		sbuf_free(&snap.files[i].data);
	}
	snap.n = 0;
	snap.is_frozen = snap.is_checked = snap.is_stale = false;
}

int control_snapshot_begin(void)
{
	snap_clear();
	if (snap.watch_fd < 0) {
		snap.watch_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (snap.watch_fd < 0)
			return -1;
		uint32_t mask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |
		                IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
		if (inotify_add_watch(snap.watch_fd, control_dir(), mask) < 0) {
			close(snap.watch_fd);
			snap.watch_fd = -1;
			return -1;
		}
	}
	snap.is_recording = true;
	return 0;
}

bool control_snapshot_changed(void)
{
	char buf[4096];
	bool is_changed = false;
	if (snap.watch_fd < 0 || snap.is_recording)
		return false;
	while (read(snap.watch_fd, buf, sizeof buf) > 0)
		is_changed = true;
	return is_changed;
}

void control_snapshot_end(void)
{
	if (!snap.is_recording)
		return;
	snap.is_recording = false;
	snap.is_frozen = true;
}

/* Any change since the snapshot was made?  Asked once per process (each
 * session is a new fork); the events are left for the other sessions. */
static bool snap_usable(void)
{
	if (!snap.is_frozen)
		return false;
	if (!snap.is_checked) {
		struct pollfd p = { snap.watch_fd, POLLIN, 0 };
		snap.is_stale = poll(&p, 1, 0) != 0;
		snap.is_checked = true;
	}
	return !snap.is_stale;
}

static struct snap_file *snap_find(const char *name, bool is_exists_only)
{
	for (size_t i = 0; i < snap.n; i++)
		if (strcmp(snap.files[i].name, name) == 0 &&
		    snap.files[i].is_exists_only == is_exists_only)
			return &snap.files[i];
	return NULL;
}

static void snap_record(const char *name, const char *path, int rc, const struct sbuf *data)
{
	struct stat st;
	bool is_exists_only = data == NULL;
	if (rc < 0 || snap.n == SNAP_MAX || strchr(name, '/') || snap_find(name, is_exists_only))
		return;
	if (rc == 1 && (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)))
		return;
	struct snap_file *f = &snap.files[snap.n++];
	f->name = xstrdup(name);
	f->rc = rc;
	f->is_exists_only = is_exists_only;
	f->data = (struct sbuf)SBUF_INIT;
	if (rc == 1 && data)
		sbuf_set(&f->data, sbuf_cstr(data), data->len);
}

/* 1 read, 0 missing, -1 error. */
static int read_file_now(const char *name, struct sbuf *data)
{
	char *path = control_path(name);
	int rc = file_read_all(path, data, CONTROL_FILE_MAX);
	int saved = errno;
	if (rc < 0)
		rc = errno == ENOENT ? 0 : -1;
	else if (memchr(sbuf_cstr(data), '\0', data->len))
		rc = -1, saved = EINVAL;
	else
		rc = 1;
	if (snap.is_recording)
		snap_record(name, path, rc, data);
	free(path);
	errno = saved;
	return rc;
}

static int control_read_file(const char *name, struct sbuf *data)
{
	if (name[0] == '\0' || strstr(name, "..")) {
		errno = EINVAL;
		return -1;
	}
	struct snap_file *f = snap_usable() ? snap_find(name, false) : NULL;
	if (!f)
		return read_file_now(name, data);
	if (f->rc == 1)
		sbuf_set(data, sbuf_cstr(&f->data), f->data.len);
	return f->rc;
}

int control_file_exists(const char *name)
{
	if (name[0] == '\0' || strstr(name, ".."))
		return 1;
	struct snap_file *f = snap_usable() ? snap_find(name, true) : NULL;
	if (f)
		return f->rc;
	char *path = control_path(name);
	int rc = access(path, F_OK) < 0 && errno == ENOENT ? 0 : 1;
	if (snap.is_recording)
		snap_record(name, path, rc, NULL);
	free(path);
	return rc;
}

int control_read_line(const char *name, const char *def, struct sbuf *out)
{
	struct sbuf data = SBUF_INIT;
	int rc = control_read_file(name, &data);
	if (rc == 1) {
		const char *s = sbuf_cstr(&data);
		const char *lf = memchr(s, '\n', data.len);
		size_t n = lf ? (size_t)(lf - s) : data.len;
		sbuf_set(out, s, trimmed_len(s, n));
	} else if (rc == 0) {
		sbuf_set_str(out, def ? def : "");
	}
	sbuf_free(&data);
	return rc;
}

int control_read_u64(const char *name, uint64_t def, uint64_t max, uint64_t *out)
{
	struct sbuf line = SBUF_INIT;
	int rc = control_read_line(name, NULL, &line);
	if (rc == 1 && line.len > 0) {
		uint64_t v;
		if (!scan_u64(line.s, line.len, max, &v)) {
			sbuf_free(&line);
			errno = EINVAL;
			return -1;
		}
		*out = v;
	} else if (rc >= 0) {
		/* A missing or empty file means the default. */
		*out = def;
	}
	sbuf_free(&line);
	return rc;
}

int control_read_lines(const char *name, struct strlist *out)
{
	struct sbuf data = SBUF_INIT;
	int rc = control_read_file(name, &data);
	if (rc == 1 && control_parse_lines(sbuf_cstr(&data), data.len, 1, out) < 0)
		rc = -1;
	sbuf_free(&data);
	return rc;
}
