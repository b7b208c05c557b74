/*
 * aliasdb.c: alias user and aliases.cdb lookups (aliasdb.h).
 */
#include "aliasdb.h"

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "instance.h"

bool aliasdb_is_alias_home(const char *home)
{
	char *p = instance_path("alias");
	bool same = strcmp(p, home) == 0;
	free(p);
	return same;
}

static void split_targets(const char *v, size_t len, struct strlist *out)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '\0')
			continue;
		if (i > start)
			strlist_add(out, v + start, i - start);
		start = i + 1;
	}
	if (len > start)
		strlist_add(out, v + start, len - start);
}

static int lookup_fd(int fd, const char *key, struct strlist *out)
{
	struct cdb c;
	if (cdb_init(&c, fd) != 0)
		return -1;
	int r = cdb_find(&c, key, (unsigned)strlen(key));
	if (r <= 0) {
		cdb_free(&c);
		if (r < 0)
			errno = EIO;
		return r;
	}
	unsigned len = cdb_datalen(&c);
	if (len > ALIASDB_VALUE_MAX) {
		cdb_free(&c);
		errno = EINVAL;
		return -1;
	}
	char *v = xmalloc((size_t)len + 1);
	r = cdb_read(&c, v, len, cdb_datapos(&c));
	cdb_free(&c);
	if (r != 0) {
		free(v);
		errno = EIO;
		return -1;
	}
	split_targets(v, len, out);
	free(v);
	return 1;
}

int aliasdb_lookup(const char *local, struct strlist *out)
{
	size_t n = strlen(local);
	char *key = xmemdup(local, n);
	for (size_t i = 0; i < n; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	char *path = instance_path("alias/aliases.cdb");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	int r;
	if (fd < 0)
		r = (errno == ENOENT) ? 0 : -1;
	else {
		r = lookup_fd(fd, key, out);
		int saved = errno;
		close(fd);
		errno = saved;
	}
	free(key);
	return r;
}
