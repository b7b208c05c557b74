/*
 * vpasswd.h: the virtual-user password file and its compiled map.
 *
 * users/vpasswd (text, mode 0600, written only by qmailctl) holds one line
 * per virtual mailbox user:
 *     address:hash:maildir:uid:gid[:cram[:scram]]
 * address is lower-case "local@domain" (vpasswd_addr_valid), hash a
 * crypt(3) string (yescrypt "$y$" for new entries), maildir an absolute
 * path ending in '/', uid and gid decimal.  The optional cram field (only
 * for users added or changed with `qmailctl user ... --cram`) is the
 * HMAC-MD5 key schedule of the password for AUTH CRAM-MD5, 64 lower-case
 * hex digits (md5.h; Dovecot's CRAM-MD5 scheme): password-equivalent for
 * CRAM-MD5, never the password; it is empty when only scram follows.  The
 * optional scram field (`qmailctl user ... --scram`) is the SCRAM-SHA-256
 * secret "iter,salt,StoredKey,ServerKey" (scram.h), not
 * password-equivalent.  No field may contain ':', NUL, CR or LF.
 * users/vpasswd.cdb maps the address (key) to the rest of the line
 * "hash:maildir:uid:gid[:cram[:scram]]" (value); qmail-checkpassword reads
 * it.  users/scramkey (VPASSWD_SCRAMKEY, 64 hex digits, made by qmailctl)
 * keys the salts that SCRAM answers for users without a secret.
 *
 * Errors: parsers return -1 for any invalid input (fail closed); file
 * functions return -1 with errno set (EINVAL for bad content).
 */
#ifndef QNG_VPASSWD_H
#define QNG_VPASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define VPASSWD_LINE_MAX 1024
#define VPASSWD_PASSWORD_MAX 256
#define VPASSWD_FILE_MAX (64u * 1024u * 1024u)
#define VPASSWD_CRAM_LEN 64 /* hex digits of the key schedule */
#define VPASSWD_DIGEST_LEN 32 /* hex digits of a CRAM-MD5 response */
#define VPASSWD_SCRAMKEY "users/scramkey"
#define VPASSWD_SCRAMKEY_LEN 32 /* bytes; the file holds them as hex */

struct vpw_entry {
	char *addr;
	char *hash;
	char *maildir;
	uint64_t uid;
	uint64_t gid;
	char *cram;  /* NULL: none */
	char *scram; /* NULL: none */
};

struct vpw_list {
	struct vpw_entry *v;
	size_t n;
	size_t cap;
};

/* "local@domain", lower case, local part [a-z0-9._+=-] not starting with
 * '.', no "..", at most ADDR_LOCAL_MAX; domain per vpasswd_domain_valid. */
bool vpasswd_addr_valid(const char *addr);
/* Lower-case DNS name: labels of [a-z0-9-], 1..63 each, <= ADDR_DOMAIN_MAX. */
bool vpasswd_domain_valid(const char *domain);

int vpasswd_parse_line(const char *line, size_t len, struct vpw_entry *out);
/* The value part (after "address:") as stored in the cdb. */
int vpasswd_parse_value(const char *addr, const char *val, size_t len, struct vpw_entry *out);
void vpasswd_format_line(const struct vpw_entry *e, struct sbuf *out);
void vpasswd_entry_free(struct vpw_entry *e);

/* A missing file is an empty list (returns 0). */
int vpasswd_load(const char *path, struct vpw_list *out);
int vpasswd_save(const char *path, const struct vpw_list *l);
int vpasswd_build_cdb(const struct vpw_list *l, const char *cdb_path);
void vpasswd_list_free(struct vpw_list *l);
/* Index of addr, or -1. */
long vpasswd_find(const struct vpw_list *l, const char *addr);
/* Adds or replaces (by address); takes ownership of e's strings. */
void vpasswd_put(struct vpw_list *l, struct vpw_entry *e);
bool vpasswd_remove(struct vpw_list *l, const char *addr);

/* New yescrypt hash of password; 0 / -1. */
int vpasswd_hash(const char *password, struct sbuf *out);
/* Constant-time check of password against hash (crypt + full compare). */
bool vpasswd_verify(const char *password, const char *hash);
/* The cram field for password (VPASSWD_CRAM_LEN hex digits); 0 / -1. */
int vpasswd_cram_secret(const char *password, struct sbuf *out);
/* The scram field for password: a fresh random salt (SCRAM_SALT_LEN bytes),
 * SCRAM_ITER_DEFAULT iterations (scram.h); 0 / -1. */
int vpasswd_scram_secret(const char *password, struct sbuf *out);
/* Makes the key file at path (VPASSWD_SCRAMKEY_LEN random bytes as hex,
 * mode 0600) unless it exists: it is made once and kept; 0 / -1. */
int vpasswd_scramkey_ensure(const char *path);
/* Reads the key file: -1 when missing or not exactly 64 hex digits. */
int vpasswd_scramkey_read(const char *path, unsigned char key[VPASSWD_SCRAMKEY_LEN]);
/* Whether digest (VPASSWD_DIGEST_LEN hex digits, any case) is
 * HMAC-MD5(password, challenge) for the key schedule cram; constant time
 * in the digest.  false for a NULL or malformed cram or digest. */
bool vpasswd_verify_cram(const char *cram, const char *challenge, const char *digest);
/* 1 found, 0 not found, -1 error. */
int vpasswd_lookup(const char *cdb_path, const char *addr, struct vpw_entry *out);

#endif
