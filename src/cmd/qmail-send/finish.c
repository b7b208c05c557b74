/* finish.c: a message whose recipients are all done: bounce, then clean. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "dsn.h"
#include "exitcode.h"
#include "fdio.h"
#include "qqueue.h"
#include "queue_bounce.h"
#include "send.h"

#define FINISH_RETRY_SECS 60
#define TRIPLE_SENDER "#@[]"

/* The failed message, whole if small, else its first DSN_ORIG_MAX+1 bytes. */
static int read_orig(uint64_t id, struct sbuf *out)
{
	char path[64];
	snprintf(path, sizeof path, "queue/mess/%llu", (unsigned long long)id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	sbuf_reserve(out, DSN_ORIG_MAX + 1);
	ssize_t n = fd_read_full(fd, out->s, DSN_ORIG_MAX + 1);
	close(fd);
	if (n < 0)
		return -1;
	out->len = (size_t)n;
	out->s[n] = '\0';
	return 0;
}

/* One dsn_rcpt per recipient (the last record wins after a crash-retry). */
static size_t collect_rcpts(const struct bounce_list *l, struct dsn_rcpt *out)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t k = 0;
		while (k < n && strcmp(out[k].addr, l->v[i].rcpt) != 0)
			k++;
		out[k].addr = l->v[i].rcpt;
		out[k].text = l->v[i].text;
		if (k == n)
			n++;
	}
	return n;
}

static int inject(struct send_state *s, struct msg *m, const struct dsn_msg *d,
		  const char *bsender)
{
	struct sbuf text = SBUF_INIT;
	dsn_build(d, &text);
	struct qqueue q;
	if (qqueue_start(&q) < 0) {
		slog("warning: unable to start qmail-queue: %s", strerror(errno));
		sbuf_free(&text);
		return -1;
	}
	qqueue_write(&q, text.s, text.len);
	sbuf_free(&text);
	struct strlist rcpts = { NULL, 0, 0 };
	strlist_add(&rcpts, d->to, strlen(d->to));
	slog("bounce msg %llu qp %ld", (unsigned long long)m->id, (long)q.pid);
	int code = qqueue_finish(&q, bsender, &rcpts);
	strlist_free(&rcpts);
	if (code != QQ_OK) {
		slog("warning: trouble injecting bounce message, will try later: %s",
		     qqueue_strerror(code));
		return -1;
	}
	(void)s;
	return 0;
}

static int build_and_inject(struct send_state *s, struct msg *m, const struct bounce_list *l)
{
	struct sbuf orig = SBUF_INIT, from = SBUF_INIT, to = SBUF_INIT, unique = SBUF_INIT;
	if (read_orig(m->id, &orig) < 0) {
		slog("warning: unable to read mess/%llu: %s", (unsigned long long)m->id,
		     strerror(errno));
		sbuf_free(&orig);
		return -1;
	}
	bool is_double = m->env.sender[0] == '\0';
	sbuf_printf(&from, "%s@%s", s->cfg.bouncefrom.s, s->cfg.bouncehost.s);
	if (is_double)
		sbuf_printf(&to, "%s@%s", s->cfg.dbto.s, s->cfg.dbhost.s);
	else
		sbuf_set_str(&to, m->env.sender);
	sbuf_printf(&unique, "%llu", (unsigned long long)m->id);
	struct dsn_rcpt *r = xcalloc(l->n ? l->n : 1, sizeof *r);
	struct dsn_msg d = {
		.me = s->cfg.me.s, .from = from.s, .to = to.s, .unique = unique.s,
		.arrival = (int64_t)m->env.birth, .now = s->now, .is_double = is_double,
		.rcpt = r, .n_rcpt = collect_rcpts(l, r), .orig = orig.s, .orig_len = orig.len,
	};
	int rc = inject(s, m, &d, is_double ? TRIPLE_SENDER : "");
	free(r);
	sbuf_free(&orig);
	sbuf_free(&from);
	sbuf_free(&to);
	sbuf_free(&unique);
	return rc;
}

/* 0: bounce sent (or nothing to send), -1: try again later. */
static int bounce(struct send_state *s, struct msg *m)
{
	char path[64];
	snprintf(path, sizeof path, "queue/bounce/%llu", (unsigned long long)m->id);
	if (strcmp(m->env.sender, TRIPLE_SENDER) == 0) {
		slog("triple bounce: discarding %s", path + 6);
	} else {
		struct sbuf data = SBUF_INIT;
		if (file_read_all(path, &data, QUEUE_BOUNCE_MAX) < 0) {
			int err = errno;
			sbuf_free(&data);
			if (err == ENOENT)
				return 0;
			slog("warning: unable to read %s: %s", path + 6, strerror(err));
			return -1;
		}
		struct bounce_list l;
		size_t good;
		queue_bounce_parse(data.s ? data.s : "", data.len, &l, &good);
		sbuf_free(&data);
		int rc = l.n ? build_and_inject(s, m, &l) : 0;
		queue_bounce_free(&l);
		if (rc < 0)
			return -1;
		crashpoint("send-after-bounce-inject");
	}
	if (unlink(path) < 0 && errno != ENOENT)
		slog("warning: unable to remove %s: %s", path + 6, strerror(errno));
	return 0;
}

bool finish_run(struct send_state *s)
{
	bool ready_later = false;
	size_t n = s->finish.n < FINISH_BATCH ? s->finish.n : FINISH_BATCH;
	for (size_t i = 0; i < n; i++) {
		struct msg *m = fifo_pop(&s->finish);
		if (m->retry_at > s->now || (m->has_bounce && bounce(s, m) < 0)) {
			if (m->retry_at <= s->now)
				m->retry_at = s->now + FINISH_RETRY_SECS;
			fifo_push(&s->finish, m);
			ready_later = true;
			continue;
		}
		m->has_bounce = false;
		m->state = MSG_CLEANING;
		fifo_push(&s->clean, m);
	}
	return ready_later;
}

/*
 * Up to CLEAN_WINDOW requests are in flight at once, so qmail-clean can
 * remove a whole batch with one directory fsync each (docs/INTERNALS.md).
 * qmail-clean answers one byte per request, in request order.
 */
void finish_send_clean(struct send_state *s)
{
	while (s->clean_alive && s->clean_sent.n < CLEAN_WINDOW) {
		struct msg *m = s->clean.head;
		if (!m || m->retry_at > s->now)
			return;
		char req[32];
		int n = snprintf(req, sizeof req, "%llu", (unsigned long long)m->id);
		if (fd_write_all(FD_CLEAN_REQ, req, (size_t)n + 1) < 0) {
			slog("alert: unable to talk to qmail-clean: %s", strerror(errno));
			s->clean_alive = false;
			s->stopping = true;
			s->exit_code = 111;
			return;
		}
		fifo_push(&s->clean_sent, fifo_pop(&s->clean));
	}
}

static void clean_answer(struct send_state *s, char c)
{
	struct msg *m = fifo_pop(&s->clean_sent);
	if (!m)
		return;
	if (c == '+') {
		slog("end msg %llu", (unsigned long long)m->id);
		sched_remove(s, m);
		if (s->rescan_after_clean) {
			s->rescan_after_clean = false;
			s->next_rescan = s->now;
		}
		return;
	}
	slog("warning: qmail-clean unable to clean up msg %llu", (unsigned long long)m->id);
	m->retry_at = s->now + FINISH_RETRY_SECS;
	fifo_push(&s->clean, m);
}

void finish_read_clean(struct send_state *s)
{
	char ans[CLEAN_WINDOW];
	ssize_t r = read(FD_CLEAN_ANS, ans, sizeof ans);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		slog("alert: oh no! lost qmail-clean connection! dying...");
		s->clean_alive = false;
		s->stopping = true;
		s->exit_code = 111;
		return;
	}
	for (ssize_t i = 0; i < r; i++)
		clean_answer(s, ans[i]);
}
