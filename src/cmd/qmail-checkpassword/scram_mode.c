/*
 * scram_mode.c: `qmail-checkpassword --scram`, the two checks of AUTH
 * SCRAM-SHA-256 (scram.h) that need users/vpasswd.cdb; the TLS proxy runs
 * it for qmail-smtpd (docs/PROTOCOLS.md "TLS control channel").
 *
 * fd 3 holds one request:
 *   "salt" NUL user NUL           -> stdout "ITER,SALT64\n", exit 0
 *   "proof" NUL user NUL auth-message NUL proof64 NUL
 *                                 -> stdout "SIG64\n", exit 0 when the
 *                                    proof is right; exit 1 when not
 * A user without a secret (unknown, or added without --scram) gets a salt
 * keyed by users/scramkey and SCRAM_ITER_DEFAULT, like a real one, and
 * its proof is checked against a dummy secret, so both answers cost and
 * look the same (D-11).  Exit 2 for a malformed request, 111 when the
 * map or the key cannot be read.
 */
#include "cp.h"

#include "base64.h"
#include "fdio.h"
#include "instance.h"
#include "scram.h"
#include "vpasswd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCRAM_REQ_MAX 2048

struct scram_req {
	const char *kind, *user, *auth_msg, *proof64;
	size_t n_fields;
};

/* Splits buf (every field NUL-terminated) into at most 4 fields. */
static int split_req(char *buf, size_t len, struct scram_req *r)
{
	const char **f[] = {&r->kind, &r->user, &r->auth_msg, &r->proof64};
	size_t k = 0, start = 0;
	memset(r, 0, sizeof *r);
	if (len == 0 || buf[len - 1] != '\0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\0')
			continue;
		if (k == 4)
			return -1;
		*f[k++] = buf + start;
		start = i + 1;
	}
	r->n_fields = k;
	bool is_salt = strcmp(r->kind, "salt") == 0 && k == 2;
	bool is_proof = strcmp(r->kind, "proof") == 0 && k == 4;
	return (is_salt || is_proof) && r->user[0] ? 0 : -1;
}

static int read_key(unsigned char key[SCRAM_KEY_LEN])
{
	char *path = instance_path(VPASSWD_SCRAMKEY);
	int rc = vpasswd_scramkey_read(path, key);
	free(path);
	return rc;
}

/* A made-up secret: the keyed salt, and keys that match no proof. */
static void fake_secret(const unsigned char key[SCRAM_KEY_LEN], const char *user,
                        struct scram_secret *sec)
{
	memset(sec, 0, sizeof *sec);
	sec->iter = SCRAM_ITER_DEFAULT;
	sec->salt_len = SCRAM_SALT_LEN;
	scram_fake_salt(key, user, sec->salt);
	memcpy(sec->stored_key, key, SCRAM_KEY_LEN);
}

/* The user's secret, or a made-up one (*is_real false); -1 on errors. */
static int user_secret(const char *user, struct scram_secret *sec, bool *is_real)
{
	unsigned char key[SCRAM_KEY_LEN];
	struct vpw_entry e;
	char *cdb = instance_path("users/vpasswd.cdb");
	int found = vpasswd_addr_valid(user) ? vpasswd_lookup(cdb, user, &e) : 0;
	free(cdb);
	if (found < 0)
		return -1;
	*is_real = found && e.scram && scram_secret_parse(e.scram, strlen(e.scram), sec) == 0;
	if (found)
		vpasswd_entry_free(&e);
	if (read_key(key) < 0)
		return -1;
	if (!*is_real)
		fake_secret(key, user, sec);
	explicit_bzero(key, sizeof key);
	return 0;
}

static int answer_salt(const struct scram_secret *sec)
{
	struct sbuf out = SBUF_INIT, salt = SBUF_INIT;
	base64_encode(sec->salt, sec->salt_len, &salt);
	sbuf_printf(&out, "%lu,%s\n", (unsigned long)sec->iter, salt.s);
	sbuf_free(&salt);
	int rc = fd_write_all(1, out.s, out.len) < 0 ? CP_TEMP : 0;
	sbuf_free(&out);
	return rc;
}

static int answer_proof(const struct scram_secret *sec, bool is_real, const struct scram_req *r)
{
	struct sbuf proof = SBUF_INIT, out = SBUF_INIT;
	unsigned char sig[SCRAM_KEY_LEN];
	int rc = CP_REJECT;
	if (base64_decode(r->proof64, strlen(r->proof64), &proof) == 0 &&
	    proof.len == SCRAM_KEY_LEN &&
	    scram_verify(sec, r->auth_msg, strlen(r->auth_msg),
	                 (const unsigned char *)proof.s, sig) && is_real) {
		base64_encode(sig, sizeof sig, &out);
		sbuf_append_char(&out, '\n');
		rc = fd_write_all(1, out.s, out.len) < 0 ? CP_TEMP : 0;
	}
	explicit_bzero(sig, sizeof sig);
	sbuf_free(&proof);
	sbuf_free(&out);
	return rc;
}

int cp_scram(void)
{
	static char buf[SCRAM_REQ_MAX + 1];
	struct scram_req r;
	struct scram_secret sec;
	bool is_real = false;
	ssize_t n = fd_read_full(3, buf, sizeof buf);
	close(3);
	if (n < 0 || (size_t)n > SCRAM_REQ_MAX || split_req(buf, (size_t)n, &r) < 0)
		return CP_MISUSE;
	for (char *c = (char *)r.user; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (user_secret(r.user, &sec, &is_real) < 0)
		return CP_TEMP;
	int rc = r.n_fields == 2 ? answer_salt(&sec) : answer_proof(&sec, is_real, &r);
	explicit_bzero(&sec, sizeof sec);
	explicit_bzero(buf, sizeof buf);
	return rc;
}
