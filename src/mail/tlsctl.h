/*
 * tlsctl.h: the control channel between qmail-smtpd (or qmail-popup) and its TLS proxy
 * (the per-connection child of qmail-listen that holds the TLS contexts;
 * docs/PROTOCOLS.md "TLS control channel").
 *
 * A SOCK_SEQPACKET socketpair, fd TLSCTL_FD in qmail-smtpd (environment
 * TLSCTLFD names it).  One message per packet, at most TLSCTL_MSG_MAX:
 *   smtpd -> proxy  "S" + SCM_RIGHTS {client socket, plaintext end}
 *                   start TLS on the socket, relay to the plaintext end
 *                   "A" user NUL password NUL timestamp NUL
 *                   check a password (checkpassword interface); for
 *                   AUTH CRAM-MD5 the password is the hex digest and the
 *                   timestamp the challenge (cmd5checkpw convention)
 *                   "C" "salt" NUL user NUL, or
 *                   "C" "proof" NUL user NUL auth-message NUL proof64 NUL
 *                   AUTH SCRAM-SHA-256's checks (`qmail-checkpassword
 *                   --scram`, its fd 3 gets what follows the "C")
 *   proxy -> smtpd  "OK VERSION CIPHER [SNI]" handshake done (also sent
 *                   unsolicited on implicit-TLS ports), "ER reason"
 *                   "A" + one of TLSCTL_AUTH_* for an "A" request
 *                   "A" + one of TLSCTL_AUTH_* [+ answer] for a "C"
 *                   request: the program's one output line without its
 *                   LF, [A-Za-z0-9+/=,], at most TLSCTL_ANSWER_MAX bytes
 * Parsers fail closed (-1) on anything else; every text field of an OK
 * is [A-Za-z0-9._-] and at most TLSCTL_FIELD_MAX bytes.
 */
#ifndef QNG_TLSCTL_H
#define QNG_TLSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fdpass.h"
#include "sbuf.h"

#define TLSCTL_FD 5
#define TLSCTL_MSG_MAX 2048
#define TLSCTL_FIELD_MAX 63
#define TLSCTL_USER_MAX 512
#define TLSCTL_PASS_MAX 512
#define TLSCTL_STAMP_MAX 512
#define TLSCTL_SCRAM_USER_MAX 255  /* SCRAM_USER_MAX */
#define TLSCTL_SCRAM_MSG_MAX 1536  /* a SCRAM auth-message */
#define TLSCTL_PROOF_MAX 64
#define TLSCTL_ANSWER_MAX 200

enum tlsctl_auth {
	TLSCTL_AUTH_OK = '0',     /* checkpassword exit 0 */
	TLSCTL_AUTH_REJECT = '1', /* exit 1 */
	TLSCTL_AUTH_MISUSE = '2', /* exit 2 */
	TLSCTL_AUTH_TEMP = 'T',   /* 111, a crash, a timeout */
	TLSCTL_AUTH_BUDGET = 'B', /* the client's address used up its failures */
};

struct tlsctl_info {
	char version[TLSCTL_FIELD_MAX + 1];
	char cipher[TLSCTL_FIELD_MAX + 1];
	char sni[TLSCTL_FIELD_MAX + 1];
};

/* fdpass_send with the channel's size limit (TLSCTL_MSG_MAX); messages are
 * read with fdpass_recv (fdpass.h). */
int tlsctl_send(int fd, const void *msg, size_t len, const int *fds, size_t n_fds);

void tlsctl_format_ok(const char *version, const char *cipher, const char *sni,
                      struct sbuf *out);
int tlsctl_parse_ok(const char *msg, size_t len, struct tlsctl_info *out);

/* stamp: the timestamp field (or a CRAM-MD5 challenge), 1..TLSCTL_STAMP_MAX
 * bytes.  -1 when a field is empty where it may not be or too long. */
int tlsctl_format_auth(const char *user, const char *pass, const char *stamp, struct sbuf *out);
/* In place: *user and *pass point into msg; *blob / *blob_len is the
 * "user NUL password NUL timestamp NUL" for checkpassword's fd 3. */
int tlsctl_parse_auth(char *msg, size_t len, const char **user, const char **blob,
                      size_t *blob_len);

/* The "C" request; auth_msg and proof64 NULL for "salt".  -1 when a field
 * is empty or too long or holds a NUL. */
int tlsctl_format_scram(const char *user, const char *auth_msg, const char *proof64,
                        struct sbuf *out);
/* *blob / *blob_len: the request after the "C", for the program's fd 3. */
int tlsctl_parse_scram(const char *msg, size_t len, const char **blob, size_t *blob_len);
/* A "C" answer (the program's stdout): one line of [A-Za-z0-9+/=,], LF
 * optional at its end, at most TLSCTL_ANSWER_MAX bytes; its length
 * without the LF, or -1. */
long tlsctl_answer_len(const char *s, size_t len);

#endif
