/* pop3_budget.c: per-address budget of failed POP3 logins (pop3_budget.h). */
#include "pop3_budget.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fdio.h"
#include "scan.h"

#define IP_TEXT_MAX 45

bool pop3_budget_key(const char *ip, struct sbuf *out)
{
	size_t len = ip ? strlen(ip) : 0;
	if (len == 0 || len > IP_TEXT_MAX || ip[0] == '.')
		return false;
	sbuf_clear(out);
	for (size_t i = 0; i < len; i++) {
		char c = ip[i];
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		          (c >= 'A' && c <= 'F') || c == '.' || c == ':';
		if (!ok)
			return false;
		sbuf_append_char(out, c == ':' ? '_' : c);
	}
	return true;
}

int pop3_budget_parse(const char *data, size_t len, uint64_t *count, uint64_t *start)
{
	if (len < 4 || data[len - 1] != '\n')
		return -1;
	const char *sp = memchr(data, ' ', len);
	if (!sp)
		return -1;
	size_t clen = (size_t)(sp - data);
	if (!scan_u64(data, clen, UINT32_MAX, count) ||
	    !scan_u64(sp + 1, len - clen - 2, UINT64_MAX / 2, start))
		return -1;
	return 0;
}

uint64_t pop3_budget_live(uint64_t count, uint64_t start, uint64_t now)
{
	if (now < start)
		return count; /* clock went back: the window is still open */
	return now - start >= POP3_BUDGET_WINDOW ? 0 : count;
}

static int load(const char *dir, const char *ip, struct sbuf *path, uint64_t *count,
                uint64_t *start)
{
	struct sbuf key = SBUF_INIT, data = SBUF_INIT;
	int rc = -1;
	*count = *start = 0;
	if (pop3_budget_key(ip, &key)) {
		sbuf_printf(path, "%s/%s", dir, key.s);
		rc = file_read_all(path->s, &data, POP3_BUDGET_FILE_MAX);
		if (rc < 0 && errno == ENOENT)
			rc = 0;
		else if (rc == 0)
			rc = pop3_budget_parse(data.s ? data.s : "", data.len, count, start);
	}
	sbuf_free(&key);
	sbuf_free(&data);
	return rc;
}

bool pop3_budget_exhausted(const char *dir, const char *ip, uint64_t now)
{
	struct sbuf path = SBUF_INIT;
	uint64_t count, start;
	int rc = load(dir, ip, &path, &count, &start);
	sbuf_free(&path);
	return rc < 0 || pop3_budget_live(count, start, now) >= POP3_BUDGET_FAILS;
}

int pop3_budget_fail(const char *dir, const char *ip, uint64_t now)
{
	struct sbuf path = SBUF_INIT, line = SBUF_INIT;
	uint64_t count, start;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	int rc = load(dir, ip, &path, &count, &start);
	if (path.len == 0) {
		errno = EINVAL; /* not an address */
	} else {
		if (rc < 0 || pop3_budget_live(count, start, now) == 0) {
			count = 0;
			start = now;
		}
		sbuf_printf(&line, "%llu %llu\n", (unsigned long long)count + 1,
		            (unsigned long long)start);
		rc = file_write_atomic(path.s, line.s, line.len, 0600);
	}
	sbuf_free(&path);
	sbuf_free(&line);
	return rc;
}
