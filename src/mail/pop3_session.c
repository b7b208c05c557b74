/* pop3_session.c: TRANSACTION and UPDATE states (pop3_session.h). */
#include "pop3_session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pop3_cmd.h"
#include "sbuf.h"

#define READ_CHUNK 65536

typedef enum pop3_session_result (*verb_fn)(struct pop3_session *s, const struct pop3_cmd *c);

static const char capa_text[] = "+OK capability list follows\r\n"
                                "TOP\r\n"
                                "UIDL\r\n"
                                "USER\r\n"
                                "RESP-CODES\r\n"
                                "AUTH-RESP-CODE\r\n"
                                "PIPELINING\r\n"
                                "IMPLEMENTATION qmail-ng\r\n"
                                ".\r\n";

const char *pop3_session_capa(void)
{
	return capa_text;
}

static enum pop3_session_result put(struct pop3_session *s, const char *text)
{
	return bio_puts(s->io, text) == BIO_OK ? POP3_SESSION_CONTINUE : POP3_SESSION_ERROR;
}

static enum pop3_session_result put_buf(struct pop3_session *s, struct sbuf *b)
{
	int rc = bio_put(s->io, b->s ? b->s : "", b->len);
	sbuf_free(b);
	return rc == BIO_OK ? POP3_SESSION_CONTINUE : POP3_SESSION_ERROR;
}

/* Sends b and empties it, keeping its memory for the next part. */
static enum pop3_session_result put_part(struct pop3_session *s, struct sbuf *b)
{
	int rc = bio_put(s->io, b->s ? b->s : "", b->len);
	sbuf_clear(b);
	return rc == BIO_OK ? POP3_SESSION_CONTINUE : POP3_SESSION_ERROR;
}

/* One message number argument: 1 ok, 0 replied -ERR already. */
static int one_msg(struct pop3_session *s, const struct pop3_cmd *c, size_t *i,
                   enum pop3_session_result *res)
{
	struct pop3_word w[POP3_ARG_MAX];
	if (pop3_cmd_args(c->arg, c->arg_len, 1, 1, w) != 1 ||
	    !pop3_cmd_msgnum(&w[0], s->box->n, i)) {
		*res = put(s, "-ERR no such message\r\n");
		return 0;
	}
	if (!pop3_box_get(s->box, *i)) {
		*res = put(s, "-ERR message already deleted\r\n");
		return 0;
	}
	return 1;
}

static enum pop3_session_result do_stat(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct sbuf b = SBUF_INIT;
	if (c->arg_len > 0)
		return put(s, "-ERR STAT takes no argument\r\n");
	sbuf_printf(&b, "+OK %zu %llu\r\n", s->box->n - s->box->n_deleted,
	            (unsigned long long)(s->box->total_size - s->box->deleted_size));
	return put_buf(s, &b);
}

/* Decimal digits without printf: LIST and UIDL write one line per message. */
static void append_u64(struct sbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	sbuf_append(b, tmp + i, sizeof tmp - i);
}

/* "i size" or "i uid" and CRLF; uid is scratch space for the unique id. */
static void list_item(const struct pop3_box *box, size_t i, bool is_uidl, struct sbuf *uid,
                      struct sbuf *b)
{
	append_u64(b, i);
	sbuf_append_char(b, ' ');
	if (is_uidl) {
		pop3_name_uidl(box->v[i - 1].name, uid);
		sbuf_append(b, uid->s, uid->len);
	} else {
		append_u64(b, box->v[i - 1].size);
	}
	sbuf_append(b, "\r\n", 2);
}

static enum pop3_session_result do_list_any(struct pop3_session *s, const struct pop3_cmd *c,
                                            bool is_uidl)
{
	struct sbuf b = SBUF_INIT, uid = SBUF_INIT;
	enum pop3_session_result res = POP3_SESSION_CONTINUE;
	if (c->arg_len > 0) {
		size_t i;
		if (!one_msg(s, c, &i, &res))
			return res;
		sbuf_append_str(&b, "+OK ");
		list_item(s->box, i, is_uidl, &uid, &b);
		sbuf_free(&uid);
		return put_buf(s, &b);
	}
	sbuf_append_str(&b, "+OK\r\n");
	for (size_t i = 1; i <= s->box->n && res == POP3_SESSION_CONTINUE; i++) {
		if (s->box->v[i - 1].is_deleted)
			continue;
		list_item(s->box, i, is_uidl, &uid, &b);
		if (b.len >= BIO_BUF_SIZE)
			res = put_part(s, &b);
	}
	sbuf_free(&uid);
	if (res != POP3_SESSION_CONTINUE) {
		sbuf_free(&b);
		return res;
	}
	sbuf_append_str(&b, ".\r\n");
	return put_buf(s, &b);
}

static enum pop3_session_result do_list(struct pop3_session *s, const struct pop3_cmd *c)
{
	return do_list_any(s, c, false);
}

static enum pop3_session_result do_uidl(struct pop3_session *s, const struct pop3_cmd *c)
{
	return do_list_any(s, c, true);
}

/* Streams message i; after "+OK" any failure ends the session. */
static enum pop3_session_result send_msg(struct pop3_session *s, size_t i, bool is_top,
                                         uint64_t lines)
{
	int fd = pop3_box_open_msg(s->box, i);
	if (fd < 0)
		return put(s, errno == ENOENT ? "-ERR [SYS/TEMP] message vanished\r\n"
		                              : "-ERR [SYS/TEMP] cannot open message\r\n");
	struct sbuf b = SBUF_INIT;
	struct pop3_enc e;
	static char chunk[READ_CHUNK];
	pop3_enc_init(&e, is_top, lines);
	sbuf_printf(&b, "+OK %llu octets\r\n", (unsigned long long)s->box->v[i - 1].size);
	for (bool more = true; more;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			sbuf_free(&b);
			return POP3_SESSION_ERROR;
		}
		more = n > 0 && pop3_enc_chunk(&e, chunk, (size_t)n, &b);
		if ((b.len >= BIO_BUF_SIZE || !more) && put_part(s, &b) != POP3_SESSION_CONTINUE) {
			close(fd);
			sbuf_free(&b);
			return POP3_SESSION_ERROR;
		}
	}
	close(fd);
	pop3_enc_finish(&e, &b);
	return put_buf(s, &b);
}

static enum pop3_session_result do_retr(struct pop3_session *s, const struct pop3_cmd *c)
{
	size_t i;
	enum pop3_session_result res;
	if (!one_msg(s, c, &i, &res))
		return res;
	s->n_retr++;
	return send_msg(s, i, false, 0);
}

static enum pop3_session_result do_top(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct pop3_word w[POP3_ARG_MAX];
	size_t i;
	uint64_t lines;
	if (pop3_cmd_args(c->arg, c->arg_len, 2, 2, w) != 2 ||
	    !pop3_cmd_msgnum(&w[0], s->box->n, &i))
		return put(s, "-ERR no such message\r\n");
	if (!pop3_cmd_lines(&w[1], &lines))
		return put(s, "-ERR bad line count\r\n");
	if (!pop3_box_get(s->box, i))
		return put(s, "-ERR message already deleted\r\n");
	s->n_top++;
	return send_msg(s, i, true, lines);
}

static enum pop3_session_result do_dele(struct pop3_session *s, const struct pop3_cmd *c)
{
	size_t i;
	enum pop3_session_result res;
	if (!one_msg(s, c, &i, &res))
		return res;
	pop3_box_delete(s->box, i);
	return put(s, "+OK message marked for deletion\r\n");
}

static enum pop3_session_result do_rset(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	pop3_box_reset(s->box);
	return put(s, "+OK\r\n");
}

static enum pop3_session_result do_noop(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	return put(s, "+OK\r\n");
}

static enum pop3_session_result do_capa(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	return put(s, capa_text);
}

static enum pop3_session_result do_quit(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	size_t marked = s->box->n_deleted;
	long failed = pop3_box_commit(s->box);
	s->n_removed = failed < 0 ? 0 : (long)marked - failed;
	if (put(s, failed == 0 ? "+OK bye\r\n"
	                       : "-ERR [SYS/TEMP] some deleted messages not removed\r\n") !=
	    POP3_SESSION_CONTINUE)
		return POP3_SESSION_ERROR;
	return POP3_SESSION_QUIT;
}

static enum pop3_session_result do_not_now(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	return put(s, "-ERR already authenticated\r\n");
}

static const verb_fn verbs[POP3_VERB_COUNT] = {
    [POP3_VERB_USER] = do_not_now, [POP3_VERB_PASS] = do_not_now, [POP3_VERB_APOP] = do_not_now,
    [POP3_VERB_AUTH] = do_not_now, [POP3_VERB_STLS] = do_not_now, [POP3_VERB_CAPA] = do_capa,
    [POP3_VERB_QUIT] = do_quit,    [POP3_VERB_STAT] = do_stat,    [POP3_VERB_LIST] = do_list,
    [POP3_VERB_UIDL] = do_uidl,    [POP3_VERB_TOP] = do_top,      [POP3_VERB_RETR] = do_retr,
    [POP3_VERB_DELE] = do_dele,    [POP3_VERB_RSET] = do_rset,    [POP3_VERB_NOOP] = do_noop,
};

void pop3_session_init(struct pop3_session *s, struct pop3_box *box, struct bio *io)
{
	memset(s, 0, sizeof *s);
	s->box = box;
	s->io = io;
}

enum pop3_session_result pop3_session_line(struct pop3_session *s, const char *line, size_t len)
{
	struct pop3_cmd c;
	switch (pop3_cmd_parse(line, len, &c)) {
	case POP3_CMD_OK:
		return verbs[c.verb](s, &c);
	case POP3_CMD_BAD_CHAR:
		return put(s, "-ERR bad character in command\r\n");
	case POP3_CMD_EMPTY:
	case POP3_CMD_UNKNOWN:
		break;
	}
	return put(s, "-ERR unknown command\r\n");
}

enum pop3_session_result pop3_session_run(struct pop3_session *s)
{
	struct sbuf line = SBUF_INIT;
	enum pop3_session_result res = put(s, "+OK \r\n");
	while (res == POP3_SESSION_CONTINUE) {
		enum bio_line how;
		if (bio_buffered(s->io) == 0 && bio_flush(s->io) != BIO_OK) {
			res = POP3_SESSION_ERROR;
			break;
		}
		int rc = bio_read_line(s->io, POP3_LINE_MAX - 2, &line, &how);
		if (rc != BIO_OK || how == BIO_LINE_PARTIAL) {
			res = rc == BIO_ERROR ? POP3_SESSION_ERROR : POP3_SESSION_DROPPED;
			break;
		}
		if (how == BIO_LINE_TOO_LONG)
			res = put(s, "-ERR line too long\r\n");
		else
			res = pop3_session_line(s, line.s ? line.s : "", line.len);
	}
	if (res == POP3_SESSION_QUIT && bio_flush(s->io) != BIO_OK)
		res = POP3_SESSION_ERROR;
	sbuf_free(&line);
	return res;
}
