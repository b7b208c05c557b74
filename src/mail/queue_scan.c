#include "queue_scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "scan.h"

bool queue_scan_name(const char *name, uint64_t *id)
{
	size_t len = strlen(name);
	if (len == 0 || len > 20 || (len > 1 && name[0] == '0'))
		return false;
	return scan_u64(name, len, UINT64_MAX, id);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int queue_scan_dir(const char *dir, uint64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		uint64_t id;
		if (!queue_scan_name(de->d_name, &id))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*ids = xreallocarray(*ids, cap, sizeof **ids);
		}
		(*ids)[(*n)++] = id;
		errno = 0;
	}
	int saved = errno;
	closedir(d);
	if (saved) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		errno = saved;
		return -1;
	}
	if (*n > 1)
		qsort(*ids, *n, sizeof **ids, cmp_u64);
	return 0;
}
