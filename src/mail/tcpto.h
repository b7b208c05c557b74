/*
 * tcpto.h: per-address backoff after connection failures (qmail's
 * tcpto), shared by qmail-remote, qmail-tcpto and qmail-tcpok.
 *
 * The table is one small file, queue/lock/tcpto (owned by the remote
 * user, qmailr), of TCPTO_RECORDS fixed 32-byte records: family (0 free,
 * 4, 6), consecutive failures (saturating at 255), 6 zero bytes, the time
 * of the last failure (seconds, 64-bit big-endian), 16 address bytes.
 * Every access holds flock() on it.  A failed connection to an address
 * adds a failure; a successful one removes the record.  After two or more
 * failures in a row the address is skipped for tcpto_backoff(fails)
 * seconds since the last one (120 s doubling, at most 3600 s).  A failure
 * time in the future counts as now (POLICY D-18).  Problems with the file
 * never stop a delivery: the check then says "try".
 */
#ifndef QNG_TCPTO_H
#define QNG_TCPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCPTO_RECORDS 128
#define TCPTO_REC_SIZE 32

struct tcpto_rec {
	int family;             /* 4 or 6 */
	unsigned char ip[16];
	unsigned fails;
	int64_t when;
};

int64_t tcpto_backoff(unsigned fails);
bool tcpto_should_skip(const struct tcpto_rec *r, int64_t now);
/* Pure: the used records of a table image (bad records are skipped). */
size_t tcpto_decode(const unsigned char *buf, size_t n, struct tcpto_rec *out);
void tcpto_encode(const struct tcpto_rec *r, unsigned char out[TCPTO_REC_SIZE]);

/* 1 skip this address now, 0 try it. */
int tcpto_check(const char *path, int family, const unsigned char *ip, int64_t now);
/* Records the outcome of a connection attempt.  0 / -1 errno. */
int tcpto_note(const char *path, int family, const unsigned char *ip, bool is_failure,
               int64_t now);
/* All records; 0 / -1 errno (a missing file is an empty table). */
int tcpto_list(const char *path, struct tcpto_rec out[TCPTO_RECORDS], size_t *n);
/* Empties the table (qmail-tcpok).  0 / -1 errno. */
int tcpto_clear(const char *path);

#endif
