/*
 * super.h: qmail-super's private modules (qmail-super(8)).
 *
 * logw.c   per-service log files: log/NAME/current, one ISO-8601 UTC
 *          timestamp per line, rotated at LOGW_ROTATE_SIZE keeping
 *          LOGW_KEEP old files (current.1 newest ... current.5 oldest).
 * svc.c    the service table: building argv from etc/services, starting,
 *          restarting with backoff, readiness, stopping.
 * main.c   the event loop: signals via signalfd, log pipes, readiness.
 */
#ifndef QMAIL_SUPER_H
#define QMAIL_SUPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "sbuf.h"

#define LOGW_ROTATE_SIZE (10u * 1024u * 1024u)
#define LOGW_KEEP 5
#define LOGW_LINE_MAX 4000
#define SUPER_BACKOFF_MAX 60
#define SUPER_STOP_GRACE 60 /* seconds between TERM and KILL */
#define SUPER_MAX_SERVICES 8
#define SUPER_LOG_BATCH_MS 10 /* pause after reading log lines (main.c) */

struct logw {
	char *dir; /* log/NAME */
	int fd;
	size_t size;
	struct sbuf partial; /* bytes of an unfinished line */
	struct sbuf out;     /* stamped lines not yet written */
};

int logw_open(struct logw *w, const char *dir);
/* Appends raw bytes from a service; whole lines get a timestamp and go
 * to the file with one write per call. */
void logw_feed(struct logw *w, const char *p, size_t n);
void logw_line(struct logw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void logw_flush(struct logw *w);

enum svc_state { SVC_DISABLED, SVC_DOWN, SVC_UP };

struct service {
	char name[16];
	char **argv;
	bool is_listener;
	enum svc_state state;
	pid_t pid;
	time_t since;       /* wall clock of the last state change */
	int log_rd, log_wr; /* the service's stdout+stderr */
	int notify_rd;      /* listener readiness (its -N fd), -1 */
	bool ready;
	unsigned backoff;  /* seconds before the next restart */
	double restart_at; /* monotonic seconds; 0: not pending */
	double started_mono;
	struct logw log;
	const char *addr; /* listener: for the connect fallback */
	unsigned port;
};

struct super {
	struct service svc[SUPER_MAX_SERVICES];
	size_t n;
	bool stopping;
	double stop_deadline;
	struct logw log; /* qmail-super's own lines */
};

double super_now(void); /* CLOCK_MONOTONIC seconds */
int svc_load(struct super *s);
int svc_start(struct super *s, struct service *v);
void svc_reaped(struct super *s, pid_t pid, int status);
void svc_restart_due(struct super *s);
void svc_check_ready(struct super *s, struct service *v);
void svc_signal_all(struct super *s, int sig, bool only_send);
void svc_write_status(struct super *s);
bool svc_all_ready(const struct super *s);
bool svc_any_running(const struct super *s);

#endif
