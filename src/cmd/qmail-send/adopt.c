/* adopt.c: preprocessing (todo/ -> env/) and startup recovery. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "crashpoint.h"
#include "fdio.h"
#include "proto_limits.h"
#include "queue_scan.h"
#include "send.h"

static void qpath(char *buf, size_t len, const char *dir, uint64_t id)
{
	snprintf(buf, len, "queue/%s/%llu", dir, (unsigned long long)id);
}

static int load_envelope(const char *path, struct envelope *e)
{
	struct sbuf data = SBUF_INIT;
	int rc = file_read_all(path, &data, QUEUE_ENVELOPE_MAX);
	if (rc < 0) {
		if (errno != ENOENT)
			slog("warning: trouble reading %s: %s", path + 6, strerror(errno));
		sbuf_free(&data);
		return -1;
	}
	enum env_status st = envelope_parse(data.s ? data.s : "", data.len, e);
	sbuf_free(&data);
	if (st != ENV_OK) {
		slog("warning: unable to parse %s", path + 6);
		return -1;
	}
	return 0;
}

void adopt_make_jobs(struct send_state *s, struct msg *m)
{
	m->jobs = xcalloc(m->env.n_rcpt ? m->env.n_rcpt : 1, sizeof *m->jobs);
	m->n_todo = 0;
	struct sbuf routed = SBUF_INIT;
	for (size_t i = 0; i < m->env.n_rcpt; i++) {
		struct job *j = &m->jobs[i];
		j->msg = m;
		j->rcpt = i;
		j->heap_idx = SIZE_MAX;
		if (m->env.rcpt[i].done)
			continue;
		sbuf_clear(&routed);
		enum route_kind k = route_classify(&s->cfg.route, m->env.rcpt[i].addr, &routed);
		j->chan = k == ROUTE_LOCAL ? CHAN_LOCAL : CHAN_REMOTE;
		j->routed = xstrdup(sbuf_cstr(&routed));
		j->next = s->now;
		heap_push(&s->chan[j->chan].wait, j);
		m->n_todo++;
	}
	sbuf_free(&routed);
	m->state = MSG_ACTIVE;
	deliver_check_finished(s, m);
}

static void note_files(struct msg *m, const struct stat *mess)
{
	char path[64];
	qpath(path, sizeof path, "bounce", m->id);
	m->has_bounce = access(path, F_OK) == 0;
	m->bytes = m->env.has_size ? m->env.size : (uint64_t)mess->st_size;
}

static void log_new(const struct msg *m)
{
	struct sbuf sender = SBUF_INIT;
	slog_text(&sender, m->env.sender, strlen(m->env.sender));
	slog("new msg %llu", (unsigned long long)m->id);
	slog("info msg %llu: bytes %llu from <%s> qp %llu uid %llu", (unsigned long long)m->id,
	     (unsigned long long)m->bytes, sbuf_cstr(&sender), (unsigned long long)m->env.pid,
	     (unsigned long long)m->env.uid);
	sbuf_free(&sender);
}

/* Adopts one message: 0 done (or dropped from memory), -1 keep for later. */
static void adopt_one(struct send_state *s, struct msg *m)
{
	char todo[64], env[64], mess[64];
	qpath(todo, sizeof todo, "todo", m->id);
	qpath(env, sizeof env, "env", m->id);
	qpath(mess, sizeof mess, "mess", m->id);
	struct stat st;
	if (stat(mess, &st) < 0) {
		slog("warning: %s has no message file", todo + 6);
		sched_remove(s, m);
		return;
	}
	if (load_envelope(todo, &m->env) < 0) {
		sched_remove(s, m);
		return;
	}
	if (rename(todo, env) < 0) {
		slog("warning: unable to move %s to %s: %s", todo + 6, env + 6, strerror(errno));
		sched_remove(s, m);
		return;
	}
	crashpoint("send-after-adopt");
	note_files(m, &st);
	log_new(m);
	adopt_make_jobs(s, m);
}

void adopt_scan_todo(struct send_state *s)
{
	uint64_t *ids;
	size_t n;
	if (queue_scan_dir("queue/todo", &ids, &n) < 0) {
		slog("warning: unable to scan queue/todo: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct msg *old = sched_find(s, ids[i]);
		if (old) {
			/* The inode number came back before qmail-clean answered. */
			if (old->state == MSG_FINISHING || old->state == MSG_CLEANING)
				s->rescan_after_clean = true;
			continue;
		}
		struct msg *m = sched_add(s, ids[i]);
		m->state = MSG_TODO;
		fifo_push(&s->todo, m);
	}
	free(ids);
}

void adopt_batch(struct send_state *s)
{
	for (size_t i = 0; i < ADOPT_BATCH; i++) {
		struct msg *m = fifo_pop(&s->todo);
		if (!m)
			break;
		adopt_one(s, m);
	}
}

static void recover_one(struct send_state *s, uint64_t id)
{
	char env[64], mess[64];
	qpath(env, sizeof env, "env", id);
	qpath(mess, sizeof mess, "mess", id);
	struct stat st;
	if (stat(mess, &st) < 0) {
		slog("warning: %s has no message file", env + 6);
		return;
	}
	struct msg *m = sched_add(s, id);
	if (load_envelope(env, &m->env) < 0) {
		sched_remove(s, m);
		return;
	}
	note_files(m, &st);
	adopt_make_jobs(s, m);
}

void adopt_recover(struct send_state *s)
{
	uint64_t *ids;
	size_t n;
	if (queue_scan_dir("queue/env", &ids, &n) < 0) {
		slog("alert: unable to scan queue/env: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++)
		recover_one(s, ids[i]);
	free(ids);
	adopt_scan_todo(s);
}
