#include "vpasswd.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "alloc.h"
#include "fdio.h"
#include "cdbmap.h"
#include "md5.h"
#include "proto_limits.h"
#include "scan.h"
#include "scram.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool vpasswd_domain_valid(const char *d)
{
	size_t len = strlen(d), label = 0;
	if (len == 0 || len > ADDR_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_lower_alnum(c) && !(c == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && d[len - 1] != '-';
}

bool vpasswd_addr_valid(const char *addr)
{
	const char *at = strchr(addr, '@');
	if (!at || at == addr || strchr(at + 1, '@'))
		return false;
	size_t llen = (size_t)(at - addr);
	if (llen > ADDR_LOCAL_MAX || addr[0] == '.')
		return false;
	for (size_t i = 0; i < llen; i++) {
		char c = addr[i];
		if (is_lower_alnum(c) || c == '_' || c == '+' || c == '=' || c == '-')
			continue;
		if (c == '.' && addr[i + 1] != '.')
			continue;
		return false;
	}
	return vpasswd_domain_valid(at + 1);
}

static bool field_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Splits s[0..len) at ':' into at most max fields; their number or 0. */
static size_t split_fields(const char *s, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (k == max)
			return 0;
		f[k] = s + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	return k;
}

/* n hex digits (lower case only if is_lower) into n / 2 bytes. */
static bool unhex(const char *s, size_t n, bool is_lower, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		int v = scan_hex_digit(s[i]);
		if (v < 0 || (is_lower && s[i] >= 'A' && s[i] <= 'F'))
			return false;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return true;
}

static bool cram_ok(const char *s, size_t len)
{
	unsigned char key[VPASSWD_CRAM_LEN / 2];
	bool ok = len == VPASSWD_CRAM_LEN && unhex(s, len, true, key);
	explicit_bzero(key, sizeof key);
	return ok;
}

static bool scram_ok(const char *s, size_t len)
{
	struct scram_secret sec;
	bool ok = scram_secret_parse(s, len, &sec) == 0;
	explicit_bzero(&sec, sizeof sec);
	return ok;
}

/* The optional fields: cram (may be empty when scram follows), scram. */
static bool extras_ok(size_t n, const char **f, const size_t *fl)
{
	if (n >= 5 && !(fl[4] == 0 && n == 6) && !cram_ok(f[4], fl[4]))
		return false;
	return n < 6 || scram_ok(f[5], fl[5]);
}

int vpasswd_parse_value(const char *addr, const char *val, size_t len, struct vpw_entry *out)
{
	const char *f[6];
	size_t fl[6];
	uint64_t uid, gid;
	memset(out, 0, sizeof *out);
	if (len > VPASSWD_LINE_MAX || memchr(val, '\0', len) || !vpasswd_addr_valid(addr))
		return -1;
	size_t n = split_fields(val, len, f, fl, 6);
	if (n < 4 || !extras_ok(n, f, fl))
		return -1;
	if (fl[0] == 0 || fl[1] < 2 || f[1][0] != '/' || f[1][fl[1] - 1] != '/')
		return -1;
	if (!field_ok(f[0], fl[0]) || !field_ok(f[1], fl[1]))
		return -1;
	if (!scan_u64(f[2], fl[2], UINT32_MAX - 1, &uid) ||
	    !scan_u64(f[3], fl[3], UINT32_MAX - 1, &gid))
		return -1;
	out->addr = xstrdup(addr);
	out->hash = xmemdup(f[0], fl[0]);
	out->maildir = xmemdup(f[1], fl[1]);
	out->uid = uid;
	out->gid = gid;
	out->cram = n >= 5 && fl[4] > 0 ? xmemdup(f[4], fl[4]) : NULL;
	out->scram = n == 6 ? xmemdup(f[5], fl[5]) : NULL;
	return 0;
}

int vpasswd_parse_line(const char *line, size_t len, struct vpw_entry *out)
{
	memset(out, 0, sizeof *out);
	if (len > VPASSWD_LINE_MAX)
		return -1;
	const char *colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return -1;
	char *addr = xmemdup(line, (size_t)(colon - line));
	size_t alen = (size_t)(colon - line);
	int rc =
	    strlen(addr) == alen ? vpasswd_parse_value(addr, colon + 1, len - alen - 1, out) : -1;
	free(addr);
	return rc;
}

/* "hash:maildir:uid:gid[:cram[:scram]]": the line after the address, the
 * cdb value (cram empty when only scram is set). */
static void format_value(const struct vpw_entry *e, struct sbuf *out)
{
	sbuf_printf(out, "%s:%s:%llu:%llu", e->hash, e->maildir, (unsigned long long)e->uid,
	            (unsigned long long)e->gid);
	if (e->cram || e->scram)
		sbuf_printf(out, ":%s", e->cram ? e->cram : "");
	if (e->scram)
		sbuf_printf(out, ":%s", e->scram);
}

void vpasswd_format_line(const struct vpw_entry *e, struct sbuf *out)
{
	sbuf_printf(out, "%s:", e->addr);
	format_value(e, out);
}

void vpasswd_entry_free(struct vpw_entry *e)
{
	free(e->addr);
	free(e->hash);
	free(e->maildir);
	if (e->cram)
		explicit_bzero(e->cram, strlen(e->cram));
	free(e->cram);
	free(e->scram);
	memset(e, 0, sizeof *e);
}

void vpasswd_list_free(struct vpw_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		vpasswd_entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

long vpasswd_find(const struct vpw_list *l, const char *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].addr, addr) == 0)
			return (long)i;
	}
	return -1;
}

void vpasswd_put(struct vpw_list *l, struct vpw_entry *e)
{
	long i = vpasswd_find(l, e->addr);
	if (i >= 0) {
		vpasswd_entry_free(&l->v[i]);
		l->v[i] = *e;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = *e;
}

bool vpasswd_remove(struct vpw_list *l, const char *addr)
{
	long i = vpasswd_find(l, addr);
	if (i < 0)
		return false;
	vpasswd_entry_free(&l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - (size_t)i - 1) * sizeof *l->v);
	l->n--;
	return true;
}

static int parse_file(const char *data, size_t len, struct vpw_list *out)
{
	size_t pos = 0;
	while (pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		pos += n + (lf ? 1 : 0);
		if (n == 0 || line[0] == '#')
			continue;
		struct vpw_entry e;
		if (vpasswd_parse_line(line, n, &e) < 0) {
			errno = EINVAL;
			return -1;
		}
		vpasswd_put(out, &e);
	}
	return 0;
}

int vpasswd_load(const char *path, struct vpw_list *out)
{
	struct sbuf b = SBUF_INIT;
	memset(out, 0, sizeof *out);
	if (file_read_all(path, &b, VPASSWD_FILE_MAX) < 0) {
		sbuf_free(&b);
		return errno == ENOENT ? 0 : -1;
	}
	int rc = parse_file(b.s ? b.s : "", b.len, out);
	sbuf_free(&b);
	if (rc < 0)
		vpasswd_list_free(out);
	return rc;
}

int vpasswd_save(const char *path, const struct vpw_list *l)
{
	struct sbuf b = SBUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		vpasswd_format_line(&l->v[i], &b);
		sbuf_append_char(&b, '\n');
	}
	int rc = file_write_atomic(path, b.s ? b.s : "", b.len, 0600);
	sbuf_free(&b);
	return rc;
}

int vpasswd_build_cdb(const struct vpw_list *l, const char *cdb_path)
{
	struct cdbmap_build w;
	struct sbuf v = SBUF_INIT;
	if (cdbmap_build_begin(&w, cdb_path, NULL, 0600) < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		const struct vpw_entry *e = &l->v[i];
		sbuf_clear(&v);
		format_value(e, &v);
		if (cdbmap_build_add(&w, e->addr, strlen(e->addr), v.s, v.len) < 0) {
			sbuf_free(&v);
			cdbmap_build_abort(&w);
			return -1;
		}
	}
	if (v.s)
		explicit_bzero(v.s, v.cap);
	sbuf_free(&v);
	return cdbmap_build_commit(&w);
}

int vpasswd_hash(const char *password, struct sbuf *out)
{
	void *salt_buf = NULL, *data = NULL;
	int size = 0;
	if (strlen(password) > VPASSWD_PASSWORD_MAX) {
		errno = EINVAL;
		return -1;
	}
	char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!salt)
		return -1;
	salt_buf = salt;
	char *h = crypt_ra(password, salt, &data, &size);
	int rc = -1;
	if (h && h[0] != '*' && field_ok(h, strlen(h))) {
		sbuf_set_str(out, h);
		rc = 0;
	} else {
		errno = EINVAL;
	}
	free(salt_buf);
	if (data) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	return rc;
}

bool vpasswd_verify(const char *password, const char *hash)
{
	void *data = NULL;
	int size = 0;
	/* A dummy hash keeps the cost of an unknown user close to a real one. */
	static const char dummy[] = "$y$j9T$nnHDEtCbcO5BRAAlj5BE10$"
	                            "gIpTcDMQmM0goknZimGgr3ZgBJ5ptb4IVdaAbUonez/";
	bool real = hash && hash[0] != '\0';
	if (strlen(password) > VPASSWD_PASSWORD_MAX)
		return false;
	const char *h = crypt_ra(password, real ? hash : dummy, &data, &size);
	bool ok = false;
	if (real && h && h[0] != '*') {
		size_t hl = strlen(h), sl = strlen(hash);
		unsigned char diff = (unsigned char)(hl != sl);
		for (size_t i = 0; i < hl && i < sl; i++)
			diff |= (unsigned char)(h[i] ^ hash[i]);
		ok = diff == 0;
	}
	if (data) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	return ok;
}

static void hex_set(const unsigned char *p, size_t n, struct sbuf *out)
{
	sbuf_clear(out);
	for (size_t i = 0; i < n; i++)
		sbuf_printf(out, "%02x", p[i]);
}

int vpasswd_cram_secret(const char *password, struct sbuf *out)
{
	unsigned char prep[MD5_HMAC_PREP_LEN];
	size_t len = strlen(password);
	if (len > VPASSWD_PASSWORD_MAX) {
		errno = EINVAL;
		return -1;
	}
	md5_hmac_prepare(password, len, prep);
	hex_set(prep, sizeof prep, out);
	explicit_bzero(prep, sizeof prep);
	return 0;
}

int vpasswd_scram_secret(const char *password, struct sbuf *out)
{
	unsigned char salt[SCRAM_SALT_LEN];
	struct scram_secret sec;
	size_t len = strlen(password);
	if (len > VPASSWD_PASSWORD_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt ||
	    scram_secret_make(password, len, salt, sizeof salt, SCRAM_ITER_DEFAULT, &sec) < 0)
		return -1;
	scram_secret_format(&sec, out);
	explicit_bzero(&sec, sizeof sec);
	return 0;
}

int vpasswd_scramkey_ensure(const char *path)
{
	unsigned char key[VPASSWD_SCRAMKEY_LEN];
	struct sbuf hex = SBUF_INIT;
	if (access(path, F_OK) == 0)
		return 0;
	int rc = getrandom(key, sizeof key, 0) == (ssize_t)sizeof key ? 0 : -1;
	if (rc == 0) {
		hex_set(key, sizeof key, &hex);
		rc = file_write_atomic(path, hex.s, hex.len, 0600);
		explicit_bzero(hex.s, hex.len);
	}
	explicit_bzero(key, sizeof key);
	sbuf_free(&hex);
	return rc;
}

int vpasswd_scramkey_read(const char *path, unsigned char key[VPASSWD_SCRAMKEY_LEN])
{
	struct sbuf hex = SBUF_INIT;
	int rc = file_read_all(path, &hex, 2 * VPASSWD_SCRAMKEY_LEN + 1);
	if (rc == 0 && (hex.len != 2 * VPASSWD_SCRAMKEY_LEN ||
	                !unhex(hex.s, hex.len, false, key))) {
		errno = EINVAL;
		rc = -1;
	}
	if (hex.s)
		explicit_bzero(hex.s, hex.len);
	sbuf_free(&hex);
	return rc;
}

bool vpasswd_verify_cram(const char *cram, const char *challenge, const char *digest)
{
	unsigned char prep[MD5_HMAC_PREP_LEN], want[MD5_LEN], got[MD5_LEN];
	if (!cram || !digest || strlen(cram) != VPASSWD_CRAM_LEN ||
	    strlen(digest) != VPASSWD_DIGEST_LEN || !unhex(cram, VPASSWD_CRAM_LEN, true, prep) ||
	    !unhex(digest, VPASSWD_DIGEST_LEN, false, got))
		return false;
	md5_hmac_finish(prep, challenge, strlen(challenge), want);
	unsigned char diff = 0;
	for (size_t i = 0; i < MD5_LEN; i++)
		diff |= (unsigned char)(want[i] ^ got[i]);
	explicit_bzero(prep, sizeof prep);
	explicit_bzero(want, sizeof want);
	return diff == 0;
}

int vpasswd_lookup(const char *cdb_path, const char *addr, struct vpw_entry *out)
{
	struct sbuf v = SBUF_INIT;
	memset(out, 0, sizeof *out);
	size_t alen = strnlen(addr, ADDR_PATH_MAX + 1);
	if (alen > ADDR_PATH_MAX)
		return 0;
	int rc = cdbmap_lookup(cdb_path, addr, alen, &v);
	if (rc > 0 && vpasswd_parse_value(addr, v.s, v.len, out) < 0) {
		errno = EINVAL;
		rc = -1;
	}
	sbuf_free(&v);
	return rc;
}
