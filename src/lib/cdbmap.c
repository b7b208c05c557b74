#include "cdbmap.h"

#include "alloc.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cdbmap_open(struct cdbmap *m, const char *path)
{
	m->is_open = false;
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return -1;
	if (cdb_init(&m->cdb, m->fd) != 0) {
		int saved = errno ? errno : EINVAL;
		close(m->fd);
		m->fd = -1;
		errno = saved;
		return -1;
	}
	m->is_open = true;
	return 0;
}

int cdbmap_get(struct cdbmap *m, const void *key, size_t keylen, struct sbuf *out)
{
	if (!m->is_open) {
		errno = EBADF;
		return -1;
	}
	if (keylen > CDBMAP_KEY_MAX) {
		errno = EINVAL;
		return -1;
	}
	int rc = cdb_find(&m->cdb, key, (unsigned)keylen);
	if (rc < 0) {
		if (errno == 0)
			errno = EPROTO;
		return -1;
	}
	if (rc == 0)
		return 0;
	size_t vlen = cdb_datalen(&m->cdb);
	if (vlen > CDBMAP_VALUE_MAX) {
		errno = EFBIG;
		return -1;
	}
	sbuf_clear(out);
	sbuf_reserve(out, vlen);
	if (cdb_read(&m->cdb, out->s, (unsigned)vlen, cdb_datapos(&m->cdb)) != 0) {
		if (errno == 0)
			errno = EPROTO;
		return -1;
	}
	out->len = vlen;
	out->s[vlen] = '\0';
	return 1;
}

void cdbmap_close(struct cdbmap *m)
{
	if (m->is_open) {
		cdb_free(&m->cdb);
		close(m->fd);
	}
	m->is_open = false;
	m->fd = -1;
}

int cdbmap_lookup(const char *path, const void *key, size_t keylen, struct sbuf *out)
{
	struct cdbmap m;
	if (cdbmap_open(&m, path) < 0)
		return -1;
	int rc = cdbmap_get(&m, key, keylen, out);
	int saved = errno;
	cdbmap_close(&m);
	errno = saved;
	return rc;
}

static char *tmp_name(const char *path)
{
	size_t n = strlen(path), total;
	if (!size_add(n, sizeof ".tmp", &total))
		alloc_fatal();
	char *t = xmalloc(total);
	memcpy(t, path, n);
	memcpy(t + n, ".tmp", sizeof ".tmp");
	return t;
}

int cdbmap_build_begin(struct cdbmap_build *b, const char *path, const char *tmp, int mode)
{
	b->path = xstrdup(path);
	b->tmp = tmp ? xstrdup(tmp) : tmp_name(path);
	b->fd = open(b->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (b->fd >= 0 && fchmod(b->fd, (mode_t)mode) == 0 && cdb_make_start(&b->cm, b->fd) == 0)
		return 0;
	int saved = errno;
	if (b->fd >= 0) {
		close(b->fd);
		unlink(b->tmp);
	}
	b->fd = -1;
	free(b->path);
	free(b->tmp);
	b->path = b->tmp = NULL;
	errno = saved;
	return -1;
}

int cdbmap_build_add(struct cdbmap_build *b, const void *key, size_t keylen,
                     const void *val, size_t vallen)
{
	if (keylen > CDBMAP_KEY_MAX || vallen > CDBMAP_VALUE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (cdb_make_add(&b->cm, key, (unsigned)keylen, val, (unsigned)vallen) != 0) {
		if (errno == 0)
			errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void build_release(struct cdbmap_build *b)
{
	free(b->path);
	free(b->tmp);
	b->path = b->tmp = NULL;
	b->fd = -1;
}

void cdbmap_build_abort(struct cdbmap_build *b)
{
	if (b->fd >= 0) {
		(void)cdb_make_finish(&b->cm);   /* frees its tables */
		close(b->fd);
		unlink(b->tmp);
	}
	build_release(b);
}

static int dir_of_sync(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return fd_sync_dir(".");
	if (slash == path)
		return fd_sync_dir("/");
	char *dir = xmemdup(path, (size_t)(slash - path));
	int rc = fd_sync_dir(dir);
	int saved = errno;
	free(dir);
	errno = saved;
	return rc;
}

int cdbmap_build_commit(struct cdbmap_build *b)
{
	int rc = -1;
	if (cdb_make_finish(&b->cm) != 0 || fsync(b->fd) != 0) {
		int saved = errno;
		close(b->fd);
		errno = saved;
	} else if (fd_close_checked(b->fd) == 0 && rename(b->tmp, b->path) == 0) {
		rc = dir_of_sync(b->path);
		build_release(b);
		return rc;
	}
	int saved = errno;
	unlink(b->tmp);
	build_release(b);
	errno = saved;
	return rc;
}
