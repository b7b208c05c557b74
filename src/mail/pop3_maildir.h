/*
 * pop3_maildir.h: a Maildir as a POP3 maildrop (RFC 1939 5, maildir(5)).
 *
 * pop3_box_open takes the Maildir DIR (the caller runs as its owner):
 * every file in new/ is renamed to cur/NAME:2, (as Dovecot and Courier
 * expect, so the box can later be served over IMAP), then cur/ is read
 * once.  Messages are numbered 1..n by the number a name starts with (the
 * delivery time), then in name order.  A message's size is taken from
 * ",W=" (RFC 822 size) or ",S=" in its name when present, else from the
 * size cache DIR/qmail-ng-pop3.sizes (pop3_sizes.h; by name and inode),
 * else from one fstatat; the cache is rewritten when it missed or held
 * names no longer in cur/.  No other per-message system call is made, so a
 * box of 100,000 messages opens in one readdir.  Dot files and names with
 * '/' are skipped.  At most POP3_BOX_MAX messages are listed (the oldest
 * ones); the rest wait.
 *
 * The unique id (UIDL, RFC 1939 7) is the name's unique part (before ':'),
 * stable across the new/ -> cur/ move, when it is 1..70 octets of
 * 0x21..0x7e; otherwise "X" and 16 hex digits of a hash of that part.
 *
 * Deletion: pop3_box_commit unlinks every marked message (a message already
 * gone counts as removed) and then fsyncs cur/; it is called only for QUIT
 * in the TRANSACTION state, so a dropped connection deletes nothing and a
 * crash during QUIT removes some marked messages and nothing unmarked.
 *
 * Output (RFC 1939 3): struct pop3_enc turns stored bytes into the wire
 * form: LF and CRLF become CRLF, a line starting with '.' gets another '.',
 * and for TOP the header, the blank line and then at most max_lines body
 * lines are sent.  pop3_enc_finish ends an unterminated last line and adds
 * the terminating ".".  Pure; fuzzed by tests/fuzz/pop3_cmd_fuzz.c.
 *
 * Errors: -1 with errno for system failures.
 */
#ifndef QNG_POP3_MAILDIR_H
#define QNG_POP3_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define POP3_BOX_MAX 1000000u
#define POP3_UIDL_MAX 70

enum pop3_size_from {
	POP3_SIZE_UNKNOWN, /* only while the box is opened */
	POP3_SIZE_NAME,
	POP3_SIZE_CACHE,
	POP3_SIZE_STAT
};

struct pop3_msg {
	char *name;   /* file name in cur/ (owned by the box) */
	uint64_t key; /* the leading number of the name, 0 if none */
	uint64_t size;
	uint64_t ino; /* from readdir or fstatat; 0 when not known */
	enum pop3_size_from size_from;
	bool is_deleted;
};

struct pop3_name_block;

struct pop3_box {
	char *dir;                     /* the Maildir, without trailing '/' */
	struct pop3_name_block *names; /* storage of the v[].name strings */
	int cur_fd;                    /* O_DIRECTORY fd of cur/ */
	struct pop3_msg *v;
	size_t n, cap;
	size_t n_deleted;
	uint64_t deleted_size;
	uint64_t total_size; /* of all messages, deleted or not */
	size_t n_moved;      /* new/ -> cur/ renames done at open */
	size_t n_stat;       /* sizes that took an fstatat at open */
	bool is_cache_saved; /* the size cache was rewritten at open */
};

int pop3_box_open(struct pop3_box *b, const char *dir);
void pop3_box_close(struct pop3_box *b);
/* Message i (1-based, already validated) or NULL when deleted. */
const struct pop3_msg *pop3_box_get(const struct pop3_box *b, size_t i);
void pop3_box_delete(struct pop3_box *b, size_t i);
void pop3_box_reset(struct pop3_box *b);
/* Opens message i for reading (O_RDONLY|O_CLOEXEC|O_NOFOLLOW); -1 errno. */
int pop3_box_open_msg(const struct pop3_box *b, size_t i);
/* Number of marked messages that could not be removed (0 = all gone), or
 * -1 when cur/ could not be fsynced. */
long pop3_box_commit(struct pop3_box *b);

/* Size hints in a name: ",W=n" wins over ",S=n"; false when neither. */
bool pop3_name_size(const char *name, uint64_t *out);
void pop3_name_uidl(const char *name, struct sbuf *out);

struct pop3_enc {
	bool at_line_start;
	bool pending_cr; /* a CR seen, waiting to see if LF follows */
	bool in_header;
	bool header_line_empty; /* current header line has no bytes so far */
	bool is_top;
	uint64_t max_lines; /* TOP: body lines still allowed */
	bool is_done;       /* TOP limit reached: ignore further input */
};

/* is_top false: the whole message (max_lines ignored). */
void pop3_enc_init(struct pop3_enc *e, bool is_top, uint64_t max_lines);
/* Appends the encoded form of p[0..n) to out; returns false once TOP has
 * sent all it may (the caller can stop reading). */
bool pop3_enc_chunk(struct pop3_enc *e, const char *p, size_t n, struct sbuf *out);
void pop3_enc_finish(struct pop3_enc *e, struct sbuf *out);

#endif
