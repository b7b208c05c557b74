/*
 * users.c: local user lookup and the RCPT-time deliverability check
 * (users.h, qmail-users(5)).
 *
 * users/cdb format (written by qmail-newu, documented in qmail-users(5)):
 *   key "!" local "\0"  (an exact "=local" entry)
 *       value user\0 uid\0 gid\0 home\0 dash\0 ext\0
 *   key "!" prefix      (a wildcard "+prefix" entry, no trailing NUL)
 *       value user\0 uid\0 gid\0 home\0 dash\0 pre\0
 *       ext = pre followed by the rest of local after prefix.
 * The passwd fallback runs in-process (getpwnam); callers that run as root
 * only read passwd through NSS, they never open files in user directories
 * here except by stat(2).
 */
#include "users.h"

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "aliasdb.h"
#include "dotqmail_find.h"
#include "instance.h"
#include "proto_limits.h"
#include "scan.h"

#define USERS_VALUE_MAX 4096
#define USERS_NAME_MAX 32

void local_user_free(struct local_user *u)
{
	sbuf_free(&u->user);
	sbuf_free(&u->home);
	sbuf_free(&u->dash);
	sbuf_free(&u->ext);
}

/* Splits a cdb value into its 6 fields; 0 ok, -1 malformed. */
static int parse_value(const char *v, size_t len, struct local_user *out,
                       const char *rest)
{
	const char *f[6];
	size_t nf = 0, start = 0;
	for (size_t i = 0; i < len && nf < 6; i++) {
		if (v[i] != '\0')
			continue;
		f[nf++] = v + start;
		start = i + 1;
	}
	uint64_t uid, gid;
	if (nf != 6 || !scan_u64_str(f[1], (uid_t)-1 - 1, &uid)
	    || !scan_u64_str(f[2], (gid_t)-1 - 1, &gid) || *f[3] == '\0')
		return -1;
	sbuf_set_str(&out->user, f[0]);
	out->uid = (uid_t)uid;
	out->gid = (gid_t)gid;
	sbuf_set_str(&out->home, f[3]);
	sbuf_set_str(&out->dash, f[4]);
	sbuf_set_str(&out->ext, f[5]);
	sbuf_append_str(&out->ext, rest);
	return 0;
}

static int cdb_get_value(struct cdb *c, const char *key, size_t klen, struct sbuf *v)
{
	int r = cdb_find(c, key, (unsigned)klen);
	if (r <= 0) {
		if (r < 0)
			errno = EIO;
		return r;
	}
	unsigned len = cdb_datalen(c);
	if (len > USERS_VALUE_MAX) {
		errno = EINVAL;
		return -1;
	}
	sbuf_clear(v);
	sbuf_reserve(v, len);
	if (cdb_read(c, v->s, len, cdb_datapos(c)) != 0) {
		errno = EIO;
		return -1;
	}
	v->len = len;
	v->s[len] = '\0';
	return 1;
}

/* Exact entry, then the longest wildcard prefix. 1 / 0 / -1. */
static int cdb_lookup(struct cdb *c, const char *local, struct local_user *out)
{
	size_t n = strlen(local);
	struct sbuf key = SBUF_INIT, v = SBUF_INIT;
	sbuf_set_str(&key, "!");
	sbuf_append(&key, local, n + 1);        /* with the NUL */
	int r = cdb_get_value(c, key.s, key.len, &v);
	if (r == 1 && parse_value(v.s, v.len, out, "") != 0) {
		r = -1;
		errno = EINVAL;
	}
	for (size_t i = n + 1; r == 0 && i-- > 0;) {
		r = cdb_get_value(c, key.s, i + 1, &v);
		if (r == 1 && parse_value(v.s, v.len, out, local + i) != 0) {
			r = -1;
			errno = EINVAL;
		}
	}
	sbuf_free(&key);
	sbuf_free(&v);
	return r;
}

static int users_cdb(const char *local, struct local_user *out)
{
	char *path = instance_path("users/cdb");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct cdb c;
	int r = -1;
	if (cdb_init(&c, fd) == 0) {
		r = cdb_lookup(&c, local, out);
		cdb_free(&c);
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* qmail-getpw's test for an account that may receive mail. */
static bool pw_acceptable(const struct passwd *pw)
{
	struct stat st;
	if (pw->pw_uid == 0 || !pw->pw_dir || pw->pw_dir[0] != '/')
		return false;
	if (!instance_is_root_mode()) {
		struct role_id owner;
		if (instance_role(ROLE_SEND, &owner) != 0 || owner.uid != pw->pw_uid)
			return false;
	}
	return stat(pw->pw_dir, &st) == 0 && S_ISDIR(st.st_mode)
	       && st.st_uid == pw->pw_uid;
}

static int try_passwd(const char *local, size_t n, struct local_user *out)
{
	if (n == 0 || n > USERS_NAME_MAX)
		return 0;
	char name[USERS_NAME_MAX + 1];
	memcpy(name, local, n);
	name[n] = '\0';
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return (errno == 0 || errno == ENOENT || errno == ESRCH
		        || errno == EBADF || errno == EPERM) ? 0 : -1;
	if (!pw_acceptable(pw))
		return 0;
	sbuf_set_str(&out->user, pw->pw_name);
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	sbuf_set_str(&out->home, pw->pw_dir);
	sbuf_set_str(&out->dash, local[n] ? "-" : "");
	sbuf_set_str(&out->ext, local[n] ? local + n + 1 : "");
	return 1;
}

/* The longest prefix ending before a '-' (or the whole) naming a user. */
static int users_passwd(const char *local, struct local_user *out)
{
	for (size_t i = strlen(local) + 1; i-- > 0;) {
		if (local[i] != '\0' && local[i] != '-')
			continue;
		int r = try_passwd(local, i, out);
		if (r != 0)
			return r;
	}
	return 0;
}

static int users_alias(const char *local, struct local_user *out)
{
	struct role_id id;
	if (instance_role(ROLE_ALIAS, &id) != 0)
		return -1;
	char *home = instance_path("alias");
	sbuf_set_str(&out->user, id.name ? id.name : instance_role_name(ROLE_ALIAS));
	out->uid = id.uid;
	out->gid = id.gid;
	sbuf_set_str(&out->home, home);
	free(home);
	sbuf_set_str(&out->dash, "-");
	sbuf_set_str(&out->ext, local);
	return 1;
}

int users_lookup(const char *local, struct local_user *out)
{
	size_t n = strlen(local);
	if (n > ADDR_PATH_MAX) {
		errno = EINVAL;
		return 0;
	}
	char *lower = xmemdup(local, n);
	for (size_t i = 0; i < n; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	int r = users_cdb(lower, out);
	if (r == 0)
		r = users_passwd(lower, out);
	if (r == 0)
		r = users_alias(lower, out);
	free(lower);
	return r;
}

static enum deliverable check_alias_db(const char *ext)
{
	struct strlist targets = { 0 };
	int r = aliasdb_lookup(ext, &targets);
	strlist_free(&targets);
	if (r < 0)
		return DELIV_UNKNOWN;
	return r == 1 ? DELIV_YES : DELIV_NO;
}

enum deliverable users_deliverable(const char *local, const char *domain)
{
	(void)domain;
	struct local_user u = { 0 };
	struct dotqmail_match m = { 0 };
	enum deliverable d;
	int r = users_lookup(local, &u);
	if (r <= 0) {
		d = r < 0 ? DELIV_UNKNOWN : DELIV_NO;
		goto out;
	}
	r = dotqmail_find(u.home.s, u.dash.s, u.ext.s, &m);
	if (r < 0)
		d = DELIV_UNKNOWN;
	else if (r == 1 || u.ext.len == 0)
		d = DELIV_YES;
	else if (aliasdb_is_alias_home(u.home.s))
		d = check_alias_db(u.ext.s);
	else
		d = DELIV_NO;
out:
	dotqmail_match_free(&m);
	local_user_free(&u);
	return d;
}
