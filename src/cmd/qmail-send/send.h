/*
 * send.h: qmail-send's state, shared by its modules.
 *
 * One struct send_state holds everything.  Messages live in a hash table
 * keyed by queue number; each recipient still to do is a job; jobs that
 * wait are in one binary min-heap per channel keyed by next attempt time,
 * so starting a delivery costs O(log n) however many messages are queued.
 * Jobs in flight sit in a small slot array per channel (at most the
 * channel's concurrency).  File descriptors: see docs/PROTOCOLS.md
 * ("qmail-start").  Working directory: $QMAILHOME.
 */
#ifndef QNG_SEND_H
#define QNG_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "route.h"
#include "sbuf.h"

enum chan { CHAN_LOCAL, CHAN_REMOTE, CHAN_COUNT };

/* qmail-start's fd layout for qmail-send. */
enum {
	FD_LSPAWN_REQ = 3,
	FD_LSPAWN_REP = 4,
	FD_RSPAWN_REQ = 5,
	FD_RSPAWN_REP = 6,
	FD_CLEAN_REQ = 7,
	FD_CLEAN_ANS = 8,
};

/* A deferral text starting with this never expires (qmail-rspawn). */
#define REMOTE_MISSING_MARKER "qmail-remote is not installed"
#define ADOPT_BATCH 64
#define FINISH_BATCH 16
#define RESCAN_SECS 60
#define STOP_WAIT_SECS 60

enum msg_state { MSG_TODO, MSG_ACTIVE, MSG_FINISHING, MSG_CLEANING };

struct msg;

struct job {
	struct msg *msg;
	size_t rcpt;          /* index into msg->env.rcpt */
	enum chan chan;
	char *routed;         /* address the spawner gets */
	int64_t next;         /* next attempt, wall clock */
	size_t heap_idx;      /* SIZE_MAX when not in a heap */
	bool in_flight;
};

struct msg {
	uint64_t id;
	enum msg_state state;
	struct envelope env;
	struct job *jobs;     /* env.n_rcpt entries; done ones unused */
	size_t n_todo;        /* recipients not done */
	size_t n_flight;
	uint64_t bytes;
	bool has_bounce;
	int64_t retry_at;     /* finishing step retried after a failure */
	struct msg *hnext;    /* hash chain */
	struct msg *qnext;    /* todo / finish / clean FIFO */
};

/* Removal requests in flight to qmail-clean (64 ids fit in one pipe write). */
#define CLEAN_WINDOW 64

struct fifo {
	struct msg *head, *tail;
	size_t n;
};

struct heap {
	struct job **v;
	size_t n, cap;
};

struct slot {
	uint64_t did;         /* 0: free */
	struct job *job;
};

struct chan_state {
	const char *name;     /* "local" / "remote" */
	int req_fd, rep_fd;
	struct heap wait;
	struct slot *slots;
	size_t n_slots;       /* allocated */
	size_t concurrency;   /* from control */
	size_t per_domain;    /* control/concurrencyperdomain (remote); 0: none */
	bool is_held;         /* every ready job waits for its domain's slot */
	size_t n_busy;
	struct sbuf inbuf;    /* partial report */
	bool alive;
};

struct send_config {
	struct route_config route;
	struct sbuf me, bouncefrom, bouncehost, dbto, dbhost;
	uint64_t lifetime;
};

struct send_state {
	struct send_config cfg;
	struct msg **table;
	size_t table_cap, n_msgs;
	struct fifo todo, finish, clean;
	struct fifo clean_sent;    /* asked of qmail-clean, answers pending, in order */
	struct chan_state chan[CHAN_COUNT];
	uint64_t next_did;
	bool clean_alive;
	bool rescan_after_clean;   /* a todo/N reused a number still being cleaned */
	bool stopping;
	int exit_code;
	int64_t now;
	int64_t next_rescan;
	int64_t stop_deadline;
};

/* sched.c: messages, FIFOs, heaps. */
struct msg *sched_find(struct send_state *s, uint64_t id);
struct msg *sched_add(struct send_state *s, uint64_t id);
void sched_remove(struct send_state *s, struct msg *m);
void fifo_push(struct fifo *f, struct msg *m);
struct msg *fifo_pop(struct fifo *f);
void heap_push(struct heap *h, struct job *j);
struct job *heap_top(const struct heap *h);
struct job *heap_pop(struct heap *h);

/* config.c: control files (start and SIGHUP). */
int config_load(struct send_config *c);
void config_free(struct send_config *c);
size_t config_concurrency(enum chan ch);
/* control/concurrencyperdomain: remote deliveries at once to one domain
 * (0: only concurrencyremote limits them). */
size_t config_per_domain(void);

/* adopt.c: todo/ -> env/, startup recovery. */
void adopt_scan_todo(struct send_state *s);
void adopt_batch(struct send_state *s);
void adopt_recover(struct send_state *s);
/* Builds the jobs of m from its envelope (route_classify each). */
void adopt_make_jobs(struct send_state *s, struct msg *m);

/* deliver.c */
void deliver_start_ready(struct send_state *s);
void deliver_read_reports(struct send_state *s, enum chan ch);
void deliver_flush(struct send_state *s);
void deliver_check_finished(struct send_state *s, struct msg *m);

/* finish.c: bounce injection and cleanup. */
/* Returns true when a message waits for a later retry. */
bool finish_run(struct send_state *s);
void finish_read_clean(struct send_state *s);
void finish_send_clean(struct send_state *s);

/* slog.c: qmail-send's log lines on stderr. */
void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* text with NUL -> '_' and newlines -> '/' (for log lines). */
void slog_text(struct sbuf *out, const char *text, size_t len);
void slog_status(const struct send_state *s);

#endif
