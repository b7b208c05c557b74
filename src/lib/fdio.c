#include "fdio.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

int fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int fd_pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		off += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t fd_read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t fd_pread_full(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, off + (off_t)got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int fd_read_all(int fd, struct sbuf *b, size_t max)
{
	for (;;) {
		if (b->len >= max) {
			char c;
			ssize_t r;
			do
				r = read(fd, &c, 1);
			while (r < 0 && errno == EINTR);
			if (r < 0)
				return -1;
			if (r == 0)
				return 0;
			errno = E2BIG;
			return -1;
		}
		size_t want = max - b->len;
		if (want > 65536)
			want = 65536;
		sbuf_reserve(b, want);
		ssize_t r = read(fd, b->s + b->len, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		b->len += (size_t)r;
		b->s[b->len] = '\0';
	}
}

int file_read_all(const char *path, struct sbuf *b, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fd_read_all(fd, b, max);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int fd_sync_dir(const char *dirpath)
{
	int fd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int dir_of(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		if (outlen < 2)
			return -1;
		strcpy(out, ".");
		return 0;
	}
	size_t n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	if (n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t n, int mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp ||
	    dir_of(path, dir, sizeof dir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) < 0 || fd_write_all(fd, data, n) < 0 || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (fd_close_checked(fd) < 0 || rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return fd_sync_dir(dir);
}

int fd_set_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -1;
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl);
}

int fd_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

int fd_close_checked(int fd)
{
	/* Linux: never retry close on EINTR; the fd is gone either way. */
	if (close(fd) < 0 && errno != EINTR)
		return -1;
	return 0;
}

int fd_move(int target, int fd)
{
	if (fd == target)
		return fd_set_cloexec(target, 0);
	if (dup2(fd, target) < 0)
		return -1;
	close(fd);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

void fd_close_except(int *keep, size_t n)
{
	qsort(keep, n, sizeof *keep, cmp_int);
	unsigned lo = 3;
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 0)
			continue;
		unsigned k = (unsigned)keep[i];
		if (k > lo)
			(void)close_range(lo, k - 1, 0);
		if (k + 1 > lo)
			lo = k + 1;
	}
	(void)close_range(lo, ~0U, 0);
}

int fd_signals(const int *sigs, size_t n)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
