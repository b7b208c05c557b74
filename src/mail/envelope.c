#include "envelope.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "proto_limits.h"
#include "scan.h"

/* A cursor over NUL-terminated records. */
struct rec_cursor {
	const char *data;
	size_t len;
	size_t pos;
};

/* Next record: sets *rec and *rlen (without the NUL) and its offset.
 * Returns 0 ok, 1 at end of data, -1 when the last record lacks its NUL. */
static int next_record(struct rec_cursor *c, const char **rec, size_t *rlen, size_t *off)
{
	if (c->pos >= c->len)
		return 1;
	const char *start = c->data + c->pos;
	const char *nul = memchr(start, '\0', c->len - c->pos);
	if (!nul)
		return -1;
	*rec = start;
	*rlen = (size_t)(nul - start);
	*off = c->pos;
	c->pos += *rlen + 1;
	return 0;
}

static bool text_ok(const char *s, size_t len)
{
	return memchr(s, '\n', len) == NULL && memchr(s, '\r', len) == NULL;
}

static void add_rcpt(struct envelope *e, const char *s, size_t len, off_t off, bool done)
{
	if (e->n_rcpt == e->cap_rcpt) {
		/* Geometric growth: 100,000 recipients must not cost n^2 copies. */
		size_t cap = e->cap_rcpt ? e->cap_rcpt : 8;
		if (!size_mul(cap, 2, &cap))
			alloc_fatal();
		e->rcpt = xreallocarray(e->rcpt, cap, sizeof *e->rcpt);
		e->cap_rcpt = cap;
	}
	struct env_rcpt *r = &e->rcpt[e->n_rcpt++];
	r->addr = xmemdup(s, len);
	r->tag_offset = off;
	r->done = done;
}

/* Reads a record that must carry tag and a decimal number. */
static enum env_status want_number(struct rec_cursor *c, char tag, uint64_t *out)
{
	const char *rec;
	size_t rlen, off;
	int rc = next_record(c, &rec, &rlen, &off);
	if (rc != 0)
		return ENV_INCOMPLETE;
	if (rlen < 2 || rec[0] != tag || !scan_u64(rec + 1, rlen - 1, UINT64_MAX, out))
		return ENV_FORMAT;
	return ENV_OK;
}

static enum env_status parse_header(struct rec_cursor *c, struct envelope *out)
{
	const char *rec;
	size_t rlen, off;
	if (next_record(c, &rec, &rlen, &off) != 0)
		return ENV_INCOMPLETE;
	if (rlen != 2 || memcmp(rec, "V1", 2) != 0)
		return ENV_FORMAT;
	enum env_status st;
	if ((st = want_number(c, 'B', &out->birth)) != ENV_OK ||
	    (st = want_number(c, 'U', &out->uid)) != ENV_OK ||
	    (st = want_number(c, 'P', &out->pid)) != ENV_OK)
		return st;
	if (next_record(c, &rec, &rlen, &off) != 0)
		return ENV_INCOMPLETE;
	if (rlen >= 1 && rec[0] == 'S') {
		if (!scan_u64(rec + 1, rlen - 1, UINT64_MAX, &out->size))
			return ENV_FORMAT;
		out->has_size = true;
		if (next_record(c, &rec, &rlen, &off) != 0)
			return ENV_INCOMPLETE;
	}
	if (rlen < 1 || rec[0] != 'F' || !text_ok(rec + 1, rlen - 1))
		return ENV_FORMAT;
	out->sender = xmemdup(rec + 1, rlen - 1);
	return ENV_OK;
}

static enum env_status parse_rcpts(struct rec_cursor *c, struct envelope *out)
{
	for (;;) {
		const char *rec;
		size_t rlen, off;
		int rc = next_record(c, &rec, &rlen, &off);
		if (rc != 0)
			return ENV_INCOMPLETE;
		if (rlen == 0)
			return c->pos == c->len ? ENV_OK : ENV_FORMAT;
		if (rec[0] != 'T' && rec[0] != 'D')
			return ENV_FORMAT;
		if (!text_ok(rec + 1, rlen - 1))
			return ENV_FORMAT;
		if (out->n_rcpt >= QUEUE_RCPT_MAX)
			return ENV_TOO_BIG;
		add_rcpt(out, rec + 1, rlen - 1, (off_t)off, rec[0] == 'D');
	}
}

enum env_status envelope_parse(const char *data, size_t len, struct envelope *out)
{
	memset(out, 0, sizeof *out);
	if (len > QUEUE_ENVELOPE_MAX)
		return ENV_TOO_BIG;
	struct rec_cursor c = { data, len, 0 };
	enum env_status st = parse_header(&c, out);
	if (st == ENV_OK)
		st = parse_rcpts(&c, out);
	if (st != ENV_OK)
		envelope_free(out);
	return st;
}

void envelope_free(struct envelope *e)
{
	for (size_t i = 0; i < e->n_rcpt; i++)
		free(e->rcpt[i].addr);
	free(e->rcpt);
	free(e->sender);
	memset(e, 0, sizeof *e);
}

static void put_number(struct sbuf *out, char tag, uint64_t v)
{
	sbuf_append_char(out, tag);
	sbuf_append_ulong(out, (unsigned long long)v);
	sbuf_append_char(out, '\0');
}

void envelope_format(const struct envelope *e, struct sbuf *out)
{
	sbuf_append(out, "V1", 3);
	put_number(out, 'B', e->birth);
	put_number(out, 'U', e->uid);
	put_number(out, 'P', e->pid);
	if (e->has_size)
		put_number(out, 'S', e->size);
	sbuf_append_char(out, 'F');
	sbuf_append(out, e->sender ? e->sender : "", e->sender ? strlen(e->sender) + 1 : 1);
	for (size_t i = 0; i < e->n_rcpt; i++) {
		sbuf_append_char(out, e->rcpt[i].done ? 'D' : 'T');
		sbuf_append(out, e->rcpt[i].addr, strlen(e->rcpt[i].addr) + 1);
	}
	sbuf_append_char(out, '\0');
}

enum env_status envelope_parse_qq(const char *data, size_t len, struct envelope *out)
{
	memset(out, 0, sizeof *out);
	if (len > QUEUE_ENVELOPE_MAX)
		return ENV_TOO_BIG;
	struct rec_cursor c = { data, len, 0 };
	const char *rec;
	size_t rlen, off;
	if (next_record(&c, &rec, &rlen, &off) != 0)
		return ENV_INCOMPLETE;
	if (rlen < 1 || rec[0] != 'F' || !text_ok(rec + 1, rlen - 1))
		return ENV_FORMAT;
	out->sender = xmemdup(rec + 1, rlen - 1);
	enum env_status st = ENV_OK;
	for (;;) {
		int rc = next_record(&c, &rec, &rlen, &off);
		if (rc != 0) {
			st = ENV_INCOMPLETE;
			break;
		}
		if (rlen == 0) {
			st = c.pos == c.len ? ENV_OK : ENV_FORMAT;
			break;
		}
		if (rec[0] != 'T' || !text_ok(rec + 1, rlen - 1)) {
			st = ENV_FORMAT;
			break;
		}
		if (out->n_rcpt >= QUEUE_RCPT_MAX) {
			st = ENV_TOO_BIG;
			break;
		}
		add_rcpt(out, rec + 1, rlen - 1, 0, false);
	}
	if (st != ENV_OK)
		envelope_free(out);
	return st;
}
