#include "tcpto.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fdio.h"

#define TABLE_SIZE (TCPTO_RECORDS * TCPTO_REC_SIZE)

int64_t tcpto_backoff(unsigned fails)
{
	if (fails < 2)
		return 0;
	unsigned shift = fails - 2 > 5 ? 5 : fails - 2;
	int64_t b = (int64_t)120 << shift;
	return b > 3600 ? 3600 : b;
}

bool tcpto_should_skip(const struct tcpto_rec *r, int64_t now)
{
	if (r->fails < 2)
		return false;
	int64_t when = r->when > now ? now : r->when;
	return now - when < tcpto_backoff(r->fails);
}

static size_t ip_len(int family)
{
	return family == 6 ? 16 : 4;
}

size_t tcpto_decode(const unsigned char *buf, size_t n, struct tcpto_rec *out)
{
	size_t k = 0;
	for (size_t off = 0; off + TCPTO_REC_SIZE <= n && k < TCPTO_RECORDS; off += TCPTO_REC_SIZE) {
		const unsigned char *p = buf + off;
		if (p[0] != 4 && p[0] != 6)
			continue;
		struct tcpto_rec *r = &out[k++];
		memset(r, 0, sizeof *r);
		r->family = p[0];
		r->fails = p[1];
		uint64_t w = 0;
		for (int i = 0; i < 8; i++)
			w = (w << 8) | p[8 + i];
		r->when = w > INT64_MAX ? INT64_MAX : (int64_t)w;
		memcpy(r->ip, p + 16, ip_len(r->family));
	}
	return k;
}

void tcpto_encode(const struct tcpto_rec *r, unsigned char out[TCPTO_REC_SIZE])
{
	memset(out, 0, TCPTO_REC_SIZE);
	out[0] = (unsigned char)r->family;
	out[1] = (unsigned char)(r->fails > 255 ? 255 : r->fails);
	uint64_t w = r->when < 0 ? 0 : (uint64_t)r->when;
	for (int i = 7; i >= 0; i--, w >>= 8)
		out[8 + i] = (unsigned char)w;
	memcpy(out + 16, r->ip, ip_len(r->family));
}

static int open_locked(const char *path, bool is_write, unsigned char *buf, size_t *n)
{
	int fd = open(path, (is_write ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW,
		      0644);
	if (fd < 0)
		return -1;
	ssize_t r = -1;
	if (flock(fd, is_write ? LOCK_EX : LOCK_SH) == 0)
		r = fd_pread_full(fd, buf, TABLE_SIZE, 0);
	if (r < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*n = (size_t)r;
	return fd;
}

static bool same(const struct tcpto_rec *r, int family, const unsigned char *ip)
{
	return r->family == family && memcmp(r->ip, ip, ip_len(family)) == 0;
}

int tcpto_check(const char *path, int family, const unsigned char *ip, int64_t now)
{
	struct tcpto_rec recs[TCPTO_RECORDS];
	size_t n;
	if (tcpto_list(path, recs, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (same(&recs[i], family, ip))
			return tcpto_should_skip(&recs[i], now) ? 1 : 0;
	return 0;
}

/* Index to update for a new failure: same address, a free slot, or the
 * oldest record. */
static size_t pick_slot(const struct tcpto_rec *recs, size_t n, int family,
                        const unsigned char *ip)
{
	size_t oldest = 0;
	for (size_t i = 0; i < n; i++) {
		if (same(&recs[i], family, ip))
			return i;
		if (recs[i].when < recs[oldest].when)
			oldest = i;
	}
	return n < TCPTO_RECORDS ? n : oldest;
}

int tcpto_note(const char *path, int family, const unsigned char *ip, bool is_failure,
               int64_t now)
{
	unsigned char buf[TABLE_SIZE];
	size_t len;
	struct tcpto_rec recs[TCPTO_RECORDS];
	int fd = open_locked(path, true, buf, &len);
	if (fd < 0)
		return -1;
	size_t n = tcpto_decode(buf, len, recs);
	size_t i = pick_slot(recs, n, family, ip);
	bool known = i < n && same(&recs[i], family, ip);
	if (is_failure) {
		if (!known) {
			memset(&recs[i], 0, sizeof recs[i]);
			recs[i].family = family;
			memcpy(recs[i].ip, ip, ip_len(family));
		}
		recs[i].fails = recs[i].fails < 255 ? recs[i].fails + 1 : 255;
		recs[i].when = now;
		if (i == n)
			n++;
	} else if (known) {
		recs[i] = recs[--n];
	} else {
		return close(fd);
	}
	memset(buf, 0, sizeof buf);
	for (size_t k = 0; k < n; k++)
		tcpto_encode(&recs[k], buf + k * TCPTO_REC_SIZE);
	int rc = fd_pwrite_all(fd, buf, sizeof buf, 0);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int tcpto_list(const char *path, struct tcpto_rec out[TCPTO_RECORDS], size_t *n)
{
	unsigned char buf[TABLE_SIZE];
	size_t len;
	*n = 0;
	int fd = open_locked(path, false, buf, &len);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	close(fd);
	*n = tcpto_decode(buf, len, out);
	return 0;
}

int tcpto_clear(const char *path)
{
	unsigned char buf[TABLE_SIZE];
	size_t len;
	int fd = open_locked(path, true, buf, &len);
	if (fd < 0)
		return -1;
	memset(buf, 0, sizeof buf);
	int rc = fd_pwrite_all(fd, buf, sizeof buf, 0);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
