#include "tcprules.h"

#include "alloc.h"
#include "cdbmap.h"
#include "scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void tcprules_rule_free(struct tcprules_rule *r)
{
	sbuf_free(&r->address);
	strlist_free(&r->env);
	r->is_allow = false;
}

void tcprules_set_free(struct tcprules_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		tcprules_rule_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

void tcprules_result_free(struct tcprules_result *r)
{
	strlist_free(&r->env);
	sbuf_free(&r->key);
	r->is_allow = false;
}

static bool has_word(const char *p, size_t left, const char *word)
{
	size_t n = strlen(word);
	return left >= n && memcmp(p, word, n) == 0 && (left == n || p[n] == ',');
}

/* The ':' that is followed by "allow" or "deny" and then ',' or the end. */
static bool find_separator(const char *line, size_t len, size_t *sep)
{
	for (size_t i = 0; i < len; i++) {
		if (line[i] != ':')
			continue;
		const char *p = line + i + 1;
		size_t left = len - i - 1;
		if (has_word(p, left, "allow") || has_word(p, left, "deny")) {
			*sep = i;
			return true;
		}
	}
	return false;
}

static bool address_ok(const char *a, size_t n)
{
	if (n > 0 && a[0] == '=') {
		for (size_t i = 1; i < n; i++)
			if ((unsigned char)a[i] <= 0x20 || (unsigned char)a[i] >= 0x7f)
				return false;
		return true;
	}
	return strspn(a, "0123456789abcdefABCDEF.:-") >= n;
}

/* ",VAR=qvalueq" or ",VAR" starting at line[*pos]. */
static int parse_env(const char *line, size_t len, size_t *pos, struct strlist *env,
                     const char **err)
{
	size_t p = *pos;
	if (line[p] != ',') {
		*err = "expected ','";
		return -1;
	}
	size_t name = ++p;
	while (p < len && line[p] != '=' && line[p] != ',')
		p++;
	if (p == name) {
		*err = "empty variable name";
		return -1;
	}
	if (p == len || line[p] == ',') {
		strlist_add(env, line + name, p - name);
		*pos = p;
		return 0;
	}
	size_t eq = p++;
	if (p == len) {
		*err = "missing quote after '='";
		return -1;
	}
	char quote = line[p++];
	const char *end = memchr(line + p, quote, len - p);
	if (!end) {
		*err = "unterminated value";
		return -1;
	}
	struct sbuf kv = SBUF_INIT;
	sbuf_append(&kv, line + name, eq - name + 1);
	sbuf_append(&kv, line + p, (size_t)(end - (line + p)));
	strlist_add(env, kv.s, kv.len);
	sbuf_free(&kv);
	*pos = (size_t)(end - line) + 1;
	return 0;
}

int tcprules_parse_line(const char *line, size_t len, struct tcprules_rule *out,
                        const char **err)
{
	tcprules_rule_free(out);
	while (len > 0 && strchr(" \t\r", line[len - 1]) && line[len - 1] != '\0')
		len--;
	if (len == 0 || line[0] == '#')
		return 0;
	*err = "syntax error";
	size_t sep;
	if (memchr(line, '\0', len)) {
		*err = "NUL in line";
		return -1;
	}
	if (!find_separator(line, len, &sep)) {
		*err = "no ':allow' or ':deny'";
		return -1;
	}
	const char *addr = line;
	size_t alen = sep;
	if (alen >= 2 && addr[0] == '[' && addr[alen - 1] == ']') {
		addr++;
		alen -= 2;
	}
	if (!address_ok(addr, alen)) {
		*err = "bad address";
		return -1;
	}
	sbuf_set(&out->address, addr, alen);
	out->is_allow = line[sep + 1] == 'a';
	size_t pos = sep + 1 + (out->is_allow ? 5 : 4);
	while (pos < len)
		if (parse_env(line, len, &pos, &out->env, err) < 0) {
			tcprules_rule_free(out);
			return -1;
		}
	return 1;
}

int tcprules_parse(const char *data, size_t len, struct tcprules_set *out,
                   size_t *bad_line, const char **err)
{
	size_t pos = 0, lineno = 0;
	while (pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		pos += n + (lf ? 1 : 0);
		lineno++;
		struct tcprules_rule r = { SBUF_INIT, false, { 0 } };
		int rc = tcprules_parse_line(line, n, &r, err);
		if (rc < 0) {
			*bad_line = lineno;
			return -1;
		}
		if (rc == 0)
			continue;
		if (out->n == out->cap) {
			size_t cap;
			if (!size_mul(out->cap ? out->cap : 8, 2, &cap))
				alloc_fatal();
			out->v = xreallocarray(out->v, cap, sizeof *out->v);
			out->cap = cap;
		}
		out->v[out->n++] = r;
	}
	return 0;
}

int tcprules_keys(const char *address, struct strlist *keys)
{
	const char *dash = strchr(address, '-');
	if (address[0] == '=' || !dash) {
		strlist_add(keys, address, strlen(address));
		return 0;
	}
	size_t left = (size_t)(dash - address);
	while (left > 0 && address[left - 1] != '.' && address[left - 1] != ':')
		left--;
	uint64_t first, last;
	size_t n1 = scan_u64_prefix(address + left, (size_t)(dash - address) - left,
	                            TCPRULES_RANGE_MAX, &first);
	size_t n2 = scan_u64_prefix(dash + 1, strlen(dash + 1), TCPRULES_RANGE_MAX, &last);
	const char *suffix = dash + 1 + n2;
	if (n1 == 0 || left + n1 != (size_t)(dash - address) || n2 == 0 ||
	    first > last || strchr(suffix, '-') ||
	    (*suffix != '\0' && *suffix != '.' && *suffix != ':')) {
		errno = EINVAL;
		return -1;
	}
	for (uint64_t v = first; v <= last; v++) {
		struct sbuf k = SBUF_INIT;
		sbuf_append(&k, address, left);
		sbuf_append_ulong(&k, v);
		sbuf_append_str(&k, suffix);
		strlist_add(keys, k.s, k.len);
		sbuf_free(&k);
	}
	return 0;
}

void tcprules_encode(const struct tcprules_rule *r, struct sbuf *out)
{
	sbuf_clear(out);
	sbuf_append_char(out, r->is_allow ? 'A' : 'D');
	for (size_t i = 0; i < r->env.n; i++)
		sbuf_append(out, r->env.v[i], strlen(r->env.v[i]) + 1);
}

static int add_rule(struct cdbmap_build *b, const struct tcprules_rule *r)
{
	struct strlist keys = { 0 };
	struct sbuf val = SBUF_INIT;
	int rc = tcprules_keys(sbuf_cstr(&r->address), &keys);
	tcprules_encode(r, &val);
	for (size_t i = 0; rc == 0 && i < keys.n; i++)
		rc = cdbmap_build_add(b, keys.v[i], strlen(keys.v[i]), val.s, val.len);
	strlist_free(&keys);
	sbuf_free(&val);
	return rc;
}

int tcprules_compile(const struct tcprules_set *s, const char *cdb, const char *tmp)
{
	struct cdbmap_build b;
	if (cdbmap_build_begin(&b, cdb, tmp, 0644) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		if (add_rule(&b, &s->v[i]) < 0) {
			int saved = errno;
			cdbmap_build_abort(&b);
			errno = saved;
			return -1;
		}
	}
	return cdbmap_build_commit(&b);
}

int tcprules_decode(const char *data, size_t len, struct tcprules_result *out)
{
	strlist_free(&out->env);
	if (len == 0 || (data[0] != 'A' && data[0] != 'D')) {
		errno = EINVAL;
		return -1;
	}
	out->is_allow = data[0] == 'A';
	size_t pos = 1;
	while (pos < len) {
		const char *e = data + pos;
		const char *nul = memchr(e, '\0', len - pos);
		if (!nul || nul == e || e[0] == '=') {
			strlist_free(&out->env);
			out->is_allow = false;
			errno = EINVAL;
			return -1;
		}
		strlist_add(&out->env, e, (size_t)(nul - e));
		pos += (size_t)(nul - e) + 1;
	}
	return 0;
}

/* 1 matched (out filled), 0 no such key, -1 error. */
static int try_key(struct cdbmap *m, const char *key, size_t klen,
                   struct tcprules_result *out)
{
	struct sbuf val = SBUF_INIT;
	int rc = cdbmap_get(m, key, klen, &val);
	if (rc == 1) {
		if (tcprules_decode(val.s, val.len, out) < 0)
			rc = -1;
		else
			sbuf_set(&out->key, key, klen);
	}
	sbuf_free(&val);
	return rc;
}

static int try_host(struct cdbmap *m, const char *host, struct tcprules_result *out)
{
	struct sbuf k = SBUF_INIT;
	sbuf_append_char(&k, '=');
	sbuf_append_str(&k, host);
	int rc = try_key(m, k.s, k.len, out);
	sbuf_free(&k);
	return rc;
}

static int lookup_keys(struct cdbmap *m, const char *ip, const char *host,
                       struct tcprules_result *out)
{
	int rc = try_key(m, ip, strlen(ip), out);
	if (rc == 0 && host)
		rc = try_host(m, host, out);
	char sep = strchr(ip, ':') ? ':' : '.';
	for (size_t n = strlen(ip); rc == 0 && n > 1; n--)
		if (ip[n - 2] == sep)
			rc = try_key(m, ip, n - 1, out);
	for (const char *p = host; rc == 0 && p && *p; p++)
		if (*p == '.')
			rc = try_host(m, p, out);
	if (rc == 0 && host)
		rc = try_key(m, "=", 1, out);
	if (rc == 0)
		rc = try_key(m, "", 0, out);
	return rc;
}

/*
 * The listener looks the rules up for every connection.  The map stays open
 * from one lookup to the next while stat() finds the same file at the path
 * (device, inode, size, modification time): qmail-tcprules renames a new
 * file over the old one, so an edit is seen by the next connection, as when
 * the file was opened each time; a stat replaces an open, a mapping and an
 * unmapping per connection.
 */
static struct {
	struct cdbmap m;
	char *path;
	struct stat st;
} cached = { .m = { .fd = -1 } };

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

void tcprules_forget(void)
{
	if (cached.m.is_open)
		cdbmap_close(&cached.m);
	free(cached.path);
	cached.path = NULL;
}

static struct cdbmap *rules_map(const char *cdb)
{
	struct stat st;
	if (cached.m.is_open && strcmp(cached.path, cdb) == 0 && stat(cdb, &st) == 0 &&
	    same_file(&st, &cached.st))
		return &cached.m;
	tcprules_forget();
	if (cdbmap_open(&cached.m, cdb) < 0)
		return NULL;
	if (fstat(cached.m.fd, &cached.st) < 0) {
		int saved = errno;
		cdbmap_close(&cached.m);
		errno = saved;
		return NULL;
	}
	cached.path = xstrdup(cdb);
	return &cached.m;
}

int tcprules_lookup(const char *cdb, const char *ip, const char *host,
                    struct tcprules_result *out)
{
	tcprules_result_free(out);
	if (host && !*host)
		host = NULL;
	struct cdbmap *m = rules_map(cdb);
	if (!m)
		return -1;
	int rc = lookup_keys(m, ip, host, out);
	int saved = errno;
	if (rc == 0) {
		tcprules_result_free(out);
		out->is_allow = true;
	}
	errno = saved;
	return rc;
}
