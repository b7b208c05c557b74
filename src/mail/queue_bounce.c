#include "queue_bounce.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "sbuf.h"

static bool field_ok(const char *s, size_t len)
{
	return !memchr(s, '\n', len) && !memchr(s, '\r', len);
}

enum bounce_status queue_bounce_parse(const char *data, size_t len, struct bounce_list *out,
                                      size_t *good_len)
{
	memset(out, 0, sizeof *out);
	size_t pos = 0;
	*good_len = 0;
	while (pos < len) {
		const char *a = data + pos;
		const char *nul1 = memchr(a, '\0', len - pos);
		if (!nul1)
			return BOUNCE_PARTIAL;
		const char *t = nul1 + 1;
		size_t left = len - (size_t)(t - data);
		const char *nul2 = left ? memchr(t, '\0', left) : NULL;
		if (!nul2)
			return BOUNCE_PARTIAL;
		if (!field_ok(a, (size_t)(nul1 - a)) || !field_ok(t, (size_t)(nul2 - t))) {
			queue_bounce_free(out);
			*good_len = 0;
			return BOUNCE_FORMAT;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n].rcpt = xstrdup(a);
		out->v[out->n].text = xstrdup(t);
		out->n++;
		pos = (size_t)(nul2 - data) + 1;
		*good_len = pos;
	}
	return BOUNCE_OK;
}

void queue_bounce_free(struct bounce_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].rcpt);
		free(l->v[i].text);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void append_clean(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sbuf_append_char(b, (*s == '\n' || *s == '\r') ? '/' : *s);
	sbuf_append_char(b, '\0');
}

/* Cuts a partial record left by a crash, so the new one starts aligned. */
static int trim_partial(int fd)
{
	struct sbuf cur = SBUF_INIT;
	if (fd_read_all(fd, &cur, QUEUE_BOUNCE_MAX) < 0) {
		sbuf_free(&cur);
		return -1;
	}
	struct bounce_list l;
	size_t good;
	enum bounce_status st = queue_bounce_parse(cur.s ? cur.s : "", cur.len, &l, &good);
	queue_bounce_free(&l);
	int rc = 0;
	if (st == BOUNCE_PARTIAL && ftruncate(fd, (off_t)good) < 0)
		rc = -1;
	sbuf_free(&cur);
	return rc;
}

static int dir_sync_of(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = fd_sync_dir(slash ? dir : ".");
	free(dir);
	return rc;
}

int queue_bounce_append(const char *path, const char *rcpt, const char *text)
{
	bool created = false;
	int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		created = true;
	}
	if (fd < 0)
		return -1;
	struct sbuf rec = SBUF_INIT;
	append_clean(&rec, rcpt);
	append_clean(&rec, text);
	int rc = 0;
	if ((!created && trim_partial(fd) < 0) || fd_write_all(fd, rec.s, rec.len) < 0 ||
	    fsync(fd) < 0)
		rc = -1;
	int saved = errno;
	if (fd_close_checked(fd) < 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && created && dir_sync_of(path) < 0) {
		rc = -1;
		saved = errno;
	}
	sbuf_free(&rec);
	errno = saved;
	return rc;
}
