/* deliver.c: starting deliveries and handling the spawners' reports. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "fdio.h"
#include "proto_limits.h"
#include "queue_bounce.h"
#include "queue_retry.h"
#include "scan.h"
#include "send.h"

#define EXPIRED_TEXT "I'm not going to try again; this message has been in the queue too long."

static int64_t birth_of(const struct msg *m)
{
	return m->env.birth > INT64_MAX ? INT64_MAX : (int64_t)m->env.birth;
}

static void reschedule(struct send_state *s, struct job *j)
{
	int64_t skip = j->chan == CHAN_LOCAL ? QUEUE_SKIP_LOCAL : QUEUE_SKIP_REMOTE;
	j->next = queue_retry_next(birth_of(j->msg), s->now, skip);
	heap_push(&s->chan[j->chan].wait, j);
}

void deliver_check_finished(struct send_state *s, struct msg *m)
{
	if (m->state == MSG_ACTIVE && m->n_todo == 0 && m->n_flight == 0) {
		m->state = MSG_FINISHING;
		fifo_push(&s->finish, m);
	}
}

static struct slot *free_slot(struct chan_state *c)
{
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].did == 0)
			return &c->slots[i];
	return NULL;
}

static void start_one(struct send_state *s, struct chan_state *c, struct job *j)
{
	struct slot *slot = free_slot(c);
	struct msg *m = j->msg;
	struct sbuf req = SBUF_INIT;
	uint64_t did = ++s->next_did;
	sbuf_printf(&req, "%llu%c%llu%c", (unsigned long long)did, '\0', (unsigned long long)m->id,
		    '\0');
	sbuf_append(&req, m->env.sender, strlen(m->env.sender) + 1);
	sbuf_append(&req, j->routed, strlen(j->routed) + 1);
	if (!slot || fd_write_all(c->req_fd, req.s, req.len) < 0) {
		slog("alert: unable to talk to qmail-%cspawn: %s", c->name[0], strerror(errno));
		c->alive = false;
		s->stopping = true;
		s->exit_code = 111;
		j->next = s->now;
		heap_push(&c->wait, j);
		sbuf_free(&req);
		return;
	}
	sbuf_free(&req);
	slot->did = did;
	slot->job = j;
	j->in_flight = true;
	m->n_flight++;
	c->n_busy++;
	struct sbuf r = SBUF_INIT;
	slog_text(&r, j->routed, strlen(j->routed));
	slog("starting delivery %llu: msg %llu to %s %s", (unsigned long long)did,
	     (unsigned long long)m->id, c->name, r.s);
	sbuf_free(&r);
	slog_status(s);
}

/* The part after the last '@': the destination a per-domain limit counts. */
static const char *job_domain(const struct job *j)
{
	const char *at = strrchr(j->routed, '@');
	return at ? at + 1 : j->routed;
}

static bool domain_full(const struct chan_state *c, const struct job *j)
{
	if (c->per_domain == 0 || c->per_domain >= c->concurrency)
		return false;
	const char *dom = job_domain(j);
	size_t n = 0;
	for (size_t i = 0; i < c->n_slots && n < c->per_domain; i++)
		if (c->slots[i].did && strcasecmp(job_domain(c->slots[i].job), dom) == 0)
			n++;
	return n >= c->per_domain;
}

/* Starts what is due, up to the channel's concurrency; a job whose domain
 * is at concurrencyperdomain waits (put back unchanged) while jobs for
 * other domains behind it go. */
static void start_channel(struct send_state *s, struct chan_state *c)
{
	struct job **held = NULL;
	size_t n_held = 0;
	while (c->alive && c->n_busy < c->concurrency && c->n_busy < c->n_slots) {
		struct job *j = heap_top(&c->wait);
		if (!j || j->next > s->now)
			break;
		j = heap_pop(&c->wait);
		if (domain_full(c, j)) {
			held = xreallocarray(held, n_held + 1, sizeof *held);
			held[n_held++] = j;
			continue;
		}
		start_one(s, c, j);
	}
	const struct job *top = heap_top(&c->wait);
	c->is_held = n_held > 0 && (!top || top->next > s->now);
	for (size_t i = 0; i < n_held; i++)
		heap_push(&c->wait, held[i]);
	free(held);
}

void deliver_start_ready(struct send_state *s)
{
	if (s->stopping)
		return;
	for (int ch = 0; ch < CHAN_COUNT; ch++)
		start_channel(s, &s->chan[ch]);
}

void deliver_flush(struct send_state *s)
{
	for (int ch = 0; ch < CHAN_COUNT; ch++) {
		struct heap *h = &s->chan[ch].wait;
		for (size_t i = 0; i < h->n; i++)
			h->v[i]->next = s->now;   /* all keys equal: still a heap */
	}
}

/* Flips the recipient's tag to 'D' and makes it durable. */
static void mark_done(struct send_state *s, struct job *j)
{
	struct msg *m = j->msg;
	char path[64];
	snprintf(path, sizeof path, "queue/env/%llu", (unsigned long long)m->id);
	crashpoint("send-before-done-mark");
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fd_pwrite_all(fd, "D", 1, m->env.rcpt[j->rcpt].tag_offset) < 0 ||
	    fdatasync(fd) < 0)
		slog("warning: unable to mark %s done: %s (may deliver twice)", path + 6,
		     strerror(errno));
	if (fd >= 0)
		close(fd);
	crashpoint("send-after-done-mark");
	m->env.rcpt[j->rcpt].done = true;
	m->n_todo--;
	(void)s;
}

/* Permanent failure: the bounce record is durable before the done mark. */
static void fail_rcpt(struct send_state *s, struct job *j, const char *text)
{
	struct msg *m = j->msg;
	char path[64];
	snprintf(path, sizeof path, "queue/bounce/%llu", (unsigned long long)m->id);
	if (queue_bounce_append(path, m->env.rcpt[j->rcpt].addr, text) < 0) {
		slog("warning: unable to write %s: %s; will try again", path + 6, strerror(errno));
		reschedule(s, j);
		return;
	}
	m->has_bounce = true;
	crashpoint("send-after-bounce-record");
	mark_done(s, j);
}

static void log_result(uint64_t did, const char *what, const char *text)
{
	struct sbuf t = SBUF_INIT;
	slog_text(&t, text, strlen(text));
	slog("delivery %llu: %s: %s", (unsigned long long)did, what, sbuf_cstr(&t));
	sbuf_free(&t);
}

static void on_deferral(struct send_state *s, struct job *j, const char *text)
{
	bool never = strncmp(text, REMOTE_MISSING_MARKER, strlen(REMOTE_MISSING_MARKER)) == 0;
	if (!never && queue_retry_expired(birth_of(j->msg), s->now, (int64_t)s->cfg.lifetime)) {
		struct sbuf t = SBUF_INIT;
		sbuf_printf(&t, "%s/%s", text, EXPIRED_TEXT);
		fail_rcpt(s, j, t.s);
		sbuf_free(&t);
		return;
	}
	reschedule(s, j);
}

static struct slot *find_slot(struct chan_state *c, uint64_t did)
{
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].did == did)
			return &c->slots[i];
	return NULL;
}

static void handle_report(struct send_state *s, struct chan_state *c, const char *id,
			  const char *result)
{
	uint64_t did;
	struct slot *slot = NULL;
	if (scan_u64_str(id, UINT64_MAX, &did))
		slot = find_slot(c, did);
	if (!slot || result[0] == '\0') {
		slog("warning: qmail-%cspawn sent an unknown report", c->name[0]);
		return;
	}
	struct job *j = slot->job;
	slot->did = 0;
	slot->job = NULL;
	c->n_busy--;
	j->in_flight = false;
	j->msg->n_flight--;
	const char *text = result + 1;
	switch (result[0]) {
	case 'K':
		log_result(did, "success", text);
		mark_done(s, j);
		break;
	case 'D':
		log_result(did, "failure", text);
		fail_rcpt(s, j, text);
		break;
	default:
		log_result(did, "deferral", text);
		on_deferral(s, j, text);
		break;
	}
	slog_status(s);
	deliver_check_finished(s, j->msg);
}

/* Splits complete "<id>\0<status><text>\0" records off c->inbuf. */
static void parse_reports(struct send_state *s, struct chan_state *c)
{
	size_t pos = 0;
	for (;;) {
		const char *a = c->inbuf.s + pos;
		size_t left = c->inbuf.len - pos;
		const char *nul1 = memchr(a, '\0', left);
		if (!nul1)
			break;
		size_t rest = left - (size_t)(nul1 + 1 - a);
		const char *nul2 = memchr(nul1 + 1, '\0', rest);
		if (!nul2)
			break;
		handle_report(s, c, a, nul1 + 1);
		pos = (size_t)(nul2 + 1 - c->inbuf.s);
	}
	if (pos) {
		memmove(c->inbuf.s, c->inbuf.s + pos, c->inbuf.len - pos);
		sbuf_truncate(&c->inbuf, c->inbuf.len - pos);
	}
}

static void lost_spawner(struct send_state *s, struct chan_state *c)
{
	slog("alert: oh no! lost qmail-%cspawn connection! dying...", c->name[0]);
	c->alive = false;
	s->stopping = true;
	s->exit_code = 111;
	for (size_t i = 0; i < c->n_slots; i++) {
		if (c->slots[i].did == 0)
			continue;
		struct job *j = c->slots[i].job;   /* deferred: its tag stays T */
		j->in_flight = false;
		j->msg->n_flight--;
		c->slots[i].did = 0;
		c->n_busy--;
	}
}

void deliver_read_reports(struct send_state *s, enum chan ch)
{
	struct chan_state *c = &s->chan[ch];
	char buf[4096];
	ssize_t r = read(c->rep_fd, buf, sizeof buf);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		lost_spawner(s, c);
		return;
	}
	sbuf_append(&c->inbuf, buf, (size_t)r);
	parse_reports(s, c);
	if (c->inbuf.len > 2 * REPORT_TEXT_MAX + 64) {
		slog("alert: qmail-%cspawn sent an oversized report", c->name[0]);
		lost_spawner(s, c);
	}
}
