/*
 * envelope.h: the queue's envelope file (docs/PROTOCOLS.md, "Queue envelope").
 *
 * Format: NUL-terminated records, each a one-byte tag then text, closed by
 * an empty record (a lone NUL):
 *   "V1"                 format version (first record)
 *   "B<seconds>"         birth time (wall clock, decimal)
 *   "U<uid>"             uid of the injector
 *   "P<pid>"             pid of the injector
 *   "S<bytes>"           size of mess/N in bytes (written by qmail-queue so
 *                        that qmail-qcheck can prove the message complete;
 *                        optional when parsing, has_size tells)
 *   "F<sender>"          envelope sender ("" for the null sender)
 *   "T<recipient>"       a recipient still to do; the tag byte becomes 'D'
 *   "D<recipient>"       when its delivery is done (rewritten in place)
 *   ""                   end marker: a file without it is incomplete
 * Records appear in exactly this order; anything else is ENV_FORMAT.
 * Texts must not contain NUL, CR or LF.  At most QUEUE_RCPT_MAX recipients,
 * QUEUE_ENVELOPE_MAX bytes.
 */
#ifndef QNG_ENVELOPE_H
#define QNG_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbuf.h"

struct env_rcpt {
	char *addr;
	off_t tag_offset;   /* byte offset of the T/D tag in the file */
	bool done;
};

struct envelope {
	uint64_t birth;
	uint64_t uid;
	uint64_t pid;
	uint64_t size;      /* "S" record: bytes in mess/N */
	bool has_size;
	char *sender;
	struct env_rcpt *rcpt;
	size_t n_rcpt;
	size_t cap_rcpt;      /* allocated entries of rcpt */
};

enum env_status { ENV_OK = 0, ENV_INCOMPLETE, ENV_FORMAT, ENV_TOO_BIG };

/* Parses a whole envelope file's bytes (pure; fuzzed). */
enum env_status envelope_parse(const char *data, size_t len, struct envelope *out);
void envelope_free(struct envelope *e);
/* Serialises; recipients with done set are written with 'D'. */
void envelope_format(const struct envelope *e, struct sbuf *out);

/*
 * Parses qmail-queue's fd 1 protocol (qmail-queue(8)): "F" sender NUL, then
 * "T" recipient NUL ..., then an extra NUL.  Returns ENV_OK, ENV_INCOMPLETE
 * when the terminating NUL is missing, ENV_FORMAT on anything else
 * (including CR/LF in an address: qmail-queue exit 91).
 */
enum env_status envelope_parse_qq(const char *data, size_t len, struct envelope *out);

#endif
